#include "domain/pipeline/status_check.h"

#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace devloop::domain {
namespace {

Classification Waiting(const ResourceObservation& obs) {
  const std::string& r = obs.waiting_reason;
  const std::string detail =
      obs.waiting_message.empty() ? r : absl::StrCat(r, ": ", obs.waiting_message);
  if (r == "ErrImagePull" || r == "ImagePullBackOff" || r == "InvalidImageName") {
    return {ResourceStatus::kFailed, absl::StrCat("container cannot pull its image (", detail, ")"),
            StatusCode::kStatusCheckImagePullErr};
  }
  if (r == "CrashLoopBackOff") {
    return {ResourceStatus::kFailed, absl::StrCat("container is crash-looping (", detail, ")"),
            StatusCode::kStatusCheckContainerRestarting};
  }
  if (r == "CreateContainerConfigError" || r == "CreateContainerError" ||
      r == "RunContainerError") {
    return {ResourceStatus::kFailed, absl::StrCat("container cannot run (", detail, ")"),
            StatusCode::kStatusCheckRunContainerErr};
  }
  if (r == "ContainerCreating") {
    return {ResourceStatus::kPending, "creating container",
            StatusCode::kStatusCheckContainerCreating};
  }
  // The three below are not container states: the kubectl adapter reports a
  // pod the scheduler refused, a failing readiness probe (from the pod's
  // events) and a Deployment's Progressing condition through the same field.
  if (r == "Unschedulable") {
    // Pending: the cluster may still gain room (an autoscaler, a deleted pod).
    return {ResourceStatus::kPending, absl::StrCat("pod cannot be scheduled (", detail, ")"),
            StatusCode::kStatusCheckUnknownUnschedulable};
  }
  if (r == "Unhealthy") {
    // Pending: a probe may pass after a slow start; the deadline ends the wait.
    return {ResourceStatus::kPending, absl::StrCat("readiness probe failing (", detail, ")"),
            StatusCode::kStatusCheckUnhealthy};
  }
  if (r == "ProgressDeadlineExceeded") {
    // Kubernetes itself gave up waiting for the rollout.
    return {ResourceStatus::kFailed,
            absl::StrCat("rollout exceeded its progress deadline (", detail, ")"),
            StatusCode::kStatusCheckDeadlineExceeded};
  }
  if (r == "PodInitializing") {
    return {ResourceStatus::kPending, "pod is initializing",
            StatusCode::kStatusCheckPodInitializing};
  }
  return {ResourceStatus::kPending, absl::StrCat("container is waiting (", detail, ")"),
          StatusCode::kStatusCheckContainerWaitingUnknown};
}

// A resource's event with its log line.
CheckEvent ResourceEvent(const std::string& resource, ResourceStatus status,
                         const std::string& message, StatusCode code) {
  ResourceStatusCheckEvent e;
  e.resource = resource;
  e.status = ResourceStatusName(status);
  e.message = message;
  e.status_code = code;
  if (status == ResourceStatus::kFailed) {
    e.err = message;
    e.actionable_err = ActionableErr{code, message, {}};
  }
  std::string entry = absl::StrCat("Resource ", resource, " status updated to ", e.status,
                                   message.empty() ? "" : absl::StrCat(": ", message));
  return CheckEvent{std::move(e), std::move(entry)};
}

// "...; last log lines:\n  a\n  b", or "" without lines.
std::string LogTail(const std::vector<std::string>& lines) {
  if (lines.empty()) return "";
  std::string out = "; last log lines:";
  for (const std::string& line : lines) absl::StrAppend(&out, "\n  ", line);
  return out;
}

}  // namespace

Classification Classify(const ResourceObservation& obs, const StatusCheckOptions& options) {
  if (obs.terminated) {
    return {
        ResourceStatus::kFailed,
        absl::StrCat(
            "container terminated with exit code ", obs.exit_code,
            obs.terminated_reason.empty() ? "" : absl::StrCat(" (", obs.terminated_reason, ")")),
        StatusCode::kStatusCheckContainerTerminated};
  }
  if (!obs.waiting_reason.empty()) {
    Classification c = Waiting(obs);
    if (c.status == ResourceStatus::kFailed) return c;
    if (obs.restart_count < options.max_restarts) return c;
  }
  if (obs.restart_count >= options.max_restarts) {
    return {ResourceStatus::kFailed,
            absl::StrCat(
                "container restarted ", obs.restart_count, " times",
                obs.exit_code == 0 ? "" : absl::StrCat(" (last exit code ", obs.exit_code, ")")),
            StatusCode::kStatusCheckContainerRestarting};
  }
  switch (obs.health) {
    case Health::kUnhealthy:
      return {ResourceStatus::kFailed, "container is unhealthy", StatusCode::kStatusCheckUnhealthy};
    case Health::kStarting:
      return {ResourceStatus::kPending, "waiting for the healthcheck to pass",
              StatusCode::kStatusCheckDeploymentRolloutPending};
    case Health::kNone:
    case Health::kHealthy:
      break;
  }
  if (obs.desired_replicas > 0 && obs.ready_replicas >= obs.desired_replicas) {
    return {ResourceStatus::kSucceeded, "ready", StatusCode::kStatusCheckSuccess};
  }
  return {ResourceStatus::kPending,
          absl::StrCat("waiting for rollout: ", obs.ready_replicas, " of ", obs.desired_replicas,
                       " replicas ready"),
          StatusCode::kStatusCheckDeploymentRolloutPending};
}

StatusCheck::StatusCheck(std::vector<std::string> resources, absl::Time started,
                         StatusCheckOptions options)
    : deadline_(started + options.deadline), options_(options) {
  for (std::string& r : resources) {
    if (resources_.count(r) > 0) continue;
    resources_[r] = Resource{};
    order_.push_back(std::move(r));
  }
}

std::vector<CheckEvent> StatusCheck::Start() {
  std::vector<CheckEvent> out;
  if (started_) return out;
  started_ = true;
  out.push_back(
      {StatusCheckEvent{.status = std::string(kStatusInProgress)}, "Status check started"});
  for (const std::string& name : order_) {
    Resource& r = resources_[name];
    r.message = "waiting for status";
    r.reported = true;
    out.push_back(ResourceEvent(name, r.status, r.message, StatusCode::kOk));
  }
  MaybeFinish(&out);
  return out;
}

Classification StatusCheck::Judge(Resource& r, const ResourceObservation& obs,
                                  absl::Time now) const {
  Classification c = Classify(obs, options_);
  const bool restarted = r.ready_since.has_value() && obs.restart_count > r.restarts_when_ready;
  if (c.status == ResourceStatus::kFailed || restarted) {
    if (c.status != ResourceStatus::kFailed) {
      c = {ResourceStatus::kFailed,
           absl::StrCat("container restarted (", obs.restart_count, " restarts",
                        obs.exit_code == 0 ? "" : absl::StrCat(", last exit code ", obs.exit_code),
                        ")"),
           StatusCode::kStatusCheckContainerRestarting};
    }
    if (r.ready_since.has_value()) {
      absl::StrAppend(&c.message, " ", absl::FormatDuration(now - *r.ready_since),
                      " after it became ready");
    }
    absl::StrAppend(&c.message, LogTail(obs.last_log_lines));
    return c;
  }
  if (c.status == ResourceStatus::kPending) {
    r.ready_since.reset();  // not continuously ready: the window starts again
    return c;
  }
  if (!r.ready_since.has_value()) {
    r.ready_since = now;
    r.window = obs.min_ready > absl::ZeroDuration() ? obs.min_ready : options_.stability_window;
    r.restarts_when_ready = obs.restart_count;
  }
  if (now - *r.ready_since >= r.window) return c;
  return {
      ResourceStatus::kPending,
      absl::StrCat("ready; waiting ", absl::FormatDuration(r.window), " to see that it stays up"),
      StatusCode::kStatusCheckDeploymentRolloutPending};
}

absl::StatusOr<std::vector<CheckEvent>> StatusCheck::Observe(const ResourceObservation& obs,
                                                             absl::Time now) {
  auto it = resources_.find(obs.resource);
  if (it == resources_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("status check has no resource \"", obs.resource, "\""));
  }
  std::vector<CheckEvent> out;
  if (done_ || !started_) return out;
  if (now >= deadline_) return Tick(now);
  Resource& r = it->second;
  if (r.status != ResourceStatus::kPending) return out;  // already final
  Classification c = Judge(r, obs, now);
  // One event per change of status (the contract): a pending resource whose
  // reason changes ("creating container" -> "ready; waiting 1s ...") says so
  // only in the State's message, not in another Pending event.
  const bool changed = !r.reported || c.status != r.status;
  r.reported = true;
  r.status = c.status;
  r.message = c.message;
  if (!changed) return out;
  out.push_back(ResourceEvent(obs.resource, c.status, c.message, c.code));
  if (c.status == ResourceStatus::kFailed) {
    std::vector<CheckEvent> rest =
        FailRest(c.code, absl::StrCat(obs.resource, " failed"), c.message);
    out.insert(out.end(), std::make_move_iterator(rest.begin()),
               std::make_move_iterator(rest.end()));
    return out;
  }
  MaybeFinish(&out);
  return out;
}

std::vector<CheckEvent> StatusCheck::Tick(absl::Time now) {
  if (done_ || !started_ || now < deadline_) return {};
  const std::string why =
      absl::StrCat("deadline of ", absl::FormatDuration(options_.deadline), " exceeded");
  return FailRest(StatusCode::kStatusCheckDeadlineExceeded, why, why);
}

std::vector<CheckEvent> StatusCheck::Cancel(absl::string_view why) {
  if (done_) return {};
  started_ = true;
  return FailRest(StatusCode::kStatusCheckUserCancelled, why, why);
}

ResourceStatus StatusCheck::status(const std::string& resource) const {
  auto it = resources_.find(resource);
  return it == resources_.end() ? ResourceStatus::kFailed : it->second.status;
}

std::string StatusCheck::message(const std::string& resource) const {
  auto it = resources_.find(resource);
  return it == resources_.end() ? "" : it->second.message;
}

std::vector<CheckEvent> StatusCheck::FailRest(StatusCode code, absl::string_view why,
                                              absl::string_view message) {
  std::vector<CheckEvent> out;
  // Remaining resources end with the code of what stopped the check: the
  // deadline's for a deadline, cancelled for another resource's failure.
  const StatusCode rest_code = code == StatusCode::kStatusCheckDeadlineExceeded
                                   ? code
                                   : StatusCode::kStatusCheckUserCancelled;
  for (const std::string& name : order_) {
    Resource& r = resources_[name];
    if (r.status != ResourceStatus::kPending) continue;
    r.status = ResourceStatus::kFailed;
    // What it was waiting on says why it never got ready ("pod cannot be
    // scheduled (...)"), as Skaffold's deadline message does.
    const std::string last = r.message;
    r.message = absl::StrCat("status check stopped: ", why,
                             last.empty() || code != StatusCode::kStatusCheckDeadlineExceeded
                                 ? ""
                                 : absl::StrCat("; it was ", last));
    out.push_back(ResourceEvent(name, r.status, r.message, rest_code));
  }
  done_ = true;
  failure_ = ActionableErr{code, std::string(message), {}};
  StatusCheckEvent e;
  e.status = std::string(kStatusFailed);
  e.message = std::string(message);
  e.err = std::string(message);
  e.err_code = code;
  e.actionable_err = failure_;
  out.push_back({std::move(e), "Status check failed"});
  return out;
}

void StatusCheck::MaybeFinish(std::vector<CheckEvent>* out) {
  for (const auto& [name, r] : resources_) {
    if (r.status != ResourceStatus::kSucceeded) return;
  }
  done_ = true;
  out->push_back({StatusCheckEvent{.status = std::string(kStatusSucceeded),
                                   .message = "all resources are ready",
                                   .err_code = StatusCode::kStatusCheckSuccess},
                  "Status check succeeded"});
}

std::string ResourceStatusName(ResourceStatus s) {
  switch (s) {
    case ResourceStatus::kPending:
      return std::string(kStatusPending);
    case ResourceStatus::kSucceeded:
      return std::string(kStatusSucceeded);
    case ResourceStatus::kFailed:
      return std::string(kStatusFailed);
  }
  return "Unknown";
}

std::ostream& operator<<(std::ostream& os, ResourceStatus s) { return os << ResourceStatusName(s); }
std::ostream& operator<<(std::ostream& os, const Classification& c) {
  return os << "{" << c.status << " \"" << c.message << "\" " << c.code << "}";
}
std::ostream& operator<<(std::ostream& os, Health h) {
  switch (h) {
    case Health::kNone:
      return os << "none";
    case Health::kStarting:
      return os << "starting";
    case Health::kHealthy:
      return os << "healthy";
    case Health::kUnhealthy:
      return os << "unhealthy";
  }
  return os << "Health(" << static_cast<int>(h) << ")";
}
std::ostream& operator<<(std::ostream& os, const ResourceObservation& o) {
  os << "{" << o.resource << " " << o.ready_replicas << "/" << o.desired_replicas << " ready";
  if (!o.waiting_reason.empty() || !o.waiting_message.empty()) {
    os << " waiting " << o.waiting_reason << " \"" << o.waiting_message << "\"";
  }
  if (o.terminated) os << " terminated " << o.terminated_reason;
  if (o.exit_code != 0) os << " exit " << o.exit_code;
  if (o.restart_count != 0) os << " restarts " << o.restart_count;
  if (o.health != Health::kNone) os << " health " << o.health;
  if (o.min_ready != absl::ZeroDuration()) os << " min_ready " << o.min_ready;
  if (!o.last_log_lines.empty()) os << " " << o.last_log_lines.size() << " log lines";
  return os << "}";
}
std::ostream& operator<<(std::ostream& os, const CheckEvent& e) {
  return os << "{" << e.event << " \"" << e.entry << "\"}";
}

}  // namespace devloop::domain
