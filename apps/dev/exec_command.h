// `devloop exec ACTION` and `devloop verify`: skaffold.yaml `customActions`
// and `verify`, run as containers on the local Docker Engine (Skaffold's
// default local execution mode). Each returns the process exit code: 0 when
// every container exited 0, 1 otherwise (a failed container, the timeout, an
// image the engine does not have, an unknown action).
//
//   devloop exec migrate [-a build.json]   // customActions[name=migrate]
//   devloop verify [-a build.json]         // every verify[] test, together
//
// With --build-artifacts (from `devloop build --file-output`), a container
// whose image names a built artifact runs the image built for it.
#ifndef DEVLOOP_APPS_DEV_EXEC_COMMAND_H_
#define DEVLOOP_APPS_DEV_EXEC_COMMAND_H_

#include "apps/cli/cli_options.h"

namespace devloop::apps {

int RunExec(const cli::CliOptions& options);
int RunVerify(const cli::CliOptions& options);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_EXEC_COMMAND_H_
