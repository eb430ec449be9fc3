#include "infra/docker/docker.h"

namespace devloop::docker {

void Cancellation::Cancel() {
  std::function<void()> on_cancel;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    on_cancel = std::move(on_cancel_);
    // Run under the lock so Unregister() cannot return while it runs: the
    // callee's resources stay alive until it finishes.
    if (on_cancel) on_cancel();
  }
}

bool Cancellation::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool Cancellation::Register(std::function<void()> on_cancel) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  on_cancel_ = std::move(on_cancel);
  return true;
}

void Cancellation::Unregister() {
  absl::MutexLock lock(&mu_);
  on_cancel_ = nullptr;
}

std::ostream& operator<<(std::ostream& os, ContainerStatus status) {
  switch (status) {
    case ContainerStatus::kCreated: return os << "created";
    case ContainerStatus::kRunning: return os << "running";
    case ContainerStatus::kPaused: return os << "paused";
    case ContainerStatus::kRestarting: return os << "restarting";
    case ContainerStatus::kRemoving: return os << "removing";
    case ContainerStatus::kExited: return os << "exited";
    case ContainerStatus::kDead: return os << "dead";
    case ContainerStatus::kUnknown: return os << "unknown";
  }
  return os << "ContainerStatus(" << static_cast<int>(status) << ")";
}

}  // namespace devloop::docker
