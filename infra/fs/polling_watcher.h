// The Watcher port by periodic scans, for file systems without inotify
// (--trigger=polling, --watch-poll-interval = WatchOptions::poll_interval).
//
//   DEVLOOP_ASSIGN_OR_RETURN(std::unique_ptr<Watcher> w, MakePollingWatcher(options));
//   DEVLOOP_RETURN_IF_ERROR(w->Start(on_changes));
//
// One thread per watcher; callbacks run on it. Thread-safe (Start, Stop).
#ifndef DEVLOOP_INFRA_FS_POLLING_WATCHER_H_
#define DEVLOOP_INFRA_FS_POLLING_WATCHER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "infra/fs/watcher.h"

namespace devloop::fs {

// NotFound for a missing context, InvalidArgument for a bad glob or
// .dockerignore. Start takes the first snapshot before returning.
absl::StatusOr<std::unique_ptr<Watcher>> MakePollingWatcher(const WatchOptions& options);

}  // namespace devloop::fs

#endif  // DEVLOOP_INFRA_FS_POLLING_WATCHER_H_
