// Turns the resolved skaffold.yaml configs and the command line into the dev
// loop's options: which artifacts to build and how, their sync rules, the port
// forwards, the triggers.
//
//   DEVLOOP_ASSIGN_OR_RETURN(dev::DevLoopOptions o, MakeDevLoopOptions(configs, cli));
//
// Picks the deployer as Skaffold does: deploy.docker runs containers on the
// local Docker Engine; deploy.kubectl, manifests.rawYaml or no deploy section at
// all deploy to Kubernetes with kubectl (k8s/*.yaml when no manifests are
// named). Refuses, with an error naming the field and its file:line, what this
// version cannot run: configs that mix deploy.docker with
// Kubernetes, portForward resource types the chosen deployer cannot forward.
#ifndef DEVLOOP_APPS_DEV_PIPELINE_OPTIONS_H_
#define DEVLOOP_APPS_DEV_PIPELINE_OPTIONS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/cli/cli_options.h"
#include "domain/config/config.h"
#include "infra/deploy/deployer.h"
#include "infra/dev/dev_loop.h"
#include "infra/hooks/hooked_builder.h"
#include "infra/hooks/hooked_syncer.h"
#include "infra/tester/local_tester.h"

namespace devloop::apps {

// What the watcher needs per artifact.
struct WatchedArtifact {
  std::string image;
  std::string context_dir;  // absolute
  std::string dockerfile;   // relative to the context
  // sync.infer reads where files go from the Dockerfile, so a change to it
  // reloads the project (the loop keeps the destinations it started with).
  bool infers_sync = false;
  // A custom artifact's: only its declared dependencies count
  // (build::ResolveCustomDependencies).
  std::optional<config::CustomDependencies> custom;
};

// What the watcher needs per test command with dependencies
// (test[].custom[].dependencies): a change to a file they match tests the
// image's newest build again, without rebuilding it.
struct WatchedTest {
  std::string image;
  std::string working_dir;           // absolute: the test's context
  std::vector<std::string> paths;    // globs relative to working_dir
  std::vector<std::string> ignore;   // globs relative to working_dir
  // dependencies.command: prints the paths instead (run when the watch starts,
  // build::ResolveTestDependencies). Paths or a command: not both empty.
  std::string command;
  config::SourcePos command_pos;
  bool operator==(const WatchedTest&) const = default;
};

// Where the workloads run, and why that deployer was chosen (said once).
enum class DeployerKind { kDocker, kKubectl };

// What the kubectl deployer needs from the configs and the command line.
struct KubectlPlan {
  std::vector<std::string> manifest_globs;  // absolute
  // manifests.kustomize / deploy.kustomize: rendered with `kubectl kustomize`.
  struct Kustomization {
    std::string dir;  // as written
    std::string base_dir;  // the config's directory
    std::vector<std::string> build_args;
  };
  std::vector<Kustomization> kustomize;
  // manifests.helm / deploy.helm: rendered with `helm template`.
  struct Release {
    config::HelmRelease release;
    std::string base_dir;  // the config's directory
  };
  std::vector<Release> helm;
  std::string default_namespace;            // -n, else deploy.kubectl.defaultNamespace
  config::DeployHooks hooks;  // every config's, host hooks' dirs made absolute
  config::KubectlFlags flags;
  std::string context;     // --kube-context
  std::string kubeconfig;  // --kubeconfig
  std::string binary = "kubectl";
};

// --port-forward's modes (cli_options.h), as this pipeline acts on them.
struct PortForwardModes {
  bool user = false;      // the configs' portForward entries
  // Kubernetes only: every Service / workload pod port the run deploys
  // (KubectlDeployer::Options::auto_forwards). Turned off on Docker, with a
  // note saying so.
  bool services = false;
  bool pods = false;
  bool debug = false;     // the debuggers' ports, under `devloop debug`
  bool operator==(const PortForwardModes&) const = default;
};

// `devloop debug`: the containers run under their languages' debuggers.
struct DebugPlan {
  bool enabled = false;
  std::map<std::string, std::string> runtime_types;  // artifact image -> runtimeType
  bool operator==(const DebugPlan&) const = default;
};

struct Pipeline {
  dev::DevLoopOptions loop;
  PortForwardModes forward;
  // The configs' portForward entries, validated; empty unless `forward.user`.
  std::vector<deploy::PortForwardSpec> port_forwards;
  // What the command line asked that this pipeline does not do, for the
  // console (said once): "--port-forward=services: ...".
  std::vector<std::string> notes;
  DeployerKind deployer = DeployerKind::kDocker;
  std::string deployer_reason;
  DebugPlan debug;
  KubectlPlan kubectl;  // with DeployerKind::kKubectl
  // Push built images: build.local.push or --push; unset: decided by where the
  // images go (a remote cluster needs them pushed).
  std::optional<bool> push;
  std::string default_repo;  // --default-repo
  std::vector<WatchedArtifact> watched;
  std::vector<std::string> config_files;  // to watch too
  // Lifecycle hooks by artifact image (only artifacts that have some), host
  // hooks' dirs made absolute; and the variables every host hook gets
  // (SKAFFOLD_WORK_DIR, SKAFFOLD_RPC_PORT, SKAFFOLD_HTTP_PORT,
  // SKAFFOLD_DEFAULT_REPO).
  std::map<std::string, hooks::ArtifactBuildHooks> build_hooks;
  std::map<std::string, hooks::ArtifactSyncHooks> sync_hooks;
  std::map<std::string, std::string> hook_env;
  // skaffold.yaml `test`, for the tester (empty with --skip-tests); the
  // artifacts they name are `tested` in `loop`.
  std::vector<tester::ImageTests> tests;
  // The tests' declared dependencies, to watch (empty with --skip-tests).
  std::vector<WatchedTest> watched_tests;
};

// Returns skaffold.yaml `test` of `configs` as the tester runs it: each
// entry's context made absolute, timeouts as durations; entries with nothing
// to run are left out.
std::vector<tester::ImageTests> TestsOf(const std::vector<config::Config>& configs);

// What MakePipeline learns from outside the configs to choose the build's
// target platforms (config::ArtifactPlatforms).
struct PlatformProbe {
  // Returns the platforms of the cluster's nodes, asked with the run's kubectl
  // settings (deploy::kubectl::ClusterNodePlatforms). Called at most once, and
  // only when config::AsksClusterPlatforms; unset: never asked. An error is
  // said as a note, and the build goes on without them.
  std::function<absl::StatusOr<std::vector<std::string>>(const KubectlPlan&)> cluster_platforms;
  // This machine's platform ("linux/amd64"), chosen first when one platform
  // is picked of several; empty: the first of them.
  std::string host;
};

// Returns the pipeline `configs` and `cli` describe (see the file comment).
absl::StatusOr<Pipeline> MakePipeline(const std::vector<config::Config>& configs,
                                      const cli::CliOptions& cli, const PlatformProbe& probe = {});

// Returns the absolute path of the file `config` was read from, as the
// watcher reports paths ("" if it was not read from a file).
std::string ConfigFilePath(const config::Config& config);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_PIPELINE_OPTIONS_H_
