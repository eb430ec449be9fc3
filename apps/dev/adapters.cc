#include "apps/dev/adapters.h"

#include <unistd.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "infra/build/docker/docker_builder.h"
#include "infra/build/local_cluster_loader.h"
#include "infra/deploy/docker/docker_deployer.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/deploy/kubectl/kubectl_deployer.h"
#include "infra/deploy/kubectl/manifests.h"
#include "infra/deploy/kubectl/renderers.h"
#include "infra/deploy/labels.h"
#include "infra/tester/local_tester.h"

namespace devloop::apps {
namespace {

deploy::kubectl::KubectlOptions KubectlOptionsOf(const KubectlPlan& plan) {
  return {.binary = plan.binary,
          .kubeconfig = plan.kubeconfig,
          .context = plan.context,
          .global_flags = plan.flags.global};
}

std::string StructureTestBinary() {
  // tools/cst/build.sh builds it there; otherwise it is looked up in PATH.
  if (const char* home = std::getenv("HOME"); home != nullptr) {
    const std::string built = absl::StrCat(home, "/.cache/devloop/bin/container-structure-test");
    if (::access(built.c_str(), X_OK) == 0) return built;
  }
  return "container-structure-test";
}

}  // namespace

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

bool IsLocalCluster(const std::string& context) {
  return absl::StartsWith(context, "kind-") || absl::StartsWith(context, "k3d-") ||
         context == "minikube" || context == "docker-desktop" || context == "docker-for-desktop";
}

absl::StatusOr<LoopAdapters> MakeLoopAdapters(docker::Docker* docker, const Pipeline& pipeline,
                                              const AdapterOptions& options) {
  LoopAdapters adapters;
  std::string load_into;  // a local cluster's context: images are loaded, not pushed
  std::map<std::string, std::string> labels = options.labels;
  labels[deploy::kRunIdLabel] = options.run_id;

  build::DockerBuilder::Options b;
  b.artifacts = pipeline.loop.artifacts;
  b.tagger = options.tagger;
  b.cache_artifacts = options.cache_artifacts;
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
                                        .on_log = options.on_log},
                                       images);
      if (!deployer.ok()) return deployer.status();
      adapters.syncer = deployer->get();
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
      k.delete_flags = plan.flags.remove;
      k.port_forwards = pipeline.port_forwards;
      k.on_log = options.on_log;
      k.manifests = [plan, runner](const domain::ImageTags& images) {
        return ManifestsOf(plan, runner, images);
      };
      absl::StatusOr<std::unique_ptr<deploy::kubectl::KubectlDeployer>> deployer =
          deploy::kubectl::KubectlDeployer::Make(options.runner, std::move(k));
      if (!deployer.ok()) return deployer.status();
      adapters.syncer = deployer->get();
      adapters.deployer = *std::move(deployer);
      break;
    }
  }
  if (!pipeline.tests.empty()) {
    if (options.runner == nullptr) {
      return absl::InternalError("the tests of skaffold.yaml `test` need a process runner");
    }
    adapters.tester = std::make_unique<tester::LocalTester>(
        options.runner, tester::LocalTesterOptions{.tests = pipeline.tests,
                                                   .structure_test_binary = StructureTestBinary()});
  }
  adapters.builder = std::make_unique<build::DockerBuilder>(
      adapters.build_docker != nullptr ? adapters.build_docker.get() : docker, std::move(b));
  if (!load_into.empty()) {
    adapters.base_builder = std::move(adapters.builder);
    adapters.builder = std::make_unique<build::LocalClusterLoader>(adapters.base_builder.get(),
                                                                   options.runner, load_into);
  }
  return adapters;
}

}  // namespace devloop::apps
