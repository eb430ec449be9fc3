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
      return absl::InvalidArgumentError(
          absl::StrCat("artifact ", artifact.image, ": sync rule src: ", glob.status().message()));
    }
    globs.push_back(*std::move(glob));
  }
  SyncDecision decision;
  std::string unmatched;  // the first file no rule matches: the change needs a rebuild
  for (const FileChange& change : changes) {
    const std::string path = CleanPath(change.path);
    // Every path is checked, also after one that forces a rebuild: bad input
    // is an error whatever the route.
    if (EscapesRoot(path) || absl::StartsWith(path, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("artifact ", artifact.image, ": changed file \"", change.path,
                       "\" is not inside its context (paths must be relative to the context)"));
    }
    if (!unmatched.empty()) continue;
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
      unmatched = path;
      continue;
    }
    ++decision.plan.file_count;
  }
  if (!unmatched.empty()) {
    return SyncDecision{
        true, absl::StrCat("\"", unmatched, "\" matches no sync rule of ", artifact.image), {}};
  }
  return decision;
}

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
