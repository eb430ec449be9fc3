// Runs a program (devloop, docker, busybox) as a child process for end-to-end
// tests: its output captured to a file, signalled like a user would (SIGINT for
// Ctrl-C), waited for with a deadline, and killed if the test forgets.
//
//   absl::StatusOr<std::unique_ptr<Subprocess>> p = Subprocess::Start(
//       {.argv = {devloop, "dev", "--rpc-port=0"}, .cwd = example_dir});
//   (*p)->Signal(SIGINT);
//   absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(5));  // exit code, or -signal
//
// Thread-compatible (one thread drives a Subprocess); Output() may be read while
// the child runs.
#ifndef DEVLOOP_TESTING_E2E_SUBPROCESS_H_
#define DEVLOOP_TESTING_E2E_SUBPROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace devloop::e2e {

class Subprocess {
 public:
  struct Options {
    std::vector<std::string> argv;            // argv[0] is the program (PATH searched)
    std::string cwd;                          // empty: the test's
    std::map<std::string, std::string> env;   // added to (or replacing in) the test's environment
    std::string output_path;                  // stdout+stderr; empty: a file under $TEST_TMPDIR
    // When >= 0, the child's stdout is this descriptor (a pipe's write end)
    // instead of the output file; stderr still goes to the file.
    int stdout_fd = -1;
    // When set, a pseudo-terminal's slave ("/dev/pts/N"): the child starts a
    // session of its own with it as controlling terminal and as stdin, stdout
    // and stderr, so closing the master hangs it up (SIGHUP) as closing a
    // terminal window does. Output() then holds nothing.
    std::string terminal;
  };

  // Starts the program in its own process group (its own session with a
  // terminal). Returns an error if it cannot be
  // started (no such program, bad cwd): the child reports exec failures back.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const Options& options);

  // Kills the whole process group (SIGKILL) if still running, and reaps it.
  ~Subprocess();

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Sends `signo` to the child (only the child: devloop must clean up its own).
  absl::Status Signal(int signo);

  // Waits until the child exits or `timeout` passes. Returns its exit code, or
  // -N if signal N ended it; DeadlineExceeded if still running.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Returns true while the child has not been reaped.
  bool Running();

  // Returns everything the child wrote to stdout and stderr so far.
  std::string Output() const;
  const std::string& output_path() const { return output_path_; }

 private:
  Subprocess(pid_t pid, std::string output_path) : pid_(pid), output_path_(std::move(output_path)) {}
  bool Reap(bool block);

  pid_t pid_;
  std::string output_path_;
  bool reaped_ = false;
  int status_ = 0;
};

// Runs `argv` to completion (at most `timeout`, then kills it) and returns its
// exit code and output. For short commands: `docker ps -q`.
struct CommandResult {
  int exit_code = 0;
  std::string output;
};
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout = absl::Seconds(60));

// Waits until `text()` (a process's output so far) contains `needle`;
// DeadlineExceeded, with the text, after `timeout`.
absl::Status WaitForOutput(const std::function<std::string()>& text, absl::string_view needle,
                           absl::Duration timeout);

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_SUBPROCESS_H_
