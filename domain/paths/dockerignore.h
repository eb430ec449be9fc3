// A .dockerignore matcher with the Docker Engine's semantics, so the files
// devloop sends in a build context (and the files whose changes it ignores) are
// exactly those `docker build` would use.
//
//   - One pattern per line; lines starting with '#' are comments; surrounding
//     whitespace is trimmed; empty lines are skipped; a UTF-8 BOM is dropped.
//   - Patterns are cleaned (CleanPath) and a leading '/' is dropped: they are
//     relative to the context root.
//   - Globs as in glob.h ('*', '?', '[...]', '**'), with Docker's '**'
//     (GlobSyntax::kDockerIgnore).
//   - A pattern that matches a directory excludes everything below it.
//   - '!' makes an exception that re-includes what it matches; the last pattern
//     that matches a path (or one of its parent directories) decides.
//
//   DEVLOOP_ASSIGN_OR_RETURN(DockerIgnore ignore,
//                            DockerIgnore::Parse("node_modules\n*.log\n!keep.log\n"));
//   ignore.Excludes("node_modules/x/index.js");  // true
//   ignore.Excludes("keep.log");                 // false
//
// Note: Docker still sends the Dockerfile and .dockerignore when they are
// excluded; that is the build adapter's rule, not this matcher's.
//
// DockerIgnore is an immutable value: thread-safe.
#ifndef DEVLOOP_DOMAIN_PATHS_DOCKERIGNORE_H_
#define DEVLOOP_DOMAIN_PATHS_DOCKERIGNORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/paths/glob.h"

namespace devloop::domain {

class DockerIgnore {
 public:
  // An empty matcher: excludes nothing.
  DockerIgnore() = default;

  // Parses the text of a .dockerignore file. Errors are InvalidArgument and name
  // `source` and the line ("Dockerfile.dockerignore:3: ...").
  static absl::StatusOr<DockerIgnore> Parse(absl::string_view contents,
                                            absl::string_view source = ".dockerignore");

  // Builds a matcher from patterns as they would appear on separate lines.
  static absl::StatusOr<DockerIgnore> FromPatterns(const std::vector<std::string>& patterns);

  // Returns whether `path` (relative to the context root, '/'-separated) is left
  // out of the build context.
  bool Excludes(absl::string_view path) const;

  // Returns whether a walker may skip directory `dir` without looking inside:
  // it is excluded and no exception could re-include anything below it.
  bool CanSkipDirectory(absl::string_view dir) const;

  // The cleaned patterns, '!' included, in file order, written so that
  // FromPatterns(patterns()) decides every path the same way.
  std::vector<std::string> patterns() const;

  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    Glob glob;
    bool exception = false;
  };
  std::vector<Rule> rules_;
};

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PATHS_DOCKERIGNORE_H_
