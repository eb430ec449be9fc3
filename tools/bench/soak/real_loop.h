// The real dev loop for the soak (api_soak --devloop=... --project=...): one
// `devloop dev` on a private copy of a project shaped like testing/examples/sync
// (www/ synced into the container, served on a forwarded port; a Dockerfile),
// an editor that saves files in it while the soak's clients run, and the reads
// the soak's final checks need.
//
// The copy is prepared as the end-to-end tests prepare theirs
// (testing/e2e/dev_session.h): busybox placed in the build context, the images
// renamed into a repository of the run's own, a free local port forwarded, run
// records in a cache directory of the run's own. So a soak may run beside the
// e2e tests on one Docker Engine, and whatever the run created is found and
// removed when the RealLoop is destroyed, even after a failure.
//
//   absl::StatusOr<std::unique_ptr<RealLoop>> loop =
//       RealLoop::Start({.devloop = "bazel-bin/apps/devloop", .project = "testing/examples/sync"});
//   Editor editor({.dir = (*loop)->dir(), .app_port = (*loop)->app_port()});
//   ... clients against (*loop)->http_port() and (*loop)->grpc_target() ...
//   editor.Stop();
//   absl::Status served = (*loop)->WaitServed(editor.last_marker(), absl::Minutes(3));
//   absl::StatusOr<FinalLog> log = ReadIdleLog((*loop)->http_port(), absl::Minutes(2));
//   absl::Duration took;
//   absl::Status clean = (*loop)->StopAndCheckNothingLeft(absl::Seconds(30), &took);
//
// RealLoop is thread-compatible (one thread drives it); Editor is thread-safe.
#ifndef DEVLOOP_TOOLS_BENCH_SOAK_REAL_LOOP_H_
#define DEVLOOP_TOOLS_BENCH_SOAK_REAL_LOOP_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "api/skaffold.pb.h"
#include "testing/e2e/dev_session.h"

namespace devloop::soak {

class RealLoop {
 public:
  struct Options {
    std::string devloop;  // the devloop binary
    std::string project;  // testing/examples/sync, or a copy of it; never modified
    absl::Duration first_iteration_timeout = absl::Minutes(5);
    // When set and true, Start gives up waiting for iteration 0 (Cancelled).
    const std::atomic<bool>* cancelled = nullptr;
  };

  // Returns InvalidArgument, saying what to give instead, if `devloop` is not
  // an executable file or `project` lacks what the soak edits or checks
  // (skaffold.yaml with an artifact image and a portForward localPort,
  // www/index.html, Dockerfile).
  static absl::Status CheckOptions(const Options& options);

  // Checks the options as CheckOptions does, copies and prepares `project`,
  // starts `devloop dev` on free loopback ports in the copy, and waits until
  // iteration 0 succeeded. Returns the error of the start or of iteration 0,
  // with devloop's output. Nothing of the run is left on failure.
  static absl::StatusOr<std::unique_ptr<RealLoop>> Start(const Options& options);

  // Stops devloop if it still runs (SIGINT, then SIGKILL) and removes every
  // container, network and image of the run, the copy, and devloop's output
  // file unless KeepOutput() was called.
  ~RealLoop();

  RealLoop(const RealLoop&) = delete;
  RealLoop& operator=(const RealLoop&) = delete;

  int http_port() const { return http_port_; }
  const std::string& grpc_target() const { return grpc_target_; }
  pid_t pid() const { return pid_; }
  // The copy devloop runs in (edit files here).
  const std::string& dir() const { return session_->dir(); }
  // The local port that serves the container's www/.
  int app_port() const { return app_port_; }
  // The run id devloop labels its objects with.
  const std::string& run_id() const { return run_id_; }

  // Entries the run's own Events client (connected before iteration 0) has.
  // REQUIRES: Sweep() has not run.
  std::vector<proto::LogEntry> SessionEntries() { return session_->events().Entries(); }
  size_t SessionEntryCount() { return session_->events().size(); }

  // Returns false once devloop has exited (or Sweep() ran).
  bool Running() { return !swept_ && session_->devloop().process().Running(); }
  // Everything devloop wrote to stdout and stderr so far.
  std::string Output() { return swept_ ? output_ : session_->devloop().process().Output(); }
  // Keeps the file that holds Output() (for a failed run) and returns its path.
  const std::string& KeepOutput() {
    keep_output_ = true;
    return output_path_;
  }

  // Waits until the container serves a page holding `marker` at
  // /index.html. Returns Unavailable as soon as devloop has exited,
  // DeadlineExceeded (with what was served) after `timeout`.
  absl::Status WaitServed(absl::string_view marker, absl::Duration timeout);

  // Sends SIGINT; returns OK if devloop exits 0 within `timeout` and nothing
  // with the run's label (nor any image of the run's repository) is left.
  // Sets *took to the time from the signal to the exit.
  absl::Status StopAndCheckNothingLeft(absl::Duration timeout, absl::Duration* took);

  // Stops devloop however it can (SIGINT, then SIGKILL) and removes what the
  // run made, as the destructor does; before joining clients whose streams
  // only end with devloop. Output() still answers after it. Idempotent.
  absl::Status Sweep();

 private:
  RealLoop() = default;

  std::unique_ptr<e2e::DevSession> session_;
  std::string temp_root_;  // holds the copy and its run records
  std::string run_id_;
  int app_port_ = -1;
  int http_port_ = -1;
  std::string grpc_target_;
  pid_t pid_ = -1;
  bool swept_ = false;
  std::string output_;  // devloop's, kept by Sweep()
  std::string output_path_;
  bool keep_output_ = false;
};

// Saves the synced file www/index.html every `every`, as a user does, and
// every `rebuild_every`-th time also appends a comment line to the Dockerfile
// (which devloop does not sync: it rebuilds and redeploys). Each saved page
// carries a marker "soak edit N" that the container serves once synced.
//
// After a Dockerfile edit the editor waits until the container at `app_port`
// serves that edit's page (the rebuild and redeploy are done) before saving
// again: devloop rebuilds, rather than syncs, a change saved while it builds,
// so edits every half second would otherwise keep it rebuilding for good.
class Editor {
 public:
  struct Options {
    std::string dir;
    int app_port = -1;
    absl::Duration every = absl::Milliseconds(500);
    int rebuild_every = 10;  // 0: never touch the Dockerfile
    absl::Duration rebuild_timeout = absl::Minutes(5);
  };
  // Starts editing at once, on a thread of its own.
  explicit Editor(Options options);
  // Stops, as Stop() does.
  ~Editor();

  // Stops editing and returns once the last save is written. Idempotent.
  void Stop();

  int edits() const;
  int dockerfile_edits() const;
  // The longest wait for a rebuild to be served.
  absl::Duration longest_rebuild() const;
  // The marker of the last page saved; "" before the first.
  std::string last_marker() const;
  // The first write that failed, or a rebuild not served within
  // rebuild_timeout; OK if none.
  absl::Status status() const;

 private:
  void Run();
  // Waits until the container serves `marker`; Cancelled if stopped first.
  absl::Status WaitServed(const std::string& marker);

  const Options options_;
  absl::Notification stop_;
  mutable absl::Mutex mu_;
  int edits_ ABSL_GUARDED_BY(mu_) = 0;
  int dockerfile_edits_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration longest_rebuild_ ABSL_GUARDED_BY(mu_);
  std::string last_marker_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// The event log as one full read of /v1/events saw it.
struct FinalLog {
  std::vector<std::string> json;         // each entry's canonical JSON, in order
  std::vector<proto::LogEntry> entries;  // the same, parsed
};

// Reads /v1/events from 127.0.0.1:`http_port` until the loop is idle: two
// reads, each ending after `quiet` without a new line, find the same entries,
// and the last dev-loop iteration has ended (Succeeded or Failed). Returns
// DeadlineExceeded if that does not happen within `timeout`; an error if a
// line does not parse.
absl::StatusOr<FinalLog> ReadIdleLog(int http_port, absl::Duration timeout,
                                     absl::Duration quiet = absl::Seconds(2));

}  // namespace devloop::soak

#endif  // DEVLOOP_TOOLS_BENCH_SOAK_REAL_LOOP_H_
