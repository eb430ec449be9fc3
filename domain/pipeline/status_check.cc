#include "domain/pipeline/status_check.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace devloop::domain {
namespace {

Classification Waiting(const ResourceObservation& obs) {
  const std::string& r = obs.waiting_reason;
  const std::string detail = obs.waiting_message.empty() ? r : absl::StrCat(r, ": ", obs.waiting_message);
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
  if (r == "PodInitializing") {
    return {ResourceStatus::kPending, "pod is initializing", StatusCode::kStatusCheckPodInitializing};
  }
  return {ResourceStatus::kPending, absl::StrCat("container is waiting (", detail, ")"),
          StatusCode::kStatusCheckContainerWaitingUnknown};
}

ResourceStatusCheckEvent ResourceEvent(const std::string& resource, ResourceStatus status,
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
  return e;
}

}  // namespace

Classification Classify(const ResourceObservation& obs, const StatusCheckOptions& options) {
  if (obs.terminated) {
    return {ResourceStatus::kFailed,
            absl::StrCat("container terminated with exit code ", obs.exit_code,
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
            absl::StrCat("container restarted ", obs.restart_count, " times"),
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
    : order_(std::move(resources)), deadline_(started + options.deadline), options_(options) {
  for (const std::string& r : order_) status_[r] = ResourceStatus::kPending;
}

std::vector<Event> StatusCheck::Start() {
  std::vector<Event> out;
  if (started_) return out;
  started_ = true;
  out.push_back(StatusCheckEvent{.status = std::string(kStatusInProgress)});
  for (const std::string& r : order_) {
    message_[r] = "waiting for status";
    out.push_back(ResourceEvent(r, ResourceStatus::kPending, message_[r], StatusCode::kOk));
  }
  MaybeFinish(&out);
  return out;
}

absl::StatusOr<std::vector<Event>> StatusCheck::Observe(const ResourceObservation& obs,
                                                        absl::Time now) {
  auto it = status_.find(obs.resource);
  if (it == status_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("status check has no resource \"", obs.resource, "\""));
  }
  std::vector<Event> out;
  if (done_ || !started_) return out;
  if (now >= deadline_) return Tick(now);
  if (it->second != ResourceStatus::kPending) return out;  // already final
  Classification c = Classify(obs, options_);
  if (c.status == it->second && c.message == message_[obs.resource]) return out;
  it->second = c.status;
  message_[obs.resource] = c.message;
  out.push_back(ResourceEvent(obs.resource, c.status, c.message, c.code));
  if (c.status == ResourceStatus::kFailed) {
    std::vector<Event> rest =
        FailRest(c.code, absl::StrCat(obs.resource, " failed"), c.message);
    out.insert(out.end(), std::make_move_iterator(rest.begin()),
               std::make_move_iterator(rest.end()));
    return out;
  }
  MaybeFinish(&out);
  return out;
}

std::vector<Event> StatusCheck::Tick(absl::Time now) {
  if (done_ || !started_ || now < deadline_) return {};
  const std::string why = absl::StrCat("deadline of ", absl::FormatDuration(options_.deadline),
                                       " exceeded");
  return FailRest(StatusCode::kStatusCheckDeadlineExceeded, why, why);
}

std::vector<Event> StatusCheck::Cancel(absl::string_view why) {
  if (done_) return {};
  started_ = true;
  return FailRest(StatusCode::kStatusCheckUserCancelled, why, why);
}

std::vector<Event> StatusCheck::FailRest(StatusCode code, absl::string_view why,
                                         absl::string_view message) {
  std::vector<Event> out;
  // Remaining resources end with the code of what stopped the check: the
  // deadline's for a deadline, cancelled for another resource's failure.
  const StatusCode rest_code = code == StatusCode::kStatusCheckDeadlineExceeded
                                   ? code
                                   : StatusCode::kStatusCheckUserCancelled;
  for (const std::string& r : order_) {
    if (status_[r] != ResourceStatus::kPending) continue;
    status_[r] = ResourceStatus::kFailed;
    message_[r] = absl::StrCat("status check stopped: ", why);
    out.push_back(ResourceEvent(r, ResourceStatus::kFailed, message_[r], rest_code));
  }
  done_ = true;
  succeeded_ = false;
  StatusCheckEvent e;
  e.status = std::string(kStatusFailed);
  e.message = std::string(message);
  e.err = std::string(message);
  e.err_code = code;
  e.actionable_err = ActionableErr{code, std::string(message), {}};
  out.push_back(std::move(e));
  return out;
}

void StatusCheck::MaybeFinish(std::vector<Event>* out) {
  for (const auto& [r, s] : status_) {
    if (s != ResourceStatus::kSucceeded) return;
  }
  done_ = true;
  succeeded_ = true;
  out->push_back(StatusCheckEvent{.status = std::string(kStatusSucceeded),
                                  .message = "all resources are ready",
                                  .err_code = StatusCode::kStatusCheckSuccess});
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

}  // namespace devloop::domain
