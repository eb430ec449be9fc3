// The composition root's choice of adapters for the dev loop's ports: the
// builder and the deployer that `Pipeline::deployer` names (Docker today),
// wired to one Docker Engine.
//
//   DEVLOOP_ASSIGN_OR_RETURN(LoopAdapters adapters,
//       MakeLoopAdapters(docker, pipeline, {.run_id = deploy::NewRunId(), ...}));
//   dev::DevLoop::Make(options, adapters.Ports(&hub, &executor, &pool));
#ifndef DEVLOOP_APPS_DEV_ADAPTERS_H_
#define DEVLOOP_APPS_DEV_ADAPTERS_H_

#include <functional>
#include <map>
#include <memory>
#include <vector>
#include <string>

#include "absl/status/statusor.h"
#include "apps/dev/pipeline_options.h"
#include "infra/build/builder.h"
#include "infra/tester/tester.h"
#include "infra/build/tagger.h"
#include "infra/deploy/deployer.h"
#include "infra/deploy/docker/docker_deployer.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/deploy/kubectl/kubectl_deployer.h"
#include "infra/deploy/kubectl/manifests.h"
#include "infra/dev/dev_loop.h"
#include "infra/docker/docker.h"
#include "infra/hooks/hooked_builder.h"
#include "infra/hooks/hooked_syncer.h"
#include "infra/hooks/host_hooks.h"
#include "infra/hub/hub.h"
#include "infra/process/process_runner.h"
#include "infra/runtime/runner.h"

namespace devloop::apps {

struct AdapterOptions {
  std::string run_id;  // required: labels everything the run creates
  // Extra labels on everything the run creates (the project label of `run`).
  std::map<std::string, std::string> labels;
  std::shared_ptr<const build::Tagger> tagger;  // null: tag by image id
  bool cache_artifacts = false;
  // Non-empty: the images built outlive the run as the artifact cache of this
  // scope (the project's id), pruned at cleanup (DockerBuilder::Options).
  std::string cache_scope;
  // Artifacts not built: image -> the reference to deploy (`deploy --images`).
  std::map<std::string, std::string> prebuilt;
  deploy::LogSink on_log;
  // Runs kubectl for the kubectl deployer (and kind/k3d to load images). Not
  // owned; required with DeployerKind::kKubectl.
  process::ProcessRunner* runner = nullptr;
  // Each line a lifecycle hook prints ("[before-build hook] ..."). May be empty.
  std::function<void(absl::string_view line)> on_hook_output;
};

struct LoopAdapters {
  // The engine images are built on when it is not the local one (minikube's);
  // declared first, so the builder that uses it goes before it.
  std::unique_ptr<docker::Docker> build_docker;
  // The docker and custom builders a RoutingBuilder `builder` sends images to.
  std::vector<std::unique_ptr<build::Builder>> routed_builders;
  // Runs the host lifecycle hooks for the builder and syncer below.
  std::unique_ptr<hooks::HostHooks> host_hooks;
  std::unique_ptr<build::Builder> builder;
  std::unique_ptr<build::Builder> base_builder;  // the one `builder` wraps, if it does
  std::unique_ptr<deploy::Deployer> deployer;
  // `deployer` when it is Docker's or kubectl's: a config reload hands its
  // run on (HandOverRun).
  deploy::DockerDeployer* docker_deployer = nullptr;
  deploy::kubectl::KubectlDeployer* kubectl_deployer = nullptr;
  deploy::Syncer* syncer = nullptr;  // the deployer's, or hooked_syncer
  std::unique_ptr<hooks::HookedSyncer> hooked_syncer;  // when an artifact has sync hooks
  std::unique_ptr<tester::Tester> tester;  // when the pipeline has tests
  // Where the images go, for the console: "pushed to 127.0.0.1:5000", ...
  std::string images_note;

  dev::DevLoopPorts Ports(hub::Hub* hub, runtime::TaskRunner* executor,
                          runtime::JobRunner* pool) const {
    return {.builder = builder.get(),
            .tester = tester.get(),
            .deployer = deployer.get(),
            .syncer = syncer,
            .hub = hub,
            .executor = executor,
            .pool = pool};
  }
};

// Returns the adapters for `pipeline` on `docker` (which must outlive them).
// InvalidArgument for port forwards the deployer cannot serve. For kubectl,
// asks kubectl for the current context when none was given, to decide whether
// images are pushed (Skaffold's rule: not for kind, k3d, minikube and Docker
// Desktop clusters, which see the local engine's images; otherwise yes). For
// minikube, images are built on the engine in its node (`minikube docker-env`).
absl::StatusOr<LoopAdapters> MakeLoopAdapters(docker::Docker* docker, const Pipeline& pipeline,
                                              const AdapterOptions& options);

// Whether a config reload from `from` to `to` keeps the run (its id, and what
// it deploys, handed from the old deployer to the new one): when both deploy
// with the same deployer -- Docker, or kubectl to the same cluster (the same
// kubectl, kubeconfig, kube-context and global flags). Otherwise the old loop
// cleans up and the new one is a new run.
bool RunCanGoOn(const Pipeline& from, const Pipeline& to);

// Hands what `from`'s deployer runs to `to`'s, of the same run. REQUIRES:
// RunCanGoOn of their pipelines, and `from`'s loop stopped without cleaning
// up (DevLoop::ReplacedSoon(true)). `from` must outlive `to`'s deployer.
absl::Status HandOverRun(LoopAdapters& from, LoopAdapters& to);

// Returns the build hooks of `pipeline`'s artifacts, but those in `prebuilt`
// (not built), as `dev`, `run` and `build` run them: SKAFFOLD_IMAGE is
// ImageUnderRepo(default repo, image):<the tag `tagger` gives; "latest" when
// null>, SKAFFOLD_PUSH_IMAGE says `push`, and each line a hook prints goes to
// `on_output`.
hooks::HookedBuilder::Options BuildHookOptions(
    const Pipeline& pipeline, std::shared_ptr<const build::Tagger> tagger, bool push,
    const std::map<std::string, std::string>& prebuilt,
    std::function<void(absl::string_view line)> on_output);

// How every kubectl of the run is started: `plan`'s binary, kubeconfig,
// context and global flags.
deploy::kubectl::KubectlOptions KubectlOptionsOf(const KubectlPlan& plan);

// Returns everything `plan` deploys for `images` (artifact image -> reference):
// the raw YAML files, then each kustomization and each helm release rendered
// (creating a release's namespace first when it asks for that).
absl::StatusOr<std::vector<deploy::kubectl::ManifestSource>> ManifestsOf(
    const KubectlPlan& plan, process::ProcessRunner* runner, const domain::ImageTags& images);

// Returns the container-structure-test binary: the one tools/cst/build.sh
// builds into ~/.cache/devloop/bin when it is there, else the first in PATH;
// "" when there is none (LocalTester then runs its built-in runner).
std::string StructureTestBinary();

// Whether a kube-context names a cluster that runs on this machine's Docker
// Engine (kind-*, k3d-*, minikube, docker-desktop, docker-for-desktop).
bool IsLocalCluster(const std::string& context);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_ADAPTERS_H_
