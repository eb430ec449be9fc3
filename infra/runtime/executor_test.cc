#include "infra/runtime/executor.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/clock/clock.h"
#include "infra/clock/fake_clock.h"
#include "infra/runtime/notification.h"

namespace devloop::runtime {
namespace {

using ::testing::ElementsAre;

// Posts a task and waits until it ran: every task posted earlier has run too.
void Drain(Executor& executor) {
  Notification done;
  ASSERT_TRUE(executor.Post([&] { done.Notify(); }));
  done.Wait();
}

TEST(ExecutorTest, TasksRunOneAtATimeInPostOrderPerProducer) {
  clock::FakeClock clock;
  Executor executor(&clock);
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 2000;
  std::vector<std::vector<int>> seen(kProducers);  // touched only on the executor
  std::atomic<int> running{0};
  std::atomic<int> overlaps{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        executor.Post([&, p, i] {
          if (running.fetch_add(1) != 0) overlaps.fetch_add(1);
          seen[p].push_back(i);
          running.fetch_sub(1);
        });
      }
    });
  }
  for (std::thread& t : producers) t.join();
  Drain(executor);
  EXPECT_EQ(overlaps.load(), 0);
  for (int p = 0; p < kProducers; ++p) {
    ASSERT_EQ(seen[p].size(), static_cast<size_t>(kPerProducer)) << "producer " << p;
    for (int i = 0; i < kPerProducer; ++i) ASSERT_EQ(seen[p][i], i) << "producer " << p;
  }
}

TEST(ExecutorTest, IsCurrentOnlyInsideTasks) {
  clock::FakeClock clock;
  Executor executor(&clock);
  EXPECT_FALSE(executor.IsCurrent());
  std::atomic<bool> inside{false};
  executor.Post([&] { inside = executor.IsCurrent(); });
  Drain(executor);
  EXPECT_TRUE(inside.load());
}

TEST(ExecutorTest, TimerTaskIsQueuedOnlyWhenTheClockReachesItsDeadline) {
  clock::FakeClock clock;
  Executor executor(&clock);
  std::vector<std::string> order;  // touched only on the executor
  executor.PostAfter(absl::Milliseconds(20), [&] { order.push_back("timer"); });
  executor.Post([&] { order.push_back("posted"); });
  Drain(executor);
  clock.AdvanceTime(absl::Milliseconds(19));
  Drain(executor);
  EXPECT_THAT(order, ElementsAre("posted"));
  clock.AdvanceTime(absl::Milliseconds(1));
  Drain(executor);
  EXPECT_THAT(order, ElementsAre("posted", "timer"));
}

TEST(ExecutorTest, CancelledTimerNeverRuns) {
  clock::FakeClock clock;
  Executor executor(&clock);
  std::atomic<bool> ran{false};
  clock::TimerId id = executor.PostAfter(absl::Seconds(1), [&] { ran = true; });
  ASSERT_NE(id, 0u);
  EXPECT_TRUE(executor.CancelTimer(id));
  EXPECT_FALSE(executor.CancelTimer(id));
  clock.AdvanceTime(absl::Seconds(2));
  Drain(executor);
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(clock.PendingTimers(), 0u);
}

TEST(ExecutorTest, FiredTimerCannotBeCancelled) {
  clock::FakeClock clock;
  Executor executor(&clock);
  std::atomic<bool> ran{false};
  clock::TimerId id = executor.PostAfter(absl::Seconds(1), [&] { ran = true; });
  clock.AdvanceTime(absl::Seconds(1));
  EXPECT_FALSE(executor.CancelTimer(id));
  Drain(executor);
  EXPECT_TRUE(ran.load());
}

TEST(ExecutorTest, RealClockTimerRunsOnTheExecutor) {
  Executor executor(clock::RealClock());
  Notification done;
  std::atomic<bool> on_executor{false};
  executor.PostAfter(absl::Milliseconds(1), [&] {
    on_executor = executor.IsCurrent();
    done.Notify();
  });
  done.Wait();
  EXPECT_TRUE(on_executor.load());
}

TEST(ExecutorTest, ShutdownRunsQueuedTasksThenRefusesNewOnesAndDropsTimers) {
  clock::FakeClock clock;
  auto executor = std::make_unique<Executor>(&clock);
  Notification release;
  std::vector<int> ran;  // written on the executor, read after join
  executor->Post([&] { release.Wait(); });
  for (int i = 0; i < 3; ++i) executor->Post([&, i] { ran.push_back(i); });
  executor->PostAfter(absl::Seconds(1), [&] { ran.push_back(99); });
  std::thread stopper([&] { executor->Shutdown(); });
  // Shutdown has begun once posting fails; the queued tasks have not run yet.
  while (executor->Post([] {})) std::this_thread::yield();
  EXPECT_EQ(executor->PostAfter(absl::Seconds(1), [] {}), 0u);
  release.Notify();
  stopper.join();
  EXPECT_THAT(ran, ElementsAre(0, 1, 2));
  EXPECT_EQ(clock.PendingTimers(), 0u);
  clock.AdvanceTime(absl::Seconds(5));
  EXPECT_THAT(ran, ElementsAre(0, 1, 2));
  executor.reset();  // a second Shutdown (from the destructor) is harmless
}

}  // namespace
}  // namespace devloop::runtime
