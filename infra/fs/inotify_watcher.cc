// InotifyWatcher: the Watcher port with Linux inotify, recursive by adding a
// watch per directory.
//
// A directory created (or moved in) after start gets its watch as soon as its
// creation event is read, and is then scanned: files created in it before the
// watch existed are reported from the scan, so none is missed. A queue
// overflow (IN_Q_OVERFLOW) rescans every tree and reports every file.
//
// Watched events: create, close-after-write, delete, move in/out, attribute
// change. Plain IN_MODIFY is not watched: a save ends with a close, and one
// IN_MODIFY per write() would flood the queue under a burst.
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <dirent.h>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "domain/paths/path.h"
#include "infra/fs/change_mapper.h"
#include "infra/fs/inotify_watcher.h"
#include "infra/log/log.h"

namespace devloop::fs {
namespace {

constexpr uint32_t kMask = IN_CREATE | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                           IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                           IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::string ReadSysctl(const char* path) {
  std::ifstream in(path);
  std::string value;
  in >> value;
  return value.empty() ? "?" : value;
}

class InotifyWatcher : public Watcher {
 public:
  InotifyWatcher(WatchOptions options, ChangeMapper mapper)
      : options_(std::move(options)), mapper_(std::move(mapper)) {}
  ~InotifyWatcher() override { Stop(); }

  absl::Status Start(ChangeCallback callback) override;
  void Stop() override;

 private:
  struct Dir {
    std::string path;
    bool recursive;
  };

  // Adds a watch on `dir` (and, when recursive, below it). Appends the paths
  // found inside to `found` when it is not null.
  absl::Status AddTree(const std::string& dir, bool recursive, std::vector<std::string>* found);
  absl::Status AddWatch(const std::string& dir, bool recursive);
  void Loop();
  void HandleEvents(const char* buf, ssize_t len);
  void Rescan();
  void Flush();

  const WatchOptions options_;
  const ChangeMapper mapper_;
  ChangeCallback callback_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::map<int, Dir> dirs_;  // by watch descriptor; watcher thread only after Start
  std::set<std::string> pending_;
  bool pending_rescan_ = false;
  absl::Time first_event_ = absl::InfiniteFuture();
  absl::Time last_event_ = absl::InfiniteFuture();
  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

absl::Status InotifyWatcher::AddWatch(const std::string& dir, bool recursive) {
  int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kMask);
  if (wd < 0) {
    int err = errno;
    if (err == ENOSPC) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot watch ", dir, ": the inotify watch limit (fs.inotify.max_user_watches = ",
          ReadSysctl("/proc/sys/fs/inotify/max_user_watches"),
          ") is reached. Raise it with `sudo sysctl fs.inotify.max_user_watches=524288`, "
          "or use --trigger=polling"));
    }
    if (err == ENOENT || err == ENOTDIR) return absl::OkStatus();  // gone already
    return absl::InternalError(absl::StrCat("cannot watch ", dir, ": ", strerror(err)));
  }
  auto [it, inserted] = dirs_.try_emplace(wd, Dir{dir, recursive});
  if (!inserted) {
    it->second.recursive = it->second.recursive || recursive;
    if (it->second.path != dir) it->second.path = dir;  // renamed into place
  }
  return absl::OkStatus();
}

absl::Status InotifyWatcher::AddTree(const std::string& dir, bool recursive,
                                     std::vector<std::string>* found) {
  // The watch first, then the listing: whatever is created after the watch is
  // an event, whatever was created before is in the listing.
  if (absl::Status s = AddWatch(dir, recursive); !s.ok()) return s;
  if (!recursive) return absl::OkStatus();
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return absl::OkStatus();  // removed meanwhile
  std::vector<std::string> subdirs;
  while (dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    std::string path = absl::StrCat(dir, "/", e->d_name);
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) {
      subdirs.push_back(path);
    } else if (found != nullptr) {
      found->push_back(path);
    }
  }
  closedir(d);
  for (const std::string& sub : subdirs) {
    if (found != nullptr) found->push_back(sub);
    if (absl::Status s = AddTree(sub, true, found); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status InotifyWatcher::Start(ChangeCallback callback) {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("the watcher was already started");
    started_ = true;
  }
  callback_ = std::move(callback);
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    if (errno == EMFILE) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot start watching files: the inotify instance limit "
          "(fs.inotify.max_user_instances = ",
          ReadSysctl("/proc/sys/fs/inotify/max_user_instances"),
          ") is reached. Raise it with `sudo sysctl fs.inotify.max_user_instances=1024`, "
          "or use --trigger=polling"));
    }
    return absl::InternalError(absl::StrCat("inotify_init1: ", strerror(errno)));
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  for (const std::string& root : mapper_.Roots()) {
    if (absl::Status s = AddTree(root, true, nullptr); !s.ok()) return s;
  }
  if (!mapper_.config_file().empty()) {
    // The directory, not the file: editors replace the file by renaming.
    std::string parent = mapper_.config_file().substr(0, mapper_.config_file().rfind('/'));
    if (absl::Status s = AddWatch(parent.empty() ? "/" : parent, false); !s.ok()) return s;
  }
  DEVLOOP_VLOG(1) << "watching " << dirs_.size() << " directories with inotify";
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void InotifyWatcher::Stop() {
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  inotify_fd_ = stop_fd_ = -1;
}

void InotifyWatcher::HandleEvents(const char* buf, ssize_t len) {
  for (const char* p = buf; p < buf + len;) {
    const auto* event = reinterpret_cast<const inotify_event*>(p);
    p += sizeof(inotify_event) + event->len;
    if (event->mask & IN_Q_OVERFLOW) {
      pending_rescan_ = true;
      continue;
    }
    auto it = dirs_.find(event->wd);
    if (it == dirs_.end()) continue;
    if (event->mask & IN_IGNORED) {
      dirs_.erase(it);
      continue;
    }
    const Dir dir = it->second;
    if (event->len == 0) {
      // DELETE_SELF / MOVE_SELF of a watched directory: its parent reports it.
      continue;
    }
    std::string path = absl::StrCat(dir.path, "/", event->name);
    if (!dir.recursive && path != mapper_.config_file()) continue;
    pending_.insert(path);
    if ((event->mask & IN_ISDIR) && (event->mask & (IN_CREATE | IN_MOVED_TO)) && dir.recursive) {
      std::vector<std::string> found;
      if (absl::Status s = AddTree(path, true, &found); !s.ok()) {
        DEVLOOP_LOG(ERROR) << s.message();
      }
      pending_.insert(found.begin(), found.end());
    }
  }
}

void InotifyWatcher::Rescan() {
  std::vector<std::string> found;
  for (const std::string& root : mapper_.Roots()) {
    if (absl::Status s = AddTree(root, true, &found); !s.ok()) DEVLOOP_LOG(ERROR) << s.message();
  }
  if (!mapper_.config_file().empty()) found.push_back(mapper_.config_file());
  pending_.insert(found.begin(), found.end());
}

void InotifyWatcher::Flush() {
  bool rescanned = pending_rescan_;
  if (pending_rescan_) {
    DEVLOOP_LOG(WARNING) << "inotify queue overflowed; rescanning the watched trees";
    Rescan();
    pending_rescan_ = false;
  }
  std::vector<std::string> paths(pending_.begin(), pending_.end());
  pending_.clear();
  first_event_ = last_event_ = absl::InfiniteFuture();
  if (std::optional<ChangeSet> changes = mapper_.Map(paths, rescanned)) callback_(*changes);
}

void InotifyWatcher::Loop() {
  alignas(inotify_event) char buf[1 << 16];
  while (true) {
    int timeout_ms = -1;
    if (first_event_ != absl::InfiniteFuture()) {
      absl::Time due = std::min(last_event_ + options_.quiet_period,
                                first_event_ + options_.max_batch_delay);
      absl::Duration left = due - absl::Now();
      if (left <= absl::ZeroDuration()) {
        Flush();
        continue;
      }
      // Round up to whole milliseconds, so we never wake a moment early.
      timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
    }
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int ready = poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      DEVLOOP_LOG(ERROR) << "poll on inotify: " << strerror(errno);
      return;
    }
    if (fds[1].revents != 0) return;
    if (ready <= 0 || fds[0].revents == 0) continue;
    bool any = false;
    while (true) {
      ssize_t len = read(inotify_fd_, buf, sizeof(buf));
      if (len <= 0) break;
      HandleEvents(buf, len);
      any = true;
    }
    if (any && (!pending_.empty() || pending_rescan_)) {
      absl::Time now = absl::Now();
      if (first_event_ == absl::InfiniteFuture()) first_event_ = now;
      last_event_ = now;
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Watcher>> MakeInotifyWatcher(const WatchOptions& options) {
  absl::StatusOr<ChangeMapper> mapper = ChangeMapper::Create(options);
  if (!mapper.ok()) return mapper.status();
  return std::make_unique<InotifyWatcher>(options, *std::move(mapper));
}

}  // namespace devloop::fs
