#include "apps/dev/pipeline_options.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/config/platforms.h"

namespace devloop::apps {
namespace {

std::string Where(const config::SourcePos& pos) {
  if (pos.file.empty()) return "";
  return absl::StrCat(pos.file, ":", pos.line, ":", pos.column, ": ");
}

// Notes `a`'s build and sync hooks in `p`, with host hooks' dirs under
// `config_dir` (the config's directory, where they run by default).
void AddHooks(const config::Artifact& a, const std::string& config_dir, Pipeline* p) {
  if (!a.hooks.before.empty() || !a.hooks.after.empty()) {
    p->build_hooks[a.image] = {.before = hooks::HostCommands(a.hooks.before, config_dir),
                               .after = hooks::HostCommands(a.hooks.after, config_dir),
                               .context_dir = a.absolute_context};
  }
  if (!a.sync.has_value() || (a.sync->hooks.before.empty() && a.sync->hooks.after.empty())) return;
  hooks::ArtifactSyncHooks& sync = p->sync_hooks[a.image];
  sync.context_dir = a.absolute_context;
  for (const auto& [from, to] : {std::pair{&a.sync->hooks.before, &sync.before},
                                 std::pair{&a.sync->hooks.after, &sync.after}}) {
    for (config::SyncHook hook : *from) {
      if (hook.where == config::SyncHook::Where::kHost) {
        hook.dir = hooks::HostCommands({{.command = hook.command, .dir = hook.dir}}, config_dir)[0].dir;
      }
      to->push_back(std::move(hook));
    }
  }
}

}  // namespace

namespace {

// The directory test entry `t` of config `c` runs in.
std::string TestDir(const config::Config& c, const config::TestCase& t) {
  if (t.context == ".") return c.directory;
  return absl::StartsWith(t.context, "/") ? t.context : absl::StrCat(c.directory, "/", t.context);
}

}  // namespace

std::vector<tester::ImageTests> TestsOf(const std::vector<config::Config>& configs) {
  std::vector<tester::ImageTests> out;
  for (const config::Config& c : configs) {
    for (const config::TestCase& t : c.tests) {
      tester::ImageTests tests;
      tests.image = t.image;
      tests.working_dir = TestDir(c, t);
      for (const config::CustomTest& ct : t.custom) {
        tests.custom.push_back({ct.command, ct.timeout_seconds && *ct.timeout_seconds > 0
                                                ? absl::Seconds(*ct.timeout_seconds)
                                                : absl::InfiniteDuration()});
      }
      tests.structure_tests = t.structure_tests;
      tests.structure_tests_args = t.structure_tests_args;
      if (tests.custom.empty() && tests.structure_tests.empty()) continue;
      out.push_back(std::move(tests));
    }
  }
  return out;
}

std::string ConfigFilePath(const config::Config& c) {
  // Absolute, as the watcher reports paths (source_file is as the user named
  // it, for messages).
  std::string file = c.source_file;
  if (!file.empty() && file.front() != '/' && !c.directory.empty()) {
    const size_t slash = file.rfind('/');
    file = absl::StrCat(c.directory, "/",
                        slash == std::string::npos ? file : file.substr(slash + 1));
  }
  return file;
}

absl::StatusOr<Pipeline> MakePipeline(const std::vector<config::Config>& configs,
                                      const cli::CliOptions& cli, const PlatformProbe& probe) {
  Pipeline p;
  std::vector<std::string> errors;
  dev::DevLoopOptions& o = p.loop;
  o.auto_build = cli.auto_build;
  o.auto_sync = cli.auto_sync;
  o.auto_deploy = cli.auto_deploy;
  o.status_check = cli.status_check;
  o.status_check_deadline = cli.status_check_deadline;
  for (const std::string& mode : cli.port_forward) {
    if (mode == "user") p.forward.user = true;
    if (mode == "services") p.forward.services = true;
    if (mode == "pods") p.forward.pods = true;
    if (mode == "debug") p.forward.debug = true;
  }
  o.cleanup = cli.cleanup;
  p.debug.enabled = cli.command == cli::Command::kDebug;
  std::set<std::string> deployed;
  std::vector<config::SourcePos> forward_pos;  // of p.port_forwards[i]
  bool any_docker_deploy = false;
  bool any_kubectl_deploy = false;
  std::string docker_file, kubectl_file;  // the first config saying each
  // Each artifact's platform sources, but the cluster's nodes': the deployer
  // decides whether those are asked.
  struct PendingPlatforms {
    size_t artifact;  // index in o.artifacts
    config::PlatformSources sources;
    config::SourcePos pos;
  };
  std::vector<PendingPlatforms> pending_platforms;
  p.default_repo = cli.default_repo.value_or("");
  if (cli.push) p.push = true;
  p.kubectl.context = cli.kube_context;
  p.kubectl.kubeconfig = cli.kubeconfig;
  p.kubectl.binary = cli.kubectl;
  p.kubectl.default_namespace = cli.namespace_;
  // Skaffold's variables for every hook; the work dir is the main config's.
  if (!configs.empty()) p.hook_env["SKAFFOLD_WORK_DIR"] = configs.back().directory;
  p.hook_env["SKAFFOLD_RPC_PORT"] = absl::StrCat(cli.rpc_port);
  p.hook_env["SKAFFOLD_HTTP_PORT"] = absl::StrCat(cli.rpc_http_port);
  if (!p.default_repo.empty()) p.hook_env["SKAFFOLD_DEFAULT_REPO"] = p.default_repo;
  for (const config::Config& c : configs) {
    p.config_files.push_back(ConfigFilePath(c));
    if (c.status_check.has_value() && !*c.status_check) o.status_check = false;
    if (c.deploy.status_check_deadline_seconds.has_value() &&
        cli.status_check_deadline == absl::Minutes(10)) {
      o.status_check_deadline = absl::Seconds(*c.deploy.status_check_deadline_seconds);
    }
    if (c.build.local.push.has_value() && !cli.push) p.push = *c.build.local.push;
    if (c.deploy.docker.has_value()) {
      if (!any_docker_deploy) docker_file = c.source_file;
      any_docker_deploy = true;
      for (const std::string& image : c.deploy.docker->images) deployed.insert(image);
    } else {
      // deploy.kubectl, manifests.rawYaml, or nothing: Skaffold's default.
      if (c.deploy.kubectl.has_value()) {
        if (!any_kubectl_deploy) kubectl_file = c.source_file;
        any_kubectl_deploy = true;
      }
      const config::KubectlDeploy kubectl =
          c.deploy.kubectl.value_or(config::KubectlDeploy{.manifests = {"k8s/*.yaml"}});
      if (c.deploy.kustomize.has_value()) {
        for (const std::string& dir : c.deploy.kustomize->paths) {
          p.kubectl.kustomize.push_back({dir, c.directory, c.deploy.kustomize->build_args});
        }
      }
      if (c.deploy.helm.has_value()) {
        for (const config::HelmRelease& r : c.deploy.helm->releases) {
          p.kubectl.helm.push_back({r, c.directory});
        }
      }
      for (const std::string& glob : kubectl.manifests) {
        p.kubectl.manifest_globs.push_back(
            absl::StartsWith(glob, "/") ? glob : absl::StrCat(c.directory, "/", glob));
      }
      if (p.kubectl.default_namespace.empty()) {
        p.kubectl.default_namespace = kubectl.default_namespace;
      }
      auto append = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
        to.insert(to.end(), from.begin(), from.end());
      };
      append(p.kubectl.flags.global, kubectl.flags.global);
      append(p.kubectl.flags.apply, kubectl.flags.apply);
      append(p.kubectl.flags.remove, kubectl.flags.remove);
      for (const auto* from : {&kubectl.hooks.before, &kubectl.hooks.after}) {
        auto& to = from == &kubectl.hooks.before ? p.kubectl.hooks.before : p.kubectl.hooks.after;
        for (config::DeployHook hook : *from) {
          // Host hooks run in the config's directory (or `dir` below it).
          if (hook.where == config::DeployHook::Where::kHost && !absl::StartsWith(hook.dir, "/")) {
            hook.dir = hook.dir.empty() ? c.directory : absl::StrCat(c.directory, "/", hook.dir);
          }
          to.push_back(std::move(hook));
        }
      }
    }
    for (const config::Artifact& a : c.build.artifacts) {
      AddHooks(a, c.directory, &p);
      build::ArtifactBuildSpec spec;
      spec.custom = a.custom;  // built by its command (infra/build/custom)
      spec.spec.image = a.image;
      spec.context_dir = a.absolute_context;
      if (a.docker.has_value()) {
        spec.dockerfile = a.docker->dockerfile;
        spec.build_args = a.docker->build_args;
        spec.target = a.docker->target;
        spec.no_cache = a.docker->no_cache;
      }
      for (const config::ArtifactDependency& d : a.required_artifacts) {
        spec.spec.required.push_back(d.image);
        spec.require_aliases[d.image] = d.alias.empty() ? d.image : d.alias;
      }
      if (a.sync.has_value()) {
        for (const config::SyncRule& r : a.sync->manual) {
          spec.spec.sync.push_back({r.src, r.dest, r.strip});
        }
        spec.spec.infer = a.sync->infer;
        for (const config::DockerCopy& c : a.sync->inferred_copies) {
          spec.spec.copies.push_back({c.srcs, c.dest});
        }
      }
      // Target platforms: chosen once the deployer is known (below).
      pending_platforms.push_back(
          {.artifact = o.artifacts.size(),
           .sources = {.cli = cli.platforms,
                       .pipeline = c.build.platforms,
                       .artifact = a.platforms,
                       .single = cli.disable_multi_platform_build,
                       .builder_takes_one = !a.custom.has_value(),
                       .host = probe.host},
           .pos = a.pos});
      if (!a.runtime_type.empty()) p.debug.runtime_types[a.image] = a.runtime_type;
      p.watched.push_back({a.image, a.absolute_context, spec.dockerfile, !spec.spec.infer.empty(),
                           a.custom.has_value() ? std::optional(a.custom->dependencies)
                                                : std::nullopt});
      o.artifacts.push_back(std::move(spec));
    }
    for (const config::PortForward& f : c.port_forward) {
      p.port_forwards.push_back({.resource_type = f.resource_type,
                                 .resource_name = f.resource_name,
                                 .namespace_name = f.namespace_,
                                 .port = f.port,
                                 .local_port = f.local_port.value_or(f.port),
                                 .address = f.address});
      forward_pos.push_back(f.pos);
    }
  }
  // A config edit is the reload's business, never an artifact's build input.
  for (build::ArtifactBuildSpec& a : o.artifacts) a.config_files = p.config_files;
  if (!cli.skip_tests) {
    for (const config::Config& c : configs) {
      for (const config::TestCase& t : c.tests) {
        for (const config::CustomTest& ct : t.custom) {
          // As in Skaffold: nothing to watch.
          if (ct.dependency_paths.empty() && ct.dependency_command.empty()) continue;
          p.watched_tests.push_back({.image = t.image,
                                     .working_dir = TestDir(c, t),
                                     .paths = ct.dependency_paths,
                                     .ignore = ct.dependency_ignore,
                                     .command = ct.dependency_command,
                                     .command_pos = ct.dependency_command_pos});
        }
      }
    }
    p.tests = TestsOf(configs);
    for (const tester::ImageTests& t : p.tests) {
      for (build::ArtifactBuildSpec& a : o.artifacts) {
        if (a.spec.image == t.image) a.spec.tested = true;
      }
    }
  }
  const bool any_kubernetes = any_kubectl_deploy || !p.kubectl.manifest_globs.empty() ||
                              !p.kubectl.kustomize.empty() || !p.kubectl.helm.empty();
  // The build's target platforms: --platform, else each config's
  // build.platforms, narrowed (or given) by the cluster's nodes when the
  // images go to Kubernetes, and constrained by each artifact's own list.
  std::vector<std::string> cluster_platforms;
  if (probe.cluster_platforms &&
      config::AsksClusterPlatforms(cli.check_cluster_node_platforms, !any_docker_deploy)) {
    absl::StatusOr<std::vector<std::string>> nodes = probe.cluster_platforms(p.kubectl);
    if (nodes.ok()) {
      cluster_platforms = *std::move(nodes);
    } else {
      p.notes.push_back(absl::StrCat(
          "could not read the platforms of the cluster's nodes (", nodes.status().message(),
          "); the images are built for --platform or build.platforms, else the Docker "
          "Engine's own platform"));
    }
  }
  for (PendingPlatforms& pending : pending_platforms) {
    build::ArtifactBuildSpec& spec = o.artifacts[pending.artifact];
    pending.sources.cluster = cluster_platforms;
    absl::StatusOr<config::PlatformChoice> choice = config::ArtifactPlatforms(pending.sources);
    if (!choice.ok()) {
      errors.push_back(absl::StrCat(Where(pending.pos), "build.artifacts[", spec.spec.image,
                                    "]: ", choice.status().message()));
    } else if (pending.sources.builder_takes_one && choice->platforms.size() > 1) {
      errors.push_back(absl::StrCat(
          Where(pending.pos), "build.artifacts[", spec.spec.image, "] is a Docker build for ",
          choice->platforms.size(), " platforms (", absl::StrJoin(choice->platforms, ","),
          "): a multi-platform image needs buildx, which devloop does not drive; build it for "
          "one platform (--platform or build.platforms), or with a custom buildCommand that "
          "reads $PLATFORMS"));
    } else {
      spec.platforms = std::move(choice->platforms);
      if (!choice->note.empty() &&
          std::find(p.notes.begin(), p.notes.end(), choice->note) == p.notes.end()) {
        p.notes.push_back(std::move(choice->note));
      }
    }
  }
  if (any_docker_deploy && any_kubernetes) {
    errors.push_back(absl::StrCat(
        docker_file, ": deploy.docker cannot be mixed with Kubernetes deploys",
        kubectl_file.empty() ? " (a config without a deploy section deploys with kubectl)"
                             : absl::StrCat(" (", kubectl_file, " says deploy.kubectl)"),
        "; give every config the same deployer"));
  }
  for (size_t i = 0; i < p.port_forwards.size(); ++i) {
    const std::string& type = p.port_forwards[i].resource_type;
    if (any_docker_deploy && type != "container") {
      errors.push_back(absl::StrCat(Where(forward_pos[i]), "portForward resourceType \"", type,
                                    "\" is for Kubernetes; the Docker deployer forwards "
                                    "resourceType \"container\""));
    } else if (!any_docker_deploy && type == "container") {
      errors.push_back(absl::StrCat(Where(forward_pos[i]),
                                    "portForward resourceType \"container\" is for deploy.docker; "
                                    "on Kubernetes forward a pod, deployment or service"));
    } else if (!any_docker_deploy && type != "pod" && type != "deployment" &&
               type != "service" && type != "statefulset") {
      errors.push_back(absl::StrCat(Where(forward_pos[i]), "portForward resourceType \"", type,
                                    "\" is not supported (pod, deployment, statefulset, service)"));
    }
  }
  // --port-forward: `user` forwards the config's entries; `services` and
  // `pods` what the kubectl deployer applies (the Docker deployer has only
  // the entries, as Skaffold's). The entries were checked above either way,
  // so a config error shows whatever the mode.
  if (!p.forward.user) p.port_forwards.clear();
  if (any_docker_deploy) {
    for (auto [on, mode] :
         {std::pair{&p.forward.services, "services"}, {&p.forward.pods, "pods"}}) {
      if (!*on) continue;
      *on = false;
      p.notes.push_back(absl::StrCat(
          "--port-forward=", mode,
          " is for Kubernetes; the Docker deployer forwards only the config's "
          "portForward entries (mode user), as Skaffold's does"));
    }
  }
  o.port_forward = !p.port_forwards.empty() || p.forward.services || p.forward.pods ||
                   (p.forward.debug && p.debug.enabled);
  if (p.forward.debug && !p.debug.enabled) {
    p.notes.push_back(
        "--port-forward=debug forwards the debuggers' ports of devloop debug; dev runs none");
  }
  // With no deploy section, every artifact runs (the Docker deployer is the
  // default); with deploy.docker.images, only those.
  if (any_docker_deploy) {
    std::vector<build::ArtifactBuildSpec> kept;
    for (build::ArtifactBuildSpec& a : o.artifacts) {
      bool is_required = false;
      for (const build::ArtifactBuildSpec& other : o.artifacts) {
        for (const std::string& r : other.spec.required) is_required |= r == a.spec.image;
      }
      if (!deployed.count(a.spec.image) && !is_required) continue;
      kept.push_back(std::move(a));
    }
    o.artifacts = std::move(kept);
  }
  if (any_docker_deploy) {
    p.deployer = DeployerKind::kDocker;
    p.deployer_reason = "the config says deploy.docker";
  } else {
    p.deployer = DeployerKind::kKubectl;
    p.deployer_reason =
        any_kubectl_deploy
            ? "the config deploys with kubectl"
            : "the config has no deploy section, so kubectl deploys k8s/*.yaml (Skaffold's default)";
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return p;
}

}  // namespace devloop::apps
