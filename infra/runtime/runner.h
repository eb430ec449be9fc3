// The two halves of the shell's threading model as interfaces, so that a test
// can drive the same shell code on one thread with simulated time.
//
//  - TaskRunner: a serialized queue of tasks with timers (Executor in
//    production): the machines of one dev loop live on it.
//  - JobRunner: where blocking work goes (BlockingPool in production); a job's
//    result is posted back to a TaskRunner (RunBlocking in blocking_pool.h).
//
// testing/runtime's ManualRuntime implements both on the test's thread and a
// FakeClock: nothing runs until the test says RunUntilIdle().
#ifndef DEVLOOP_INFRA_RUNTIME_RUNNER_H_
#define DEVLOOP_INFRA_RUNTIME_RUNNER_H_

#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "infra/clock/clock.h"

namespace devloop::runtime {

using Task = absl::AnyInvocable<void()>;

// Implementations are thread-safe.
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;

  // Queues `task` to run after every task posted before it. Returns false (and
  // drops the task) once the runner is shutting down.
  virtual bool Post(Task task) = 0;

  // Queues `task` when the clock reaches `deadline`. Returns the timer's id for
  // CancelTimer(), or 0 if the runner is shutting down.
  virtual clock::TimerId PostAt(absl::Time deadline, Task task) = 0;

  // Queues `task` after `delay`.
  clock::TimerId PostAfter(absl::Duration delay, Task task) {
    return PostAt(clock()->Now() + delay, std::move(task));
  }

  // Cancels a timer. Returns true if its task will now never be queued.
  virtual bool CancelTimer(clock::TimerId id) = 0;

  // Returns true when called from a task running on this runner.
  virtual bool IsCurrent() const = 0;

  // Returns the clock the timers use.
  virtual clock::Clock* clock() const = 0;
};

// Implementations are thread-safe.
class JobRunner {
 public:
  virtual ~JobRunner() = default;

  // Queues `job` to run where it may block. Returns an error (and runs
  // nothing) when the runner refuses it: full, or shut down.
  virtual absl::Status Submit(absl::AnyInvocable<void()> job) = 0;
};

}  // namespace devloop::runtime

#endif  // DEVLOOP_INFRA_RUNTIME_RUNNER_H_
