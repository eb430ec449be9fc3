// A one-shot event a thread can wait for: "the task ran", "the build finished".
//
// Like absl::Notification, but built on std::mutex/std::condition_variable so
// ThreadSanitizer sees the happens-before edge (Debian's Abseil is not built with
// TSan, so absl's own synchronization is invisible to it).
//
//   Notification done;
//   executor.Post([&] { ...; done.Notify(); });
//   done.Wait();
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_RUNTIME_NOTIFICATION_H_
#define DEVLOOP_INFRA_RUNTIME_NOTIFICATION_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/time/time.h"

namespace devloop::runtime {

class Notification {
 public:
  // Marks the event as happened and wakes every waiter. Idempotent.
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }

  bool HasBeenNotified() const {
    std::lock_guard<std::mutex> lock(mu_);
    return notified_;
  }

  // Blocks until Notify() has been called.
  void Wait() const {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return notified_; });
  }

  // Blocks until Notify() or until `timeout` passed; returns whether notified.
  bool WaitFor(absl::Duration timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return notified_; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool notified_ = false;
};

}  // namespace devloop::runtime

#endif  // DEVLOOP_INFRA_RUNTIME_NOTIFICATION_H_
