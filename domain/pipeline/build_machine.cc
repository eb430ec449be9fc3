#include "domain/pipeline/build_machine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace devloop::domain {

absl::Status ArtifactBuild::RequireInProgress(absl::string_view what) const {
  if (status_ == BuildStatus::kInProgress) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(what, " for artifact ", image_,
                                                    " while its build is ",
                                                    BuildStatusName(status_)));
}

absl::Status ArtifactBuild::Start() {
  switch (status_) {
    case BuildStatus::kInProgress:
      return absl::FailedPreconditionError(
          absl::StrCat("artifact ", image_, " is already building"));
    case BuildStatus::kNotStarted:
    case BuildStatus::kComplete:
    case BuildStatus::kFailed:
      status_ = BuildStatus::kInProgress;
      dirty_ = false;
      error_code_ = StatusCode::kOk;
      error_message_.clear();
      return absl::OkStatus();
  }
  return absl::InternalError("unknown build status");
}

absl::Status ArtifactBuild::Complete(std::string tag) {
  if (absl::Status s = RequireInProgress("build result"); !s.ok()) return s;
  status_ = BuildStatus::kComplete;
  tag_ = std::move(tag);
  stale_ = false;
  return absl::OkStatus();
}

absl::Status ArtifactBuild::Fail(StatusCode code, std::string message) {
  if (absl::Status s = RequireInProgress("build failure"); !s.ok()) return s;
  status_ = BuildStatus::kFailed;
  stale_ = true;
  error_code_ = code == StatusCode::kOk ? StatusCode::kBuildUnknown : code;
  error_message_ = std::move(message);
  return absl::OkStatus();
}

absl::Status ArtifactBuild::Cancel() {
  if (absl::Status s = RequireInProgress("build cancel"); !s.ok()) return s;
  return Fail(StatusCode::kBuildCancelled, "build cancelled");
}

void ArtifactBuild::Reset() {
  if (status_ != BuildStatus::kInProgress) status_ = BuildStatus::kNotStarted;
}

absl::StatusOr<BuildGraph> BuildGraph::Make(const std::vector<ArtifactSpec>& artifacts) {
  BuildGraph g;
  std::vector<std::string> declared;
  for (const ArtifactSpec& a : artifacts) {
    if (g.required_.count(a.image) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("artifact ", a.image, " is declared twice"));
    }
    g.required_[a.image] = a.required;
    declared.push_back(a.image);
  }
  for (const ArtifactSpec& a : artifacts) {
    for (const std::string& r : a.required) {
      if (g.required_.count(r) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("artifact ", a.image, " requires unknown artifact ", r));
      }
    }
  }
  // Kahn's algorithm, taking ready artifacts in declaration order.
  std::set<std::string> placed;
  while (g.order_.size() < declared.size()) {
    bool progressed = false;
    for (const std::string& image : declared) {
      if (placed.count(image) > 0) continue;
      const auto& reqs = g.required_[image];
      if (std::all_of(reqs.begin(), reqs.end(),
                      [&](const std::string& r) { return placed.count(r) > 0; })) {
        g.order_.push_back(image);
        placed.insert(image);
        progressed = true;
      }
    }
    if (!progressed) {
      std::vector<std::string> rest;
      for (const std::string& image : declared) {
        if (placed.count(image) == 0) rest.push_back(image);
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "artifacts require each other in a cycle: ", absl::StrJoin(rest, ", ")));
    }
  }
  return g;
}

std::set<std::string> BuildGraph::WithDependents(const std::set<std::string>& images) const {
  std::set<std::string> out = images;
  // order_ has dependencies first, so one pass reaches every transitive dependent.
  for (const std::string& image : order_) {
    for (const std::string& r : required_.at(image)) {
      if (out.count(r) > 0) out.insert(image);
    }
  }
  return out;
}

std::vector<std::string> BuildGraph::Ready(const std::set<std::string>& batch,
                                           const std::set<std::string>& done) const {
  std::vector<std::string> out;
  for (const std::string& image : order_) {
    if (batch.count(image) == 0 || done.count(image) > 0) continue;
    const auto& reqs = required_.at(image);
    if (std::all_of(reqs.begin(), reqs.end(), [&](const std::string& r) {
          return batch.count(r) == 0 || done.count(r) > 0;
        })) {
      out.push_back(image);
    }
  }
  return out;
}

const std::vector<std::string>& BuildGraph::Requirements(const std::string& image) const {
  static const std::vector<std::string>* const kNone = new std::vector<std::string>();
  auto it = required_.find(image);
  return it == required_.end() ? *kNone : it->second;
}

std::string BuildStatusName(BuildStatus s) {
  switch (s) {
    case BuildStatus::kNotStarted:
      return std::string(kStatusNotStarted);
    case BuildStatus::kInProgress:
      return std::string(kStatusInProgress);
    case BuildStatus::kComplete:
      return std::string(kStatusComplete);
    case BuildStatus::kFailed:
      return std::string(kStatusFailed);
  }
  return "Unknown";
}

std::ostream& operator<<(std::ostream& os, BuildStatus s) { return os << BuildStatusName(s); }

}  // namespace devloop::domain
