#include "infra/clock/fake_clock.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::clock {
namespace {

using ::testing::ElementsAre;

TEST(FakeClockTest, TimeMovesOnlyWhenAdvanced) {
  FakeClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.AdvanceTime(absl::Milliseconds(250));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100) + absl::Milliseconds(250));
  clock.SetTime(absl::FromUnixSeconds(50));  // never backwards
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100) + absl::Milliseconds(250));
  clock.AdvanceTime(-absl::Seconds(1));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100) + absl::Milliseconds(250));
}

TEST(FakeClockTest, TimersFireWhenDueInDeadlineOrderWithNowAtTheirDeadline) {
  FakeClock clock(absl::FromUnixSeconds(0));
  std::vector<std::pair<int, absl::Time>> fired;
  clock.ScheduleAt(absl::FromUnixSeconds(3), [&] { fired.push_back({3, clock.Now()}); });
  clock.ScheduleAt(absl::FromUnixSeconds(1), [&] { fired.push_back({1, clock.Now()}); });
  clock.ScheduleAt(absl::FromUnixSeconds(2), [&] { fired.push_back({2, clock.Now()}); });
  EXPECT_EQ(clock.PendingTimers(), 3u);
  EXPECT_EQ(clock.NextDeadline(), absl::FromUnixSeconds(1));

  clock.AdvanceTime(absl::Milliseconds(999));
  EXPECT_TRUE(fired.empty());
  clock.AdvanceTime(absl::Milliseconds(1001));  // now = 2s
  EXPECT_THAT(fired, ElementsAre(std::pair{1, absl::FromUnixSeconds(1)},
                                 std::pair{2, absl::FromUnixSeconds(2)}));
  clock.AdvanceTime(absl::Seconds(10));
  EXPECT_EQ(fired.size(), 3u);
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(12));
  EXPECT_EQ(clock.PendingTimers(), 0u);
  EXPECT_EQ(clock.NextDeadline(), absl::InfiniteFuture());
}

TEST(FakeClockTest, CancelledTimerNeverFires) {
  FakeClock clock;
  bool ran = false;
  TimerId id = clock.ScheduleAt(clock.Now() + absl::Seconds(1), [&] { ran = true; });
  EXPECT_TRUE(clock.Cancel(id));
  EXPECT_FALSE(clock.Cancel(id));
  clock.AdvanceTime(absl::Seconds(5));
  EXPECT_FALSE(ran);
}

TEST(FakeClockTest, TimerScheduledByACallbackFiresInTheSameAdvanceIfDue) {
  FakeClock clock(absl::FromUnixSeconds(0));
  std::vector<absl::Time> fired;
  clock.ScheduleAt(absl::FromUnixSeconds(1), [&] {
    fired.push_back(clock.Now());
    clock.ScheduleAt(clock.Now() + absl::Seconds(1), [&] { fired.push_back(clock.Now()); });
  });
  clock.AdvanceTime(absl::Seconds(5));
  EXPECT_THAT(fired, ElementsAre(absl::FromUnixSeconds(1), absl::FromUnixSeconds(2)));
}

TEST(FakeClockTest, DueTimerFiresOnZeroAdvance) {
  FakeClock clock;
  bool ran = false;
  clock.ScheduleAt(clock.Now(), [&] { ran = true; });
  EXPECT_FALSE(ran);  // scheduling never runs a callback inline
  clock.AdvanceTime(absl::ZeroDuration());
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace devloop::clock
