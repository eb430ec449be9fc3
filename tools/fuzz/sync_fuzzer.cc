// libFuzzer target for sync-rule path mapping: where a changed file lands in the
// container, by the dev loop's planner (domain/pipeline/sync_machine.h), for
// manual and inferred rules.
//
// Input, in "%%"-separated parts: manual rules ("src|dest|strip" per line),
// infer globs (one per line), a Dockerfile (its COPYs and WORKDIR, as
// sync.infer reads them), changed paths (one per line).
//
// Checks: the answer is deterministic; paths outside the context are refused;
// every copy and delete lands under the dest of a manual rule that matches its
// file, or (for a file no manual rule takes) under the dest of one of the
// Dockerfile's COPYs. A file outside it would be written to a container path
// nobody asked for.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "domain/config/config.h"
#include "domain/config/dockerfile.h"
#include "domain/paths/glob.h"
#include "domain/paths/path.h"
#include "domain/pipeline/spec.h"
#include "domain/pipeline/sync_machine.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

using ::devloop::config::DockerCopy;
using ::devloop::config::Sync;
using ::devloop::config::SyncRule;
using ::devloop::domain::CleanPath;
using ::devloop::domain::EscapesRoot;
using ::devloop::domain::GlobMatch;
using ::devloop::domain::IsInside;

void CheckPlanSync(const Sync& sync, const std::vector<std::string>& paths) {
  devloop::domain::ArtifactSpec spec{.image = "app", .infer = sync.infer};
  for (const SyncRule& r : sync.manual) spec.sync.push_back({r.src, r.dest, r.strip});
  for (const DockerCopy& c : sync.inferred_copies) spec.copies.push_back({c.srcs, c.dest});
  std::vector<devloop::domain::FileChange> changes;
  bool outside = false;
  for (size_t i = 0; i < paths.size(); ++i) {
    changes.push_back({paths[i], /*deleted=*/i % 3 == 2});
    const std::string clean = CleanPath(paths[i]);
    outside = outside || clean.front() == '/' || EscapesRoot(clean);
  }
  absl::StatusOr<devloop::domain::SyncDecision> decision =
      devloop::domain::PlanSync(spec, changes);
  FUZZ_CHECK(decision.status() == devloop::domain::PlanSync(spec, changes).status(),
             "PlanSync is not deterministic");
  if (!decision.ok()) {
    FUZZ_CHECK(decision.status().code() == absl::StatusCode::kInvalidArgument,
               decision.status().ToString());
    return;
  }
  FUZZ_CHECK(!outside, "PlanSync accepted a path outside the context");
  if (decision->needs_rebuild) return;
  FUZZ_CHECK(decision->plan.file_count == static_cast<int32_t>(changes.size()),
             "file_count differs from the changes");
  // Every copy lands under the dest of a manual rule that matches its file,
  // or, when none does, under a COPY's dest.
  auto under_a_matching_rule = [&](const std::string& file, const std::string& dest) {
    bool manual = false;
    for (const devloop::domain::SyncRule& r : spec.sync) {
      if (!GlobMatch(CleanPath(r.src), CleanPath(file))) continue;
      manual = true;
      if (IsInside(CleanPath(r.dest.empty() ? "." : r.dest), dest)) return true;
    }
    if (manual) return false;
    for (const devloop::domain::InferredCopy& copy : spec.copies) {
      if (IsInside(CleanPath(copy.dest), dest)) return true;
    }
    return false;
  };
  for (const devloop::domain::CopyOp& op : decision->plan.copies) {
    FUZZ_CHECK(under_a_matching_rule(op.src, op.dest),
               absl::StrCat("copy of \"", op.src, "\" lands at \"", op.dest,
                            "\", outside its rule's dest"));
  }
  size_t deleted = 0;
  for (const auto& c : changes) deleted += c.deleted ? 1 : 0;
  FUZZ_CHECK(decision->plan.deletes.size() >= deleted, "a deleted file was not deleted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts =
      devloop::fuzz::SplitParts(absl::string_view(reinterpret_cast<const char*>(data), size));
  parts.resize(4);
  Sync sync;
  for (const std::string& line : devloop::fuzz::Lines(parts[0])) {
    if (line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits('|', 2));
    f.resize(3);
    sync.manual.push_back(SyncRule{.src = f[0], .dest = f[1], .strip = f[2]});
  }
  for (const std::string& line : devloop::fuzz::Lines(parts[1])) {
    if (!line.empty()) sync.infer.push_back(line);
  }
  if (absl::StatusOr<devloop::config::DockerfileInfo> info =
          devloop::config::ParseDockerfile(parts[2], "");
      info.ok()) {
    sync.inferred_copies = info->copies;
    sync.workdir = info->workdir;
  }
  std::vector<std::string> paths = devloop::fuzz::Lines(parts[3]);
  if (paths.size() > 32) paths.resize(32);

  CheckPlanSync(sync, paths);
  return 0;
}
