#include "domain/config/sync.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/paths/glob.h"
#include "domain/paths/path.h"

namespace devloop::config {
namespace {

using ::devloop::domain::BaseName;
using ::devloop::domain::CleanPath;
using ::devloop::domain::EscapesRoot;
using ::devloop::domain::GlobMatch;
using ::devloop::domain::HasGlobMeta;
using ::devloop::domain::IsInside;
using ::devloop::domain::JoinPath;
using ::devloop::domain::ResolvePath;

// Whether the cleaned `path` matches `glob` as Skaffold matches a sync rule's
// src: cleaned first, so "./src/*.js" and "static/" work.
bool MatchesRule(absl::string_view glob, const std::string& path) {
  return GlobMatch(CleanPath(glob), path);
}

std::string WithWorkdir(const std::string& workdir, const std::string& dest) {
  if (workdir.empty()) return dest;
  return ResolvePath(workdir, dest);  // an absolute dest ignores WORKDIR
}

// Where a COPY puts `path`, or nullopt when the COPY does not take it.
std::optional<std::string> CopyDestination(const DockerCopy& copy, const std::string& path) {
  const bool dir_dest = absl::EndsWith(copy.dest, "/");
  for (const std::string& raw_src : copy.srcs) {
    const std::string src = CleanPath(raw_src);
    if (src == ".") return JoinPath(copy.dest, path);  // the whole context
    if (HasGlobMeta(src)) {
      if (GlobMatch(src, path)) return JoinPath(copy.dest, BaseName(path));
      continue;
    }
    if (path == src) return dir_dest ? JoinPath(copy.dest, BaseName(path)) : CleanPath(copy.dest);
    if (absl::StartsWith(path, src + "/")) {
      // A directory source: its contents land under dest.
      return JoinPath(copy.dest, path.substr(src.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> SyncDestination(const Sync& sync, absl::string_view raw_path) {
  const std::string path = CleanPath(raw_path);
  for (const SyncRule& rule : sync.manual) {
    if (!MatchesRule(rule.src, path)) continue;
    // `strip` removes whole leading directories, as PlanSync does. Cutting it
    // off mid-name would let "a.." under strip "a" land at dest/.. (outside dest).
    std::string rest = path;
    const std::string strip = rule.strip.empty() ? "" : CleanPath(rule.strip);
    if (!strip.empty() && strip != "." && path != strip && IsInside(strip, path)) {
      rest = path.substr(strip.size() + 1);
    }
    return WithWorkdir(sync.workdir, JoinPath(rule.dest, rest));
  }
  for (const std::string& glob : sync.infer) {
    if (!MatchesRule(glob, path)) continue;
    for (const DockerCopy& copy : sync.inferred_copies) {
      if (std::optional<std::string> dest = CopyDestination(copy, path)) return dest;
    }
  }
  return std::nullopt;
}

bool StaysInContext(absl::string_view src) {
  return !absl::StartsWith(src, "/") && !EscapesRoot(src);
}

}  // namespace devloop::config
