// The serialized executor the machines of one dev loop live on.
//
// Every event of the dev loop (a file changed, a build finished, an API call
// arrived) becomes a task posted here; tasks run one at a time, in the order they
// were posted, on one thread the executor owns. So the machines need no locks,
// and events are never reordered (STYLE.md "Threads"). Timers come from the
// injected Clock and run their task on this executor too.
//
//   Executor executor(clock::RealClock());
//   executor.Post([&] { machine.Handle(FileChanged{...}); });
//   TimerId t = executor.PostAfter(absl::Milliseconds(20), [&] { machine.Handle(Tick{}); });
//   executor.CancelTimer(t);
//   executor.Shutdown();  // runs what is queued, then joins
//
// Thread-safe: Post*, CancelTimer and Shutdown may be called from any thread.
#ifndef DEVLOOP_INFRA_RUNTIME_EXECUTOR_H_
#define DEVLOOP_INFRA_RUNTIME_EXECUTOR_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "infra/clock/clock.h"
#include "infra/runtime/runner.h"

namespace devloop::runtime {

class Executor final : public TaskRunner {
 public:
  // Starts the executor's thread. `clock` must outlive the executor.
  explicit Executor(clock::Clock* clock);

  // Shuts down (see Shutdown()).
  ~Executor() override;

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task` to run after every task posted before it. Returns false (and
  // drops the task) once Shutdown() has begun.
  bool Post(Task task) override;

  // Queues `task` when the clock reaches `deadline` (PostAfter: after a delay).
  // Returns the timer's id for CancelTimer(), or 0 if the executor is shutting down.
  clock::TimerId PostAt(absl::Time deadline, Task task) override;

  // Cancels a timer from PostAt/PostAfter. Returns true if its task will now never
  // be queued; false if it was already queued (it then still runs) or unknown.
  bool CancelTimer(clock::TimerId id) override;

  // Returns true when called from a task running on this executor; for
  // DCHECK-style assertions that a machine is touched only from its executor.
  bool IsCurrent() const override;

  // Stops accepting tasks, cancels pending timers, runs the tasks already queued,
  // and joins the thread. Idempotent. REQUIRES: not called from a task of this
  // executor (it would wait for itself).
  void Shutdown();

  // Returns the clock the executor's timers use.
  clock::Clock* clock() const override { return clock_; }

 private:
  void Loop();

  clock::Clock* const clock_;
  // std, not absl: Debian's Abseil is not built with TSan, which then could not
  // see absl::Mutex's synchronization.
  std::mutex mu_;
  std::condition_variable wake_;  // a task was queued, or stopping
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  std::set<clock::TimerId> timers_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
  std::mutex join_mu_;  // serializes concurrent Shutdown() calls
};

}  // namespace devloop::runtime

#endif  // DEVLOOP_INFRA_RUNTIME_EXECUTOR_H_
