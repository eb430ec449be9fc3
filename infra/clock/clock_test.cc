#include "infra/clock/clock.h"

#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::clock {
namespace {

using ::testing::ElementsAre;

TEST(RealClockTest, NowMovesForward) {
  absl::Time a = RealClock()->Now();
  absl::Time b = RealClock()->Now();
  EXPECT_LE(a, b);
}

TEST(RealClockTest, TimersFireInDeadlineOrderNotScheduleOrder) {
  Clock* clock = RealClock();
  absl::Mutex mu;
  std::vector<int> fired;
  absl::Notification last;
  absl::Time now = clock->Now();
  clock->ScheduleAt(now + absl::Milliseconds(30), [&] {
    absl::MutexLock l(&mu);
    fired.push_back(3);
    last.Notify();
  });
  clock->ScheduleAt(now + absl::Milliseconds(10), [&] {
    absl::MutexLock l(&mu);
    fired.push_back(2);
  });
  clock->ScheduleAt(now - absl::Seconds(1), [&] {  // already due: fires at once
    absl::MutexLock l(&mu);
    fired.push_back(1);
  });
  last.WaitForNotification();
  absl::MutexLock l(&mu);
  EXPECT_THAT(fired, ElementsAre(1, 2, 3));
}

TEST(RealClockTest, CancelledTimerNeverFires) {
  Clock* clock = RealClock();
  absl::Notification cancelled_ran;
  absl::Notification sentinel;
  absl::Time now = clock->Now();
  TimerId id = clock->ScheduleAt(now + absl::Milliseconds(5), [&] { cancelled_ran.Notify(); });
  clock->ScheduleAt(now + absl::Milliseconds(15), [&] { sentinel.Notify(); });
  EXPECT_TRUE(clock->Cancel(id));
  sentinel.WaitForNotification();
  // Timers fire in deadline order, so the cancelled one would have run by now.
  EXPECT_FALSE(cancelled_ran.HasBeenNotified());
  EXPECT_FALSE(clock->Cancel(id));
}

TEST(RealClockTest, CancelAfterFiringReturnsFalse) {
  Clock* clock = RealClock();
  absl::Notification done;
  TimerId id = clock->ScheduleAt(clock->Now(), [&] { done.Notify(); });
  done.WaitForNotification();
  EXPECT_FALSE(clock->Cancel(id));
  EXPECT_FALSE(clock->Cancel(0));
}

TEST(RealClockTest, EarlierTimerAddedWhileWaitingFiresFirst) {
  Clock* clock = RealClock();
  absl::Notification far_fired;
  absl::Notification near_fired;
  absl::Time now = clock->Now();
  TimerId far = clock->ScheduleAt(now + absl::Hours(1), [&] { far_fired.Notify(); });
  clock->ScheduleAt(now + absl::Milliseconds(1), [&] { near_fired.Notify(); });
  // Would hang for an hour if the timer thread kept sleeping to the first deadline.
  near_fired.WaitForNotification();
  EXPECT_FALSE(far_fired.HasBeenNotified());
  EXPECT_TRUE(clock->Cancel(far));
}

}  // namespace
}  // namespace devloop::clock
