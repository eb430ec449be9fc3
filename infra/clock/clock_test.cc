#include "infra/clock/clock.h"

#include <mutex>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/runtime/notification.h"

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
  std::mutex mu;
  std::vector<int> fired;
  runtime::Notification last;
  absl::Time now = clock->Now();
  clock->ScheduleAt(now + absl::Milliseconds(30), [&] {
    std::lock_guard<std::mutex> l(mu);
    fired.push_back(3);
    last.Notify();
  });
  clock->ScheduleAt(now + absl::Milliseconds(10), [&] {
    std::lock_guard<std::mutex> l(mu);
    fired.push_back(2);
  });
  clock->ScheduleAt(now - absl::Seconds(1), [&] {  // already due: fires at once
    std::lock_guard<std::mutex> l(mu);
    fired.push_back(1);
  });
  last.Wait();
  std::lock_guard<std::mutex> l(mu);
  EXPECT_THAT(fired, ElementsAre(1, 2, 3));
}

TEST(RealClockTest, CancelledTimerNeverFires) {
  Clock* clock = RealClock();
  runtime::Notification cancelled_ran;
  runtime::Notification sentinel;
  absl::Time now = clock->Now();
  TimerId id = clock->ScheduleAt(now + absl::Milliseconds(5), [&] { cancelled_ran.Notify(); });
  clock->ScheduleAt(now + absl::Milliseconds(15), [&] { sentinel.Notify(); });
  EXPECT_TRUE(clock->Cancel(id));
  sentinel.Wait();
  // Timers fire in deadline order, so the cancelled one would have run by now.
  EXPECT_FALSE(cancelled_ran.HasBeenNotified());
  EXPECT_FALSE(clock->Cancel(id));
}

TEST(RealClockTest, CancelAfterFiringReturnsFalse) {
  Clock* clock = RealClock();
  runtime::Notification done;
  TimerId id = clock->ScheduleAt(clock->Now(), [&] { done.Notify(); });
  done.Wait();
  EXPECT_FALSE(clock->Cancel(id));
  EXPECT_FALSE(clock->Cancel(0));
}

TEST(RealClockTest, EarlierTimerAddedWhileWaitingFiresFirst) {
  Clock* clock = RealClock();
  runtime::Notification far_fired;
  runtime::Notification near_fired;
  absl::Time now = clock->Now();
  TimerId far = clock->ScheduleAt(now + absl::Hours(1), [&] { far_fired.Notify(); });
  clock->ScheduleAt(now + absl::Milliseconds(1), [&] { near_fired.Notify(); });
  // Would hang for an hour if the timer thread kept sleeping to the first deadline.
  near_fired.Wait();
  EXPECT_FALSE(far_fired.HasBeenNotified());
  EXPECT_TRUE(clock->Cancel(far));
}

}  // namespace
}  // namespace devloop::clock
