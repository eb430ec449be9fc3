// The Watcher port: tells the dev loop which artifacts' files (and whether the
// config file) changed, a burst of edits at a time.
//
//   absl::StatusOr<std::unique_ptr<Watcher>> watcher = MakeInotifyWatcher({
//       .artifacts = {{.name = "web", .context_dir = "/src/web"}},
//       .config_file = "/src/skaffold.yaml"});
//   DEVLOOP_RETURN_IF_ERROR((*watcher)->Start([&](const ChangeSet& changes) {
//     for (const auto& [artifact, paths] : changes.artifacts) Post(FilesChanged{...});
//   }));
//   // every watch is in place here: the first build may start
//
// Implementations: InotifyWatcher (MakeInotifyWatcher, inotify_watcher.h) and
// PollingWatcher (MakePollingWatcher, polling_watcher.h, for file systems without
// inotify: --trigger=polling);
// --trigger=manual means no watcher at all.
//
// What is reported: a ChangeSet holds every path created, written (on close),
// deleted, renamed or chmod-ed since the last one, each once, except (with
// inotify) a path created and removed again in between, such as an editor's
// temp file. Paths are mapped to the artifacts whose context holds them, minus
// what the context's .dockerignore excludes (the Dockerfile and .dockerignore
// always count) and the artifact's ignore globs, and only paths matching its
// dependency globs when it has some. Paths that map to nothing and are not the
// config file are dropped; a ChangeSet is never empty.
//
// When, with inotify: an editor's save is several events (a temp file, its
// close, a rename, a chmod, a delete) and goes out as one ChangeSet. Once
// every file in it is complete (closed after a write, renamed into place,
// only chmod-ed, or a temp file gone again), `settled_delay` after the last
// event. While a file created in it is still open for writing, or a file that
// existed was removed (it may come back: vim renames the original away, then
// writes the new file), only after no event arrived for `quiet_period`. At
// the latest `max_batch_delay` after the first event, during an endless
// stream. The polling watcher reports what each scan found changed.
#ifndef DEVLOOP_INFRA_FS_WATCHER_H_
#define DEVLOOP_INFRA_FS_WATCHER_H_

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace devloop::fs {

struct WatchedArtifact {
  std::string name;  // the image name; the key of ChangeSet::artifacts
  // An absolute directory.
  std::string context_dir;
  // Globs relative to the context (glob.h syntax). Empty: every file counts.
  std::vector<std::string> dependencies;
  // Globs relative to the context whose changes never count.
  std::vector<std::string> ignore;
  bool honour_dockerignore = true;
};

struct WatchOptions {
  std::vector<WatchedArtifact> artifacts;
  // Absolute path of skaffold.yaml; "" for none.
  std::string config_file;
  // Skaffold waits a full second; a save is over within a few milliseconds.
  // Only a batch with a file still being written, or removed, waits for it.
  absl::Duration quiet_period = absl::Milliseconds(20);
  // A batch of complete files goes out this long after its last event: the
  // rest of an editor's save (a rename, chmod or delete comes microseconds
  // after the close) is read into the same ChangeSet.
  absl::Duration settled_delay = absl::Milliseconds(1);
  // A ChangeSet goes out at the latest this long after its first event.
  absl::Duration max_batch_delay = absl::Milliseconds(500);
  // PollingWatcher only: time between scans (--watch-poll-interval).
  absl::Duration poll_interval = absl::Seconds(1);
};

struct ChangeSet {
  // Every changed path that counts, absolute, sorted, each once.
  std::vector<std::string> paths;
  // Artifact name -> its changed paths, relative to its context, sorted.
  std::map<std::string, std::vector<std::string>> artifacts;
  bool config_changed = false;
  // Set when events were lost (the kernel's queue overflowed) and the trees
  // were rescanned: `paths` then lists every file, to be safe.
  bool rescanned = false;
  bool operator==(const ChangeSet&) const = default;
};
std::ostream& operator<<(std::ostream& os, const ChangeSet& changes);

using ChangeCallback = std::function<void(const ChangeSet& changes)>;

// Thread-safe: Start and Stop may be called from any thread, in that order.
class Watcher {
 public:
  virtual ~Watcher() = default;
  // Puts every watch in place, then returns: a change made after Start returns
  // OK is reported. `callback` runs on the watcher's own thread, one ChangeSet
  // at a time. Errors: NotFound if a context directory does not exist;
  // ResourceExhausted when the inotify watch or instance limit is reached
  // (the message names the sysctl to raise); FailedPrecondition if started twice.
  virtual absl::Status Start(ChangeCallback callback) = 0;
  // Stops watching and joins the thread; no callback runs after it returns.
  // Idempotent; the destructor calls it.
  virtual void Stop() = 0;
};

}  // namespace devloop::fs

#endif  // DEVLOOP_INFRA_FS_WATCHER_H_
