// LogTail: the part of a deployer that follows applications' logs. It hands
// every line to the run's LogSink (the console's coloured `[web] ...`) and keeps
// the last few lines of each workload, so a status check that finds a workload
// dead can say what it printed last.
//
//   LogTail tail(sink, /*keep=*/5);
//   tail.Add(container_id, {.name = "web"}, "listening on :8080");   // from a log thread
//   tail.Last(container_id);   // {"listening on :8080"}
//   tail.Forget(container_id);
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_LOG_TAIL_H_
#define DEVLOOP_INFRA_DEPLOY_LOG_TAIL_H_

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "infra/deploy/deployer.h"

namespace devloop::deploy {

class LogTail {
 public:
  // `sink` may be empty (lines are then only kept). Keeps `keep` lines a workload.
  explicit LogTail(LogSink sink, size_t keep = 5) : sink_(std::move(sink)), keep_(keep) {}

  // Records `line` of workload `key` and passes it to the sink as `source`'s.
  void Add(const std::string& key, const LogSource& source, absl::string_view line);

  // Returns the last lines of `key`, oldest first.
  std::vector<std::string> Last(const std::string& key) const;

  // Drops what is kept for `key` (the workload was removed).
  void Forget(const std::string& key);

 private:
  const LogSink sink_;
  const size_t keep_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::deque<std::string>> lines_ ABSL_GUARDED_BY(mu_);
};

// Where a log follower's lines go: the tail of the deployer that runs the
// workload now. A config reload hands the followers to a new deployer and
// moves their route to its tail (MoveTo); the followers keep the route.
// Thread-safe.
class LogRoute {
 public:
  // `tail` is not owned and must outlive the route's use.
  explicit LogRoute(LogTail* tail) : tail_(tail) {}

  void Add(const std::string& key, const LogSource& source, absl::string_view line) {
    absl::MutexLock lock(&mu_);
    tail_->Add(key, source, line);
  }
  void MoveTo(LogTail* to) {
    absl::MutexLock lock(&mu_);
    tail_ = to;
  }

 private:
  absl::Mutex mu_;
  LogTail* tail_ ABSL_GUARDED_BY(mu_);
};

}  // namespace devloop::deploy

#endif  // DEVLOOP_INFRA_DEPLOY_LOG_TAIL_H_
