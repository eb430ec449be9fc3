#include "infra/clock/clock.h"

#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace devloop::clock {
namespace {

// Wall time, and timers run by one background thread in deadline order. One
// thread is enough: callbacks only post work elsewhere.
class RealClockImpl final : public Clock {
 public:
  RealClockImpl() : thread_([this] { Loop(); }) {}


  absl::Time Now() override { return absl::Now(); }

  TimerId ScheduleAt(absl::Time deadline, absl::AnyInvocable<void()> callback) override {
    absl::MutexLock lock(&mu_);
    TimerId id = ++last_id_;
    timers_.emplace(std::make_pair(deadline, id), std::move(callback));
    deadlines_.emplace(id, deadline);
    return id;
  }

  bool Cancel(TimerId id) override {
    absl::MutexLock lock(&mu_);
    auto it = deadlines_.find(id);
    if (it != deadlines_.end()) {
      timers_.erase(std::make_pair(it->second, id));
      deadlines_.erase(it);
      return true;
    }
    // Already fired or never existed; if it is firing right now on the timer
    // thread, wait so the caller may free what the callback uses.
    if (id != 0 && std::this_thread::get_id() != thread_.get_id()) {
      auto done = [this, id]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return running_ != id; };
      mu_.Await(absl::Condition(&done));
    }
    return false;
  }

 private:
  void Loop() {
    absl::MutexLock lock(&mu_);
    while (true) {
      if (timers_.empty()) {
        mu_.Await(absl::Condition(this, &RealClockImpl::HasTimers));
        continue;
      }
      absl::Time next = timers_.begin()->first.first;
      if (absl::Now() < next) {
        // Wakes early when an earlier timer is added.
        earliest_seen_ = next;
        mu_.AwaitWithDeadline(absl::Condition(this, &RealClockImpl::EarlierTimerAdded), next);
        continue;
      }
      auto node = timers_.extract(timers_.begin());
      TimerId id = node.key().second;
      deadlines_.erase(id);
      running_ = id;
      mu_.Unlock();
      node.mapped()();
      mu_.Lock();
      running_ = 0;
    }
  }

  bool HasTimers() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !timers_.empty(); }
  bool EarlierTimerAdded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !timers_.empty() && timers_.begin()->first.first < earliest_seen_;
  }

  absl::Mutex mu_;
  TimerId last_id_ ABSL_GUARDED_BY(mu_) = 0;
  TimerId running_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time earliest_seen_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<absl::Time, TimerId>, absl::AnyInvocable<void()>> timers_ ABSL_GUARDED_BY(mu_);
  std::map<TimerId, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace

Clock* RealClock() {
  static Clock* const clock = new RealClockImpl();
  return clock;
}

}  // namespace devloop::clock
