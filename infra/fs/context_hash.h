// Content digest of a build context, for the inputDigest tag policy and the
// build cache: SHA-256 (OpenSSL) over every file's relative path, type, mode
// and content (a symlink's target), in sorted path order, honouring the
// context's .dockerignore. The same tree gives the same digest on any machine;
// touching a file without changing it does not change the digest.
//
//   absl::StatusOr<std::string> digest = HashBuildContext("/src/web");
//   // "5f2b...e1" (64 hex digits)
//
// Thread-safe: pure functions over the file system.
#ifndef DEVLOOP_INFRA_FS_CONTEXT_HASH_H_
#define DEVLOOP_INFRA_FS_CONTEXT_HASH_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::fs {

struct HashOptions {
  // Relative paths ('/'-separated) to leave out.
  std::function<bool(absl::string_view relative_path)> exclude;
  // Excluded directories for which this returns true are not walked.
  std::function<bool(absl::string_view relative_dir)> can_skip_directory;
};

// Returns the hex SHA-256 of the tree under `dir`. NotFound if `dir` is not a
// directory; Internal naming the file that cannot be read.
absl::StatusOr<std::string> HashDirectory(const std::string& dir, const HashOptions& options);

// HashDirectory with the context's .dockerignore (the Dockerfile and
// .dockerignore always count), leaving out too each of `left_out` (absolute
// paths) that lies in the context: devloop's own config files, which are not
// an artifact's build input even when they sit in its context. InvalidArgument
// for a bad .dockerignore.
absl::StatusOr<std::string> HashBuildContext(const std::string& context_dir,
                                             const std::vector<std::string>& left_out = {});

}  // namespace devloop::fs

#endif  // DEVLOOP_INFRA_FS_CONTEXT_HASH_H_
