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
// IN_MODIFY per write() would flood the queue under a burst. So a file
// written in place (open with O_TRUNC, write, close) is seen only at its
// close, complete.
//
// Batches (watcher.h says what is reported when): each path of the batch
// keeps how it entered it (Origin, from its first event) and its latest state
// (State). A path is settled when nothing more is expected of it: complete,
// only chmod-ed, or gone after it was created or moved in within the batch.
// A batch whose paths are all settled goes out `settled_delay` after its last
// event; any other waits for `quiet_period`, and so does one with lost events
// (nothing is known of those). A path created and gone again within the batch
// is left out: it did not exist before the batch, nor does it after. One
// moved in and then gone (vim's backup "file~") stays: the rename may have
// replaced a file that existed, and inotify does not say whether it did.
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
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
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
  // What AddTree found below a directory.
  struct Found {
    std::vector<std::string> files;
    std::vector<std::string> dirs;
  };
  // How a path entered the batch, from its first event in it.
  enum class Origin {
    kExisted,  // written, removed or chmod-ed: it existed before the batch
    kCreated,  // IN_CREATE, or found in a new directory: it did not
    kMovedIn,  // IN_MOVED_TO: it may have replaced a file that existed
  };
  // A path's latest state within the batch.
  enum class State {
    kOpen,      // created (or found by a scan), no close after a write seen yet
    kComplete,  // closed after a write, renamed into place, or a directory
    kGone,      // deleted or moved away
    kAttrib,    // only chmod-ed (or touched)
  };
  struct Pending {
    Origin origin;
    State state;
  };

  // Adds a watch on `dir` (and, when recursive, below it). Appends what it
  // finds inside to `found` when it is not null.
  absl::Status AddTree(const std::string& dir, bool recursive, Found* found);
  absl::Status AddWatch(const std::string& dir, bool recursive);
  void Loop();
  // Reads every queued event into the batch; returns whether there was one
  // while a batch is pending (or it started one).
  bool ReadEvents();
  void HandleEvents(const char* buf, ssize_t len);
  // Notes an event saying `state` of `path`; `origin` counts only if it is
  // the path's first event in the batch.
  void Record(const std::string& path, Origin origin, State state);
  static bool Settled(const Pending& pending);
  // Rewatches every tree; returns every path in them.
  std::vector<std::string> Rescan();
  void Flush();

  const WatchOptions options_;
  const ChangeMapper mapper_;
  ChangeCallback callback_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::map<int, Dir> dirs_;  // by watch descriptor; watcher thread only after Start
  // The batch; watcher thread only.
  absl::flat_hash_map<std::string, Pending> pending_;
  int unsettled_ = 0;  // how many of pending_ are not Settled
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

absl::Status InotifyWatcher::AddTree(const std::string& dir, bool recursive, Found* found) {
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
      found->files.push_back(path);
    }
  }
  closedir(d);
  for (const std::string& sub : subdirs) {
    if (found != nullptr) found->dirs.push_back(sub);
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
    const bool is_dir = event->mask & IN_ISDIR;
    if (event->mask & IN_CREATE) {
      // A directory has no content to wait for; a file has until its close.
      Record(path, Origin::kCreated, is_dir ? State::kComplete : State::kOpen);
    } else if (event->mask & IN_MOVED_TO) {
      Record(path, Origin::kMovedIn, State::kComplete);
    } else if (event->mask & IN_CLOSE_WRITE) {
      Record(path, Origin::kExisted, State::kComplete);
    } else if (event->mask & (IN_DELETE | IN_MOVED_FROM)) {
      Record(path, Origin::kExisted, State::kGone);
    } else if (event->mask & IN_ATTRIB) {
      Record(path, Origin::kExisted, State::kAttrib);
    }
    if (is_dir && (event->mask & (IN_CREATE | IN_MOVED_TO)) && dir.recursive) {
      Found found;
      if (absl::Status s = AddTree(path, true, &found); !s.ok()) {
        DEVLOOP_LOG(ERROR) << s.message();
      }
      // A listing cannot tell a file still being written from a complete one;
      // the close of one still open settles it.
      for (const std::string& file : found.files) Record(file, Origin::kCreated, State::kOpen);
      for (const std::string& sub : found.dirs) Record(sub, Origin::kCreated, State::kComplete);
    }
  }
}

void InotifyWatcher::Record(const std::string& path, Origin origin, State state) {
  auto [it, inserted] = pending_.try_emplace(path, Pending{origin, state});
  if (!inserted) {
    // A chmod says nothing of the content: a file being written still is.
    if (state == State::kAttrib) return;
    unsettled_ -= !Settled(it->second);
    it->second.state = state;
  }
  unsettled_ += !Settled(it->second);
}

bool InotifyWatcher::Settled(const Pending& pending) {
  switch (pending.state) {
    case State::kOpen:
      return false;
    case State::kComplete:
    case State::kAttrib:
      return true;
    case State::kGone:
      return pending.origin != Origin::kExisted;
  }
  return false;
}

std::vector<std::string> InotifyWatcher::Rescan() {
  Found found;
  for (const std::string& root : mapper_.Roots()) {
    if (absl::Status s = AddTree(root, true, &found); !s.ok()) DEVLOOP_LOG(ERROR) << s.message();
  }
  std::vector<std::string> paths = std::move(found.files);
  paths.insert(paths.end(), found.dirs.begin(), found.dirs.end());
  if (!mapper_.config_file().empty()) paths.push_back(mapper_.config_file());
  return paths;
}

void InotifyWatcher::Flush() {
  const bool rescanned = pending_rescan_;
  std::vector<std::string> paths;
  if (rescanned) {
    DEVLOOP_LOG(WARNING) << "inotify queue overflowed; rescanning the watched trees";
    paths = Rescan();
    pending_rescan_ = false;
  }
  // After a rescan too: a path created in the batch did not exist before it,
  // and the rescan lists it if it exists now.
  for (const auto& [path, pending] : pending_) {
    if (pending.origin != Origin::kCreated || pending.state != State::kGone) paths.push_back(path);
  }
  pending_.clear();
  unsettled_ = 0;
  first_event_ = last_event_ = absl::InfiniteFuture();
  if (std::optional<ChangeSet> changes = mapper_.Map(paths, rescanned)) callback_(*changes);
}

bool InotifyWatcher::ReadEvents() {
  alignas(inotify_event) char buf[1 << 16];
  bool any = false;
  while (true) {
    ssize_t len = read(inotify_fd_, buf, sizeof(buf));
    if (len <= 0) break;
    HandleEvents(buf, len);
    any = true;
  }
  if (!any || (pending_.empty() && !pending_rescan_)) return false;
  absl::Time now = absl::Now();
  if (first_event_ == absl::InfiniteFuture()) first_event_ = now;
  last_event_ = now;
  return true;
}

void InotifyWatcher::Loop() {
  while (true) {
    timespec timeout;
    timespec* wait_at_most = nullptr;  // no batch: until an event
    if (first_event_ != absl::InfiniteFuture()) {
      const absl::Time now = absl::Now();
      const absl::Time latest = first_event_ + options_.max_batch_delay;
      if (now >= latest) {
        Flush();
        continue;
      }
      const absl::Duration grace = unsettled_ == 0 && !pending_rescan_ ? options_.settled_delay
                                                                       : options_.quiet_period;
      const absl::Time due = std::min(last_event_ + grace, latest);
      if (now >= due) {
        // Events queued while this thread was not running belong to the
        // batch: a late wake-up must not cut an editor's save in two.
        if (!ReadEvents()) Flush();
        continue;
      }
      // ppoll, not poll: the settled delay is a millisecond, and poll's
      // whole milliseconds would round it up by as much again.
      timeout = absl::ToTimespec(due - now);
      wait_at_most = &timeout;
    }
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int ready = ppoll(fds, 2, wait_at_most, nullptr);
    if (ready < 0 && errno != EINTR) {
      DEVLOOP_LOG(ERROR) << "ppoll on inotify: " << strerror(errno);
      return;
    }
    if (fds[1].revents != 0) return;
    if (ready > 0 && fds[0].revents != 0) ReadEvents();
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Watcher>> MakeInotifyWatcher(const WatchOptions& options) {
  absl::StatusOr<ChangeMapper> mapper = ChangeMapper::Create(options);
  if (!mapper.ok()) return mapper.status();
  return std::make_unique<InotifyWatcher>(options, *std::move(mapper));
}

}  // namespace devloop::fs
