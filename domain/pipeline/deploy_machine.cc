#include "domain/pipeline/deploy_machine.h"

#include "absl/strings/str_cat.h"

namespace devloop::domain {

absl::StatusOr<int64_t> DeployMachine::Start(const ImageTags& images, bool build_running) {
  if (build_running) {
    return absl::FailedPreconditionError("cannot deploy while a build of the iteration runs");
  }
  for (const auto& [image, tag] : images) {
    if (tag.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot deploy: artifact ", image, " has no completed build"));
    }
  }
  switch (status_) {
    case DeployStatus::kInProgress:
      return absl::FailedPreconditionError(
          absl::StrCat("deployment ", current_id_, " is still in progress"));
    case DeployStatus::kNotStarted:
    case DeployStatus::kComplete:
    case DeployStatus::kFailed:
      break;
  }
  status_ = DeployStatus::kInProgress;
  current_id_ = next_id_++;
  current_images_ = images;
  error_code_ = StatusCode::kOk;
  return current_id_;
}

absl::Status DeployMachine::RequireRunning(int64_t id, absl::string_view what) const {
  if (status_ != DeployStatus::kInProgress || id != current_id_) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " for deployment ", id, " but ",
        status_ == DeployStatus::kInProgress ? absl::StrCat("deployment ", current_id_, " runs")
                                             : std::string("no deployment runs")));
  }
  return absl::OkStatus();
}

absl::Status DeployMachine::Complete(int64_t id) {
  if (absl::Status s = RequireRunning(id, "deploy result"); !s.ok()) return s;
  status_ = DeployStatus::kComplete;
  live_id_ = current_id_;
  live_images_ = current_images_;
  failed_images_.clear();
  return absl::OkStatus();
}

absl::Status DeployMachine::Fail(int64_t id, StatusCode code) {
  if (absl::Status s = RequireRunning(id, "deploy failure"); !s.ok()) return s;
  status_ = DeployStatus::kFailed;
  failed_images_ = current_images_;
  error_code_ = code == StatusCode::kOk ? StatusCode::kDeployUnknown : code;
  return absl::OkStatus();
}

void DeployMachine::Reset() {
  if (status_ != DeployStatus::kInProgress) status_ = DeployStatus::kNotStarted;
}

bool DeployMachine::Due(const ImageTags& newest) const {
  if (newest.empty()) return false;
  for (const auto& [image, tag] : newest) {
    if (tag.empty()) return false;
  }
  return newest != live_images_ && newest != failed_images_;
}

std::string DeployStatusName(DeployStatus s) {
  switch (s) {
    case DeployStatus::kNotStarted:
      return std::string(kStatusNotStarted);
    case DeployStatus::kInProgress:
      return std::string(kStatusInProgress);
    case DeployStatus::kComplete:
      return std::string(kStatusComplete);
    case DeployStatus::kFailed:
      return std::string(kStatusFailed);
  }
  return "Unknown";
}

std::ostream& operator<<(std::ostream& os, DeployStatus s) { return os << DeployStatusName(s); }

}  // namespace devloop::domain
