// Runs a program whose whole process tree ends with its owner: when Stop() is
// called, when the owner is destroyed, and when the test process dies without
// either (a crash, abort(), SIGKILL on a Bazel timeout). For programs that
// start processes of their own which escape a process-group kill, as Chromium
// does (its crash handlers start new sessions, its zygotes outlive the
// browser for a moment).
//
//   absl::StatusOr<std::unique_ptr<GuardedProcess>> p = GuardedProcess::Start(
//       {.argv = {"/usr/bin/chromedriver", "--port=0"}, .output_path = dir + "/driver.log"});
//   ...
//   (*p)->Stop();  // returns once every process of the tree is gone and reaped
//
// How: a keeper process, forked from the test process, runs the program as
// its child in a process group of its own. The keeper is a child subreaper
// (PR_SET_CHILD_SUBREAPER), so every orphan of the tree becomes its child and
// is reaped by it, never left a zombie for init. It waits for EOF on a pipe
// whose write end only the owner holds; at EOF it kills the program's group,
// then every process reparented to it, until it has no child left.
//
// Thread-compatible. The keeper holds the read end only of its pipe; a process
// the owner forks later without exec (gtest death tests) would delay the
// keeper's EOF until it exits.
#ifndef DEVLOOP_TESTING_BROWSER_GUARDED_PROCESS_H_
#define DEVLOOP_TESTING_BROWSER_GUARDED_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace devloop::browser {

class GuardedProcess {
 public:
  struct Options {
    std::vector<std::string> argv;           // argv[0]: the program (PATH searched)
    std::map<std::string, std::string> env;  // added to (or replacing in) the test's
    std::string output_path;                 // stdout+stderr; created or truncated
  };

  // Starts the keeper and the program. Returns FailedPrecondition if the
  // program cannot be executed (the keeper reports exec's errno).
  static absl::StatusOr<std::unique_ptr<GuardedProcess>> Start(const Options& options);

  // Calls Stop().
  ~GuardedProcess();

  GuardedProcess(const GuardedProcess&) = delete;
  GuardedProcess& operator=(const GuardedProcess&) = delete;

  // The program's process id, also its process group's id.
  pid_t pid() const { return pid_; }

  // Returns true until the program has exited and the keeper has reaped it
  // (the keeper looks every 100 ms).
  bool Running() const;

  // Returns what the program's tree wrote to the output file so far.
  std::string Output() const;

  // Kills the program's process group and every process left of its tree
  // (SIGKILL), and returns once all are reaped. Idempotent.
  void Stop();

 private:
  GuardedProcess(pid_t keeper, int control_fd, pid_t pid, std::string output_path)
      : keeper_(keeper), control_fd_(control_fd), pid_(pid), output_path_(std::move(output_path)) {}

  pid_t keeper_;
  int control_fd_;  // closing it tells the keeper to stop; -1 once stopped
  pid_t pid_;
  std::string output_path_;
};

}  // namespace devloop::browser

#endif  // DEVLOOP_TESTING_BROWSER_GUARDED_PROCESS_H_
