#include "infra/config/decode.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "domain/config/platforms.h"
#include "domain/config/template.h"
#include "domain/debug/transform.h"
#include "domain/paths/path.h"
#include "infra/config/upgrade.h"
#include "infra/config/yaml_util.h"

namespace devloop::config::internal {
namespace {

using ::devloop::domain::ResolvePath;

const std::vector<Refused> kRefusedTop = {
    {"resourceSelector", "resourceSelector is not supported by devloop"},
    {"render", "render is not supported by devloop"},
};

class Decoder {
 public:
  Decoder(const DecodeContext& context, std::vector<ConfigError>* errors)
      : ctx_(context), w_(context.file, errors) {}

  Config Decode(const YAML::Node& doc) {
    Config c;
    c.source_file = ctx_.file;
    c.directory = ctx_.directory;
    if (!w_.Fields(doc, "",
                   {"apiVersion", "kind", "metadata", "requires", "build", "manifests", "deploy",
                    "portForward", "profiles", "test", "verify",
                    "customActions"},
                   kRefusedTop)) {
      return c;
    }
    w_.String(doc, "apiVersion", "", &c.api_version);
    YAML::Node metadata = Child(doc, "metadata");
    if (metadata.IsDefined() && w_.Fields(metadata, "metadata", {"name", "labels", "annotations"}, {})) {
      w_.String(metadata, "name", "metadata", &c.name);
    }
    DecodeRequires(Child(doc, "requires"), &c);
    YAML::Node build = Child(doc, "build");
    if (build.IsDefined()) DecodeBuild(build, &c.build);
    std::vector<std::string> raw_yaml;
    YAML::Node manifests = Child(doc, "manifests");
    if (manifests.IsDefined()) DecodeManifests(manifests, &raw_yaml, &c.deploy);
    YAML::Node deploy = Child(doc, "deploy");
    if (deploy.IsDefined()) DecodeDeploy(deploy, &c);
    const bool rendered = c.deploy.kustomize || c.deploy.helm;
    if (!raw_yaml.empty() || rendered) {
      // v3+: manifests (raw, kustomized or from helm) are deployed with kubectl,
      // the default deployer.
      if (!c.deploy.kubectl && !c.deploy.docker) c.deploy.kubectl = KubectlDeploy{};
      if (c.deploy.kubectl) {
        c.deploy.kubectl->manifests.insert(c.deploy.kubectl->manifests.end(), raw_yaml.begin(),
                                           raw_yaml.end());
      }
    }
    // Skaffold's default, unless the manifests come from kustomize or helm (a
    // default glob matching nothing would then fail the deploy).
    if (c.deploy.kubectl && c.deploy.kubectl->manifests.empty() && !rendered) {
      c.deploy.kubectl->manifests = {"k8s/*.yaml"};
    }
    DecodePortForwards(Child(doc, "portForward"), &c.port_forward);
    DecodeTests(Child(doc, "test"), &c.tests);
    DecodeVerify(Child(doc, "verify"), &c.verify);
    DecodeCustomActions(Child(doc, "customActions"), &c.custom_actions);
    return c;
  }

 private:
  std::string Expand(const YAML::Node& node, const std::string& path, const std::string& text) {
    absl::StatusOr<std::string> out = ExpandTemplate(text, ctx_.env);
    if (!out.ok()) {
      w_.Error(node, absl::StrCat(path, ": bad template \"", text, "\": ", out.status().message()));
      return text;
    }
    return *out;
  }

  // Calls fn(item, index, item_path) for each item of a list field.
  template <typename Fn>
  void ForEach(const YAML::Node& list, const std::string& path, Fn fn) {
    if (!list.IsDefined() || list.IsNull()) return;
    if (!list.IsSequence()) {
      w_.Error(list, absl::StrCat(path, ": expected a list, got ", Describe(list)));
      return;
    }
    size_t i = 0;
    for (const YAML::Node& item : list) {
      if (!w_.Budget(item)) return;
      fn(item, i, absl::StrCat(path, "[", i, "]"));
      ++i;
    }
  }

  void DecodeRequires(const YAML::Node& list, Config* c) {
    ForEach(list, "requires", [&](const YAML::Node& item, size_t, const std::string& path) {
      if (!w_.Fields(item, path, {"path", "configs", "activeProfiles"},
                     {{"git", "remote config dependencies (git) are not supported by devloop; "
                              "use a local path"},
                      {"googleCloudStorage", "remote config dependencies (googleCloudStorage) "
                                             "are not supported by devloop; use a local path"}})) {
        return;
      }
      ConfigDependency dep;
      dep.pos = w_.Pos(item);
      // Without a path, configs names configs of this same file (checked by the loader).
      w_.String(item, "path", path, &dep.path);
      w_.StringList(item, "configs", path, &dep.configs);
      ForEach(Child(item, "activeProfiles"), Sub(path, "activeProfiles"),
              [&](const YAML::Node& ap, size_t, const std::string& ap_path) {
                if (!w_.Fields(ap, ap_path, {"name", "activatedBy"}, {})) return;
                std::string name;
                if (!w_.String(ap, "name", ap_path, &name)) w_.Missing(ap, "name", ap_path);
                std::vector<std::string> by;
                w_.StringList(ap, "activatedBy", ap_path, &by);
                dep.active_profiles.push_back({name, std::move(by)});
              });
      c->required_configs.push_back(std::move(dep));
    });
  }

  void DecodeBuild(const YAML::Node& node, Build* b) {
    const std::string p = "build";
    if (!w_.Fields(node, p,
                   {"artifacts", "tagPolicy", "local", "insecureRegistries", "platforms"},
                   {{"cluster", "in-cluster builds are not supported by devloop (use local)"},
                    {"googleCloudBuild",
                     "Google Cloud Build is not supported by devloop (use local)"}})) {
      return;
    }
    Platforms(node, p, &b->platforms);
    ForEach(Child(node, "artifacts"), "build.artifacts",
            [&](const YAML::Node& item, size_t, const std::string& path) {
              b->artifacts.push_back(DecodeArtifact(item, path));
            });
    YAML::Node tag = Child(node, "tagPolicy");
    if (tag.IsDefined()) DecodeTagPolicy(tag, &b->tag_policy);
    YAML::Node local = Child(node, "local");
    if (local.IsDefined() &&
        w_.Fields(local, "build.local", {"push", "useBuildkit", "concurrency", "useDockerCLI", "tryImportMissing"},
                  {})) {
      w_.OptBool(local, "push", "build.local", &b->local.push);
      w_.Bool(local, "useBuildkit", "build.local", &b->local.use_buildkit);
      w_.Int(local, "concurrency", "build.local", &b->local.concurrency);
      if (b->local.concurrency < 0) {
        w_.Error(Child(local, "concurrency"),
                 absl::StrCat("build.local.concurrency: expected 0 (no limit) or more, got ",
                              b->local.concurrency));
      }
    }
    w_.StringList(node, "insecureRegistries", p, &b->insecure_registries);
  }

  // Reads map[platforms], a list of "os/arch[/variant]", normalized into *out
  // (each once); each bad entry is an error at its line.
  void Platforms(const YAML::Node& map, const std::string& p, std::vector<std::string>* out) {
    const YAML::Node list = Child(map, "platforms");
    if (!list.IsDefined() || list.IsNull()) return;
    const std::string lp = Sub(p, "platforms");
    if (!list.IsSequence()) {
      w_.Error(list, absl::StrCat(lp, ": expected a list of platforms (os/arch[/variant]), got ",
                                  Describe(list)));
      return;
    }
    size_t i = 0;
    for (const YAML::Node& item : list) {
      const std::string ip = absl::StrCat(lp, "[", i++, "]");
      std::optional<std::string> text = w_.Scalar(item, ip);
      if (!text) continue;
      absl::StatusOr<std::string> platform = ParsePlatform(*text);
      if (!platform.ok()) {
        w_.Error(item, absl::StrCat(ip, ": ", platform.status().message()));
      } else if (std::find(out->begin(), out->end(), *platform) == out->end()) {
        out->push_back(*std::move(platform));
      }
    }
  }

  Artifact DecodeArtifact(const YAML::Node& node, const std::string& p) {
    Artifact a;
    a.pos = w_.Pos(node);
    a.context_pos = a.pos;
    if (!w_.Fields(node, p,
                   {"image", "context", "docker", "custom", "requires", "sync", "hooks",
                    "runtimeType", "platforms"},
                   {{"jib", "jib builds are not supported by devloop (supported: docker, custom)"},
                    {"kaniko",
                     "kaniko builds are not supported by devloop (supported: docker, custom)"},
                    {"bazel",
                     "bazel builds are not supported by devloop (supported: docker, custom)"},
                    {"buildpacks",
                     "buildpacks builds are not supported by devloop (supported: docker, custom)"},
                    {"ko",
                     "ko builds are not supported by devloop (supported: docker, custom)"}})) {
      return a;
    }
    if (w_.String(node, "image", p, &a.image)) {
      a.pos = w_.Pos(Child(node, "image"));
      a.image = Expand(Child(node, "image"), Sub(p, "image"), a.image);
      if (a.image.empty() && !Child(node, "image").IsSequence() && !Child(node, "image").IsMap()) {
        w_.Error(Child(node, "image"), absl::StrCat(Sub(p, "image"), ": expected an image name, got nothing"));
      }
    } else {
      w_.Missing(node, "image", p);
    }
    if (w_.String(node, "runtimeType", p, &a.runtime_type)) {
      if (absl::StatusOr<debug::Runtime> r = debug::ParseRuntime(a.runtime_type); !r.ok()) {
        w_.Error(Child(node, "runtimeType"),
                 absl::StrCat(Sub(p, "runtimeType"), ": ", r.status().message()));
      }
    }
    Platforms(node, p, &a.platforms);
    if (w_.String(node, "context", p, &a.context)) {
      a.context_pos = w_.Pos(Child(node, "context"));
      if (a.context.empty()) a.context = ".";
    }
    a.absolute_context = ResolvePath(ctx_.directory, a.context);
    YAML::Node docker = Child(node, "docker");
    YAML::Node custom = Child(node, "custom");
    if (docker.IsDefined() && custom.IsDefined()) {
      w_.Error(custom, absl::StrCat(p, ": expected only one of docker, custom"));
    }
    if (custom.IsDefined()) {
      a.custom = DecodeCustom(custom, Sub(p, "custom"));
    } else {
      a.docker = docker.IsDefined() ? DecodeDocker(docker, Sub(p, "docker")) : DockerArtifact{};
    }
    ForEach(Child(node, "requires"), Sub(p, "requires"),
            [&](const YAML::Node& item, size_t, const std::string& path) {
              if (!w_.Fields(item, path, {"image", "alias"}, {})) return;
              ArtifactDependency dep;
              if (!w_.String(item, "image", path, &dep.image)) w_.Missing(item, "image", path);
              w_.String(item, "alias", path, &dep.alias);
              if (dep.alias.empty()) dep.alias = dep.image;
              a.required_artifacts.push_back(std::move(dep));
            });
    YAML::Node sync = Child(node, "sync");
    if (sync.IsDefined()) a.sync = DecodeSync(sync, Sub(p, "sync"));
    YAML::Node hooks = Child(node, "hooks");
    if (hooks.IsDefined()) DecodeHooks(hooks, Sub(p, "hooks"), &a.hooks);
    return a;
  }

  DockerArtifact DecodeDocker(const YAML::Node& node, const std::string& p) {
    DockerArtifact d;
    if (!w_.Fields(node, p,
                   {"dockerfile", "buildArgs", "target", "network", "noCache", "cacheFrom",
                    "addHost", "squash", "secrets", "ssh", "pullParent", "cliFlags"},
                   {})) {
      return d;
    }
    w_.String(node, "dockerfile", p, &d.dockerfile);
    if (d.dockerfile.empty()) d.dockerfile = "Dockerfile";
    YAML::Node args = Child(node, "buildArgs");
    if (args.IsDefined() && !args.IsNull()) {
      if (!args.IsMap()) {
        w_.Error(args, absl::StrCat(Sub(p, "buildArgs"), ": expected a map of strings, got ",
                                    Describe(args)));
      } else {
        for (auto it = args.begin(); it != args.end(); ++it) {
          if (!w_.Budget(it->second)) break;
          if (!it->first.IsScalar()) {
            w_.Error(it->first, absl::StrCat(Sub(p, "buildArgs"), ": expected a name, got ",
                                             Describe(it->first)));
            continue;
          }
          const std::string name = it->first.Scalar();
          const std::string path = Sub(Sub(p, "buildArgs"), name);
          if (it->second.IsNull()) {
            // `KEY:` with no value takes KEY from the environment, like `docker build --build-arg KEY`.
            auto env = ctx_.env.find(name);
            d.build_args[name] = env == ctx_.env.end() ? "" : env->second;
            continue;
          }
          if (std::optional<std::string> v = w_.Scalar(it->second, path)) {
            d.build_args[name] = Expand(it->second, path, *v);
          }
        }
      }
    }
    w_.String(node, "target", p, &d.target);
    w_.String(node, "network", p, &d.network);
    w_.Bool(node, "noCache", p, &d.no_cache);
    w_.StringList(node, "cacheFrom", p, &d.cache_from);
    for (const char* unsupported : {"addHost", "squash", "secrets", "ssh", "pullParent", "cliFlags"}) {
      YAML::Node v = Child(node, unsupported);
      if (v.IsDefined()) {
        w_.Error(v, absl::StrCat(Sub(p, unsupported), ": not supported by devloop's Docker builder "
                                 "(supported: dockerfile, buildArgs, target, network, noCache, "
                                 "cacheFrom)"));
      }
    }
    return d;
  }

  CustomArtifact DecodeCustom(const YAML::Node& node, const std::string& p) {
    CustomArtifact c;
    if (!w_.Fields(node, p, {"buildCommand", "dependencies"}, {})) return c;
    if (!w_.String(node, "buildCommand", p, &c.build_command) || c.build_command.empty()) {
      w_.Missing(node, "buildCommand", p);
    }
    YAML::Node deps = Child(node, "dependencies");
    const std::string dp = Sub(p, "dependencies");
    if (deps.IsDefined() && w_.Fields(deps, dp, {"paths", "ignore", "dockerfile", "command"}, {})) {
      w_.StringList(deps, "paths", dp, &c.dependencies.paths);
      w_.StringList(deps, "ignore", dp, &c.dependencies.ignore);
      w_.String(deps, "command", dp, &c.dependencies.command);
      YAML::Node df = Child(deps, "dockerfile");
      if (df.IsDefined() && w_.Fields(df, Sub(dp, "dockerfile"), {"path", "buildArgs"}, {})) {
        if (!w_.String(df, "path", Sub(dp, "dockerfile"), &c.dependencies.dockerfile)) {
          w_.Missing(df, "path", Sub(dp, "dockerfile"));
        }
        StringMap(Child(df, "buildArgs"), Sub(Sub(dp, "dockerfile"), "buildArgs"),
                  &c.dependencies.dockerfile_build_args);
      }
    }
    return c;
  }

  Sync DecodeSync(const YAML::Node& node, const std::string& p) {
    Sync s;
    if (!w_.Fields(node, p, {"manual", "infer", "hooks"},
                   {{"auto", "sync.auto is not supported by devloop: it needs the jib or "
                             "buildpacks builder; use sync.manual or sync.infer"}})) {
      return s;
    }
    ForEach(Child(node, "manual"), Sub(p, "manual"),
            [&](const YAML::Node& item, size_t, const std::string& path) {
              if (!w_.Fields(item, path, {"src", "dest", "strip"}, {})) return;
              SyncRule rule;
              rule.pos = w_.Pos(item);
              if (w_.String(item, "src", path, &rule.src)) {
                rule.pos = w_.Pos(Child(item, "src"));
              } else {
                w_.Missing(item, "src", path);
              }
              if (!w_.String(item, "dest", path, &rule.dest)) w_.Missing(item, "dest", path);
              w_.String(item, "strip", path, &rule.strip);
              s.manual.push_back(std::move(rule));
            });
    w_.StringList(node, "infer", p, &s.infer);
    YAML::Node hooks = Child(node, "hooks");
    if (hooks.IsDefined()) DecodeSyncHooks(hooks, Sub(p, "hooks"), &s.hooks);
    return s;
  }

  // Reads a host hook (`command`, `os`, `dir`) into *out; false when it is
  // malformed or for another OS.
  bool DecodeHostHook(const YAML::Node& node, const std::string& p, HostHook* out) {
    if (!w_.Fields(node, p, {"command", "os", "dir"}, {})) return false;
    out->pos = w_.Pos(node);
    std::vector<std::string> os;
    bool ok = true;
    if (!w_.StringList(node, "command", p, &out->command) || out->command.empty()) {
      w_.Missing(node, "command", p);
      ok = false;
    }
    w_.StringList(node, "os", p, &os);
    w_.String(node, "dir", p, &out->dir);
    bool linux = os.empty();
    for (const std::string& o : os) linux = linux || o == "linux";
    return ok && linux;
  }

  void DecodeHooks(const YAML::Node& node, const std::string& p, Hooks* h) {
    if (!w_.Fields(node, p, {"before", "after"}, {})) return;
    for (const char* when : {"before", "after"}) {
      auto* out = std::string(when) == "before" ? &h->before : &h->after;
      ForEach(Child(node, when), Sub(p, when),
              [&](const YAML::Node& item, size_t, const std::string& path) {
                HostHook hook;
                if (DecodeHostHook(item, path, &hook)) out->push_back(std::move(hook));
              });
    }
  }

  // The before/after lists of sync and deploy hooks, whose items are each
  // exactly one of `host` or `container`: `one(spec, spec_path, on_host)`
  // reads the chosen one (nullopt: malformed, already reported, or for another
  // OS) and the hook gets the item's position.
  template <typename Hook, typename ReadOne>
  void DecodeHostOrContainerHooks(const YAML::Node& node, const std::string& p,
                                  std::vector<Hook>* before, std::vector<Hook>* after,
                                  ReadOne one) {
    if (!w_.Fields(node, p, {"before", "after"}, {})) return;
    for (const char* when : {"before", "after"}) {
      std::vector<Hook>* out = std::string(when) == "before" ? before : after;
      ForEach(Child(node, when), Sub(p, when),
              [&](const YAML::Node& item, size_t, const std::string& path) {
                if (!w_.Fields(item, path, {"host", "container"}, {})) return;
                const YAML::Node host = Child(item, "host");
                const YAML::Node container = Child(item, "container");
                if (host.IsDefined() == container.IsDefined()) {
                  w_.Error(item, absl::StrCat(path, ": expected exactly one of host or container"));
                  return;
                }
                const bool on_host = host.IsDefined();
                std::optional<Hook> hook = one(on_host ? host : container,
                                               Sub(path, on_host ? "host" : "container"), on_host);
                if (!hook.has_value()) return;
                hook->pos = w_.Pos(item);
                out->push_back(*std::move(hook));
              });
    }
  }

  // A host hook read as a sync or deploy hook (which run on the host by
  // default); nullopt as DecodeHostHook returns false.
  template <typename Hook>
  std::optional<Hook> DecodeHostHookAs(const YAML::Node& spec, const std::string& p) {
    HostHook host;
    if (!DecodeHostHook(spec, p, &host)) return std::nullopt;
    Hook hook;
    hook.command = std::move(host.command);
    hook.dir = std::move(host.dir);
    return hook;
  }

  // A container hook's `command` (its other `fields` read by the caller).
  bool DecodeContainerCommand(const YAML::Node& spec, const std::string& p,
                              const std::vector<std::string>& fields,
                              std::vector<std::string>* command) {
    if (!w_.Fields(spec, p, fields, {})) return false;
    if (!w_.StringList(spec, "command", p, command) || command->empty()) {
      w_.Missing(spec, "command", p);
      return false;
    }
    return true;
  }

  void DecodeSyncHooks(const YAML::Node& node, const std::string& p, SyncHooks* h) {
    DecodeHostOrContainerHooks<SyncHook>(
        node, p, &h->before, &h->after,
        [&](const YAML::Node& spec, const std::string& sp, bool on_host) -> std::optional<SyncHook> {
          if (on_host) return DecodeHostHookAs<SyncHook>(spec, sp);
          SyncHook hook;
          hook.where = SyncHook::Where::kContainer;
          if (!DecodeContainerCommand(spec, sp, {"command"}, &hook.command)) return std::nullopt;
          return hook;
        });
  }

  void DecodeDeployHooks(const YAML::Node& node, const std::string& p, DeployHooks* h) {
    DecodeHostOrContainerHooks<DeployHook>(
        node, p, &h->before, &h->after,
        [&](const YAML::Node& spec, const std::string& sp,
            bool on_host) -> std::optional<DeployHook> {
          if (on_host) return DecodeHostHookAs<DeployHook>(spec, sp);
          DeployHook hook;
          hook.where = DeployHook::Where::kContainer;
          if (!DecodeContainerCommand(spec, sp, {"command", "podName", "containerName"},
                                      &hook.command)) {
            return std::nullopt;
          }
          w_.String(spec, "podName", sp, &hook.pod_name);
          w_.String(spec, "containerName", sp, &hook.container_name);
          return hook;
        });
  }

  void DecodeTagPolicy(const YAML::Node& node, TagPolicy* policy) {
    const std::string p = "build.tagPolicy";
    if (!w_.Fields(node, p, {"gitCommit", "sha256", "inputDigest", "envTemplate", "dateTime"},
                   {{"customTemplate", "the customTemplate tagger is not supported by devloop "
                                       "(supported: gitCommit, sha256, inputDigest, envTemplate, "
                                       "dateTime)"}})) {
      return;
    }
    int count = 0;
    if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (++count == 2) {
          w_.Error(it->first, absl::StrCat(p, ": expected only one tagger, got a second one (\"",
                                           it->first.Scalar(), "\")"));
        }
      }
    }
    YAML::Node git = Child(node, "gitCommit");
    if (git.IsDefined()) {
      GitCommitTagger g;
      const std::string gp = Sub(p, "gitCommit");
      if (w_.Fields(git, gp, {"variant", "prefix", "ignoreChanges"}, {})) {
        std::string variant = "Tags";
        if (w_.String(git, "variant", gp, &variant)) {
          const std::pair<const char*, GitCommitVariant> variants[] = {
              {"Tags", GitCommitVariant::kTags},
              {"CommitSha", GitCommitVariant::kCommitSha},
              {"AbbrevCommitSha", GitCommitVariant::kAbbrevCommitSha},
              {"TreeSha", GitCommitVariant::kTreeSha},
              {"AbbrevTreeSha", GitCommitVariant::kAbbrevTreeSha}};
          bool found = false;
          for (const auto& [name, v] : variants) {
            if (variant == name) {
              g.variant = v;
              found = true;
            }
          }
          if (!found) {
            w_.Error(Child(git, "variant"),
                     absl::StrCat(Sub(gp, "variant"), ": unknown variant \"", variant,
                                  "\" (expected Tags, CommitSha, AbbrevCommitSha, TreeSha or "
                                  "AbbrevTreeSha)"));
          }
        }
        w_.String(git, "prefix", gp, &g.prefix);
        w_.Bool(git, "ignoreChanges", gp, &g.ignore_changes);
      }
      *policy = g;
    }
    if (YAML::Node v = Child(node, "sha256"); v.IsDefined()) {
      if (w_.Fields(v, Sub(p, "sha256"), {}, {})) *policy = Sha256Tagger{};
    }
    if (YAML::Node v = Child(node, "inputDigest"); v.IsDefined()) {
      if (w_.Fields(v, Sub(p, "inputDigest"), {}, {})) *policy = InputDigestTagger{};
    }
    if (YAML::Node v = Child(node, "envTemplate"); v.IsDefined()) {
      EnvTemplateTagger e;
      const std::string ep = Sub(p, "envTemplate");
      if (w_.Fields(v, ep, {"template"}, {})) {
        if (!w_.String(v, "template", ep, &e.tmpl) || e.tmpl.empty()) {
          w_.Missing(v, "template", ep);
        } else if (absl::StatusOr<Template> t = ParseTemplate(e.tmpl); !t.ok()) {
          w_.Error(Child(v, "template"), absl::StrCat(Sub(ep, "template"), ": bad template \"",
                                                      e.tmpl, "\": ", t.status().message()));
        }
      }
      *policy = e;
    }
    if (YAML::Node v = Child(node, "dateTime"); v.IsDefined()) {
      DateTimeTagger d;
      const std::string dp = Sub(p, "dateTime");
      if (w_.Fields(v, dp, {"format", "timezone"}, {})) {
        w_.String(v, "format", dp, &d.format);
        w_.String(v, "timezone", dp, &d.timezone);
      }
      *policy = d;
    }
  }

  void DecodeManifests(const YAML::Node& node, std::vector<std::string>* raw_yaml, Deploy* d) {
    const std::string p = "manifests";
    if (!w_.Fields(node, p, {"rawYaml", "kustomize", "helm"},
                   {{"kpt", "kpt manifests are not supported by devloop (supported: rawYaml, "
                            "kustomize, helm)"},
                    {"hooks", "render hooks are not supported by devloop"},
                    {"transform", "manifest transforms are not supported by devloop"},
                    {"validate", "manifest validation is not supported by devloop"}})) {
      return;
    }
    w_.StringList(node, "rawYaml", p, raw_yaml);
    YAML::Node kustomize = Child(node, "kustomize");
    const std::string kp = Sub(p, "kustomize");
    if (kustomize.IsDefined() && w_.Fields(kustomize, kp, {"paths", "buildArgs"}, {})) {
      DecodeKustomize(kustomize, kp, d);
    }
    YAML::Node helm = Child(node, "helm");
    const std::string hp = Sub(p, "helm");
    if (helm.IsDefined() &&
        w_.Fields(helm, hp, {"releases"},
                  {{"flags", "helm flags are not supported by devloop: it runs `helm template` "
                             "only"}})) {
      DecodeHelmReleases(Child(helm, "releases"), Sub(hp, "releases"), d);
    }
  }

  // The fields manifests.kustomize and deploy.kustomize share; merges them
  // into d->kustomize (paths of both, each once).
  void DecodeKustomize(const YAML::Node& node, const std::string& p, Deploy* d) {
    KustomizeDeploy k;
    k.pos = w_.Pos(node);
    k.paths.clear();
    w_.StringList(node, "paths", p, &k.paths);
    const YAML::Node paths = Child(node, "paths");
    for (size_t i = 0; i < k.paths.size(); ++i) {
      k.paths[i] = Expand(paths[i], absl::StrCat(Sub(p, "paths"), "[", i, "]"), k.paths[i]);
    }
    if (k.paths.empty()) k.paths = {"."};  // Skaffold's default
    w_.StringList(node, "buildArgs", p, &k.build_args);
    if (!d->kustomize) {
      d->kustomize = std::move(k);
      return;
    }
    for (std::string& path : k.paths) {
      if (std::find(d->kustomize->paths.begin(), d->kustomize->paths.end(), path) ==
          d->kustomize->paths.end()) {
        d->kustomize->paths.push_back(std::move(path));
      }
    }
    d->kustomize->build_args.insert(d->kustomize->build_args.end(), k.build_args.begin(),
                                    k.build_args.end());
  }

  // Appends the releases of `list` to d->helm; a release named twice (v4
  // configs often list it under both manifests.helm and deploy.helm) is
  // rendered once, as first written.
  void DecodeHelmReleases(const YAML::Node& list, const std::string& p, Deploy* d) {
    if (!d->helm) d->helm = HelmDeploy{};
    ForEach(list, p, [&](const YAML::Node& item, size_t, const std::string& path) {
      std::optional<HelmRelease> r = DecodeHelmRelease(item, path);
      if (!r) return;
      for (const HelmRelease& other : d->helm->releases) {
        if (other.name == r->name) return;
      }
      d->helm->releases.push_back(*std::move(r));
    });
  }

  std::optional<HelmRelease> DecodeHelmRelease(const YAML::Node& node, const std::string& p) {
    const char* kOnlyTemplate = "devloop renders charts with `helm template` and applies them "
                                "with kubectl";
    if (!w_.Fields(
            node, p,
            {"name", "chartPath", "valuesFiles", "setValues", "setValueTemplates", "namespace",
             "createNamespace", "version", "skipBuildDependencies"},
            {{"remoteChart", "remote charts are not supported by devloop (use a local chartPath)"},
             {"repo", "chart repositories are not supported by devloop (use a local chartPath)"},
             {"artifactOverrides",
              "artifactOverrides is not supported by devloop: write setValueTemplates, e.g. "
              "image: \"{{.IMAGE_FULLY_QUALIFIED_web}}\" for artifact web"},
             {"imageStrategy",
              "imageStrategy is not supported by devloop: write setValueTemplates with "
              "IMAGE_REPO_<name> and IMAGE_TAG_<name>"},
             {"setFiles", "setFiles is not supported by devloop (use valuesFiles)"},
             {"overrides", "overrides is not supported by devloop (use setValues or valuesFiles)"},
             {"packaged", "packaged charts are not supported by devloop"},
             {"useHelmSecrets", "helm secrets are not supported by devloop"},
             {"wait", kOnlyTemplate},
             {"recreatePods", kOnlyTemplate},
             {"skipTests", kOnlyTemplate},
             {"upgradeOnChange", kOnlyTemplate}})) {
      return std::nullopt;
    }
    HelmRelease r;
    r.pos = w_.Pos(node);
    if (w_.String(node, "name", p, &r.name) && !r.name.empty()) {
      r.pos = w_.Pos(Child(node, "name"));
      r.name = Expand(Child(node, "name"), Sub(p, "name"), r.name);
    } else {
      w_.Missing(node, "name", p);
    }
    if (w_.String(node, "chartPath", p, &r.chart_path) && !r.chart_path.empty()) {
      r.chart_path = Expand(Child(node, "chartPath"), Sub(p, "chartPath"), r.chart_path);
    } else if (!Child(node, "remoteChart").IsDefined()) {  // already refused
      w_.Missing(node, "chartPath", p);
    }
    w_.StringList(node, "valuesFiles", p, &r.values_files);
    const YAML::Node values_files = Child(node, "valuesFiles");
    for (size_t i = 0; i < r.values_files.size(); ++i) {
      r.values_files[i] = Expand(values_files[i], absl::StrCat(Sub(p, "valuesFiles"), "[", i, "]"),
                                 r.values_files[i]);
    }
    StringMap(Child(node, "setValues"), Sub(p, "setValues"), &r.set_values);
    StringMap(Child(node, "setValueTemplates"), Sub(p, "setValueTemplates"),
              &r.set_value_templates);
    for (const auto& [key, text] : r.set_value_templates) {
      if (absl::StatusOr<Template> t = ParseTemplate(text); !t.ok()) {
        w_.Error(Child(Child(node, "setValueTemplates"), key),
                 absl::StrCat(Sub(Sub(p, "setValueTemplates"), key), ": bad template \"", text,
                              "\": ", t.status().message()));
      }
    }
    if (w_.String(node, "namespace", p, &r.namespace_name)) {
      r.namespace_name = Expand(Child(node, "namespace"), Sub(p, "namespace"), r.namespace_name);
    }
    w_.Bool(node, "createNamespace", p, &r.create_namespace);
    if (w_.String(node, "version", p, &r.version)) {
      r.version = Expand(Child(node, "version"), Sub(p, "version"), r.version);
    }
    w_.Bool(node, "skipBuildDependencies", p, &r.skip_build_dependencies);
    return r;
  }

  // Reads a map of scalars (setValues, setValueTemplates) into *out.
  void StringMap(const YAML::Node& map, const std::string& p,
                 std::map<std::string, std::string>* out) {
    if (!map.IsDefined() || map.IsNull()) return;
    if (!map.IsMap()) {
      w_.Error(map, absl::StrCat(p, ": expected a map of strings, got ", Describe(map)));
      return;
    }
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!w_.Budget(it->second)) return;
      if (!it->first.IsScalar()) {
        w_.Error(it->first, absl::StrCat(p, ": expected a name, got ", Describe(it->first)));
        continue;
      }
      const std::string key = it->first.Scalar();
      if (std::optional<std::string> v = w_.Scalar(it->second, Sub(p, key))) (*out)[key] = *v;
    }
  }

  void DecodeDeploy(const YAML::Node& node, Config* c) {
    const std::string p = "deploy";
    if (!w_.Fields(node, p,
                   {"kubectl", "kustomize", "helm", "docker", "statusCheckDeadlineSeconds",
                    "tolerateFailuresUntilDeadline", "statusCheck", "logs"},
                   {{"kpt",
                     "kpt deploys are not supported by devloop (supported: kubectl, kustomize, "
                     "helm, docker)"},
                    {"cloudrun",
                     "Cloud Run deploys are not supported by devloop (supported: kubectl, "
                     "kustomize, helm, docker)"},
                    {"kubeContext",
                     "deploy.kubeContext is not supported by devloop (use --kube-context)"}})) {
      return;
    }
    YAML::Node kubectl = Child(node, "kubectl");
    if (kubectl.IsDefined()) {
      KubectlDeploy k;
      const std::string kp = Sub(p, "kubectl");
      if (w_.Fields(kubectl, kp, {"manifests", "flags", "defaultNamespace", "hooks"},
                    {{"remoteManifests", "remote manifests are not supported by devloop"}})) {
        w_.StringList(kubectl, "manifests", kp, &k.manifests);
        w_.String(kubectl, "defaultNamespace", kp, &k.default_namespace);
        DecodeKubectlFlags(Child(kubectl, "flags"), Sub(kp, "flags"), &k.flags);
        YAML::Node hooks = Child(kubectl, "hooks");
        if (hooks.IsDefined()) DecodeDeployHooks(hooks, Sub(kp, "hooks"), &k.hooks);
      }
      c->deploy.kubectl = std::move(k);
    }
    // v2 kustomize and helm deploys: rendered, then applied by the kubectl
    // deployer, which takes their kubectl flags and namespace.
    YAML::Node kustomize = Child(node, "kustomize");
    if (kustomize.IsDefined()) {
      const std::string kp = Sub(p, "kustomize");
      if (!c->deploy.kubectl) c->deploy.kubectl = KubectlDeploy{};
      if (w_.Fields(kustomize, kp, {"paths", "buildArgs", "flags", "defaultNamespace"},
                    {{"hooks", "deploy hooks are not supported by devloop"}})) {
        DecodeKustomize(kustomize, kp, &c->deploy);
        DecodeKubectlFlags(Child(kustomize, "flags"), Sub(kp, "flags"), &c->deploy.kubectl->flags);
        std::string ns;
        if (w_.String(kustomize, "defaultNamespace", kp, &ns) &&
            c->deploy.kubectl->default_namespace.empty()) {
          c->deploy.kubectl->default_namespace = ns;
        }
      }
    }
    YAML::Node helm = Child(node, "helm");
    if (helm.IsDefined()) {
      const std::string hp = Sub(p, "helm");
      // `deploy.helm: {}` beside manifests.helm (v4) says "deploy what helm
      // rendered"; devloop applies it with kubectl all the same.
      if (!c->deploy.kubectl) c->deploy.kubectl = KubectlDeploy{};
      if (w_.Fields(helm, hp, {"releases"},
                    {{"flags", "helm flags are not supported by devloop: it runs `helm template` "
                               "only"},
                     {"hooks", "deploy hooks are not supported by devloop"}})) {
        DecodeHelmReleases(Child(helm, "releases"), Sub(hp, "releases"), &c->deploy);
      }
    }
    YAML::Node docker = Child(node, "docker");
    if (docker.IsDefined()) {
      DockerDeploy d;
      const std::string dp = Sub(p, "docker");
      if (w_.Fields(docker, dp, {"images", "useCompose"},
                    {{"hooks", "Skaffold's docker deployer has no deploy hooks (they belong to "
                               "deploy.kubectl); use build.artifacts[].hooks or "
                               "build.artifacts[].sync.hooks"}})) {
        if (!w_.StringList(docker, "images", dp, &d.images)) w_.Missing(docker, "images", dp);
        bool compose = false;
        w_.Bool(docker, "useCompose", dp, &compose);
        if (compose) {
          w_.Error(Child(docker, "useCompose"),
                   absl::StrCat(Sub(dp, "useCompose"),
                                ": Docker Compose is not supported by devloop (remove it to run "
                                "the images as plain containers)"));
        }
      }
      c->deploy.docker = std::move(d);
    }
    w_.OptInt(node, "statusCheckDeadlineSeconds", p, &c->deploy.status_check_deadline_seconds);
    if (c->deploy.status_check_deadline_seconds && *c->deploy.status_check_deadline_seconds < 0) {
      w_.Error(Child(node, "statusCheckDeadlineSeconds"),
               absl::StrCat("deploy.statusCheckDeadlineSeconds: expected 0 or more, got ",
                            *c->deploy.status_check_deadline_seconds));
    }
    w_.Bool(node, "tolerateFailuresUntilDeadline", p, &c->deploy.tolerate_failures_until_deadline);
    w_.OptBool(node, "statusCheck", p, &c->status_check);
  }

  // Appends deploy.kubectl.flags (or deploy.kustomize.flags) to *out.
  void DecodeKubectlFlags(const YAML::Node& flags, const std::string& fp, KubectlFlags* out) {
    if (!flags.IsDefined() ||
        !w_.Fields(flags, fp, {"global", "apply", "delete", "disableValidation"}, {})) {
      return;
    }
    for (const auto& [key, list] : {std::pair{"global", &out->global},
                                    std::pair{"apply", &out->apply},
                                    std::pair{"delete", &out->remove}}) {
      std::vector<std::string> more;
      w_.StringList(flags, key, fp, &more);
      list->insert(list->end(), more.begin(), more.end());
    }
    bool disable_validation = false;
    w_.Bool(flags, "disableValidation", fp, &disable_validation);
    if (disable_validation) out->apply.push_back("--validate=false");
  }

  void DecodePortForwards(const YAML::Node& list, std::vector<PortForward>* out) {
    ForEach(list, "portForward", [&](const YAML::Node& item, size_t, const std::string& path) {
      if (!w_.Fields(item, path,
                     {"resourceType", "resourceName", "namespace", "port", "localPort", "address"},
                     {})) {
        return;
      }
      PortForward pf;
      pf.pos = w_.Pos(item);
      if (!w_.String(item, "resourceType", path, &pf.resource_type)) {
        w_.Missing(item, "resourceType", path);
      }
      pf.resource_type = absl::AsciiStrToLower(pf.resource_type);
      static const auto* kResourceTypes = new std::vector<std::string>{
          "container", "daemonset", "deployment", "job", "pod", "replicaset", "service",
          "statefulset"};
      if (!pf.resource_type.empty() &&
          std::find(kResourceTypes->begin(), kResourceTypes->end(), pf.resource_type) ==
              kResourceTypes->end()) {
        w_.Error(Child(item, "resourceType"),
                 absl::StrCat(Sub(path, "resourceType"), ": \"", pf.resource_type,
                              "\" is not supported (expected one of ",
                              absl::StrJoin(*kResourceTypes, ", "), ")"));
      }
      if (!w_.String(item, "resourceName", path, &pf.resource_name)) {
        w_.Missing(item, "resourceName", path);
      }
      w_.String(item, "namespace", path, &pf.namespace_);
      YAML::Node port = Child(item, "port");
      if (!port.IsDefined()) {
        w_.Missing(item, "port", path);
      } else if (port.IsScalar() && !absl::SimpleAtoi(port.Scalar(), &pf.port)) {
        w_.Error(port, absl::StrCat(Sub(path, "port"),
                                    ": named ports are not supported by devloop (expected a "
                                    "number, got ", Describe(port), ")"));
      } else if (!port.IsScalar()) {
        w_.Error(port, absl::StrCat(Sub(path, "port"), ": expected an integer, got ", Describe(port)));
      }
      if (pf.port != 0 && (pf.port < 1 || pf.port > 65535)) {
        w_.Error(port, absl::StrCat(Sub(path, "port"), ": ", pf.port,
                                    " is out of range (expected 1..65535)"));
      } else if (port.IsScalar() && port.Scalar() == "0") {
        w_.Error(port, absl::StrCat(Sub(path, "port"), ": 0 is out of range (expected 1..65535)"));
      }
      w_.OptInt(item, "localPort", path, &pf.local_port);
      if (pf.local_port && (*pf.local_port < 0 || *pf.local_port > 65535)) {
        w_.Error(Child(item, "localPort"),
                 absl::StrCat(Sub(path, "localPort"), ": ", *pf.local_port,
                              " is out of range (expected 0..65535)"));
      }
      w_.String(item, "address", path, &pf.address);
      out->push_back(std::move(pf));
    });
  }

  // test[]
  void DecodeTests(const YAML::Node& list, std::vector<TestCase>* out) {
    ForEach(list, "test", [&](const YAML::Node& item, size_t, const std::string& path) {
      if (!w_.Fields(item, path, {"image", "context", "custom", "structureTests",
                                  "structureTestsArgs"}, {})) {
        return;
      }
      TestCase t;
      t.pos = w_.Pos(item);
      if (w_.String(item, "image", path, &t.image) && !t.image.empty()) {
        t.pos = w_.Pos(Child(item, "image"));
        t.image = Expand(Child(item, "image"), Sub(path, "image"), t.image);
      } else {
        w_.Missing(item, "image", path);
      }
      if (w_.String(item, "context", path, &t.context) && t.context.empty()) t.context = ".";
      ForEach(Child(item, "custom"), Sub(path, "custom"),
              [&](const YAML::Node& c, size_t, const std::string& cp) {
                if (!w_.Fields(c, cp, {"command", "timeoutSeconds", "dependencies"}, {})) return;
                CustomTest ct;
                ct.pos = w_.Pos(c);
                if (w_.String(c, "command", cp, &ct.command) && !ct.command.empty()) {
                  ct.pos = w_.Pos(Child(c, "command"));
                } else {
                  w_.Missing(c, "command", cp);
                }
                w_.OptInt(c, "timeoutSeconds", cp, &ct.timeout_seconds);
                if (ct.timeout_seconds && *ct.timeout_seconds < 0) {
                  w_.Error(Child(c, "timeoutSeconds"),
                           absl::StrCat(Sub(cp, "timeoutSeconds"), ": expected 0 or more, got ",
                                        *ct.timeout_seconds));
                }
                YAML::Node deps = Child(c, "dependencies");
                const std::string dp = Sub(cp, "dependencies");
                if (deps.IsDefined() && w_.Fields(deps, dp, {"paths", "ignore", "command"}, {})) {
                  w_.StringList(deps, "paths", dp, &ct.dependency_paths);
                  w_.StringList(deps, "ignore", dp, &ct.dependency_ignore);
                  if (w_.String(deps, "command", dp, &ct.dependency_command)) {
                    ct.dependency_command_pos = w_.Pos(Child(deps, "command"));
                  }
                }
                t.custom.push_back(std::move(ct));
              });
      w_.StringList(item, "structureTests", path, &t.structure_tests);
      w_.StringList(item, "structureTestsArgs", path, &t.structure_tests_args);
      out->push_back(std::move(t));
    });
  }

  // The container of a verify test or a custom action.
  std::optional<ActionContainer> DecodeActionContainer(const YAML::Node& node,
                                                       const std::string& p) {
    if (!node.IsMap()) {
      w_.Error(node, absl::StrCat(p, ": expected a container (a map with name and image), got ",
                                  Describe(node)));
      return std::nullopt;
    }
    if (!w_.Fields(node, p, {"name", "image", "command", "args", "env"},
                   {{"ports", "container ports are not supported by devloop's verify and custom "
                              "action containers"},
                    {"volumeMounts", "volume mounts are not supported by devloop's verify and "
                                     "custom action containers"},
                    {"resources", "container resources are not supported by devloop's verify "
                                  "and custom action containers"}})) {
      return std::nullopt;
    }
    ActionContainer c;
    c.pos = w_.Pos(node);
    if (!w_.String(node, "name", p, &c.name) || c.name.empty()) w_.Missing(node, "name", p);
    if (w_.String(node, "image", p, &c.image) && !c.image.empty()) {
      c.image = Expand(Child(node, "image"), Sub(p, "image"), c.image);
    } else {
      w_.Missing(node, "image", p);
    }
    w_.StringList(node, "command", p, &c.command);
    w_.StringList(node, "args", p, &c.args);
    ForEach(Child(node, "env"), Sub(p, "env"),
            [&](const YAML::Node& e, size_t, const std::string& ep) {
              if (!w_.Fields(e, ep, {"name", "value"},
                             {{"valueFrom", "env valueFrom is not supported by devloop (write "
                                            "value)"}})) {
                return;
              }
              std::string name, value;
              if (!w_.String(e, "name", ep, &name) || name.empty()) w_.Missing(e, "name", ep);
              if (w_.String(e, "value", ep, &value)) {
                value = Expand(Child(e, "value"), Sub(ep, "value"), value);
              }
              c.env.emplace_back(std::move(name), std::move(value));
            });
    return c;
  }

  // executionMode of a verify test or a custom action: only localDocker runs here.
  void DecodeExecutionMode(const YAML::Node& node, const std::string& p) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!w_.Fields(node, p, {"localDocker"},
                   {{"kubernetesCluster", "running as a Kubernetes Job is not supported by "
                                          "devloop (remove executionMode to run on the local "
                                          "Docker Engine)"}})) {
      return;
    }
    YAML::Node local = Child(node, "localDocker");
    if (local.IsDefined() && !local.IsNull()) {
      w_.Fields(local, Sub(p, "localDocker"), {"useMount"}, {});
      bool use_mount = false;
      w_.Bool(local, "useMount", Sub(p, "localDocker"), &use_mount);
    }
  }

  // A timeout in seconds: 0 or more.
  void DecodeTimeout(const YAML::Node& item, const std::string& path,
                     std::optional<int>* out) {
    w_.OptInt(item, "timeout", path, out);
    if (*out && **out < 0) {
      w_.Error(Child(item, "timeout"),
               absl::StrCat(Sub(path, "timeout"), ": expected 0 or more seconds, got ", **out));
    }
  }

  // verify[]
  void DecodeVerify(const YAML::Node& list, std::vector<VerifyTestCase>* out) {
    ForEach(list, "verify", [&](const YAML::Node& item, size_t, const std::string& path) {
      if (!w_.Fields(item, path, {"name", "container", "executionMode", "timeout"}, {})) return;
      VerifyTestCase v;
      v.pos = w_.Pos(item);
      if (w_.String(item, "name", path, &v.name) && !v.name.empty()) {
        v.pos = w_.Pos(Child(item, "name"));
      } else {
        w_.Missing(item, "name", path);
      }
      YAML::Node container = Child(item, "container");
      if (!container.IsDefined()) {
        w_.Missing(item, "container", path);
      } else if (std::optional<ActionContainer> c =
                     DecodeActionContainer(container, Sub(path, "container"))) {
        v.container = *std::move(c);
      }
      DecodeExecutionMode(Child(item, "executionMode"), Sub(path, "executionMode"));
      DecodeTimeout(item, path, &v.timeout_seconds);
      out->push_back(std::move(v));
    });
  }

  // customActions[]
  void DecodeCustomActions(const YAML::Node& list, std::vector<CustomAction>* out) {
    ForEach(list, "customActions", [&](const YAML::Node& item, size_t, const std::string& path) {
      if (!w_.Fields(item, path, {"name", "containers", "executionMode", "timeout", "failFast",
                                  "dependencies"}, {})) {
        return;
      }
      CustomAction a;
      a.pos = w_.Pos(item);
      if (w_.String(item, "name", path, &a.name) && !a.name.empty()) {
        a.pos = w_.Pos(Child(item, "name"));
      } else {
        w_.Missing(item, "name", path);
      }
      YAML::Node containers = Child(item, "containers");
      if (!containers.IsDefined()) w_.Missing(item, "containers", path);
      ForEach(containers, Sub(path, "containers"),
              [&](const YAML::Node& c, size_t, const std::string& cp) {
                if (std::optional<ActionContainer> ac = DecodeActionContainer(c, cp)) {
                  a.containers.push_back(*std::move(ac));
                }
              });
      DecodeExecutionMode(Child(item, "executionMode"), Sub(path, "executionMode"));
      DecodeTimeout(item, path, &a.timeout_seconds);
      w_.Bool(item, "failFast", path, &a.fail_fast);
      YAML::Node deps = Child(item, "dependencies");
      if (deps.IsDefined()) {
        // Which files make an action stale: meaningful to a watcher only, and
        // `devloop exec` runs once. Checked, then unused.
        w_.Fields(deps, Sub(path, "dependencies"), {"paths", "ignore"}, {});
      }
      out->push_back(std::move(a));
    });
  }

  const DecodeContext& ctx_;
  Walker w_;
};

}  // namespace

bool IsSupportedApiVersion(const std::string& api_version) {
  return IsReadableApiVersion(api_version);
}

bool CheckHeader(const YAML::Node& doc, const std::string& file, std::vector<ConfigError>* errors) {
  Walker w(file, errors);
  if (!doc.IsMap()) {
    w.Error(doc, absl::StrCat("expected a config (a map with apiVersion and kind), got ",
                              Describe(doc)));
    return false;
  }
  bool ok = true;
  YAML::Node api = Child(doc, "apiVersion");
  if (!api.IsDefined()) {
    w.Missing(doc, "apiVersion", "");
    ok = false;
  } else if (!api.IsScalar() || !IsSupportedApiVersion(api.Scalar())) {
    w.Error(api, absl::StrCat("unsupported apiVersion ", Describe(api), " (expected ",
                              ReadableApiVersions(), ")"));
    ok = false;
  }
  YAML::Node kind = Child(doc, "kind");
  if (!kind.IsDefined()) {
    w.Missing(doc, "kind", "");
    ok = false;
  } else if (!kind.IsScalar() || kind.Scalar() != "Config") {
    w.Error(kind, absl::StrCat("unsupported kind ", Describe(kind), " (expected \"Config\")"));
    ok = false;
  }
  return ok;
}

Config DecodeConfig(const YAML::Node& doc, const DecodeContext& context,
                    std::vector<ConfigError>* errors) {
  return Decoder(context, errors).Decode(doc);
}

}  // namespace devloop::config::internal
