// Tar archives for the Docker Engine, written with libarchive into memory: a
// build context from a directory, and a set of files for copying into a
// container through the Engine's archive endpoint.
//
//   absl::StatusOr<std::string> tar = TarDirectory("/src/web", {.exclude = IsIgnored});
//   absl::StatusOr<std::string> tar = TarFiles({{"/src/web/a.txt", "/app/a.txt"}});
//
// Entries are written in sorted path order with the files' modes and mtimes,
// owned by 0:0, so the same tree gives the same archive.
//
// Thread-safe: pure functions over the file system.
#ifndef DEVLOOP_INFRA_DOCKER_TAR_ARCHIVE_H_
#define DEVLOOP_INFRA_DOCKER_TAR_ARCHIVE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infra/docker/docker.h"

namespace devloop::docker {

struct TarDirectoryOptions {
  // Paths relative to the directory ('/'-separated, no leading "./") to leave
  // out. An excluded directory is still walked, so a matcher may re-include
  // paths below it (.dockerignore's "!" patterns); its entry is written if
  // anything below it is.
  std::function<bool(absl::string_view relative_path)> exclude;
  // Excluded directories for which this returns true are not walked at all
  // (DockerIgnore::CanSkipDirectory: nothing below can be re-included).
  std::function<bool(absl::string_view relative_dir)> can_skip_directory;
  // Relative paths written even when `exclude` says otherwise (the Dockerfile
  // and .dockerignore, which the Engine needs).
  std::vector<std::string> always_include;
};

// Returns a tar of everything under `dir`. NotFound if `dir` does not exist;
// Internal (naming the path) if a file cannot be read.
absl::StatusOr<std::string> TarDirectory(const std::string& dir,
                                         const TarDirectoryOptions& options);

// Returns a tar holding each host file at its container path (without the
// leading '/'); the Engine creates missing parent directories. NotFound naming the
// host file if one is missing; InvalidArgument if a container path is not
// absolute.
absl::StatusOr<std::string> TarFiles(const std::vector<FileCopy>& files);

// Returns the first entry of `tar` (what the Engine's GET archive answers for
// a path: the path itself first, then what is below a directory): its mode,
// owner, link target and, for a regular file, content. Internal if `tar` is
// not a readable archive or holds no entry.
absl::StatusOr<PathEntry> FirstTarEntry(absl::string_view tar);

}  // namespace devloop::docker

#endif  // DEVLOOP_INFRA_DOCKER_TAR_ARCHIVE_H_
