// FakeClock: a Clock whose time moves only when a test says so.
//
// Timers fire synchronously, in deadline order, inside AdvanceTime()/SetTime(),
// on the calling thread; so a test controls exactly when each timer callback
// runs and a whole quiet-period/deadline scenario runs without sleeping.
//
//   FakeClock clock(absl::FromUnixSeconds(1000));
//   bool fired = false;
//   clock.ScheduleAt(clock.Now() + absl::Milliseconds(20), [&] { fired = true; });
//   clock.AdvanceTime(absl::Milliseconds(19));  // fired == false
//   clock.AdvanceTime(absl::Milliseconds(1));   // fired == true
//
// Thread-safe: Now() and ScheduleAt() may be called from any thread, also from
// inside a timer callback (a timer may schedule another).
#ifndef DEVLOOP_INFRA_CLOCK_FAKE_CLOCK_H_
#define DEVLOOP_INFRA_CLOCK_FAKE_CLOCK_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "infra/clock/clock.h"

namespace devloop::clock {

class FakeClock final : public Clock {
 public:
  // Starts at `start` (an arbitrary fixed time by default, so tests are stable).
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000));

  absl::Time Now() override;
  TimerId ScheduleAt(absl::Time deadline, absl::AnyInvocable<void()> callback) override;
  bool Cancel(TimerId id) override;

  // Moves time forward by `d` (>= 0), firing every timer due by then in deadline
  // order, each with Now() equal to its deadline while it runs. Timers scheduled
  // by a callback fire in the same call if they fall due.
  void AdvanceTime(absl::Duration d);

  // Moves time to `t`; like AdvanceTime(t - Now()). Time never moves backwards.
  void SetTime(absl::Time t);

  // Returns how many timers are scheduled and not yet fired or cancelled.
  size_t PendingTimers();

  // Returns the earliest pending deadline, or absl::InfiniteFuture() if none.
  absl::Time NextDeadline();

 private:
  std::mutex mu_;  // std, not absl: visible to TSan (see clock.cc)
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  TimerId last_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<absl::Time, TimerId>, absl::AnyInvocable<void()>> timers_ ABSL_GUARDED_BY(mu_);
  std::map<TimerId, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace devloop::clock

#endif  // DEVLOOP_INFRA_CLOCK_FAKE_CLOCK_H_
