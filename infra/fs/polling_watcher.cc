// PollingWatcher: the Watcher port for file systems without inotify (network
// mounts, some container volumes): every poll_interval it walks the trees and
// compares each entry's type, size, mode, inode and nanosecond mtime with the
// last walk. One walk's differences are one ChangeSet.
#include <dirent.h>
#include <sys/stat.h>

#include <cstring>
#include <map>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "infra/fs/change_mapper.h"
#include "infra/fs/polling_watcher.h"

namespace devloop::fs {
namespace {

struct Entry {
  mode_t mode;
  off_t size;
  ino_t ino;
  int64_t mtime_ns;
  bool operator==(const Entry&) const = default;
};
using Snapshot = std::map<std::string, Entry>;

Entry EntryOf(const struct stat& st) {
  return {st.st_mode, st.st_size, st.st_ino,
          int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec};
}

void Walk(const std::string& dir, Snapshot& out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> subdirs;
  while (dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    std::string path = absl::StrCat(dir, "/", e->d_name);
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    out[path] = EntryOf(st);
    if (S_ISDIR(st.st_mode)) subdirs.push_back(path);
  }
  closedir(d);
  for (const std::string& sub : subdirs) Walk(sub, out);
}

class PollingWatcher : public Watcher {
 public:
  PollingWatcher(WatchOptions options, ChangeMapper mapper)
      : options_(std::move(options)), mapper_(std::move(mapper)) {}
  ~PollingWatcher() override { Stop(); }

  absl::Status Start(ChangeCallback callback) override {
    {
      absl::MutexLock lock(&mu_);
      if (started_) return absl::FailedPreconditionError("the watcher was already started");
      started_ = true;
    }
    callback_ = std::move(callback);
    snapshot_ = Scan();
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

  void Stop() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  Snapshot Scan() const {
    Snapshot snapshot;
    for (const std::string& root : mapper_.Roots()) Walk(root, snapshot);
    if (!mapper_.config_file().empty()) {
      struct stat st;
      if (lstat(mapper_.config_file().c_str(), &st) == 0) {
        snapshot[mapper_.config_file()] = EntryOf(st);
      }
    }
    return snapshot;
  }

  void Loop() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.poll_interval);
        if (stopping_) return;
      }
      Snapshot now = Scan();
      std::vector<std::string> changed;
      for (const auto& [path, entry] : now) {
        auto it = snapshot_.find(path);
        if (it == snapshot_.end() || !(it->second == entry)) changed.push_back(path);
      }
      for (const auto& [path, entry] : snapshot_) {
        if (now.find(path) == now.end()) changed.push_back(path);
      }
      snapshot_ = std::move(now);
      if (std::optional<ChangeSet> changes = mapper_.Map(changed, false)) callback_(*changes);
    }
  }

  const WatchOptions options_;
  const ChangeMapper mapper_;
  ChangeCallback callback_;
  Snapshot snapshot_;
  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Watcher>> MakePollingWatcher(const WatchOptions& options) {
  absl::StatusOr<ChangeMapper> mapper = ChangeMapper::Create(options);
  if (!mapper.ok()) return mapper.status();
  return std::make_unique<PollingWatcher>(options, *std::move(mapper));
}

}  // namespace devloop::fs
