// PosixProcessRunner: the ProcessRunner port on Linux, with posix_spawn.
//
//   PosixProcessRunner runner;
//   auto process = runner.Start({.argv = {"make", "-j2"}, .on_stdout = Print});
//   ...
//   (*process)->Cancel();               // SIGTERM, then SIGKILL, to the group
//   ExitStatus exit = (*process)->Wait();
//
// Each child leads its own process group, so a timeout or Cancel() reaches every
// process it started (unless they left the group with setsid/setpgid). After a
// normal exit, processes the child left running in the background are left alone:
// a hook may start a daemon on purpose.
//
// Each started process has one thread of its own, which feeds stdin, reads
// stdout and stderr, invokes the line callbacks, enforces the timeout and reaps
// the child (through a pidfd, so no SIGCHLD handler is installed). Every file
// descriptor is opened close-on-exec, so concurrent spawns never leak pipes into
// each other's children.
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_PROCESS_POSIX_PROCESS_RUNNER_H_
#define DEVLOOP_INFRA_PROCESS_POSIX_PROCESS_RUNNER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "infra/process/process_runner.h"

namespace devloop::process {

class PosixProcessRunner : public ProcessRunner {
 public:
  absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessSpec& spec) override;
};

// Returns the file Start would run for `program` (a name looked up in this
// process's PATH, as execvp does, or a path): NotFound or PermissionDenied,
// saying why, when there is none.
absl::StatusOr<std::string> FindProgram(const std::string& program);

}  // namespace devloop::process

#endif  // DEVLOOP_INFRA_PROCESS_POSIX_PROCESS_RUNNER_H_
