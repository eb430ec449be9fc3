#include "domain/pipeline/sync_machine.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/base/status_macros.h"
#include "domain/paths/glob.h"
#include "domain/paths/path.h"

namespace devloop::domain {

namespace {

// Compiles each glob of `srcs` (cleaned first, so "./src/*.js" and "static/"
// match as written); InvalidArgument naming the artifact and `what`.
absl::StatusOr<std::vector<Glob>> CompileAll(const std::vector<std::string>& srcs,
                                             const std::string& image, absl::string_view what) {
  std::vector<Glob> globs;
  for (const std::string& src : srcs) {
    absl::StatusOr<Glob> glob = Glob::Compile(CleanPath(src));
    if (!glob.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("artifact ", image, ": ", what, ": ", glob.status().message()));
    }
    globs.push_back(*std::move(glob));
  }
  return globs;
}

// Where a manual rule puts `path`: under `dest` with its whole directory
// hierarchy below the context, less the leading `strip` (whole directories
// only: strip "a" leaves "a.." alone).
std::string ManualDestination(const SyncRule& rule, const std::string& path) {
  std::string relative = path;
  const std::string strip = rule.strip.empty() ? "" : CleanPath(rule.strip);
  if (!strip.empty() && strip != "." && IsInside(strip, path) && path != strip) {
    relative = *RelativeTo(strip, path);
  }
  return JoinPath(rule.dest.empty() ? "." : rule.dest, relative);
}

// Where `copy` puts `path` in the image, as Docker copies: the whole context
// (".") and a directory keep the path below them; a file goes to a directory
// dest ("/srv/") by its name or is the dest itself; a glob's files go into the
// dest directory by name, and a directory it matches lands there with its
// contents. nullopt when the copy does not take `path`.
std::optional<std::string> CopyDestination(const InferredCopy& copy, const std::string& path) {
  const bool into_dir = absl::EndsWith(copy.dest, "/") || copy.srcs.size() > 1;
  for (const std::string& raw : copy.srcs) {
    const std::string src = CleanPath(raw);
    if (src == ".") return JoinPath(copy.dest, path);
    if (HasGlobMeta(src)) {
      if (GlobMatch(src, path)) return JoinPath(copy.dest, BaseName(path));
      // A directory the glob matches: what is below it lands in dest.
      for (size_t slash = path.find('/'); slash != std::string::npos;
           slash = path.find('/', slash + 1)) {
        if (GlobMatch(src, path.substr(0, slash))) {
          return JoinPath(copy.dest, path.substr(slash + 1));
        }
      }
      continue;
    }
    if (path == src) return into_dir ? JoinPath(copy.dest, BaseName(path)) : CleanPath(copy.dest);
    if (IsInside(src, path)) return JoinPath(copy.dest, *RelativeTo(src, path));
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<SyncDecision> PlanSync(const ArtifactSpec& artifact,
                                      const std::vector<FileChange>& changes) {
  std::vector<std::string> manual_srcs;
  for (const SyncRule& rule : artifact.sync) manual_srcs.push_back(rule.src);
  DEVLOOP_ASSIGN_OR_RETURN(std::vector<Glob> manual,
                           CompileAll(manual_srcs, artifact.image, "sync rule src"));
  DEVLOOP_ASSIGN_OR_RETURN(std::vector<Glob> infer,
                           CompileAll(artifact.infer, artifact.image, "sync.infer"));
  SyncDecision decision;
  std::string why;  // the first file that needs a rebuild, and why
  for (const FileChange& change : changes) {
    const std::string path = CleanPath(change.path);
    // Every path is checked, also after one that forces a rebuild: bad input
    // is an error whatever the route.
    if (EscapesRoot(path) || absl::StartsWith(path, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("artifact ", artifact.image, ": changed file \"", change.path,
                       "\" is not inside its context (paths must be relative to the context)"));
    }
    if (!why.empty()) continue;
    // Manual rules: the file goes to the dest of every rule it matches.
    std::vector<std::string> dests;
    for (size_t i = 0; i < manual.size(); ++i) {
      if (manual[i].Matches(path)) dests.push_back(ManualDestination(artifact.sync[i], path));
    }
    // Inferred rules, for a file no manual rule takes: wherever the
    // Dockerfile copies it. Only saved files: a deletion rebuilds, since the
    // image may hold what the deleted file hid.
    if (dests.empty()) {
      bool inferred = false;
      for (const Glob& glob : infer) inferred = inferred || glob.Matches(path);
      if (inferred && change.deleted) {
        why = absl::StrCat("\"", path, "\" was deleted, and sync.infer syncs only saved files");
        continue;
      }
      if (inferred) {
        for (const InferredCopy& copy : artifact.copies) {
          if (std::optional<std::string> dest = CopyDestination(copy, path)) {
            dests.push_back(*std::move(dest));
          }
        }
        if (dests.empty()) {
          why = absl::StrCat("\"", path, "\" matches sync.infer of ", artifact.image,
                             " but no COPY or ADD of its Dockerfile takes it");
          continue;
        }
      }
    }
    if (dests.empty()) {
      why = absl::StrCat("\"", path, "\" matches no sync rule of ", artifact.image);
      continue;
    }
    if (change.deleted) decision.plan.deleted.push_back(path);
    for (std::string& dest : dests) {
      if (change.deleted) {
        decision.plan.deletes.push_back(std::move(dest));
      } else {
        decision.plan.copies.push_back(CopyOp{path, std::move(dest)});
      }
    }
    ++decision.plan.file_count;
  }
  if (!why.empty()) return SyncDecision{true, std::move(why), {}};
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
  os << "] deleted=[";
  for (const std::string& d : plan.deleted) os << d << " ";
  return os << "]}";
}
std::ostream& operator<<(std::ostream& os, const SyncDecision& d) {
  if (d.needs_rebuild) return os << "Rebuild{" << d.reason << "}";
  return os << d.plan;
}

}  // namespace devloop::domain
