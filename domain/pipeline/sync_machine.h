// Decides whether changed files can be synced into the running container, and
// which copies and deletes that takes: the one place that maps a changed file
// to its container paths, by skaffold.yaml's sync rules, as Skaffold does.
//
//   - Manual rules (sync.manual): a file goes to the dest of every rule whose
//     src glob matches it, with its whole directory hierarchy below the
//     context, less a leading `strip` of whole directories. A relative dest is
//     left relative: the syncer resolves it against the container's working
//     directory (its WORKDIR).
//   - Inferred rules (sync.infer), for files no manual rule takes: a file that
//     matches an infer glob goes wherever the Dockerfile's COPY/ADD put it
//     (every such place). A deleted inferred file, or one no COPY takes,
//     needs a rebuild.
//
// A change set is syncable only if every file can be synced; otherwise the
// artifact must be rebuilt (a partial sync would leave the container out of
// step with the sources).
//
//   DEVLOOP_ASSIGN_OR_RETURN(SyncDecision d, PlanSync(spec, changes));
//   if (d.needs_rebuild) ... else Run(d.plan.copies, d.plan.deletes);
//
// Value types and functions: thread-compatible.
#ifndef DEVLOOP_DOMAIN_PIPELINE_SYNC_MACHINE_H_
#define DEVLOOP_DOMAIN_PIPELINE_SYNC_MACHINE_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/pipeline/spec.h"

namespace devloop::domain {

struct CopyOp {
  std::string src;   // relative to the artifact's context
  std::string dest;  // in the container; relative to its working directory unless rooted
  bool operator==(const CopyOp&) const = default;
};

struct SyncPlan {
  std::vector<CopyOp> copies;
  std::vector<std::string> deletes;  // container paths
  int32_t file_count = 0;            // changed files covered (a FileSyncEvent's fileCount)
  // The deleted files themselves, relative to the context (sync hooks name them).
  std::vector<std::string> deleted;
  bool operator==(const SyncPlan&) const = default;
};

struct SyncDecision {
  bool needs_rebuild = false;
  std::string reason;  // when needs_rebuild: which file matched no rule
  SyncPlan plan;       // when !needs_rebuild
  bool operator==(const SyncDecision&) const = default;
};

// Returns the decision for `changes` of `artifact`; InvalidArgument (naming the
// artifact and rule) for a malformed `src` or infer glob, or a changed path that climbs
// out of the context ("../x") or is absolute, wherever it is in `changes`.
absl::StatusOr<SyncDecision> PlanSync(const ArtifactSpec& artifact,
                                      const std::vector<FileChange>& changes);

std::ostream& operator<<(std::ostream& os, const CopyOp& op);
std::ostream& operator<<(std::ostream& os, const SyncPlan& plan);
std::ostream& operator<<(std::ostream& os, const SyncDecision& d);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_SYNC_MACHINE_H_
