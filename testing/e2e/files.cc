#include "testing/e2e/files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"

namespace devloop::e2e {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnknownError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(const std::string& path, absl::string_view contents, int flags) {
  int fd = open(path.c_str(), flags | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", path);
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = Errno("cannot write", path);
      close(fd);
      return s;
    }
    p += n;
    left -= n;
  }
  if (close(fd) != 0) return Errno("cannot close", path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status WriteFile(const std::string& path, absl::string_view contents) {
  return WriteAll(path, contents, O_CREAT | O_TRUNC);
}

absl::Status AppendToFile(const std::string& path, absl::string_view text) {
  return WriteAll(path, text, O_CREAT | O_APPEND);
}

absl::Status ReplaceInFile(const std::string& path, absl::string_view from, absl::string_view to) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  if (!absl::StrContains(*text, from)) {
    return absl::NotFoundError(absl::StrCat("\"", from, "\" does not occur in ", path));
  }
  return WriteFile(path, absl::StrReplaceAll(*text, {{from, to}}));
}

absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix) {
  const char* base = getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/", prefix, "-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) return Errno("cannot create a directory like", templ);
  return templ;
}

}  // namespace devloop::e2e
