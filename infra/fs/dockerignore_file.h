// Reads a build context's .dockerignore into a matcher, for the build context
// tar and for the watcher (a change to an ignored file triggers nothing).
//
//   absl::StatusOr<domain::DockerIgnore> ignore = ReadDockerIgnore("/src/web");
//   if (ignore.ok() && ignore->Excludes("node_modules/x.js")) ...
//
// Thread-safe: a pure function over the file system.
#ifndef DEVLOOP_INFRA_FS_DOCKERIGNORE_FILE_H_
#define DEVLOOP_INFRA_FS_DOCKERIGNORE_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "domain/paths/dockerignore.h"

namespace devloop::fs {

// Returns the matcher of `context_dir`/.dockerignore; an empty matcher when
// there is none. InvalidArgument naming the file and line for a bad pattern;
// Internal if the file exists but cannot be read.
absl::StatusOr<domain::DockerIgnore> ReadDockerIgnore(const std::string& context_dir);

}  // namespace devloop::fs

#endif  // DEVLOOP_INFRA_FS_DOCKERIGNORE_FILE_H_
