// ManualRuntime: the shell's task runner and job runner on the test's own
// thread and a FakeClock, so a whole dev loop runs deterministically with no
// sleeps: nothing happens until the test calls RunUntilIdle() or advances time.
//
//   clock::FakeClock clock;
//   ManualRuntime runtime(&clock);
//   DevLoop loop(..., {.executor = &runtime, .pool = &runtime, ...});
//   loop.Start();
//   runtime.RunTasks();        // the controller ran; the build job is still queued
//   runtime.RunUntilIdle();    // the build ran and its result was fed back
//   runtime.AdvanceAndRun(absl::Milliseconds(500));   // the next status poll
//
// Thread-compatible: call it from the test's thread only (Post may also come
// from other threads; those tasks run at the next Run call).
#ifndef DEVLOOP_TESTING_RUNTIME_MANUAL_RUNTIME_H_
#define DEVLOOP_TESTING_RUNTIME_MANUAL_RUNTIME_H_

#include <cstddef>
#include <deque>
#include <mutex>
#include <set>

#include "infra/clock/fake_clock.h"
#include "infra/runtime/runner.h"

namespace devloop::testing {

class ManualRuntime final : public runtime::TaskRunner, public runtime::JobRunner {
 public:
  // `clock` must outlive the runtime.
  explicit ManualRuntime(clock::FakeClock* clock) : clock_(clock) {}
  ~ManualRuntime() override;

  // runtime::TaskRunner
  bool Post(runtime::Task task) override;
  clock::TimerId PostAt(absl::Time deadline, runtime::Task task) override;
  bool CancelTimer(clock::TimerId id) override;
  bool IsCurrent() const override { return running_task_; }
  clock::Clock* clock() const override { return clock_; }

  // runtime::JobRunner: queued until a Run call runs it. Fails with
  // ResourceExhausted while RefuseJobs(true).
  absl::Status Submit(absl::AnyInvocable<void()> job) override;

  // Runs queued tasks, oldest first, until none is left; returns how many ran.
  // Jobs stay queued: they are the blocking work "still running".
  int RunTasks();

  // Runs tasks and jobs (all tasks, then the oldest job, and again) until
  // neither is left; returns how many ran in all.
  int RunUntilIdle();

  // Runs the oldest queued job, if any; returns whether one ran.
  bool RunOneJob();

  // Moves the clock forward (firing due timers, which queue their tasks) and
  // runs until idle.
  void AdvanceAndRun(absl::Duration d);

  // Makes Submit refuse jobs, as a full pool does.
  void RefuseJobs(bool refuse) { refuse_jobs_ = refuse; }

  size_t queued_jobs();
  size_t queued_tasks();

 private:
  clock::FakeClock* const clock_;
  std::mutex mu_;
  std::deque<runtime::Task> tasks_;
  std::deque<absl::AnyInvocable<void()>> jobs_;
  std::set<clock::TimerId> timers_;
  bool running_task_ = false;
  bool refuse_jobs_ = false;
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_RUNTIME_MANUAL_RUNTIME_H_
