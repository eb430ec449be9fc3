#include "infra/clock/clock.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"

namespace devloop::clock {
namespace {

// Wall time, and timers run by one background thread in deadline order. One
// thread is enough: callbacks only post work elsewhere. std::mutex rather than
// absl::Mutex: Debian's Abseil is not built with TSan, so TSan could not see
// absl::Mutex's synchronization; the standard one it intercepts.
class RealClockImpl final : public Clock {
 public:
  RealClockImpl() : thread_([this] { Loop(); }) {}


  absl::Time Now() override { return absl::Now(); }

  TimerId ScheduleAt(absl::Time deadline, absl::AnyInvocable<void()> callback) override {
    std::lock_guard<std::mutex> lock(mu_);
    TimerId id = ++last_id_;
    timers_.emplace(std::make_pair(deadline, id), std::move(callback));
    deadlines_.emplace(id, deadline);
    // Wakes the timer thread: the new timer may be the earliest.
    changed_.notify_one();
    return id;
  }

  bool Cancel(TimerId id) override {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = deadlines_.find(id);
    if (it != deadlines_.end()) {
      timers_.erase(std::make_pair(it->second, id));
      deadlines_.erase(it);
      return true;
    }
    // Already fired or never existed; if it is firing right now on the timer
    // thread, wait so the caller may free what the callback uses.
    if (id != 0 && std::this_thread::get_id() != thread_.get_id()) {
      fired_.wait(lock, [this, id] { return running_ != id; });
    }
    return false;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      if (timers_.empty()) {
        changed_.wait(lock);
        continue;
      }
      absl::Time next = timers_.begin()->first.first;
      absl::Duration wait = next - absl::Now();
      if (wait > absl::ZeroDuration()) {
        // Wakes early when a timer is added (it may be earlier than `next`).
        changed_.wait_for(lock, absl::ToChronoNanoseconds(wait));
        continue;
      }
      auto node = timers_.extract(timers_.begin());
      TimerId id = node.key().second;
      deadlines_.erase(id);
      running_ = id;
      lock.unlock();
      node.mapped()();
      lock.lock();
      running_ = 0;
      fired_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable changed_;  // a timer was added
  std::condition_variable fired_;    // a callback returned
  TimerId last_id_ ABSL_GUARDED_BY(mu_) = 0;
  TimerId running_ ABSL_GUARDED_BY(mu_) = 0;
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
