// `devloop exec ACTION` and `devloop verify`: skaffold.yaml `customActions`
// and `verify`, run as containers on the local Docker Engine (Skaffold's
// default local execution mode). Each returns the process exit code: 0 when
// every container exited 0, 1 otherwise (a failed container, the timeout, an
// image the engine does not have, an unknown action).
//
// `devloop test`: skaffold.yaml `test`, as `skaffold test` runs it, against
// images built before: each entry's custom commands and structure tests
// (infra/tester/local_tester.h), in order, stopping at the first failure,
// whose output and error it prints before exiting 1; 0 when all passed or
// there are none.
//
//   devloop exec migrate [-a build.json]   // customActions[name=migrate]
//   devloop verify [-a build.json]         // every verify[] test, together
//   devloop test [-a build.json]           // every test[] entry, in order
//
// With --build-artifacts (from `devloop build --file-output`), a container
// whose image names a built artifact runs the image built for it, and each
// test runs against the image the file lists for it (one it does not list is
// an error). Without it, a test runs against the image as `devloop build`
// tags it now (IMAGE:<the tag policy's tag>), as skaffold test does.
#ifndef DEVLOOP_APPS_DEV_EXEC_COMMAND_H_
#define DEVLOOP_APPS_DEV_EXEC_COMMAND_H_

#include "apps/cli/cli_options.h"

namespace devloop::apps {

int RunExec(const cli::CliOptions& options);
int RunVerify(const cli::CliOptions& options);
int RunTest(const cli::CliOptions& options);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_EXEC_COMMAND_H_
