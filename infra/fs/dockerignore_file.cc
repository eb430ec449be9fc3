#include "infra/fs/dockerignore_file.h"

#include <errno.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace devloop::fs {

absl::StatusOr<domain::DockerIgnore> ReadDockerIgnore(const std::string& context_dir) {
  std::string path = absl::StrCat(context_dir, "/.dockerignore");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return domain::DockerIgnore();
    return absl::InternalError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return domain::DockerIgnore::Parse(text.str(), path);
}

}  // namespace devloop::fs
