// Where a changed file goes in the container, by an artifact's sync rules.
//
//   std::optional<std::string> dest = SyncDestination(*artifact.sync, "src/app.js");
//   if (!dest) Rebuild(artifact);  // no rule covers the file
//
// Manual rules win over inferred ones, and the first matching rule wins, as in
// Skaffold. A relative `dest` is joined to the image's WORKDIR (Sync::workdir);
// when that is unknown the result stays relative and the caller resolves it
// against the container's working directory.
//
// Free functions: thread-compatible.
#ifndef DEVLOOP_DOMAIN_CONFIG_SYNC_H_
#define DEVLOOP_DOMAIN_CONFIG_SYNC_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "domain/config/config.h"

namespace devloop::config {

// Returns the container path for `path` (relative to the artifact's context, "/"
// separated), or nullopt when no rule covers it.
std::optional<std::string> SyncDestination(const Sync& sync, absl::string_view path);

// Returns true when `src` (a sync rule's glob, relative to the context) can only
// match files inside the context: it is relative and does not climb out with "..".
bool StaysInContext(absl::string_view src);

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_SYNC_H_
