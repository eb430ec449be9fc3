// A bounded pool of threads for blocking work (processes, Docker calls, file
// copies), whose results go back to the dev loop's Executor as tasks.
//
// The executor must never block, so an effect like "build this image" runs here
// and its outcome is posted back as an event. The pool is bounded twice: a fixed
// number of threads, and a queue limit past which Submit() refuses work with
// ResourceExhausted (the caller turns that into a failure event) instead of
// growing without bound.
//
//   BlockingPool pool({.threads = 4, .max_queued = 64});
//   absl::Status s = RunBlocking<absl::StatusOr<Image>>(
//       &pool, &executor,
//       [&] { return docker->Build(request); },                   // on the pool
//       [&](absl::StatusOr<Image> image) { loop.OnBuilt(image); }  // on the executor
//   );
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_RUNTIME_BLOCKING_POOL_H_
#define DEVLOOP_INFRA_RUNTIME_BLOCKING_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "infra/runtime/executor.h"
#include "infra/runtime/runner.h"

namespace devloop::runtime {

class BlockingPool final : public JobRunner {
 public:
  struct Options {
    int threads = 4;          // >= 1; at most this many jobs block at once
    size_t max_queued = 256;  // jobs waiting for a thread before Submit refuses
  };

  explicit BlockingPool(const Options& options);

  // Shuts down (see Shutdown()).
  ~BlockingPool() override;

  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues `job` to run on a pool thread. Returns ResourceExhausted when
  // max_queued jobs are already waiting, FailedPrecondition after Shutdown().
  absl::Status Submit(absl::AnyInvocable<void()> job) override;

  // Returns how many jobs are waiting for a thread (not counting running ones).
  size_t queued();

  // Stops accepting jobs, lets the queued and running ones finish, and joins the
  // threads. Idempotent. REQUIRES: not called from a pool job.
  void Shutdown();

 private:
  void Worker();

  const Options options_;
  std::mutex mu_;  // std, not absl: visible to TSan (see executor.h)
  std::condition_variable wake_;
  std::deque<absl::AnyInvocable<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
  std::mutex join_mu_;
};

// Runs `work` on `pool` and then `done(result)` on `executor`, so blocking work
// never runs on the executor and its result arrives there in order with other
// events. If the pool refuses the job, returns its error and runs nothing (the
// caller reports the failure). If the executor has shut down by the time `work`
// finishes, `done` is dropped. `work` returns T; `done` takes T by value.
template <typename T, typename Work, typename Done>
absl::Status RunBlocking(JobRunner* pool, TaskRunner* executor, Work work, Done done) {
  return pool->Submit([executor, work = std::move(work), done = std::move(done)]() mutable {
    T result = work();
    executor->Post([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
}

}  // namespace devloop::runtime

#endif  // DEVLOOP_INFRA_RUNTIME_BLOCKING_POOL_H_
