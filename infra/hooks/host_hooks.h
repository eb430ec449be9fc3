// HostHooks: runs skaffold.yaml's lifecycle hooks that are commands on this
// machine -- build hooks, the `host` entries of sync hooks and of kubectl's
// deploy hooks -- one way for all of them:
//
//  - the command runs from its argv (no shell unless the argv says `sh -c`),
//    in its `dir` (absolute by now), with the process environment plus
//    Skaffold's variables for the phase (SKAFFOLD_IMAGE, SKAFFOLD_RUN_ID, ...)
//    on top of the ones every hook gets (SKAFFOLD_WORK_DIR, ...);
//  - every line it prints goes to `on_output` as "[before-build hook] <line>"
//    (the phase's name, so the console says where a line comes from);
//  - hooks run in order; the first that fails (exit status not 0, killed,
//    timed out, or not startable) stops the rest and fails the phase with an
//    error that names the hook, says how it ended and quotes its last lines.
//
//   HostHooks hooks(&runner, {.env = {{"SKAFFOLD_WORK_DIR", "/src/p"}}});
//   absl::Status s = hooks.Run(artifact.hooks.before,
//       {.phase = "before-build",
//        .env = {{"SKAFFOLD_IMAGE", "web:v1"}},
//        .on_output = print,
//        .failure_code = domain::StatusCode::kBuildUserError});
//
// Thread-safe: Run may be called concurrently (hooks of different artifacts).
#ifndef DEVLOOP_INFRA_HOOKS_HOST_HOOKS_H_
#define DEVLOOP_INFRA_HOOKS_HOST_HOOKS_H_

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/config/config.h"
#include "domain/events/status_code.h"
#include "infra/process/process_runner.h"

namespace devloop::hooks {

// One command to run on this machine.
struct HostCommand {
  std::vector<std::string> command;  // argv; REQUIRES: not empty
  std::string dir;                   // working directory; empty: devloop's own
  bool operator==(const HostCommand&) const = default;
};

// One phase's run of hooks.
struct HookRun {
  std::string phase;  // "before-build", "after-sync", "before-deploy", ...
  // Skaffold's variables of the phase, over the runner's and the process's.
  std::map<std::string, std::string> env;
  // Each line a hook prints, prefixed (OutputPrefix). May be empty.
  std::function<void(absl::string_view line)> on_output;
  // The status code a failing hook's error carries.
  domain::StatusCode failure_code = domain::StatusCode::kUnknownError;
  // Names what the hooks run for in errors ("of artifact web"). May be empty.
  std::string subject;
  // The number errors give the first hook ("before-build hook 1"), for a
  // caller that runs a list's hooks one at a time.
  size_t first_number = 1;
};

struct HostHooksOptions {
  // Variables every hook gets (SKAFFOLD_WORK_DIR, SKAFFOLD_DEFAULT_REPO,
  // SKAFFOLD_RPC_PORT, SKAFFOLD_HTTP_PORT), under HookRun::env.
  std::map<std::string, std::string> env;
  // A hook still running after this long is stopped and fails.
  absl::Duration timeout = absl::Minutes(10);
  // How many of a failing hook's last lines its error quotes.
  size_t tail_lines = 20;
};

class HostHooks {
 public:
  // `runner` must outlive this.
  HostHooks(process::ProcessRunner* runner, HostHooksOptions options);

  // Runs `hooks` in order, as the file comment says. Returns OK when all
  // succeeded (or there are none); otherwise Aborted with run.failure_code.
  absl::Status Run(const std::vector<HostCommand>& hooks, const HookRun& run) const;

  const HostHooksOptions& options() const { return options_; }

 private:
  process::ProcessRunner* const runner_;
  const HostHooksOptions options_;
};

// The prefix of each line a hook of `phase` prints: "[before-build hook] ".
std::string OutputPrefix(absl::string_view phase);

// Returns `hooks` as commands whose relative `dir` is made absolute under
// `base_dir` (an empty dir becomes `base_dir`).
std::vector<HostCommand> HostCommands(const std::vector<config::HostHook>& hooks,
                                      const std::string& base_dir);

// Splits an image reference as Skaffold does for SKAFFOLD_IMAGE_REPO and
// SKAFFOLD_IMAGE_TAG: "reg:5000/web:v1@sha256:.." -> {"reg:5000/web", "v1"};
// no tag -> "latest".
std::pair<std::string, std::string> RepoAndTag(absl::string_view reference);

}  // namespace devloop::hooks

#endif  // DEVLOOP_INFRA_HOOKS_HOST_HOOKS_H_
