#include "infra/control/control.h"

#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace devloop::control {

void HubControl::Execute(const Intent& intent, Done done) { done(DoExecute(intent)); }

void HubControl::SetAutoTrigger(domain::Phase phase, bool enabled, Done done) {
  done(DoSetAutoTrigger(phase, enabled));
}

void HubControl::Handle(const domain::Event& event, Done done) { done(DoHandle(event)); }

absl::Status HubControl::DoExecute(const Intent& intent) {
  if (hub_->closed()) return absl::UnavailableError("devloop is shutting down");
  hub_->Append(domain::PhasesReset{intent.build, intent.sync, intent.deploy});
  return absl::OkStatus();
}

absl::Status HubControl::DoSetAutoTrigger(domain::Phase phase, bool enabled) {
  absl::MutexLock lock(&mu_);
  if (hub_->closed()) return absl::UnavailableError("devloop is shutting down");
  // Held while read: the hub may replace its State at any time.
  const std::shared_ptr<const hub::Hub::StateView> view = hub_->State();
  const domain::State& state = view->state;
  bool current = false;
  switch (phase) {
    case domain::Phase::kBuild:
      current = state.build_state.auto_trigger;
      break;
    case domain::Phase::kSync:
      current = state.file_sync_state.auto_trigger;
      break;
    case domain::Phase::kDeploy:
      current = state.deploy_state.auto_trigger;
      break;
  }
  if (current == enabled) {
    std::ostringstream name;
    name << phase;
    return absl::AlreadyExistsError(absl::StrCat("auto ", name.str(), " is already set to ",
                                                 enabled ? "true" : "false"));
  }
  hub_->Append(domain::TriggerChanged{phase, enabled});
  return absl::OkStatus();
}

absl::Status HubControl::DoHandle(const domain::Event& event) {
  if (std::holds_alternative<domain::NoEvent>(event)) {
    return absl::InvalidArgumentError(
        "Event has no event set: give one of metaEvent, buildEvent, deployEvent, portEvent, "
        "statusCheckEvent, resourceStatusCheckEvent, fileSyncEvent, debuggingContainerEvent, "
        "devLoopEvent, terminationEvent, TestEvent");
  }
  if (hub_->closed()) return absl::UnavailableError("devloop is shutting down");
  hub_->Append(domain::LogEntry{options_.now(), event, ""});
  return absl::OkStatus();
}

}  // namespace devloop::control
