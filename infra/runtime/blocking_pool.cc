#include "infra/runtime/blocking_pool.h"

#include "absl/strings/str_cat.h"

namespace devloop::runtime {

BlockingPool::BlockingPool(const Options& options) : options_(options) {
  int n = options_.threads < 1 ? 1 : options_.threads;
  threads_.reserve(n);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Worker(); });
}

BlockingPool::~BlockingPool() { Shutdown(); }

absl::Status BlockingPool::Submit(absl::AnyInvocable<void()> job) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    return absl::FailedPreconditionError("blocking pool is shut down; job not run");
  }
  if (jobs_.size() >= options_.max_queued) {
    return absl::ResourceExhaustedError(
        absl::StrCat("blocking pool is full: ", jobs_.size(), " jobs already wait for ",
                     threads_.size(), " threads; job not run"));
  }
  jobs_.push_back(std::move(job));
  wake_.notify_one();
  return absl::OkStatus();
}

size_t BlockingPool::queued() {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

void BlockingPool::Shutdown() {
  std::lock_guard<std::mutex> join_lock(join_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    wake_.notify_all();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void BlockingPool::Worker() {
  while (true) {
    absl::AnyInvocable<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return !jobs_.empty() || stopping_; });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace devloop::runtime
