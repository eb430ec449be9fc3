#include "apps/dev/adapters.h"

#include <unistd.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "apps/dev/debug_images.h"
#include "infra/build/custom/custom_builder.h"
#include "infra/build/default_repo.h"
#include "infra/build/docker/docker_builder.h"
#include "infra/build/local_cluster_loader.h"
#include "infra/build/routing_builder.h"
#include "infra/config/loader.h"
#include "infra/deploy/docker/docker_deployer.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/deploy/kubectl/kubectl_deployer.h"
#include "infra/deploy/kubectl/manifests.h"
#include "infra/deploy/kubectl/renderers.h"
#include "infra/deploy/labels.h"
#include "infra/hooks/hooked_builder.h"
#include "infra/process/posix_process_runner.h"
#include "infra/tester/local_tester.h"

namespace devloop::apps {

deploy::kubectl::KubectlOptions KubectlOptionsOf(const KubectlPlan& plan) {
  return {.binary = plan.binary,
          .kubeconfig = plan.kubeconfig,
          .context = plan.context,
          .global_flags = plan.flags.global};
}

absl::StatusOr<std::vector<deploy::kubectl::ManifestSource>> ManifestsOf(
    const KubectlPlan& plan, process::ProcessRunner* runner, const domain::ImageTags& images) {
  std::vector<deploy::kubectl::ManifestSource> sources;
  if (!plan.manifest_globs.empty()) {
    absl::StatusOr<std::vector<deploy::kubectl::ManifestSource>> files =
        deploy::kubectl::ReadManifests(plan.manifest_globs, "/");
    if (!files.ok()) return files.status();
    sources = *std::move(files);
  }
  for (const KubectlPlan::Kustomization& k : plan.kustomize) {
    absl::StatusOr<deploy::kubectl::ManifestSource> s = deploy::kubectl::RenderKustomize(
        runner, KubectlOptionsOf(plan), k.dir, {.base_dir = k.base_dir, .build_args = k.build_args});
    if (!s.ok()) return s.status();
    sources.push_back(*std::move(s));
  }
  for (const KubectlPlan::Release& r : plan.helm) {
    if (r.release.create_namespace && !r.release.namespace_name.empty()) {
      // `helm install --create-namespace`'s part: the namespace must exist first.
      deploy::kubectl::KubectlCli cli(runner, KubectlOptionsOf(plan));
      absl::StatusOr<std::string> made =
          cli.Run(deploy::kubectl::Phase::kDeploy, "creating the release's namespace",
                  {"create", "namespace", r.release.namespace_name});
      if (!made.ok() && !absl::StrContains(made.status().message(), "AlreadyExists") &&
          !absl::StrContains(made.status().message(), "already exists")) {
        return made.status();
      }
    }
    absl::StatusOr<deploy::kubectl::ManifestSource> s = deploy::kubectl::RenderHelm(
        runner, {}, r.release, images, {.base_dir = r.base_dir});
    if (!s.ok()) return s.status();
    sources.push_back(*std::move(s));
  }
  return sources;
}

std::string StructureTestBinary() {
  // tools/cst/build.sh builds it there; otherwise it is looked up in PATH.
  if (const char* home = std::getenv("HOME"); home != nullptr) {
    const std::string built = absl::StrCat(home, "/.cache/devloop/bin/container-structure-test");
    if (::access(built.c_str(), X_OK) == 0) return built;
  }
  absl::StatusOr<std::string> on_path = process::FindProgram("container-structure-test");
  return on_path.ok() ? *on_path : "";
}

bool IsLocalCluster(const std::string& context) {
  return absl::StartsWith(context, "kind-") || absl::StartsWith(context, "k3d-") ||
         context == "minikube" || context == "docker-desktop" || context == "docker-for-desktop";
}

bool RunCanGoOn(const Pipeline& from, const Pipeline& to) {
  if (from.deployer != to.deployer) return false;
  switch (to.deployer) {
    case DeployerKind::kDocker:
      return true;
    case DeployerKind::kKubectl:
      // What the old deployer applied is where its kubectl pointed.
      return from.kubectl.binary == to.kubectl.binary &&
             from.kubectl.kubeconfig == to.kubectl.kubeconfig &&
             from.kubectl.context == to.kubectl.context &&
             from.kubectl.flags.global == to.kubectl.flags.global;
  }
  return false;
}

absl::Status HandOverRun(LoopAdapters& from, LoopAdapters& to) {
  if (from.docker_deployer != nullptr && to.docker_deployer != nullptr) {
    return to.docker_deployer->TakeOver(from.docker_deployer->HandOver());
  }
  if (from.kubectl_deployer != nullptr && to.kubectl_deployer != nullptr) {
    return to.kubectl_deployer->TakeOver(from.kubectl_deployer->HandOver());
  }
  return absl::InvalidArgumentError("the run cannot go on across a change of deployer");
}

hooks::HookedBuilder::Options BuildHookOptions(
    const Pipeline& pipeline, std::shared_ptr<const build::Tagger> tagger, bool push,
    const std::map<std::string, std::string>& prebuilt,
    std::function<void(absl::string_view line)> on_output) {
  std::map<std::string, hooks::ArtifactBuildHooks> artifacts = pipeline.build_hooks;
  for (const auto& [image, ref] : prebuilt) artifacts.erase(image);  // not built
  std::map<std::string, std::string> contexts;
  for (const auto& [image, h] : artifacts) contexts[image] = h.context_dir;
  // SKAFFOLD_IMAGE: the name and tag the build is about to give the image.
  auto planned = [tagger = std::move(tagger), repo = pipeline.default_repo,
                  contexts](const std::string& image) -> absl::StatusOr<std::string> {
    std::string tag = "latest";
    if (tagger != nullptr) {
      auto it = contexts.find(image);
      absl::StatusOr<std::string> t =
          tagger->Tag(image, it == contexts.end() ? std::string() : it->second);
      if (!t.ok()) return t.status();
      tag = *std::move(t);
    }
    return absl::StrCat(build::ImageUnderRepo(repo, image), ":", tag);
  };
  return {.artifacts = std::move(artifacts),
          .planned_reference = std::move(planned),
          .push = push,
          .on_output = std::move(on_output)};
}

absl::StatusOr<LoopAdapters> MakeLoopAdapters(docker::Docker* docker, const Pipeline& pipeline,
                                              const AdapterOptions& options) {
  LoopAdapters adapters;
  std::string load_into;  // a local cluster's context: images are loaded, not pushed
  std::map<std::string, std::string> labels = options.labels;
  labels[deploy::kRunIdLabel] = options.run_id;

  if (!pipeline.build_hooks.empty() || !pipeline.sync_hooks.empty()) {
    if (options.runner == nullptr) return absl::InternalError("hooks need a process runner");
    adapters.host_hooks =
        std::make_unique<hooks::HostHooks>(options.runner, hooks::HostHooksOptions{.env = pipeline.hook_env});
  }
  deploy::ContainerExec* exec = nullptr;  // the deployer's, for container sync hooks
  std::map<std::string, std::string> sync_hook_env;

  build::DockerBuilder::Options b;
  b.artifacts = pipeline.loop.artifacts;
  b.tagger = options.tagger;
  b.cache_artifacts = options.cache_artifacts;
  b.cache_scope = options.cache_scope;
  b.labels = labels;
  b.owner_label = {deploy::kRunIdLabel, options.run_id};
  b.prebuilt = options.prebuilt;
  b.default_repo = pipeline.default_repo;

  switch (pipeline.deployer) {
    case DeployerKind::kDocker: {
      std::vector<std::string> images;
      for (const build::ArtifactBuildSpec& a : pipeline.loop.artifacts) {
        images.push_back(a.spec.image);
      }
      absl::StatusOr<std::unique_ptr<deploy::DockerDeployer>> deployer =
          deploy::DockerDeployer::Make(docker,
                                       {.run_id = options.run_id,
                                        .labels = options.labels,
                                        .port_forwards = pipeline.port_forwards,
                                        .on_log = options.on_log,
                                        .debug = {.enabled = pipeline.debug.enabled,
                                                  .runtime_types = pipeline.debug.runtime_types,
                                                  .forward_ports = pipeline.forward.debug}},
                                       images);
      if (!deployer.ok()) return deployer.status();
      adapters.syncer = deployer->get();
      exec = deployer->get();
      adapters.docker_deployer = deployer->get();
      adapters.deployer = *std::move(deployer);
      b.push = pipeline.push.value_or(false);
      break;
    }
    case DeployerKind::kKubectl: {
      if (options.runner == nullptr) {
        return absl::InternalError("the kubectl deployer needs a process runner");
      }
      const KubectlPlan& plan = pipeline.kubectl;
      std::string context = plan.context;
      if (context.empty() && !pipeline.push.has_value()) {
        deploy::kubectl::KubectlCli cli(options.runner, KubectlOptionsOf(plan));
        absl::StatusOr<std::string> current = cli.Run(
            deploy::kubectl::Phase::kDeploy, "reading the current context",
            {"config", "current-context"}, std::nullopt, absl::Seconds(10));
        if (current.ok()) context = std::string(absl::StripAsciiWhitespace(*current));
      }
      b.push = pipeline.push.value_or(!IsLocalCluster(context));
      if (b.push) {
        adapters.images_note =
            pipeline.default_repo.empty()
                ? "images are pushed to the registries their names say"
                : absl::StrCat("images are pushed to ", pipeline.default_repo);
      } else if (build::IsMinikube(context)) {
        // Built straight on the node's engine, as `minikube docker-env` says.
        absl::StatusOr<docker::EngineApiDockerOptions> engine =
            build::MinikubeDockerOptions(options.runner, context);
        if (!engine.ok()) return engine.status();
        absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> node_docker =
            docker::EngineApiDocker::Create(*engine);
        if (!node_docker.ok()) return node_docker.status();
        adapters.build_docker = *std::move(node_docker);
        adapters.images_note = absl::StrCat("images are built on the Docker Engine of minikube (",
                                            engine->docker_host, ")");
      } else if (build::LoadImageArgv(context, "x").has_value()) {
        load_into = context;
        adapters.images_note =
            absl::StrCat("images are loaded into the nodes of local cluster ", context);
      } else {
        adapters.images_note = absl::StrCat("images stay on the local Docker Engine (context ",
                                            context.empty() ? "?" : context, ")");
      }
      process::ProcessRunner* runner = options.runner;
      deploy::kubectl::KubectlDeployer::Options k;
      k.run_id = options.run_id;
      k.labels = options.labels;
      k.kubectl = KubectlOptionsOf(plan);
      k.default_namespace = plan.default_namespace;
      k.apply_flags = plan.flags.apply;
      k.hooks = plan.hooks;
      k.hook_env = pipeline.hook_env;
      k.on_hook_output = options.on_hook_output;
      k.delete_flags = plan.flags.remove;
      k.port_forwards = pipeline.port_forwards;
      k.auto_forwards = {.services = pipeline.forward.services, .pods = pipeline.forward.pods};
      k.on_log = options.on_log;
      k.manifests = [plan, runner](const domain::ImageTags& images) {
        return ManifestsOf(plan, runner, images);
      };
      if (pipeline.debug.enabled) {
        // The support images go where the artifacts go: pushed, loaded, or
        // left on the engine the nodes use.
        DebugImages::Options d;
        if (b.push) {
          d.route = DebugImages::Route::kPush;
          d.default_repo = pipeline.default_repo;
        } else if (!load_into.empty()) {
          d.route = DebugImages::Route::kLoad;
          d.context = load_into;
        }
        auto images = std::make_shared<DebugImages>(
            adapters.build_docker != nullptr ? adapters.build_docker.get() : docker, runner,
            std::move(d));
        k.debug = {.enabled = true,
                   .runtime_types = pipeline.debug.runtime_types,
                   .forward_ports = pipeline.forward.debug,
                   .image_config = [images](const std::string& reference) {
                     return images->ImageConfig(reference);
                   },
                   .support_image = [images](const std::string& support) {
                     return images->Support(support);
                   }};
      }
      absl::StatusOr<std::unique_ptr<deploy::kubectl::KubectlDeployer>> deployer =
          deploy::kubectl::KubectlDeployer::Make(options.runner, std::move(k));
      if (!deployer.ok()) return deployer.status();
      adapters.syncer = deployer->get();
      exec = deployer->get();
      adapters.kubectl_deployer = deployer->get();
      adapters.deployer = *std::move(deployer);
      if (!context.empty()) sync_hook_env["SKAFFOLD_KUBE_CONTEXT"] = context;
      if (!plan.default_namespace.empty()) {
        sync_hook_env["SKAFFOLD_NAMESPACES"] = plan.default_namespace;
      }
      break;
    }
  }
  if (!pipeline.tests.empty()) {
    if (options.runner == nullptr) {
      return absl::InternalError("the tests of skaffold.yaml `test` need a process runner");
    }
    // The built-in structure-test runner looks for the image where it was built.
    docker::Docker* test_docker =
        adapters.build_docker != nullptr ? adapters.build_docker.get() : docker;
    adapters.tester = std::make_unique<tester::LocalTester>(
        options.runner,
        tester::LocalTesterOptions{.tests = pipeline.tests,
                                   .structure_test_binary = StructureTestBinary(),
                                   .docker = test_docker,
                                   .container_labels = {{deploy::kRunIdLabel, options.run_id}}});
  }
  const bool push_images = b.push;
  docker::Docker* build_docker =
      adapters.build_docker != nullptr ? adapters.build_docker.get() : docker;
  build::CustomBuilder::Options c;
  c.push = b.push;
  // Labelled, owned and cached as the Docker builder's images are.
  c.labels = b.labels;
  c.owner_label = b.owner_label;
  c.cache_artifacts = b.cache_artifacts;
  c.cache_scope = b.cache_scope;
  c.keep_cached = b.keep_cached;
  for (const build::ArtifactBuildSpec& a : pipeline.loop.artifacts) {
    if (a.custom.has_value() && !options.prebuilt.contains(a.spec.image)) c.artifacts.push_back(a);
  }
  adapters.builder = std::make_unique<build::DockerBuilder>(build_docker, std::move(b));
  if (!c.artifacts.empty()) {
    // Custom artifacts run their build command; the rest go to the Docker builder.
    if (options.runner == nullptr) {
      return absl::InternalError("custom builds need a process runner");
    }
    c.tagger = options.tagger;
    c.default_repo = pipeline.default_repo;
    c.template_env = config::CurrentEnvironment();
    std::map<std::string, build::Builder*> routes;
    auto custom = std::make_unique<build::CustomBuilder>(options.runner, build_docker, c);
    for (const build::ArtifactBuildSpec& a : c.artifacts) routes[a.spec.image] = custom.get();
    adapters.routed_builders.push_back(std::move(adapters.builder));
    adapters.builder = std::make_unique<build::RoutingBuilder>(
        std::move(routes), adapters.routed_builders.back().get());
    adapters.routed_builders.push_back(std::move(custom));
  }
  if (!load_into.empty()) {
    adapters.base_builder = std::move(adapters.builder);
    adapters.builder = std::make_unique<build::LocalClusterLoader>(adapters.base_builder.get(),
                                                                   options.runner, load_into);
  }
  // Lifecycle hooks: around every build and sync of the artifacts that have them.
  hooks::HookedBuilder::Options build_hooks = BuildHookOptions(
      pipeline, options.tagger, push_images, options.prebuilt, options.on_hook_output);
  if (!build_hooks.artifacts.empty()) {
    adapters.builder = std::make_unique<hooks::HookedBuilder>(
        std::move(adapters.builder), adapters.host_hooks.get(), std::move(build_hooks));
  }
  if (!pipeline.sync_hooks.empty()) {
    adapters.hooked_syncer = std::make_unique<hooks::HookedSyncer>(
        adapters.syncer, exec, adapters.host_hooks.get(),
        hooks::HookedSyncer::Options{.artifacts = pipeline.sync_hooks,
                                     .env = std::move(sync_hook_env),
                                     .on_output = options.on_hook_output});
    adapters.syncer = adapters.hooked_syncer.get();
  }
  return adapters;
}

}  // namespace devloop::apps
