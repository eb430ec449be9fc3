// The commands of the devloop binary that run a pipeline: `dev`, and the ones
// that only read the config (`diagnose`). Each returns the process exit code.
//
//   absl::StatusOr<cli::CliOptions> o = cli::ParseCommandLine(argc, argv);
//   return RunDev(*o);
#ifndef DEVLOOP_APPS_DEV_DEV_COMMAND_H_
#define DEVLOOP_APPS_DEV_DEV_COMMAND_H_

#include "apps/cli/cli_options.h"

namespace devloop::apps {

inline constexpr char kVersion[] = "v0.1.0";
inline constexpr char kConfigVersion[] = "skaffold/v4beta13";

// `devloop dev`: build, deploy, status-check, forward ports, tail logs; then on
// every change sync or rebuild and redeploy, until SIGINT, SIGTERM or SIGHUP,
// then clean up (a second signal exits at once; stop_signals.h). Serves the
// Skaffold v1 API meanwhile (unless --enable-rpc=false). First removes what
// dead runs of the project left (dead_runs.h).
// REQUIRES: called from main before any other thread starts (it blocks the
// stop signals for every thread).
int RunDev(const cli::CliOptions& options);

// `devloop diagnose`: prints the resolved config (after profiles) as YAML.
int RunDiagnose(const cli::CliOptions& options);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_DEV_COMMAND_H_
