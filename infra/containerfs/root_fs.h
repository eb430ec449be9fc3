// A directory used as a file-system root: files are written into it and
// deleted from it with every path resolved INSIDE it, as a chroot would, so
// symlinks below it (absolute ones, or `..` chains) can never lead outside.
// This is devloop's fast local path for syncing files into a running
// container through /proc/<pid>/root (see container_process.h), skipping the
// Engine's archive endpoint.
//
//   absl::StatusOr<RootFs> root = RootFs::Open("/proc/1234/root", {.uid = 0, .gid = 0});
//   absl::Status s = root->CopyFile("/src/web/index.html", "/www/index.html");
//   s = root->Remove("/www/old.html");
//
// Resolution uses openat2(2) with RESOLVE_IN_ROOT (Linux >= 5.6). Writes go to
// a temporary file in the target directory that is renamed into place, so a
// reader sees the old file or the new one, never half of one; on any failure
// the temporary file is removed again. The result matches what the Engine's
// `PUT /containers/{id}/archive` leaves (measured on Docker 20.10): the host
// file's mode and mtime, owned by the root's owner (the container's root
// user) even when it replaces a file of another owner; missing parent
// directories are created 0755 and owned by that owner; existing ones are
// left alone; a symlink at the target path is replaced, not followed.
//
// Thread-compatible: a RootFs holds one directory descriptor; its const
// methods may be called concurrently (each call uses its own descriptors).
#ifndef DEVLOOP_INFRA_CONTAINERFS_ROOT_FS_H_
#define DEVLOOP_INFRA_CONTAINERFS_ROOT_FS_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::containerfs {

// Who owns what RootFs creates (on the host's side of any user namespace).
struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

class RootFs {
 public:
  // Opens `dir` as the root. NotFound if it does not exist, PermissionDenied
  // if it cannot be opened, FailedPrecondition if it is not a directory.
  static absl::StatusOr<RootFs> Open(const std::string& dir, Owner owner);
  // Takes ownership of `dir_fd`, an open directory (O_PATH is enough).
  RootFs(int dir_fd, Owner owner) : fd_(dir_fd), owner_(owner) {}

  RootFs(RootFs&& other) noexcept;
  RootFs& operator=(RootFs&& other) noexcept;
  RootFs(const RootFs&) = delete;
  RootFs& operator=(const RootFs&) = delete;
  ~RootFs();

  // Places a copy of `host_path` (a regular file or a symlink on this
  // machine, not followed) at `path`, an absolute path inside the root,
  // creating missing parent directories.
  // Errors (nothing is left at `path` but the old file, if any):
  //  - NotFound: the host file does not exist.
  //  - InvalidArgument: `path` is not absolute, names the root, or has a `.`
  //    or `..` component (the Engine's own semantics apply to those).
  //  - Unimplemented: the kernel has no openat2 (ENOSYS).
  //  - FailedPrecondition: the host file is neither a regular file nor a
  //    symlink; a parent is not a directory; the target is a directory;
  //    the parent lies on procfs/sysfs.
  //  - PermissionDenied: this process may not write there.
  //  - Internal: any other system error, naming the call and the path.
  absl::Status CopyFile(const std::string& host_path, const std::string& path) const;

  // Deletes `path` (absolute, inside the root) and, if it is a directory,
  // everything below it, never following a symlink. OK if it does not exist
  // (as `rm -rf`). Errors as CopyFile's (FailedPrecondition when a parent is
  // not a directory).
  absl::Status Remove(const std::string& path) const;

 private:
  int fd_ = -1;
  Owner owner_;
};

}  // namespace devloop::containerfs

#endif  // DEVLOOP_INFRA_CONTAINERFS_ROOT_FS_H_
