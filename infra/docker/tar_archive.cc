#include "infra/docker/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace devloop::docker {
namespace {

class TarWriter {
 public:
  TarWriter() : archive_(archive_write_new()) {
    archive_write_set_format_pax_restricted(archive_);
    archive_write_set_bytes_in_last_block(archive_, 1);
    archive_write_open(archive_, this, nullptr, &TarWriter::Write, nullptr);
  }
  ~TarWriter() { archive_write_free(archive_); }

  // Adds `host_path` (as lstat'ed in `st`) under the name `name`.
  absl::Status Add(const std::string& host_path, const std::string& name, const struct stat& st) {
    archive_entry* entry = archive_entry_new();
    archive_entry_copy_stat(entry, &st);
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    archive_entry_set_uname(entry, "");
    archive_entry_set_gname(entry, "");
    archive_entry_set_nlink(entry, 1);
    archive_entry_set_ino(entry, 0);
    archive_entry_set_dev(entry, 0);
    archive_entry_unset_atime(entry);
    archive_entry_unset_ctime(entry);
    std::string target;
    if (S_ISLNK(st.st_mode)) {
      target.resize(st.st_size + 1);
      ssize_t n = readlink(host_path.c_str(), target.data(), target.size());
      if (n < 0) {
        archive_entry_free(entry);
        return absl::InternalError(absl::StrCat("cannot read symlink ", host_path, ": ",
                                                strerror(errno)));
      }
      target.resize(n);
      archive_entry_set_symlink(entry, target.c_str());
      archive_entry_set_size(entry, 0);
    } else if (!S_ISREG(st.st_mode)) {
      archive_entry_set_size(entry, 0);
    }
    absl::Status status = WriteEntry(entry, host_path, st);
    archive_entry_free(entry);
    return status;
  }

  absl::StatusOr<std::string> Finish() {
    if (archive_write_close(archive_) != ARCHIVE_OK) {
      return absl::InternalError(absl::StrCat("tar: ", archive_error_string(archive_)));
    }
    return std::move(out_);
  }

 private:
  static la_ssize_t Write(struct archive*, void* self, const void* buffer, size_t length) {
    static_cast<TarWriter*>(self)->out_.append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  }

  absl::Status WriteEntry(archive_entry* entry, const std::string& host_path,
                          const struct stat& st) {
    if (archive_write_header(archive_, entry) != ARCHIVE_OK) {
      return absl::InternalError(absl::StrCat("tar: cannot add ", host_path, ": ",
                                              archive_error_string(archive_)));
    }
    if (!S_ISREG(st.st_mode)) return absl::OkStatus();
    int fd = open(host_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("cannot read ", host_path, ": ", strerror(errno)));
    }
    char buf[65536];
    int64_t left = st.st_size;
    absl::Status status;
    while (left > 0) {
      ssize_t n = read(fd, buf, std::min<int64_t>(sizeof(buf), left));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // The file shrank while we read it (an editor is saving): pad with
        // zeros so the archive stays well-formed; the next change event
        // rebuilds with the final content.
        std::memset(buf, 0, sizeof(buf));
        n = std::min<int64_t>(sizeof(buf), left);
      }
      if (archive_write_data(archive_, buf, n) < 0) {
        status = absl::InternalError(absl::StrCat("tar: cannot add ", host_path, ": ",
                                                  archive_error_string(archive_)));
        break;
      }
      left -= n;
    }
    close(fd);
    return status;
  }

  struct archive* archive_;
  std::string out_;
};

struct Walker {
  const std::string& root;
  const TarDirectoryOptions& options;
  std::set<std::string, std::less<>> always;
  TarWriter writer;

  bool Excluded(const std::string& rel) {
    if (always.count(rel) > 0) return false;
    return options.exclude != nullptr && options.exclude(rel);
  }

  // Walks `rel` (a directory; "" for the root). Returns whether anything was
  // written below it. `pending` holds excluded ancestor directories whose
  // entries are written only once something below them is.
  absl::StatusOr<bool> Walk(const std::string& rel, std::vector<std::pair<std::string, struct stat>>& pending) {
    std::string dir_path = rel.empty() ? root : absl::StrCat(root, "/", rel);
    DIR* dir = opendir(dir_path.c_str());
    if (dir == nullptr) {
      return absl::InternalError(absl::StrCat("cannot read directory ", dir_path, ": ",
                                              strerror(errno)));
    }
    std::vector<std::string> names;
    while (dirent* e = readdir(dir)) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      names.emplace_back(e->d_name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    bool wrote = false;
    for (const std::string& name : names) {
      std::string child_rel = rel.empty() ? name : absl::StrCat(rel, "/", name);
      std::string child_path = absl::StrCat(root, "/", child_rel);
      struct stat st;
      if (lstat(child_path.c_str(), &st) != 0) continue;  // deleted while we walk
      bool excluded = Excluded(child_rel);
      if (S_ISDIR(st.st_mode)) {
        if (excluded && options.can_skip_directory != nullptr &&
            options.can_skip_directory(child_rel)) {
          continue;
        }
        if (excluded) {
          pending.emplace_back(child_rel, st);
          absl::StatusOr<bool> below = Walk(child_rel, pending);
          if (!below.ok()) return below.status();
          if (!pending.empty() && pending.back().first == child_rel) pending.pop_back();
          wrote = wrote || *below;
          continue;
        }
        if (absl::Status s = FlushPending(pending); !s.ok()) return s;
        if (absl::Status s = writer.Add(child_path, child_rel, st); !s.ok()) return s;
        std::vector<std::pair<std::string, struct stat>> none;
        absl::StatusOr<bool> below = Walk(child_rel, none);
        if (!below.ok()) return below.status();
        wrote = true;
        continue;
      }
      if (excluded) continue;
      if (absl::Status s = FlushPending(pending); !s.ok()) return s;
      if (absl::Status s = writer.Add(child_path, child_rel, st); !s.ok()) return s;
      wrote = true;
    }
    return wrote;
  }

  absl::Status FlushPending(std::vector<std::pair<std::string, struct stat>>& pending) {
    for (const auto& [rel, st] : pending) {
      if (absl::Status s = writer.Add(absl::StrCat(root, "/", rel), rel, st); !s.ok()) return s;
    }
    pending.clear();
    return absl::OkStatus();
  }
};

}  // namespace

absl::StatusOr<std::string> TarDirectory(const std::string& dir,
                                         const TarDirectoryOptions& options) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("build context ", dir, " is not a directory"));
  }
  std::string root = dir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  Walker walker{root, options, {options.always_include.begin(), options.always_include.end()}};
  std::vector<std::pair<std::string, struct stat>> pending;
  absl::StatusOr<bool> wrote = walker.Walk("", pending);
  if (!wrote.ok()) return wrote.status();
  return walker.writer.Finish();
}

absl::StatusOr<std::string> TarFiles(const std::vector<FileCopy>& files) {
  TarWriter writer;
  std::vector<FileCopy> sorted = files;
  std::sort(sorted.begin(), sorted.end(), [](const FileCopy& a, const FileCopy& b) {
    return a.container_path < b.container_path;
  });
  for (const FileCopy& file : sorted) {
    if (!absl::StartsWith(file.container_path, "/")) {
      return absl::InvalidArgumentError(absl::StrCat("container path ", file.container_path,
                                                     " of ", file.host_path,
                                                     " is not absolute"));
    }
    struct stat st;
    if (lstat(file.host_path.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat("cannot copy ", file.host_path, ": ",
                                              strerror(errno)));
    }
    std::string name = file.container_path.substr(1);
    // No entries for parent directories: the Engine creates missing ones, and
    // an entry for an existing one would reset its owner and mode.
    if (absl::Status s = writer.Add(file.host_path, name, st); !s.ok()) return s;
  }
  return writer.Finish();
}

absl::StatusOr<PathEntry> FirstTarEntry(absl::string_view tar) {
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  absl::Status error;
  PathEntry out;
  if (archive_read_open_memory(a, tar.data(), tar.size()) != ARCHIVE_OK) {
    error = absl::InternalError(absl::StrCat("not a tar archive: ", archive_error_string(a)));
  } else {
    struct archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a, &entry);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      error = absl::InternalError(
          absl::StrCat("reading a tar archive: ", r == ARCHIVE_EOF ? "no entry" : archive_error_string(a)));
    } else {
      out.mode = archive_entry_mode(entry);
      out.uid = archive_entry_uid(entry);
      out.gid = archive_entry_gid(entry);
      if (const char* target = archive_entry_symlink(entry); target != nullptr) {
        out.link_target = target;
      }
      if (S_ISREG(out.mode)) {
        char buffer[65536];
        for (;;) {
          const la_ssize_t n = archive_read_data(a, buffer, sizeof(buffer));
          if (n < 0) {
            error = absl::InternalError(
                absl::StrCat("reading a tar archive: ", archive_error_string(a)));
            break;
          }
          if (n == 0) break;
          out.content.append(buffer, static_cast<size_t>(n));
        }
      }
    }
  }
  archive_read_free(a);
  if (!error.ok()) return error;
  return out;
}

}  // namespace devloop::docker
