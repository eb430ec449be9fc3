// The file syncs of the dev loop. Changes that may be synced wait here, per
// artifact, until sync may run (at once, after the syncs running now, or on an
// intent; the controller decides); then every waiting artifact syncs at once,
// one sync per artifact, and the syncs end with the last result. Changes that
// arrive meanwhile wait for the next round. A rebuild takes an artifact's
// waiting changes in (Drop).
//
//   SyncQueue q;
//   q.Queue("web", {{"static/a.css"}, {"static/a.css", /*deleted=*/true}});
//   for (auto& [image, files] : q.TakeQueued()) {  // web: {-static/a.css}: last change wins
//     q.Started(image, {"web:1", 1});
//   }
//   DEVLOOP_RETURN_IF_ERROR(q.CheckResult("web"));
//   std::optional<SyncQueue::Sync> done = q.Finish("web");
//
// Thread-compatible.
#ifndef DEVLOOP_DOMAIN_PIPELINE_SYNC_QUEUE_H_
#define DEVLOOP_DOMAIN_PIPELINE_SYNC_QUEUE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "domain/pipeline/spec.h"

namespace devloop::domain {

class SyncQueue {
 public:
  // A sync in flight, as its events name it.
  struct Sync {
    std::string image;  // IMAGE:TAG of the container synced into, without a digest
    int32_t file_count = 0;
    bool operator==(const Sync&) const = default;
  };

  // Queues `files` of `image`, their paths already checked and cleaned; of
  // several changes to one path, the last wins (saved, then deleted: deleted).
  void Queue(const std::string& image, const std::vector<FileChange>& files);

  // Forgets the changes `image` has waiting: a rebuild takes them in.
  void Drop(const std::string& image);

  // Every waiting change, per artifact, sorted by path.
  std::map<std::string, std::vector<FileChange>> Queued() const;

  // Takes every waiting change (Queued, then forgets them).
  std::map<std::string, std::vector<FileChange>> TakeQueued();

  // Records that `image` syncs now; ignored while it already syncs.
  void Started(const std::string& image, Sync sync);

  // OK if a result for `image` fits: FailedPrecondition unless it syncs now.
  absl::Status CheckResult(const std::string& image) const;

  // Ends `image`'s sync and returns it; nullopt if it was not syncing.
  std::optional<Sync> Finish(const std::string& image);

  // Ends every sync at once (shutdown) and returns them, by artifact.
  std::vector<Sync> Cancel();

  bool has_queued() const { return !queued_.empty(); }
  bool running() const { return !running_.empty(); }

  bool operator==(const SyncQueue&) const = default;

 private:
  std::map<std::string, std::map<std::string, bool>> queued_;  // image -> path -> deleted
  std::map<std::string, Sync> running_;                        // by artifact
};

std::ostream& operator<<(std::ostream& os, const SyncQueue::Sync& s);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_SYNC_QUEUE_H_
