// The one-shot commands of the devloop binary, Skaffold's semantics on the
// Docker Engine. Each returns the process exit code.
//
//   devloop build [--file-output FILE] [--tag T] [--cache-artifacts=false]
//       Builds every artifact once (in `requires` order) and prints the images;
//       --push is refused (devloop has no registry to push to).
//   devloop run
//       Builds, deploys once and waits for the status check: exit 0 when it
//       succeeded, 1 otherwise. The containers keep running, labelled with the
//       project (dev.devloop.project) so `devloop delete` finds them; a later
//       successful run/deploy of the project replaces them. Port forwards and
//       --tail last until Ctrl+C, then end with the process.
//   devloop deploy --build-artifacts FILE | --images web:v1,...
//       Like run, without building.
//   devloop delete
//       Removes the containers and networks run/deploy made for this project,
//       and nothing else (images stay, as with Skaffold).
//
//   absl::StatusOr<cli::CliOptions> o = cli::ParseCommandLine(argc, argv);
//   return RunBuild(*o);
#ifndef DEVLOOP_APPS_DEV_COMMANDS_H_
#define DEVLOOP_APPS_DEV_COMMANDS_H_

#include "apps/cli/cli_options.h"

namespace devloop::apps {

int RunBuild(const cli::CliOptions& options);

// REQUIRES (RunRun, RunDeploy): called from main before any other thread
// starts (they block SIGINT and SIGTERM to wait for them).
int RunRun(const cli::CliOptions& options);
int RunDeploy(const cli::CliOptions& options);

int RunDelete(const cli::CliOptions& options);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_COMMANDS_H_
