// The Watcher port with Linux inotify: recursive, follows new directories,
// coalesces bursts (see watcher.h for what is reported, and when).
//
//   DEVLOOP_ASSIGN_OR_RETURN(std::unique_ptr<Watcher> w, MakeInotifyWatcher(options));
//   DEVLOOP_RETURN_IF_ERROR(w->Start(on_changes));
//
// One thread per watcher; callbacks run on it. Thread-safe (Start, Stop).
#ifndef DEVLOOP_INFRA_FS_INOTIFY_WATCHER_H_
#define DEVLOOP_INFRA_FS_INOTIFY_WATCHER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "infra/fs/watcher.h"

namespace devloop::fs {

// NotFound for a missing context, InvalidArgument for a bad glob or
// .dockerignore (naming the artifact). Watches are added by Start.
absl::StatusOr<std::unique_ptr<Watcher>> MakeInotifyWatcher(const WatchOptions& options);

}  // namespace devloop::fs

#endif  // DEVLOOP_INFRA_FS_INOTIFY_WATCHER_H_
