#include "infra/config/to_yaml.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace devloop::config {
namespace {

// Writes a string so YAML reads it back as the same string: quoted when plain
// style would read as another type (true, 8080, null) or is empty.
void Str(YAML::Emitter& out, const std::string& s) {
  const std::string lower = absl::AsciiStrToLower(s);
  double number;
  const bool ambiguous = s.empty() || lower == "true" || lower == "false" || lower == "null" ||
                         lower == "~" || lower == "yes" || lower == "no" || lower == "on" ||
                         lower == "off" || absl::SimpleAtod(s, &number) ||
                         absl::StartsWith(s, "0x") || absl::StartsWith(s, "0o");
  if (ambiguous) out << YAML::DoubleQuoted;
  out << s;
}

void Key(YAML::Emitter& out, const char* key) { out << YAML::Key << key << YAML::Value; }

void StrField(YAML::Emitter& out, const char* key, const std::string& value) {
  Key(out, key);
  Str(out, value);
}

void List(YAML::Emitter& out, const char* key, const std::vector<std::string>& items) {
  Key(out, key);
  out << YAML::BeginSeq;
  for (const std::string& s : items) Str(out, s);
  out << YAML::EndSeq;
}

// A host hook's map: its command, and its dir when one was written.
void EmitHostHook(YAML::Emitter& out, const std::vector<std::string>& command,
                  const std::string& dir) {
  out << YAML::BeginMap;
  Key(out, "command");
  out << YAML::Flow << YAML::BeginSeq;
  for (const std::string& word : command) Str(out, word);
  out << YAML::EndSeq;
  if (!dir.empty()) StrField(out, "dir", dir);
  out << YAML::EndMap;
}

void EmitArtifact(YAML::Emitter& out, const config::Artifact& a) {
  out << YAML::BeginMap;
  StrField(out, "image", a.image);
  StrField(out, "context", a.context);
  if (a.docker) {
    Key(out, "docker");
    out << YAML::BeginMap;
    StrField(out, "dockerfile", a.docker->dockerfile);
    if (!a.docker->build_args.empty()) {
      Key(out, "buildArgs");
      out << YAML::BeginMap;
      for (const auto& [k, v] : a.docker->build_args) StrField(out, k.c_str(), v);
      out << YAML::EndMap;
    }
    if (!a.docker->target.empty()) StrField(out, "target", a.docker->target);
    if (!a.docker->network.empty()) StrField(out, "network", a.docker->network);
    if (a.docker->no_cache) out << YAML::Key << "noCache" << YAML::Value << true;
    if (!a.docker->cache_from.empty()) List(out, "cacheFrom", a.docker->cache_from);
    out << YAML::EndMap;
  }
  if (a.custom) {
    Key(out, "custom");
    out << YAML::BeginMap;
    StrField(out, "buildCommand", a.custom->build_command);
    const CustomDependencies& d = a.custom->dependencies;
    if (!d.paths.empty() || !d.ignore.empty() || !d.dockerfile.empty() || !d.command.empty()) {
      Key(out, "dependencies");
      out << YAML::BeginMap;
      if (!d.paths.empty()) List(out, "paths", d.paths);
      if (!d.ignore.empty()) List(out, "ignore", d.ignore);
      if (!d.command.empty()) StrField(out, "command", d.command);
      if (!d.dockerfile.empty()) {
        Key(out, "dockerfile");
        out << YAML::BeginMap;
        StrField(out, "path", d.dockerfile);
        if (!d.dockerfile_build_args.empty()) {
          Key(out, "buildArgs");
          out << YAML::BeginMap;
          for (const auto& [k, v] : d.dockerfile_build_args) StrField(out, k.c_str(), v);
          out << YAML::EndMap;
        }
        out << YAML::EndMap;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  if (!a.required_artifacts.empty()) {
    Key(out, "requires");
    out << YAML::BeginSeq;
    for (const ArtifactDependency& dep : a.required_artifacts) {
      out << YAML::BeginMap;
      StrField(out, "image", dep.image);
      StrField(out, "alias", dep.alias);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!a.runtime_type.empty()) StrField(out, "runtimeType", a.runtime_type);
  if (!a.platforms.empty()) List(out, "platforms", a.platforms);
  if (a.sync) {
    Key(out, "sync");
    out << YAML::BeginMap;
    if (!a.sync->manual.empty()) {
      Key(out, "manual");
      out << YAML::BeginSeq;
      for (const SyncRule& r : a.sync->manual) {
        out << YAML::BeginMap;
        StrField(out, "src", r.src);
        StrField(out, "dest", r.dest);
        if (!r.strip.empty()) StrField(out, "strip", r.strip);
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    if (!a.sync->infer.empty()) List(out, "infer", a.sync->infer);
    if (!a.sync->hooks.before.empty() || !a.sync->hooks.after.empty()) {
      Key(out, "hooks");
      out << YAML::BeginMap;
      for (const auto& [name, hooks] : {std::pair{"before", &a.sync->hooks.before},
                                        std::pair{"after", &a.sync->hooks.after}}) {
        if (hooks->empty()) continue;
        Key(out, name);
        out << YAML::BeginSeq;
        for (const SyncHook& h : *hooks) {
          out << YAML::BeginMap;
          const bool host = h.where == SyncHook::Where::kHost;
          Key(out, host ? "host" : "container");
          if (host) {
            EmitHostHook(out, h.command, h.dir);
          } else {
            out << YAML::BeginMap;
            List(out, "command", h.command);
            out << YAML::EndMap;
          }
          out << YAML::EndMap;
        }
        out << YAML::EndSeq;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  if (!a.hooks.before.empty() || !a.hooks.after.empty()) {
    Key(out, "hooks");
    out << YAML::BeginMap;
    for (const auto& [name, hooks] :
         {std::pair{"before", &a.hooks.before}, std::pair{"after", &a.hooks.after}}) {
      if (hooks->empty()) continue;
      Key(out, name);
      out << YAML::BeginSeq;
      for (const HostHook& h : *hooks) EmitHostHook(out, h.command, h.dir);
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

void StringMap(YAML::Emitter& out, const char* key,
               const std::map<std::string, std::string>& values) {
  Key(out, key);
  out << YAML::BeginMap;
  for (const auto& [k, v] : values) StrField(out, k.c_str(), v);
  out << YAML::EndMap;
}

void EmitHelmRelease(YAML::Emitter& out, const HelmRelease& r) {
  out << YAML::BeginMap;
  StrField(out, "name", r.name);
  StrField(out, "chartPath", r.chart_path);
  if (!r.values_files.empty()) List(out, "valuesFiles", r.values_files);
  if (!r.set_values.empty()) StringMap(out, "setValues", r.set_values);
  if (!r.set_value_templates.empty()) StringMap(out, "setValueTemplates", r.set_value_templates);
  if (!r.namespace_name.empty()) StrField(out, "namespace", r.namespace_name);
  if (r.create_namespace) out << YAML::Key << "createNamespace" << YAML::Value << true;
  if (!r.version.empty()) StrField(out, "version", r.version);
  if (r.skip_build_dependencies) {
    out << YAML::Key << "skipBuildDependencies" << YAML::Value << true;
  }
  out << YAML::EndMap;
}

void TagPolicyYaml(YAML::Emitter& out, const TagPolicy& policy) {
  out << YAML::BeginMap;
  if (const auto* g = std::get_if<GitCommitTagger>(&policy)) {
    Key(out, "gitCommit");
    out << YAML::BeginMap;
    StrField(out, "variant", GitCommitVariantName(g->variant));
    if (!g->prefix.empty()) StrField(out, "prefix", g->prefix);
    if (g->ignore_changes) out << YAML::Key << "ignoreChanges" << YAML::Value << true;
    out << YAML::EndMap;
  } else if (std::holds_alternative<Sha256Tagger>(policy)) {
    Key(out, "sha256");
    out << YAML::BeginMap << YAML::EndMap;
  } else if (std::holds_alternative<InputDigestTagger>(policy)) {
    Key(out, "inputDigest");
    out << YAML::BeginMap << YAML::EndMap;
  } else if (const auto* e = std::get_if<EnvTemplateTagger>(&policy)) {
    Key(out, "envTemplate");
    out << YAML::BeginMap;
    StrField(out, "template", e->tmpl);
    out << YAML::EndMap;
  } else if (const auto* d = std::get_if<DateTimeTagger>(&policy)) {
    Key(out, "dateTime");
    out << YAML::BeginMap;
    StrField(out, "format", d->format);
    StrField(out, "timezone", d->timezone);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

void EmitTestsAndActions(YAML::Emitter& out, const Config& c);

void Emit(YAML::Emitter& out, const Config& c) {
  if (!c.source_file.empty()) out << YAML::Comment(absl::StrCat("from ", c.source_file));
  if (!c.active_profiles.empty()) {
    out << YAML::Newline
        << YAML::Comment(absl::StrCat("profiles applied: ", absl::StrJoin(c.active_profiles, ", ")));
  }
  out << YAML::BeginMap;
  StrField(out, "apiVersion", c.api_version);
  StrField(out, "kind", "Config");
  if (!c.name.empty()) {
    Key(out, "metadata");
    out << YAML::BeginMap;
    StrField(out, "name", c.name);
    out << YAML::EndMap;
  }
  if (!c.required_configs.empty()) {
    Key(out, "requires");
    out << YAML::BeginSeq;
    for (const ConfigDependency& dep : c.required_configs) {
      out << YAML::BeginMap;
      if (!dep.path.empty()) StrField(out, "path", dep.path);
      if (!dep.configs.empty()) List(out, "configs", dep.configs);
      if (!dep.active_profiles.empty()) {
        Key(out, "activeProfiles");
        out << YAML::BeginSeq;
        for (const RequiredProfile& rp : dep.active_profiles) {
          out << YAML::BeginMap;
          StrField(out, "name", rp.name);
          if (!rp.activated_by.empty()) List(out, "activatedBy", rp.activated_by);
          out << YAML::EndMap;
        }
        out << YAML::EndSeq;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  Key(out, "build");
  out << YAML::BeginMap;
  Key(out, "artifacts");
  out << YAML::BeginSeq;
  for (const config::Artifact& a : c.build.artifacts) EmitArtifact(out, a);
  out << YAML::EndSeq;
  Key(out, "tagPolicy");
  TagPolicyYaml(out, c.build.tag_policy);
  Key(out, "local");
  out << YAML::BeginMap;
  if (c.build.local.push) out << YAML::Key << "push" << YAML::Value << *c.build.local.push;
  out << YAML::Key << "useBuildkit" << YAML::Value << c.build.local.use_buildkit;
  out << YAML::Key << "concurrency" << YAML::Value << c.build.local.concurrency;
  out << YAML::EndMap;
  if (!c.build.insecure_registries.empty()) {
    List(out, "insecureRegistries", c.build.insecure_registries);
  }
  if (!c.build.platforms.empty()) List(out, "platforms", c.build.platforms);
  out << YAML::EndMap;

  if (c.deploy.kustomize || c.deploy.helm) {
    // The v3+ spelling: it reads back the same whichever the config used.
    Key(out, "manifests");
    out << YAML::BeginMap;
    if (c.deploy.kustomize) {
      Key(out, "kustomize");
      out << YAML::BeginMap;
      List(out, "paths", c.deploy.kustomize->paths);
      if (!c.deploy.kustomize->build_args.empty()) {
        List(out, "buildArgs", c.deploy.kustomize->build_args);
      }
      out << YAML::EndMap;
    }
    if (c.deploy.helm) {
      Key(out, "helm");
      out << YAML::BeginMap;
      Key(out, "releases");
      out << YAML::BeginSeq;
      for (const HelmRelease& r : c.deploy.helm->releases) EmitHelmRelease(out, r);
      out << YAML::EndSeq;
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }

  Key(out, "deploy");
  out << YAML::BeginMap;
  if (c.deploy.kubectl) {
    const KubectlDeploy& k = *c.deploy.kubectl;
    Key(out, "kubectl");
    out << YAML::BeginMap;
    List(out, "manifests", k.manifests);
    if (!k.flags.global.empty() || !k.flags.apply.empty() || !k.flags.remove.empty()) {
      Key(out, "flags");
      out << YAML::BeginMap;
      if (!k.flags.global.empty()) List(out, "global", k.flags.global);
      if (!k.flags.apply.empty()) List(out, "apply", k.flags.apply);
      if (!k.flags.remove.empty()) List(out, "delete", k.flags.remove);
      out << YAML::EndMap;
    }
    if (!k.default_namespace.empty()) StrField(out, "defaultNamespace", k.default_namespace);
    if (!k.hooks.before.empty() || !k.hooks.after.empty()) {
      Key(out, "hooks");
      out << YAML::BeginMap;
      for (const auto& [when, hooks] : {std::pair{"before", &k.hooks.before},
                                        std::pair{"after", &k.hooks.after}}) {
        if (hooks->empty()) continue;
        Key(out, when);
        out << YAML::BeginSeq;
        for (const DeployHook& h : *hooks) {
          out << YAML::BeginMap;
          const bool host = h.where == DeployHook::Where::kHost;
          Key(out, host ? "host" : "container");
          out << YAML::BeginMap;
          List(out, "command", h.command);
          if (host && !h.dir.empty()) StrField(out, "dir", h.dir);
          if (!host) {
            StrField(out, "podName", h.pod_name);
            StrField(out, "containerName", h.container_name);
          }
          out << YAML::EndMap << YAML::EndMap;
        }
        out << YAML::EndSeq;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  if (c.deploy.docker) {
    Key(out, "docker");
    out << YAML::BeginMap;
    List(out, "images", c.deploy.docker->images);
    out << YAML::EndMap;
  }
  if (c.deploy.status_check_deadline_seconds) {
    out << YAML::Key << "statusCheckDeadlineSeconds" << YAML::Value
        << *c.deploy.status_check_deadline_seconds;
  }
  out << YAML::Key << "tolerateFailuresUntilDeadline" << YAML::Value
      << c.deploy.tolerate_failures_until_deadline;
  if (c.status_check) out << YAML::Key << "statusCheck" << YAML::Value << *c.status_check;
  out << YAML::EndMap;

  if (!c.port_forward.empty()) {
    Key(out, "portForward");
    out << YAML::BeginSeq;
    for (const PortForward& pf : c.port_forward) {
      out << YAML::BeginMap;
      StrField(out, "resourceType", pf.resource_type);
      StrField(out, "resourceName", pf.resource_name);
      if (!pf.namespace_.empty()) StrField(out, "namespace", pf.namespace_);
      out << YAML::Key << "port" << YAML::Value << pf.port;
      if (pf.local_port) out << YAML::Key << "localPort" << YAML::Value << *pf.local_port;
      StrField(out, "address", pf.address);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  EmitTestsAndActions(out, c);
  out << YAML::EndMap;
}

void EmitContainer(YAML::Emitter& out, const ActionContainer& c) {
  out << YAML::BeginMap;
  StrField(out, "name", c.name);
  StrField(out, "image", c.image);
  if (!c.command.empty()) List(out, "command", c.command);
  if (!c.args.empty()) List(out, "args", c.args);
  if (!c.env.empty()) {
    Key(out, "env");
    out << YAML::BeginSeq;
    for (const auto& [name, value] : c.env) {
      out << YAML::BeginMap;
      StrField(out, "name", name);
      StrField(out, "value", value);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

// test, verify and customActions, after the rest of the document.
void EmitTestsAndActions(YAML::Emitter& out, const Config& c) {
  if (!c.tests.empty()) {
    Key(out, "test");
    out << YAML::BeginSeq;
    for (const TestCase& t : c.tests) {
      out << YAML::BeginMap;
      StrField(out, "image", t.image);
      StrField(out, "context", t.context);
      if (!t.custom.empty()) {
        Key(out, "custom");
        out << YAML::BeginSeq;
        for (const CustomTest& ct : t.custom) {
          out << YAML::BeginMap;
          StrField(out, "command", ct.command);
          if (ct.timeout_seconds) {
            out << YAML::Key << "timeoutSeconds" << YAML::Value << *ct.timeout_seconds;
          }
          if (!ct.dependency_paths.empty() || !ct.dependency_ignore.empty() ||
              !ct.dependency_command.empty()) {
            Key(out, "dependencies");
            out << YAML::BeginMap;
            if (!ct.dependency_paths.empty()) List(out, "paths", ct.dependency_paths);
            if (!ct.dependency_ignore.empty()) List(out, "ignore", ct.dependency_ignore);
            if (!ct.dependency_command.empty()) StrField(out, "command", ct.dependency_command);
            out << YAML::EndMap;
          }
          out << YAML::EndMap;
        }
        out << YAML::EndSeq;
      }
      if (!t.structure_tests.empty()) List(out, "structureTests", t.structure_tests);
      if (!t.structure_tests_args.empty()) {
        List(out, "structureTestsArgs", t.structure_tests_args);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!c.verify.empty()) {
    Key(out, "verify");
    out << YAML::BeginSeq;
    for (const VerifyTestCase& v : c.verify) {
      out << YAML::BeginMap;
      StrField(out, "name", v.name);
      Key(out, "container");
      EmitContainer(out, v.container);
      if (v.timeout_seconds) out << YAML::Key << "timeout" << YAML::Value << *v.timeout_seconds;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!c.custom_actions.empty()) {
    Key(out, "customActions");
    out << YAML::BeginSeq;
    for (const CustomAction& a : c.custom_actions) {
      out << YAML::BeginMap;
      StrField(out, "name", a.name);
      Key(out, "containers");
      out << YAML::BeginSeq;
      for (const ActionContainer& container : a.containers) EmitContainer(out, container);
      out << YAML::EndSeq;
      if (a.timeout_seconds) out << YAML::Key << "timeout" << YAML::Value << *a.timeout_seconds;
      out << YAML::Key << "failFast" << YAML::Value << a.fail_fast;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
}

}  // namespace

std::string ToYaml(const Config& config) {
  YAML::Emitter out;
  out.SetBoolFormat(YAML::TrueFalseBool);
  out.SetIndent(2);
  Emit(out, config);
  return absl::StrCat(out.c_str(), "\n");
}

std::string ToYaml(const std::vector<Config>& configs) {
  std::string text;
  for (const Config& c : configs) absl::StrAppend(&text, "---\n", ToYaml(c));
  return text;
}

}  // namespace devloop::config
