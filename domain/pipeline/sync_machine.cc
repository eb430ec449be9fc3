#include "domain/pipeline/sync_machine.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/paths/glob.h"
#include "domain/paths/path.h"

namespace devloop::domain {

absl::StatusOr<SyncDecision> PlanSync(const ArtifactSpec& artifact,
                                      const std::vector<FileChange>& changes) {
  std::vector<Glob> globs;
  for (const SyncRule& rule : artifact.sync) {
    absl::StatusOr<Glob> glob = Glob::Compile(CleanPath(rule.src));
    if (!glob.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("artifact ", artifact.image,
                                                     ": sync rule src: ", glob.status().message()));
    }
    globs.push_back(*std::move(glob));
  }
  SyncDecision decision;
  for (const FileChange& change : changes) {
    const std::string path = CleanPath(change.path);
    if (EscapesRoot(path) || absl::StartsWith(path, "/")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "artifact ", artifact.image, ": changed file \"", change.path,
          "\" is not inside its context (paths must be relative to the context)"));
    }
    bool matched = false;
    for (size_t i = 0; i < globs.size(); ++i) {
      if (!globs[i].Matches(path)) continue;
      matched = true;
      const SyncRule& rule = artifact.sync[i];
      std::string relative = path;
      const std::string strip = rule.strip.empty() ? "" : CleanPath(rule.strip);
      if (!strip.empty() && strip != "." && IsInside(strip, path) && path != strip) {
        relative = *RelativeTo(strip, path);
      }
      std::string dest = JoinPath(rule.dest.empty() ? "." : rule.dest, relative);
      if (change.deleted) {
        decision.plan.deletes.push_back(std::move(dest));
      } else {
        decision.plan.copies.push_back(CopyOp{path, std::move(dest)});
      }
    }
    if (!matched) {
      return SyncDecision{true,
                          absl::StrCat("\"", path, "\" matches no sync rule of ", artifact.image),
                          {}};
    }
    ++decision.plan.file_count;
  }
  if (changes.empty()) decision.needs_rebuild = false;
  return decision;
}

absl::Status SyncPhase::Start(int32_t file_count) {
  switch (status_) {
    case SyncStatus::kInProgress:
      return absl::FailedPreconditionError("a sync is already in progress");
    case SyncStatus::kNotStarted:
    case SyncStatus::kSucceeded:
    case SyncStatus::kFailed:
      status_ = SyncStatus::kInProgress;
      file_count_ = file_count;
      return absl::OkStatus();
  }
  return absl::InternalError("unknown sync status");
}

absl::Status SyncPhase::Succeed() { return Finish(SyncStatus::kSucceeded); }

absl::Status SyncPhase::Fail() { return Finish(SyncStatus::kFailed); }

absl::Status SyncPhase::Finish(SyncStatus result) {
  if (status_ != SyncStatus::kInProgress) {
    return absl::FailedPreconditionError(
        absl::StrCat("sync result while the sync is ", SyncStatusName(status_)));
  }
  status_ = result;
  return absl::OkStatus();
}

std::string SyncStatusName(SyncStatus s) {
  switch (s) {
    case SyncStatus::kNotStarted:
      return "Not Started";
    case SyncStatus::kInProgress:
      return "In Progress";
    case SyncStatus::kSucceeded:
      return "Succeeded";
    case SyncStatus::kFailed:
      return "Failed";
  }
  return "Unknown";
}

std::ostream& operator<<(std::ostream& os, SyncStatus s) { return os << SyncStatusName(s); }
std::ostream& operator<<(std::ostream& os, const CopyOp& op) {
  return os << "Copy{" << op.src << " -> " << op.dest << "}";
}
std::ostream& operator<<(std::ostream& os, const SyncPlan& plan) {
  os << "SyncPlan{files=" << plan.file_count << " copies=[";
  for (const CopyOp& c : plan.copies) os << c << " ";
  os << "] deletes=[";
  for (const std::string& d : plan.deletes) os << d << " ";
  return os << "]}";
}
std::ostream& operator<<(std::ostream& os, const SyncDecision& d) {
  if (d.needs_rebuild) return os << "Rebuild{" << d.reason << "}";
  return os << d.plan;
}

}  // namespace devloop::domain
