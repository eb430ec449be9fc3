#include "infra/fs/change_mapper.h"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/paths/path.h"
#include "infra/fs/dockerignore_file.h"

namespace devloop::fs {
namespace {

// A glob naming a directory ("src") covers everything below it, as Skaffold's
// dependency lists and ignore lists are written.
bool MatchesPathOrParent(const std::vector<domain::Glob>& globs, absl::string_view rel) {
  for (const domain::Glob& g : globs) {
    absl::string_view p = rel;
    while (true) {
      if (g.Matches(p)) return true;
      size_t slash = p.rfind('/');
      if (slash == absl::string_view::npos) break;
      p = p.substr(0, slash);
    }
  }
  return false;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const ChangeSet& changes) {
  os << "ChangeSet{paths=[" << absl::StrJoin(changes.paths, ", ") << "], artifacts={";
  bool first = true;
  for (const auto& [name, paths] : changes.artifacts) {
    os << (first ? "" : ", ") << name << ": [" << absl::StrJoin(paths, ", ") << "]";
    first = false;
  }
  os << "}";
  if (changes.config_changed) os << ", config_changed";
  if (changes.rescanned) os << ", rescanned";
  return os << "}";
}

absl::StatusOr<ChangeMapper> ChangeMapper::Create(const WatchOptions& options) {
  ChangeMapper mapper;
  if (!options.config_file.empty()) mapper.config_file_ = domain::CleanPath(options.config_file);
  for (const WatchedArtifact& a : options.artifacts) {
    Artifact artifact;
    artifact.name = a.name;
    artifact.context = domain::CleanPath(a.context_dir);
    if (artifact.context.empty() || artifact.context[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat(
          "artifact ", a.name, ": context ", a.context_dir, " must be an absolute path"));
    }
    struct stat st;
    if (stat(artifact.context.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::NotFoundError(absl::StrCat("artifact ", a.name, ": context ", a.context_dir,
                                              " is not a directory"));
    }
    for (const auto& [globs, out] :
         {std::pair{&a.dependencies, &artifact.dependencies}, std::pair{&a.ignore, &artifact.ignore}}) {
      for (const std::string& pattern : *globs) {
        absl::StatusOr<domain::Glob> glob = domain::Glob::Compile(domain::CleanPath(pattern));
        if (!glob.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("artifact ", a.name, ": ", glob.status().message()));
        }
        out->push_back(*std::move(glob));
      }
    }
    if (a.honour_dockerignore) {
      absl::StatusOr<domain::DockerIgnore> ignore = ReadDockerIgnore(artifact.context);
      if (!ignore.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("artifact ", a.name, ": ", ignore.status().message()));
      }
      artifact.dockerignore = *std::move(ignore);
    }
    mapper.artifacts_.push_back(std::move(artifact));
  }
  return mapper;
}

std::vector<std::string> ChangeMapper::Roots() const {
  std::vector<std::string> contexts;
  for (const Artifact& a : artifacts_) contexts.push_back(a.context);
  std::sort(contexts.begin(), contexts.end());
  std::vector<std::string> roots;
  for (const std::string& c : contexts) {
    if (!roots.empty() && domain::IsInside(roots.back(), c)) continue;
    roots.push_back(c);
  }
  return roots;
}

std::optional<ChangeSet> ChangeMapper::Map(const std::vector<std::string>& paths,
                                           bool rescanned) const {
  std::set<std::string> unique(paths.begin(), paths.end());
  ChangeSet changes;
  changes.rescanned = rescanned;
  for (const std::string& path : unique) {
    bool counts = false;
    if (!config_file_.empty() && path == config_file_) {
      changes.config_changed = true;
      counts = true;
    }
    for (const Artifact& a : artifacts_) {
      if (!domain::IsInside(a.context, path)) continue;
      absl::StatusOr<std::string> rel = domain::RelativeTo(a.context, path);
      if (!rel.ok() || *rel == ".") continue;
      bool always = *rel == "Dockerfile" || *rel == ".dockerignore";
      if (!always && a.dockerignore.Excludes(*rel)) continue;
      if (MatchesPathOrParent(a.ignore, *rel)) continue;
      if (!a.dependencies.empty() && !MatchesPathOrParent(a.dependencies, *rel)) continue;
      changes.artifacts[a.name].push_back(*rel);
      counts = true;
    }
    if (counts) changes.paths.push_back(path);
  }
  if (changes.paths.empty()) return std::nullopt;
  for (auto& [name, rels] : changes.artifacts) std::sort(rels.begin(), rels.end());
  return changes;
}

}  // namespace devloop::fs
