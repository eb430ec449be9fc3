// The pieces of `devloop build`, `run`, `deploy` and `delete` that are plain
// logic, kept apart from the commands so they are unit-tested: the project
// label, build order, Skaffold's build-output JSON, matching given images to
// artifacts, and the tagger a config asks for.
//
//   std::string project = ProjectId("/src/app/skaffold.yaml");       // "3f2a9c0d17e4b5a6"
//   DEVLOOP_ASSIGN_OR_RETURN(auto order, BuildOrder(pipeline.loop.artifacts));
//   std::string json = BuildOutputJson({{"web", "web:v1"}});
//   // {"builds":[{"imageName":"web","tag":"web:v1"}]}
//
// Free functions: thread-safe.
#ifndef DEVLOOP_APPS_DEV_COMMAND_SUPPORT_H_
#define DEVLOOP_APPS_DEV_COMMAND_SUPPORT_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apps/cli/cli_options.h"
#include "apps/console/console.h"
#include "apps/dev/pipeline_options.h"
#include "domain/config/config.h"
#include "infra/deploy/deployer.h"
#include "infra/dev/dev_loop.h"
#include "infra/hub/app_logs.h"
#include "infra/build/tagger.h"
#include "infra/process/process_runner.h"

namespace devloop::apps {

// The label `devloop run` and `devloop deploy` put on every container and
// network, and `devloop delete` removes by: one value per project.
inline constexpr char kProjectLabel[] = "dev.devloop.project";

// Returns the project's label value: 16 hex digits of the SHA-256 of the
// absolute path of its config file (symlinks resolved when the file exists).
std::string ProjectId(const std::string& config_path);

// Returns the artifacts in an order where every artifact comes after the ones
// it requires (stable otherwise). InvalidArgument naming the artifacts of a
// cycle, or a required artifact that is not in the list.
absl::StatusOr<std::vector<const build::ArtifactBuildSpec*>> BuildOrder(
    const std::vector<build::ArtifactBuildSpec>& artifacts);

// One built image, as Skaffold's --file-output lists it.
struct BuildOutput {
  std::string image_name;  // the artifact's image ("web")
  std::string tag;         // the reference built ("web:v1")
  bool operator==(const BuildOutput&) const = default;
};

// Returns `{"builds":[{"imageName":...,"tag":...},...]}` (Skaffold's format).
std::string BuildOutputJson(const std::vector<BuildOutput>& builds);

// Parses that JSON (extra fields are ignored). InvalidArgument saying what is
// wrong, prefixed with `source` (the file name).
absl::StatusOr<std::vector<BuildOutput>> ParseBuildOutput(absl::string_view json,
                                                          absl::string_view source);

// Matches image references to the artifacts: an image whose name (without tag)
// is an artifact's image deploys that artifact; the others are deployed as
// artifacts of their own. Returns artifact image -> reference, and the
// artifacts to deploy (the configured ones that were given, with their
// `requires` dropped — nothing is built — plus one per unmatched image).
struct DeployPlan {
  std::map<std::string, std::string> prebuilt;
  std::vector<build::ArtifactBuildSpec> artifacts;
};
absl::StatusOr<DeployPlan> PlanDeploy(const std::vector<build::ArtifactBuildSpec>& configured,
                                      const std::vector<BuildOutput>& images);

// Returns the tagger for `configs` and the command line: --tag when given,
// else the first config's build.tagPolicy (devloop uses one policy per run).
absl::StatusOr<std::unique_ptr<build::Tagger>> MakeTagger(const std::vector<config::Config>& configs,
                                                        const cli::CliOptions& cli,
                                                        process::ProcessRunner* runner);

// Loads the configs the command line names (-f, -p, -m; devloop.yaml before
// skaffold.yaml), resolved with profiles. Errors name file:line:col.
absl::StatusOr<std::vector<config::Config>> LoadConfigs(const cli::CliOptions& cli);

// The configs and the pipeline they describe.
struct Project {
  std::vector<config::Config> configs;
  Pipeline pipeline;
};

// Returns this machine's platform ("linux/amd64"), or "" when uname fails.
std::string HostPlatform();

// Returns the probe LoadProject gives MakePipeline: the cluster's nodes read
// with `kubectl get nodes -o json`, and HostPlatform().
PlatformProbe ClusterPlatformProbe();

// LoadConfigs, then MakePipeline (with ClusterPlatformProbe).
absl::StatusOr<Project> LoadProject(const cli::CliOptions& cli);

// Returns the contents of the file at `path`; NotFound naming it when it
// cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Returns the images --build-artifacts lists (the JSON `devloop build
// --file-output` writes); none without the flag. Errors name the flag or the
// file.
absl::StatusOr<std::vector<BuildOutput>> ReadBuildArtifacts(const cli::CliOptions& cli);

// What `exec`, `verify` and `test` start from: the configs the command line
// names, and the images --build-artifacts lists, by artifact image.
struct ConfigsAndImages {
  std::vector<config::Config> configs;
  // Artifact image -> the reference built; empty without --build-artifacts.
  std::map<std::string, std::string> built;
};

// LoadConfigs, then ReadBuildArtifacts.
absl::StatusOr<ConfigsAndImages> LoadConfigsAndImages(const cli::CliOptions& cli);

// Sends a dev loop's application logs (with --tail) and build output (shown
// with -v debug) to `console`, which must outlive the loop, and the
// application logs also to `app_logs` (the API's ApplicationLogs stream) when
// given.
void AttachConsole(console::Console* console, bool tail, dev::DevLoopOptions* options,
                   deploy::LogSink* on_log, hub::AppLogs* app_logs = nullptr);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_COMMAND_SUPPORT_H_
