// Latency of the shell's hand-offs: how long an event waits between being posted
// and running on the dev loop's executor, and a pool round trip.
#include <atomic>

#include "benchmark/benchmark.h"
#include "infra/clock/clock.h"
#include "infra/runtime/blocking_pool.h"
#include "infra/runtime/executor.h"
#include "infra/runtime/notification.h"

namespace devloop::runtime {
namespace {

// Post from another thread, wait until the task ran: one event's hand-off.
void BM_PostRoundTrip(benchmark::State& state) {
  Executor executor(clock::RealClock());
  for (auto _ : state) {
    Notification done;
    executor.Post([&] { done.Notify(); });
    done.Wait();
  }
}
BENCHMARK(BM_PostRoundTrip);

// A burst of posts (a save touching many files), then wait for the last.
void BM_PostBurst(benchmark::State& state) {
  Executor executor(clock::RealClock());
  const int n = state.range(0);
  std::atomic<int> count{0};
  for (auto _ : state) {
    Notification done;
    for (int i = 0; i < n - 1; ++i) executor.Post([&] { count.fetch_add(1); });
    executor.Post([&] { done.Notify(); });
    done.Wait();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_PostBurst)->Arg(1000);

// Executor -> pool -> executor: the path of every blocking effect's result.
void BM_RunBlockingRoundTrip(benchmark::State& state) {
  Executor executor(clock::RealClock());
  BlockingPool pool({.threads = 2, .max_queued = 16});
  for (auto _ : state) {
    Notification done;
    (void)RunBlocking<int>(&pool, &executor, [] { return 1; }, [&](int) { done.Notify(); });
    done.Wait();
  }
}
BENCHMARK(BM_RunBlockingRoundTrip);

// A zero-delay timer through the real clock's thread onto the executor.
void BM_TimerRoundTrip(benchmark::State& state) {
  Executor executor(clock::RealClock());
  for (auto _ : state) {
    Notification done;
    executor.PostAfter(absl::ZeroDuration(), [&] { done.Notify(); });
    done.Wait();
  }
}
BENCHMARK(BM_TimerRoundTrip);

}  // namespace
}  // namespace devloop::runtime

BENCHMARK_MAIN();
