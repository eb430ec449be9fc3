// The ProcessRunner port: starts child processes for the custom builder, hooks
// and kubectl, streams their output line by line, and stops them with their
// whole process group.
//
//   PosixProcessRunner runner;
//   ProcessSpec spec{.argv = {"kubectl", "apply", "-f", "-"},
//                    .timeout = absl::Seconds(30),
//                    .on_stdout = [](absl::string_view line) { ... }};
//   absl::StatusOr<ExitStatus> exit = runner.Run(spec);
//   if (exit.ok() && exit->success()) { ... }
//
// Programs run from argv, never through a shell; a user who wants a shell says
// so in the argv (`{"sh", "-c", script}`).
#ifndef DEVLOOP_INFRA_PROCESS_PROCESS_RUNNER_H_
#define DEVLOOP_INFRA_PROCESS_PROCESS_RUNNER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace devloop::process {

// Receives one line of output without its trailing newline. A last line
// without a newline is delivered too; a line longer than
// ProcessSpec::max_line_bytes arrives in pieces of that size.
using LineCallback = std::function<void(absl::string_view line)>;

struct ProcessSpec {
  // argv[0] is looked up in PATH (of `env` if it sets PATH) unless it holds a '/'.
  std::vector<std::string> argv;
  // Variables set for the child. With `inherit_env`, they are added to (and
  // override) the parent's environment; without it they are the whole environment.
  std::map<std::string, std::string> env;
  bool inherit_env = true;
  // Empty means the parent's working directory.
  std::string working_dir;
  // Written to the child's stdin, which is then closed. Without it stdin is /dev/null.
  std::optional<std::string> stdin_data;
  // After this long the process group gets SIGTERM, then SIGKILL after `kill_grace`.
  absl::Duration timeout = absl::InfiniteDuration();
  absl::Duration kill_grace = absl::Seconds(2);
  // Invoked on the runner's thread for the process (never concurrently for one
  // process). Null callbacks discard the output.
  LineCallback on_stdout;
  LineCallback on_stderr;
  size_t max_line_bytes = 1 << 20;
};

// How a process ended.
struct ExitStatus {
  // The exit code, or -1 when a signal ended the process.
  int exit_code = -1;
  // The signal that ended the process, or 0.
  int signal = 0;
  // Set when the runner itself stopped the process: its timeout passed, or
  // Cancel() was called.
  bool timed_out = false;
  bool cancelled = false;

  bool success() const { return exit_code == 0 && !timed_out && !cancelled; }
  bool operator==(const ExitStatus&) const = default;
};
std::ostream& operator<<(std::ostream& os, const ExitStatus& status);

// A started process. Destroying it cancels the process (if still running) and
// waits for it, so no child outlives its handle.
// Thread-safe: Cancel() may be called from any thread while another waits.
class Process {
 public:
  virtual ~Process() = default;
  // The process id (and process group id) of the child.
  virtual int pid() const = 0;
  // Stops the process group (SIGTERM, then SIGKILL after the spec's kill_grace).
  // Returns at once; Wait() reports the end. Idempotent.
  virtual void Cancel() = 0;
  // Blocks until the process has ended and all its output was delivered.
  // Returns the same value on every call.
  virtual ExitStatus Wait() = 0;
};

// Failure contract of Start/Run:
//  - InvalidArgument: empty argv.
//  - NotFound: argv[0] does not exist or is not in PATH.
//  - PermissionDenied: argv[0] is not executable.
//  - FailedPrecondition: working_dir does not exist.
//  - Internal: the OS refused (out of pipes, processes).
// A process that starts and then fails is not an error: it is an ExitStatus.
// Thread-safe: any number of processes may be started concurrently.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Starts a process; its output flows to the spec's callbacks at once.
  virtual absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessSpec& spec) = 0;
  // Starts a process and waits for it.
  absl::StatusOr<ExitStatus> Run(const ProcessSpec& spec);
};

}  // namespace devloop::process

#endif  // DEVLOOP_INFRA_PROCESS_PROCESS_RUNNER_H_
