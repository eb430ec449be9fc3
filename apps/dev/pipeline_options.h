// Turns the resolved skaffold.yaml configs and the command line into the dev
// loop's options: which artifacts to build and how, their sync rules, the port
// forwards, the triggers.
//
//   DEVLOOP_ASSIGN_OR_RETURN(dev::DevLoopOptions o, MakeDevLoopOptions(configs, cli));
//
// Refuses, with an error naming the field and its file:line, what this version
// cannot run: the kubectl deployer, custom builders, portForward of resource
// types other than `container` for the Docker deployer.
#ifndef DEVLOOP_APPS_DEV_PIPELINE_OPTIONS_H_
#define DEVLOOP_APPS_DEV_PIPELINE_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/cli/cli_options.h"
#include "domain/config/config.h"
#include "infra/deploy/deployer.h"
#include "infra/dev/dev_loop.h"

namespace devloop::apps {

// What the watcher needs per artifact.
struct WatchedArtifact {
  std::string image;
  std::string context_dir;  // absolute
  std::string dockerfile;   // relative to the context
};

// Where the workloads run, and why that deployer was chosen (said once).
enum class DeployerKind { kDocker };

struct Pipeline {
  dev::DevLoopOptions loop;
  std::vector<deploy::PortForwardSpec> port_forwards;
  DeployerKind deployer = DeployerKind::kDocker;
  std::string deployer_reason;
  std::vector<WatchedArtifact> watched;
  std::vector<std::string> config_files;  // to watch too
};

absl::StatusOr<Pipeline> MakePipeline(const std::vector<config::Config>& configs,
                                      const cli::CliOptions& cli);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_PIPELINE_OPTIONS_H_
