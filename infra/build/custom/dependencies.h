// Which file changes rebuild a custom artifact, from its
// `custom.dependencies`, with Skaffold's rules (the first that is given counts):
//
//  - dockerfile: {path, buildArgs}: the Dockerfile itself and the sources of
//    its COPY and ADD instructions (every stage, ARGs substituted, --from and
//    URLs left out), minus what the context's .dockerignore excludes;
//  - command: a command (split on spaces, not run by a shell, in the context)
//    whose stdout is a JSON array of paths;
//  - paths (globs; a directory covers everything below it), minus `ignore`;
//  - nothing at all: no file change rebuilds the artifact (Skaffold lists no
//    dependencies then; a build is still triggered by the API or a rebuild of
//    an artifact it requires).
//
//   DEVLOOP_ASSIGN_OR_RETURN(CustomWatch watch,
//       ResolveCustomDependencies(artifact.custom->dependencies, "/src/web", &runner));
//   if (watch.watched) ... {.dependencies = watch.dependencies, .ignore = watch.ignore}
//
// A custom test's `dependencies` (test[].custom[]) are read the same way, but
// their command runs through `sh -c`, as Skaffold runs it
// (ResolveTestDependencies).
//
// The lists are read once, when called: a Dockerfile or a command's answer that
// changes later is read again when the project is.
// Thread-safe (a free function; the runner is thread-safe).
#ifndef DEVLOOP_INFRA_BUILD_CUSTOM_DEPENDENCIES_H_
#define DEVLOOP_INFRA_BUILD_CUSTOM_DEPENDENCIES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/config/config.h"
#include "infra/process/process_runner.h"

namespace devloop::build {

struct CustomWatch {
  // False: no file change concerns the artifact.
  bool watched = true;
  // Globs relative to the context; empty (with `watched`) means every file.
  std::vector<std::string> dependencies;
  std::vector<std::string> ignore;
  bool honour_dockerignore = false;
  bool operator==(const CustomWatch&) const = default;
};

// Returns the watch for `deps` of an artifact whose context is `context_dir`
// (absolute). `runner` runs dependencies.command (may be null without one).
// Errors name the field: NotFound for a Dockerfile that does not exist,
// InvalidArgument for one that does not parse or a command whose output is not
// a JSON array of strings, FailedPrecondition for a command that fails (with
// its stderr).
absl::StatusOr<CustomWatch> ResolveCustomDependencies(
    const config::CustomDependencies& deps, const std::string& context_dir,
    process::ProcessRunner* runner, absl::Duration command_timeout = absl::Minutes(1));

// Returns the watch for a custom test's dependencies (paths, ignore and
// command of `deps`; no dockerfile) whose context is `context_dir`
// (absolute): as ResolveCustomDependencies, but the command runs through
// `sh -c` in the context, and errors name the field as
// "dependencies.command".
absl::StatusOr<CustomWatch> ResolveTestDependencies(
    const config::CustomDependencies& deps, const std::string& context_dir,
    process::ProcessRunner* runner, absl::Duration command_timeout = absl::Minutes(1));

}  // namespace devloop::build

#endif  // DEVLOOP_INFRA_BUILD_CUSTOM_DEPENDENCIES_H_
