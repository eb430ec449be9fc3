#include "infra/containerfs/root_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace devloop::containerfs {
namespace {

// Closes a descriptor when it goes out of scope.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~UniqueFd() { Reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now, reporting close's error (a late write error on some file
  // systems surfaces only here).
  int Close() { return close(std::exchange(fd_, -1)); }

 private:
  void Reset() {
    if (fd_ >= 0) close(std::exchange(fd_, -1));
  }
  int fd_ = -1;
};

// Maps errno of a failed `call` on `path` to the error contract of root_fs.h.
absl::Status ErrnoError(int err, absl::string_view call, absl::string_view path) {
  std::string message = absl::StrCat(call, " ", path, ": ", strerror(err));
  switch (err) {
    case ENOSYS:
      return absl::UnimplementedError(
          absl::StrCat(message, " (openat2 needs Linux 5.6 or later)"));
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
    case ELOOP:
    case EXDEV:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

// openat2 with in-root resolution. Retries EAGAIN, which the kernel returns
// when a concurrent rename might have let a `..` step see outside the root.
int OpenInRoot(int root_fd, const std::string& relative, uint64_t flags, uint64_t mode = 0) {
  struct open_how how;
  std::memset(&how, 0, sizeof(how));
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* p = relative.empty() ? "." : relative.c_str();
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, root_fd, p, &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if ((errno == EAGAIN || errno == EINTR) && attempt < 32) continue;
    return -1;
  }
}

// Splits an absolute path into its components. InvalidArgument for a
// relative path, the root itself, or `.`/`..` components.
absl::StatusOr<std::vector<std::string>> Components(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("path ", path, " is not absolute"));
  }
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  if (parts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("path ", path, " names the root itself"));
  }
  for (const std::string& part : parts) {
    if (part == "." || part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("path ", path, " has a '", part, "' component"));
    }
  }
  return parts;
}

std::string Join(const std::vector<std::string>& parts, size_t n) {
  return absl::StrJoin(parts.begin(), parts.begin() + n, "/");
}

// Refuses pseudo file systems: syncing a file "into" the container's /proc or
// /sys would write kernel settings, not files.
absl::Status CheckRegularFileSystem(int dir_fd, absl::string_view path) {
  struct statfs fs;
  if (fstatfs(dir_fd, &fs) != 0) return ErrnoError(errno, "fstatfs", path);
  switch (fs.f_type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
      return absl::FailedPreconditionError(
          absl::StrCat(path, " lies on a kernel pseudo file system (procfs, sysfs, cgroupfs)"));
    default:
      return absl::OkStatus();
  }
}

// A name for a temporary file, unique among this process's concurrent calls
// and unlikely to collide with anything else (O_EXCL catches the rest).
std::string TempName() {
  static std::atomic<uint64_t> counter{0};
  return absl::StrFormat(".devloop-sync-%d-%d.tmp", getpid(), counter.fetch_add(1));
}

// Removes the directory `name` in `dir_fd` and everything below it, never
// following a symlink (each level is opened O_NOFOLLOW relative to its parent).
absl::Status RemoveTree(int dir_fd, const std::string& name, const std::string& shown) {
  UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError(errno, "open", shown);
  }
  std::vector<std::string> names;
  {
    int list_fd = dup(fd.get());
    if (list_fd < 0) return ErrnoError(errno, "dup", shown);
    DIR* dir = fdopendir(list_fd);
    if (dir == nullptr) {
      close(list_fd);
      return ErrnoError(errno, "fdopendir", shown);
    }
    while (dirent* e = readdir(dir)) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      names.emplace_back(e->d_name);
    }
    closedir(dir);
  }
  for (const std::string& child : names) {
    std::string child_shown = absl::StrCat(shown, "/", child);
    if (unlinkat(fd.get(), child.c_str(), 0) == 0 || errno == ENOENT) continue;
    if (errno != EISDIR) return ErrnoError(errno, "unlink", child_shown);
    if (absl::Status s = RemoveTree(fd.get(), child, child_shown); !s.ok()) return s;
  }
  if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoError(errno, "rmdir", shown);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RootFs> RootFs::Open(const std::string& dir, Owner owner) {
  int fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", dir);
  return RootFs(fd, owner);
}

RootFs::RootFs(RootFs&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), owner_(other.owner_) {}

RootFs& RootFs::operator=(RootFs&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    owner_ = other.owner_;
  }
  return *this;
}

RootFs::~RootFs() {
  if (fd_ >= 0) close(fd_);
}

namespace {

// Opens (as O_PATH) the directory holding the last component of `parts`,
// creating missing directories 0755 owned by `owner`. Existing components
// resolve inside the root, symlinks included; directories we create are
// entered with O_NOFOLLOW, so a symlink planted there meanwhile is refused.
absl::StatusOr<UniqueFd> OpenParent(int root_fd, const std::vector<std::string>& parts,
                                    Owner owner, const std::string& shown) {
  const size_t n = parts.size() - 1;  // parent components
  UniqueFd dir(OpenInRoot(root_fd, Join(parts, n), O_PATH | O_DIRECTORY));
  if (dir.valid()) return dir;
  if (errno != ENOENT) return ErrnoError(errno, "open parent of", shown);
  // Find the deepest existing ancestor.
  size_t have = n;
  while (have > 0) {
    --have;
    dir = UniqueFd(OpenInRoot(root_fd, Join(parts, have), O_PATH | O_DIRECTORY));
    if (dir.valid()) break;
    if (errno != ENOENT) return ErrnoError(errno, "open parent of", shown);
  }
  if (!dir.valid()) return ErrnoError(errno, "open root for", shown);
  for (size_t i = have; i < n; ++i) {
    const char* name = parts[i].c_str();
    bool created = mkdirat(dir.get(), name, 0755) == 0;
    if (!created && errno != EEXIST) return ErrnoError(errno, "mkdir parent of", shown);
    UniqueFd next(openat(dir.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return ErrnoError(errno, "open parent of", shown);
    if (created) {
      // The Engine creates missing parents 0755 and owned by the container's
      // root; mkdir's mode went through our umask.
      if (fchown(next.get(), owner.uid, owner.gid) != 0) {
        return ErrnoError(errno, "chown parent of", shown);
      }
      if (fchmod(next.get(), 0755) != 0) return ErrnoError(errno, "chmod parent of", shown);
    }
    dir = std::move(next);
  }
  return dir;
}

// Copies the open regular file `in` to the new file `out`.
absl::Status CopyContent(int in, int out, const std::string& host_path,
                         const std::string& shown) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", host_path);
    if (n == 0) return absl::OkStatus();
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoError(errno, "write", shown);
      done += w;
    }
  }
}

}  // namespace

absl::Status RootFs::CopyFile(const std::string& host_path, const std::string& path) const {
  absl::StatusOr<std::vector<std::string>> parts = Components(path);
  if (!parts.ok()) return parts.status();
  struct stat st;
  if (lstat(host_path.c_str(), &st) != 0) return ErrnoError(errno, "cannot copy", host_path);
  UniqueFd in;
  std::string link_target;
  if (S_ISREG(st.st_mode)) {
    in = UniqueFd(open(host_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    // Mode and times of what we actually read, should the file change between.
    if (!in.valid() || fstat(in.get(), &st) != 0) return ErrnoError(errno, "open", host_path);
  } else if (S_ISLNK(st.st_mode)) {
    link_target.resize(st.st_size + 1);
    ssize_t len = readlink(host_path.c_str(), link_target.data(), link_target.size());
    if (len < 0) return ErrnoError(errno, "readlink", host_path);
    link_target.resize(len);
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot copy ", host_path, ": neither a regular file nor a symlink"));
  }

  absl::StatusOr<UniqueFd> parent = OpenParent(fd_, *parts, owner_, path);
  if (!parent.ok()) return parent.status();
  if (absl::Status s = CheckRegularFileSystem(parent->get(), path); !s.ok()) return s;

  const std::string& name = parts->back();
  const std::string temp = TempName();
  const struct timespec times[2] = {st.st_mtim, st.st_mtim};
  absl::Status status;
  if (in.valid()) {
    UniqueFd out(openat(parent->get(), temp.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out.valid()) return ErrnoError(errno, "create temporary file next to", path);
    status = CopyContent(in.get(), out.get(), host_path, path);
    // Owner before mode: chown clears set-id bits.
    if (status.ok() && fchown(out.get(), owner_.uid, owner_.gid) != 0) {
      status = ErrnoError(errno, "chown", path);
    }
    if (status.ok() && fchmod(out.get(), st.st_mode & 07777) != 0) {
      status = ErrnoError(errno, "chmod", path);
    }
    if (status.ok() && futimens(out.get(), times) != 0) {
      status = ErrnoError(errno, "set times of", path);
    }
    if (out.Close() != 0 && status.ok()) status = ErrnoError(errno, "write", path);
  } else {
    if (symlinkat(link_target.c_str(), parent->get(), temp.c_str()) != 0) {
      return ErrnoError(errno, "create temporary symlink next to", path);
    }
    if (fchownat(parent->get(), temp.c_str(), owner_.uid, owner_.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      status = ErrnoError(errno, "chown", path);
    }
    if (status.ok() &&
        utimensat(parent->get(), temp.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      status = ErrnoError(errno, "set times of", path);
    }
  }
  // rename replaces `name` itself: a symlink there is replaced, not followed.
  if (status.ok() && renameat(parent->get(), temp.c_str(), parent->get(), name.c_str()) != 0) {
    status = ErrnoError(errno, "rename into place", path);
  }
  if (!status.ok()) unlinkat(parent->get(), temp.c_str(), 0);
  return status;
}

absl::Status RootFs::Remove(const std::string& path) const {
  absl::StatusOr<std::vector<std::string>> parts = Components(path);
  if (!parts.ok()) return parts.status();
  UniqueFd parent(OpenInRoot(fd_, Join(*parts, parts->size() - 1), O_PATH | O_DIRECTORY));
  if (!parent.valid()) {
    // A missing parent means nothing to delete, as with `rm -rf`.
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError(errno, "open parent of", path);
  }
  if (absl::Status s = CheckRegularFileSystem(parent.get(), path); !s.ok()) return s;
  const std::string& name = parts->back();
  if (unlinkat(parent.get(), name.c_str(), 0) == 0 || errno == ENOENT) return absl::OkStatus();
  if (errno != EISDIR) return ErrnoError(errno, "unlink", path);
  return RemoveTree(parent.get(), name, path);
}

}  // namespace devloop::containerfs
