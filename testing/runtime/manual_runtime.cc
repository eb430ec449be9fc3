#include "testing/runtime/manual_runtime.h"

#include <memory>
#include <utility>

namespace devloop::testing {

ManualRuntime::~ManualRuntime() {
  std::set<clock::TimerId> timers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    timers.swap(timers_);
  }
  for (clock::TimerId id : timers) clock_->Cancel(id);
}

bool ManualRuntime::Post(runtime::Task task) {
  std::lock_guard<std::mutex> lock(mu_);
  tasks_.push_back(std::move(task));
  return true;
}

clock::TimerId ManualRuntime::PostAt(absl::Time deadline, runtime::Task task) {
  auto id_slot = std::make_shared<clock::TimerId>(0);
  clock::TimerId id =
      clock_->ScheduleAt(deadline, [this, id_slot, task = std::move(task)]() mutable {
        std::lock_guard<std::mutex> lock(mu_);
        timers_.erase(*id_slot);
        tasks_.push_back(std::move(task));
      });
  std::lock_guard<std::mutex> lock(mu_);
  *id_slot = id;
  timers_.insert(id);
  return id;
}

bool ManualRuntime::CancelTimer(clock::TimerId id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (timers_.erase(id) == 0) return false;
  }
  return clock_->Cancel(id);
}

absl::Status ManualRuntime::Submit(absl::AnyInvocable<void()> job) {
  if (refuse_jobs_) return absl::ResourceExhaustedError("the pool is full");
  std::lock_guard<std::mutex> lock(mu_);
  jobs_.push_back(std::move(job));
  return absl::OkStatus();
}

int ManualRuntime::RunTasks() {
  int ran = 0;
  while (true) {
    runtime::Task task;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (tasks_.empty()) return ran;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    running_task_ = true;
    task();
    running_task_ = false;
    ++ran;
  }
}

int ManualRuntime::RunUntilIdle() {
  int ran = 0;
  while (true) {
    ran += RunTasks();
    absl::AnyInvocable<void()> job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (jobs_.empty()) {
        if (tasks_.empty()) return ran;
        continue;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
    ++ran;
  }
}

bool ManualRuntime::RunOneJob() {
  absl::AnyInvocable<void()> job;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (jobs_.empty()) return false;
    job = std::move(jobs_.front());
    jobs_.pop_front();
  }
  job();
  return true;
}

void ManualRuntime::AdvanceAndRun(absl::Duration d) {
  clock_->AdvanceTime(d);
  RunUntilIdle();
}

size_t ManualRuntime::queued_jobs() {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

size_t ManualRuntime::queued_tasks() {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.size();
}

}  // namespace devloop::testing
