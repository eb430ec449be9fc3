#include "infra/clock/fake_clock.h"

#include <utility>

namespace devloop::clock {

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

TimerId FakeClock::ScheduleAt(absl::Time deadline, absl::AnyInvocable<void()> callback) {
  std::lock_guard<std::mutex> lock(mu_);
  TimerId id = ++last_id_;
  timers_.emplace(std::make_pair(deadline, id), std::move(callback));
  deadlines_.emplace(id, deadline);
  return id;
}

bool FakeClock::Cancel(TimerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return false;
  timers_.erase(std::make_pair(it->second, id));
  deadlines_.erase(it);
  return true;
}

void FakeClock::AdvanceTime(absl::Duration d) {
  absl::Time target;
  {
    std::lock_guard<std::mutex> lock(mu_);
    target = d > absl::ZeroDuration() ? now_ + d : now_;
  }
  SetTime(target);
}

void FakeClock::SetTime(absl::Time t) {
  while (true) {
    absl::AnyInvocable<void()> callback;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (timers_.empty() || timers_.begin()->first.first > t) {
        if (t > now_) now_ = t;
        return;
      }
      auto node = timers_.extract(timers_.begin());
      deadlines_.erase(node.key().second);
      if (node.key().first > now_) now_ = node.key().first;
      callback = std::move(node.mapped());
    }
    // Outside the lock: the callback may call Now() or schedule more timers.
    callback();
  }
}

size_t FakeClock::PendingTimers() {
  std::lock_guard<std::mutex> lock(mu_);
  return timers_.size();
}

absl::Time FakeClock::NextDeadline() {
  std::lock_guard<std::mutex> lock(mu_);
  return timers_.empty() ? absl::InfiniteFuture() : timers_.begin()->first.first;
}

}  // namespace devloop::clock
