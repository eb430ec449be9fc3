#include "infra/fs/context_hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "infra/fs/dockerignore_file.h"

namespace devloop::fs {
namespace {

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

class Hasher {
 public:
  Hasher(const std::string& root, const HashOptions& options)
      : root_(root), options_(options), ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }

  absl::Status Walk(const std::string& rel) {
    std::string dir_path = rel.empty() ? root_ : absl::StrCat(root_, "/", rel);
    DIR* dir = opendir(dir_path.c_str());
    if (dir == nullptr) {
      return absl::InternalError(absl::StrCat("cannot read directory ", dir_path, ": ",
                                              strerror(errno)));
    }
    std::vector<std::string> names;
    while (dirent* e = readdir(dir)) {
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::string child = rel.empty() ? name : absl::StrCat(rel, "/", name);
      std::string path = absl::StrCat(root_, "/", child);
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) continue;
      bool excluded = options_.exclude != nullptr && options_.exclude(child);
      if (S_ISDIR(st.st_mode)) {
        if (excluded && options_.can_skip_directory != nullptr &&
            options_.can_skip_directory(child)) {
          continue;
        }
        if (!excluded) Header('d', child, st);
        if (absl::Status s = Walk(child); !s.ok()) return s;
        continue;
      }
      if (excluded) continue;
      if (S_ISLNK(st.st_mode)) {
        Header('l', child, st);
        std::string target(st.st_size + 1, '\0');
        ssize_t n = readlink(path.c_str(), target.data(), target.size());
        if (n >= 0) Update(target.data(), n);
      } else if (S_ISREG(st.st_mode)) {
        Header('f', child, st);
        if (absl::Status s = HashFile(path); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

  std::string Finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &len);
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), len));
  }

 private:
  void Update(const void* data, size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }

  // Type, path and permission bits, NUL-separated so no two trees collide.
  void Header(char type, const std::string& rel, const struct stat& st) {
    std::string header(1, type);
    header.push_back('\0');
    header += rel;
    header.push_back('\0');
    absl::StrAppend(&header, absl::Hex(st.st_mode & 07777));
    header.push_back('\0');
    Update(header.data(), header.size());
  }

  absl::Status HashFile(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
    }
    static thread_local std::unique_ptr<char[]> buf(new char[1 << 17]);
    int64_t total = 0;
    while (true) {
      ssize_t n = read(fd, buf.get(), 1 << 17);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        close(fd);
        return absl::InternalError(absl::StrCat("cannot read ", path, ": ", strerror(err)));
      }
      if (n == 0) break;
      Update(buf.get(), n);
      total += n;
    }
    close(fd);
    // The length ends the content, so a file's bytes cannot pose as the next header.
    std::string trailer = absl::StrCat(total);
    trailer.push_back('\0');
    Update(trailer.data(), trailer.size());
    return absl::OkStatus();
  }

  const std::string& root_;
  const HashOptions& options_;
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
};

}  // namespace

absl::StatusOr<std::string> HashDirectory(const std::string& dir, const HashOptions& options) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("cannot hash ", dir, ": not a directory"));
  }
  std::string root = dir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  Hasher hasher(root, options);
  if (absl::Status s = hasher.Walk(""); !s.ok()) return s;
  return hasher.Finish();
}

absl::StatusOr<std::string> HashBuildContext(const std::string& context_dir,
                                             const std::vector<std::string>& left_out) {
  absl::StatusOr<domain::DockerIgnore> ignore = ReadDockerIgnore(context_dir);
  if (!ignore.ok()) return ignore.status();
  std::string root = context_dir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::vector<std::string> left_out_rel;  // relative to the context
  for (const std::string& path : left_out) {
    if (absl::StartsWith(path, root + "/")) left_out_rel.push_back(path.substr(root.size() + 1));
  }
  HashOptions options;
  options.exclude = [&](absl::string_view rel) {
    if (std::find(left_out_rel.begin(), left_out_rel.end(), rel) != left_out_rel.end()) {
      return true;
    }
    return rel != "Dockerfile" && rel != ".dockerignore" && ignore->Excludes(rel);
  };
  options.can_skip_directory = [&](absl::string_view dir) { return ignore->CanSkipDirectory(dir); };
  return HashDirectory(context_dir, options);
}

}  // namespace devloop::fs
