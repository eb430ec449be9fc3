// libFuzzer target for sync-rule path mapping: where a changed file lands in the
// container, by the dev loop's planner (domain/pipeline/sync_machine.h, manual
// rules) and by the config's SyncDestination (domain/config/sync.h, manual and
// inferred rules).
//
// Input, in "%%"-separated parts: manual rules ("src|dest|strip" per line),
// infer globs (one per line), a Dockerfile (its COPYs and WORKDIR, as
// sync.infer reads them), changed paths (one per line).
//
// Checks, for every changed path inside the context: the answer is
// deterministic, and a file never lands outside the destination of the rule that
// took it (a manual rule's dest, resolved against WORKDIR; for inferred rules,
// the matching COPY's dest). A file outside it would be written to a container
// path nobody asked for. PlanSync must also refuse paths outside the context
// and plan a copy (or delete) per matching rule.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "domain/config/config.h"
#include "domain/config/dockerfile.h"
#include "domain/config/sync.h"
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
using ::devloop::domain::ResolvePath;

// The directory a manual rule's files must stay in.
std::string RuleRoot(const Sync& sync, const SyncRule& rule) {
  const std::string dest = CleanPath(rule.dest);
  return sync.workdir.empty() ? dest : ResolvePath(sync.workdir, dest);
}

void CheckPlanSync(const Sync& sync, const std::vector<std::string>& paths) {
  devloop::domain::ArtifactSpec spec{.image = "app"};
  for (const SyncRule& r : sync.manual) spec.sync.push_back({r.src, r.dest, r.strip});
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
  // Every copy and delete lands under the dest of a rule that matches its file.
  auto under_a_matching_rule = [&](const std::string& file, const std::string& dest) {
    for (const devloop::domain::SyncRule& r : spec.sync) {
      if (!GlobMatch(CleanPath(r.src), CleanPath(file))) continue;
      if (IsInside(CleanPath(r.dest.empty() ? "." : r.dest), dest)) return true;
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
  for (const std::string& path : paths) {
    const std::optional<std::string> dest = devloop::config::SyncDestination(sync, path);
    FUZZ_CHECK(dest == devloop::config::SyncDestination(sync, path), "not deterministic");
    const std::string clean = CleanPath(path);
    // Only files in the context change: the watcher never reports others.
    if (!dest || clean == "." || clean.front() == '/' || EscapesRoot(clean)) continue;

    // Which rule took the file decides where it may go.
    const SyncRule* manual = nullptr;
    for (const SyncRule& rule : sync.manual) {
      if (GlobMatch(CleanPath(rule.src), clean)) {
        manual = &rule;
        break;
      }
    }
    if (manual != nullptr) {
      const std::string root = RuleRoot(sync, *manual);
      FUZZ_CHECK(IsInside(root, *dest),
                 absl::StrCat("\"", path, "\" (rule src \"", manual->src, "\" dest \"",
                              manual->dest, "\" strip \"", manual->strip,
                              "\") lands at \"", *dest, "\", outside \"", root, "\""));
      continue;
    }
    bool inside_a_copy = false;
    for (const DockerCopy& copy : sync.inferred_copies) {
      if (IsInside(CleanPath(copy.dest), *dest)) inside_a_copy = true;
    }
    FUZZ_CHECK(inside_a_copy, absl::StrCat("inferred \"", path, "\" lands at \"", *dest,
                                           "\", outside every COPY destination"));
  }
  return 0;
}
