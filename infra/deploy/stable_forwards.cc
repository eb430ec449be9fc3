#include "infra/deploy/stable_forwards.h"

#include "absl/strings/str_cat.h"
#include "infra/control/listen_port.h"
#include "infra/log/log.h"

namespace devloop::deploy {

absl::StatusOr<domain::PortEvent> StableForwards::Point(int index, const PortForwardSpec& spec,
                                                        const portforward::Target& target,
                                                        const std::string& container) {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::CancelledError("the run's port forwards are closed");
  Listening& listening = forwarders_[index];
  std::unique_ptr<portforward::PortForwarder>& fwd = listening.forwarder;
  if (fwd != nullptr) {
    absl::Status s = fwd->SetTarget(target);
    if (!s.ok()) return s;
  } else {
    absl::StatusOr<std::unique_ptr<portforward::PortForwarder>> started =
        portforward::PortForwarder::Start(
            {.bind_address = spec.address, .local_port = spec.local_port}, target);
    if (!started.ok()) {
      forwarders_.erase(index);
      return started.status();
    }
    fwd = *std::move(started);
    listening.spec = spec;
    if (!control::IsLoopbackAddress(fwd->bind_address())) {
      DEVLOOP_LOG(WARNING) << "the port forward to " << spec.resource_name << " listens on "
                           << fwd->bind_address() << ": other machines can reach it";
    }
    if (spec.local_port != 0 && fwd->local_port() != spec.local_port) {
      DEVLOOP_LOG(WARNING) << "port " << spec.local_port << " for " << spec.resource_name
                           << " already in use: using " << fwd->local_port() << " instead";
    }
  }
  domain::PortEvent port;
  port.local_port = fwd->local_port();
  port.remote_port = spec.port;
  port.pod_name = spec.resource_type == "container" ? "" : container;
  port.container_name = container;
  port.namespace_ = spec.namespace_name;
  port.resource_type = spec.resource_type;
  port.resource_name = spec.resource_name;
  port.address = fwd->bind_address();
  return port;
}

void StableForwards::CloseAll() {
  std::map<int, Listening> closing;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    closing.swap(forwarders_);
  }
  // Destroyed outside the lock: each joins its I/O thread.
}

std::map<int, StableForwards::Listening> StableForwards::ReleaseNumbered() {
  std::map<int, Listening> released;
  absl::MutexLock lock(&mu_);
  closed_ = true;
  released.swap(forwarders_);
  return released;
}

std::vector<StableForwards::Listening> StableForwards::Release() {
  std::vector<Listening> out;
  for (auto& [index, listening] : ReleaseNumbered()) out.push_back(std::move(listening));
  return out;
}

bool StableForwards::AdoptAt(int index, Listening listening) {
  {
    absl::MutexLock lock(&mu_);
    if (!closed_ && !forwarders_.contains(index) && listening.forwarder != nullptr) {
      forwarders_[index] = std::move(listening);
      return true;
    }
  }
  return false;  // `listening` closes here, outside the lock
}

void StableForwards::Adopt(std::vector<Listening> listening,
                           const std::vector<PortForwardSpec>& specs) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;  // `listening` closes as it goes
    for (Listening& l : listening) {
      for (size_t i = 0; i < specs.size(); ++i) {
        const int index = static_cast<int>(i);
        if (specs[i] != l.spec || forwarders_.contains(index)) continue;
        forwarders_[index] = std::move(l);
        break;
      }
    }
  }
  // What was not adopted closes here, outside the lock: each forwarder joins
  // its I/O thread.
  listening.clear();
}

}  // namespace devloop::deploy
