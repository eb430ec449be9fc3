#include "infra/runtime/executor.h"

#include <memory>
#include <utility>
#include <vector>

namespace devloop::runtime {

Executor::Executor(clock::Clock* clock) : clock_(clock), thread_([this] { Loop(); }) {}

Executor::~Executor() { Shutdown(); }

bool Executor::Post(Task task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  queue_.push_back(std::move(task));
  wake_.notify_one();
  return true;
}

clock::TimerId Executor::PostAt(absl::Time deadline, Task task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return 0;
  // The id is known only after ScheduleAt returns, and the callback may fire
  // before that (a deadline in the past on a real clock), so the callback finds
  // its own id through a shared slot written under mu_.
  auto id_slot = std::make_shared<clock::TimerId>(0);
  clock::TimerId id = clock_->ScheduleAt(
      deadline, [this, id_slot, task = std::move(task)]() mutable {
        std::lock_guard<std::mutex> lock(mu_);
        // Cancelled or shut down between firing and here: drop.
        if (timers_.erase(*id_slot) == 0 || stopping_) return;
        queue_.push_back(std::move(task));
        wake_.notify_one();
      });
  // Still holding mu_, so the callback (which takes mu_) cannot have looked yet.
  *id_slot = id;
  timers_.insert(id);
  return id;
}

bool Executor::CancelTimer(clock::TimerId id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (timers_.erase(id) == 0) return false;
  }
  // Outside mu_: a firing callback takes mu_, and Cancel waits for it.
  clock_->Cancel(id);
  return true;
}

bool Executor::IsCurrent() const { return std::this_thread::get_id() == thread_.get_id(); }

void Executor::Shutdown() {
  std::lock_guard<std::mutex> join_lock(join_mu_);
  std::set<clock::TimerId> timers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    timers.swap(timers_);
    wake_.notify_one();
  }
  // Wait for in-flight timer callbacks: after this none can touch `this`.
  for (clock::TimerId id : timers) clock_->Cancel(id);
  if (thread_.joinable()) thread_.join();
}

void Executor::Loop() {
  while (true) {
    std::deque<Task> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      // Take the whole queue at once: one lock round-trip per burst, and order
      // is kept because only this thread pops.
      batch.swap(queue_);
    }
    for (Task& task : batch) task();
  }
}

}  // namespace devloop::runtime
