#include "infra/runtime/blocking_pool.h"

#include <atomic>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include <condition_variable>
#include <mutex>
#include "gtest/gtest.h"
#include "infra/clock/fake_clock.h"
#include "infra/runtime/executor.h"
#include "infra/runtime/notification.h"

namespace devloop::runtime {
namespace {

TEST(BlockingPoolTest, RunBlockingRunsWorkOffTheExecutorAndDeliversTheResultOnIt) {
  clock::FakeClock clock;
  Executor executor(&clock);
  BlockingPool pool({.threads = 2, .max_queued = 8});
  std::atomic<bool> work_on_executor{true};
  std::atomic<bool> done_on_executor{false};
  Notification finished;
  absl::StatusOr<std::string> got;
  ASSERT_TRUE(RunBlocking<absl::StatusOr<std::string>>(
                  &pool, &executor,
                  [&]() -> absl::StatusOr<std::string> {
                    work_on_executor = executor.IsCurrent();
                    return std::string("sha256:abc");
                  },
                  [&](absl::StatusOr<std::string> result) {
                    done_on_executor = executor.IsCurrent();
                    got = std::move(result);
                    finished.Notify();
                  })
                  .ok());
  finished.Wait();
  EXPECT_FALSE(work_on_executor.load());
  EXPECT_TRUE(done_on_executor.load());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "sha256:abc");
}

TEST(BlockingPoolTest, NeverRunsMoreJobsThanThreads) {
  BlockingPool pool({.threads = 2, .max_queued = 8});
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  Notification release;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.Submit([&] {
                      {
                        std::lock_guard<std::mutex> l(mu);
                        ++started;
                        cv.notify_all();
                      }
                      release.Wait();
                    })
                    .ok());
  }
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return started >= 2; });
    // Both threads are blocked in a job, so the third must still be waiting.
    EXPECT_EQ(started, 2);
  }
  EXPECT_EQ(pool.queued(), 1u);
  release.Notify();
  pool.Shutdown();
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(started, 3);
}

TEST(BlockingPoolTest, RefusesWorkBeyondTheQueueLimitInsteadOfGrowing) {
  BlockingPool pool({.threads = 1, .max_queued = 2});
  Notification running;
  Notification release;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.Submit([&] {
                    running.Notify();
                    release.Wait();
                    ++ran;
                  })
                  .ok());
  running.Wait();  // the thread is busy; the queue is empty
  EXPECT_TRUE(pool.Submit([&] { ++ran; }).ok());
  EXPECT_TRUE(pool.Submit([&] { ++ran; }).ok());
  absl::Status full = pool.Submit([&] { ++ran; });
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_NE(full.message().find("full"), std::string::npos) << full;
  release.Notify();
  pool.Shutdown();  // lets queued jobs finish
  EXPECT_EQ(ran.load(), 3);
  EXPECT_EQ(pool.Submit([] {}).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(BlockingPoolTest, ResultAfterExecutorShutdownIsDroppedNotCrashed) {
  clock::FakeClock clock;
  Executor executor(&clock);
  BlockingPool pool({.threads = 1, .max_queued = 1});
  Notification release;
  std::atomic<bool> done_ran{false};
  ASSERT_TRUE(RunBlocking<int>(
                  &pool, &executor,
                  [&] {
                    release.Wait();
                    return 1;
                  },
                  [&](int) { done_ran = true; })
                  .ok());
  executor.Shutdown();
  release.Notify();
  pool.Shutdown();
  EXPECT_FALSE(done_ran.load());
}

}  // namespace
}  // namespace devloop::runtime
