// The Clock port: the shell's only source of time and timers.
//
// Everything in the shell that needs "now" or "later" takes a Clock*, so tests can
// run a whole dev loop on simulated time (FakeClock, fake_clock.h) without
// sleeping. The domain never sees a Clock: the shell reads Now() and passes the
// time in as a value.
//
//   Clock* clock = RealClock();
//   absl::Time started = clock->Now();
//   TimerId id = clock->ScheduleAt(started + absl::Milliseconds(20),
//                                  [] { /* quiet period over */ });
//   clock->Cancel(id);  // if the timer is no longer wanted
//
// Implementations are thread-safe.
#ifndef DEVLOOP_INFRA_CLOCK_CLOCK_H_
#define DEVLOOP_INFRA_CLOCK_CLOCK_H_

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace devloop::clock {

// Identifies a scheduled timer. 0 is never a valid id.
using TimerId = uint64_t;

class Clock {
 public:
  virtual ~Clock() = default;

  // Returns the current time.
  virtual absl::Time Now() = 0;

  // Runs `callback` once, at or after `deadline` (at once if it has passed), on a
  // thread of the clock's choosing. Callbacks must be short and must not block:
  // the usual one posts a task to an Executor. Returns the timer's id.
  virtual TimerId ScheduleAt(absl::Time deadline, absl::AnyInvocable<void()> callback) = 0;

  // Cancels the timer `id`. Returns true if the callback will now never run;
  // false if it already ran or is unknown. If the callback is running on another
  // thread, waits for it to return first, so after Cancel() the callback's
  // captures may be destroyed. REQUIRES: not called from inside the callback of
  // the same timer.
  virtual bool Cancel(TimerId id) = 0;
};

// Returns the process's real clock (wall time, timers on one background thread
// started on first use). Never destroyed.
Clock* RealClock();

}  // namespace devloop::clock

#endif  // DEVLOOP_INFRA_CLOCK_CLOCK_H_
