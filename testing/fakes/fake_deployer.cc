#include "testing/fakes/fake_deployer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "domain/events/status_payload.h"

namespace devloop::testing {
namespace {

std::string ShortName(const std::string& image) {
  std::string name = image.substr(image.rfind('/') == std::string::npos ? 0 : image.rfind('/') + 1);
  return name.substr(0, name.find_first_of(":@"));
}

bool Names(const deploy::PortForwardSpec& f, const std::string& image) {
  return f.resource_name == image || f.resource_name == ShortName(image);
}

}  // namespace

void FakeDeployer::FailNext(const std::string& method, absl::Status error) {
  absl::MutexLock lock(&mu_);
  next_[method] = std::move(error);
}

void FakeDeployer::FailAlways(const std::string& method, absl::Status error) {
  absl::MutexLock lock(&mu_);
  always_[method] = std::move(error);
}

void FakeDeployer::Heal(const std::string& method) {
  absl::MutexLock lock(&mu_);
  always_.erase(method);
  next_.erase(method);
}

absl::Status FakeDeployer::Fault(const std::string& method) {
  ++calls_[method];
  if (auto it = always_.find(method); it != always_.end()) return it->second;
  if (auto it = next_.find(method); it != next_.end()) {
    absl::Status s = it->second;
    next_.erase(it);
    return s;
  }
  return absl::OkStatus();
}

const FakeDeployer::Workload* FakeDeployer::Live(const std::string& image) const {
  const Workload* found = nullptr;
  for (const auto& [id, workloads] : deployments_) {
    for (const Workload& w : workloads) {
      if (w.image == image) found = &w;  // the newest deployment wins
    }
  }
  return found;
}

void FakeDeployer::Exit(const std::string& image, int exit_code, std::vector<std::string> lines) {
  absl::MutexLock lock(&mu_);
  for (auto& [id, workloads] : deployments_) {
    for (Workload& w : workloads) {
      if (w.image != image) continue;
      w.exited = true;
      w.exit_code = exit_code;
      for (std::string& line : lines) w.log.push_back(std::move(line));
    }
  }
}

std::set<int64_t> FakeDeployer::live() const {
  absl::MutexLock lock(&mu_);
  std::set<int64_t> ids;
  for (const auto& [id, workloads] : deployments_) {
    if (!workloads.empty()) ids.insert(id);
  }
  return ids;
}

std::string FakeDeployer::running(const std::string& image) const {
  absl::MutexLock lock(&mu_);
  const Workload* w = Live(image);
  return w == nullptr ? "" : w->ref;
}

std::string FakeDeployer::synced(const std::string& image, const std::string& dest) const {
  absl::MutexLock lock(&mu_);
  const Workload* w = Live(image);
  if (w == nullptr) return "";
  auto it = w->files.find(dest);
  return it == w->files.end() ? "" : it->second;
}

int FakeDeployer::calls(const std::string& method) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

bool FakeDeployer::cleaned_up() const {
  absl::MutexLock lock(&mu_);
  return cleaned_up_;
}

absl::StatusOr<std::vector<std::string>> FakeDeployer::Deploy(int64_t deploy_id,
                                                              const domain::ImageTags& images) {
  std::vector<std::pair<std::string, std::string>> started;  // source, line
  std::vector<std::string> resources;
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = Fault("Deploy"); !s.ok()) {
      return domain::AttachedStatusCode(s).has_value()
                 ? s
                 : domain::WithStatusCode(s, domain::StatusCode::kDeployClusterConnectionErr);
    }
    if (cleaned_up_) {
      return domain::WithStatusCode(absl::CancelledError("the run is being cleaned up"),
                                    domain::StatusCode::kDeployCancelled);
    }
    std::vector<Workload>& now = deployments_[deploy_id];
    for (const auto& [image, ref] : images) {
      now.push_back({.image = image, .ref = ref});
      resources.push_back(absl::StrCat("container/", ShortName(image)));
      started.emplace_back(ShortName(image), absl::StrCat("started ", ref));
    }
  }
  for (const auto& [source, line] : started) {
    if (options_.on_log) options_.on_log({.name = source}, line);
  }
  return resources;
}

absl::StatusOr<std::vector<domain::ResourceObservation>> FakeDeployer::Observe(
    int64_t deploy_id) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Fault("Observe"); !s.ok()) return s;
  std::vector<domain::ResourceObservation> out;
  auto it = deployments_.find(deploy_id);
  if (it == deployments_.end()) return out;
  for (const Workload& w : it->second) {
    domain::ResourceObservation obs;
    obs.resource = absl::StrCat("container/", ShortName(w.image));
    if (w.exited) {
      obs.terminated = true;
      obs.exit_code = w.exit_code;
      obs.terminated_reason = w.exit_code == 0 ? "Completed" : "Error";
      obs.last_log_lines = w.log;
    } else {
      obs.ready_replicas = 1;
    }
    out.push_back(std::move(obs));
  }
  return out;
}

std::vector<domain::PortEvent> FakeDeployer::ForwardPorts(int64_t deploy_id) {
  absl::MutexLock lock(&mu_);
  ++calls_["ForwardPorts"];
  std::vector<domain::PortEvent> events;
  auto it = deployments_.find(deploy_id);
  if (it == deployments_.end() || cleaned_up_) return events;
  for (size_t i = 0; i < options_.port_forwards.size(); ++i) {
    const deploy::PortForwardSpec& f = options_.port_forwards[i];
    for (const Workload& w : it->second) {
      if (!Names(f, w.image)) continue;
      auto [port, added] = local_ports_.emplace(
          static_cast<int>(i), f.local_port != 0 ? f.local_port : 50000 + static_cast<int>(i));
      domain::PortEvent e;
      e.local_port = port->second;
      e.remote_port = f.port;
      e.container_name = ShortName(w.image);
      e.resource_type = f.resource_type;
      e.resource_name = f.resource_name;
      e.address = f.address;
      events.push_back(std::move(e));
    }
  }
  return events;
}

absl::Status FakeDeployer::Stop(int64_t deploy_id) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Fault("Stop"); !s.ok()) return s;
  deployments_.erase(deploy_id);
  return absl::OkStatus();
}

absl::Status FakeDeployer::Cleanup(bool remove) {
  absl::MutexLock lock(&mu_);
  cleaned_up_ = true;
  local_ports_.clear();
  if (absl::Status s = Fault("Cleanup"); !s.ok()) return s;
  if (remove) deployments_.clear();
  return absl::OkStatus();
}

absl::Status FakeDeployer::Sync(int64_t deploy_id, const std::string& image,
                                const deploy::SyncRequest& request) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Fault("Sync"); !s.ok()) return s;
  auto it = deployments_.find(deploy_id);
  Workload* target = nullptr;
  if (it != deployments_.end()) {
    for (Workload& w : it->second) {
      if (w.image == image && !w.exited) target = &w;
    }
  }
  if (target == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("no running container for ", image));
  }
  for (const deploy::SyncRequest::Copy& c : request.copies) target->files[c.dest] = c.host_path;
  for (const std::string& d : request.deletes) target->files.erase(d);
  return absl::OkStatus();
}

}  // namespace devloop::testing
