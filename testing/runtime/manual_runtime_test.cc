#include "testing/runtime/manual_runtime.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/runtime/blocking_pool.h"

namespace devloop::testing {
namespace {

using ::testing::ElementsAre;

TEST(ManualRuntimeTest, JobsWaitForRunUntilIdleAndPostTheirResultsAsTasks) {
  clock::FakeClock clock;
  ManualRuntime rt(&clock);
  std::vector<std::string> order;
  ASSERT_TRUE(runtime::RunBlocking<int>(
                  &rt, &rt, [&] { order.push_back("job"); return 7; },
                  [&](int v) { order.push_back("done " + std::to_string(v)); })
                  .ok());
  rt.Post([&] { order.push_back("task"); });
  EXPECT_EQ(rt.RunTasks(), 1);
  EXPECT_THAT(order, ElementsAre("task"));
  EXPECT_EQ(rt.queued_jobs(), 1u);
  rt.RunUntilIdle();
  EXPECT_THAT(order, ElementsAre("task", "job", "done 7"));
}

TEST(ManualRuntimeTest, TimersQueueTheirTaskWhenTheClockReachesThem) {
  clock::FakeClock clock;
  ManualRuntime rt(&clock);
  int fired = 0;
  rt.PostAfter(absl::Milliseconds(500), [&] { ++fired; });
  clock::TimerId cancelled = rt.PostAfter(absl::Milliseconds(100), [&] { fired += 100; });
  EXPECT_TRUE(rt.CancelTimer(cancelled));
  rt.AdvanceAndRun(absl::Milliseconds(499));
  EXPECT_EQ(fired, 0);
  rt.AdvanceAndRun(absl::Milliseconds(1));
  EXPECT_EQ(fired, 1);
}

TEST(ManualRuntimeTest, IsCurrentOnlyInsideATask) {
  clock::FakeClock clock;
  ManualRuntime rt(&clock);
  bool inside = false;
  rt.Post([&] { inside = rt.IsCurrent(); });
  EXPECT_FALSE(rt.IsCurrent());
  rt.RunTasks();
  EXPECT_TRUE(inside);
}

TEST(ManualRuntimeTest, RefusedJobsAreNotQueued) {
  clock::FakeClock clock;
  ManualRuntime rt(&clock);
  rt.RefuseJobs(true);
  EXPECT_EQ(rt.Submit([] {}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(rt.queued_jobs(), 0u);
}

}  // namespace
}  // namespace devloop::testing
