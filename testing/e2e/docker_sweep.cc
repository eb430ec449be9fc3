#include "testing/e2e/docker_sweep.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "testing/e2e/subprocess.h"

namespace devloop::e2e {
namespace {

absl::StatusOr<std::vector<std::string>> Ids(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> r = RunCommand(argv, absl::Seconds(30));
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::UnknownError(
        absl::StrCat("\"", absl::StrJoin(argv, " "), "\" exited ", r->exit_code, ": ", r->output));
  }
  std::vector<std::string> ids = absl::StrSplit(r->output, '\n', absl::SkipWhitespace());
  // `docker images -q` repeats an image once per tag.
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

absl::Status RemoveAll(const std::vector<std::string>& command, const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  std::vector<std::string> argv = command;
  argv.insert(argv.end(), ids.begin(), ids.end());
  absl::StatusOr<CommandResult> r = RunCommand(argv, absl::Seconds(60));
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::UnknownError(
        absl::StrCat("\"", absl::StrJoin(argv, " "), "\" exited ", r->exit_code, ": ", r->output));
  }
  return absl::OkStatus();
}

}  // namespace

std::string UniqueTestLabel(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  // Bazel's sandbox runs each test in its own PID namespace, where every test
  // has the same PID: the random part keeps concurrent runs apart.
  static const uint32_t process_nonce = std::random_device{}();
  return absl::StrCat(kTestLabelKey, "=", prefix, "-", getpid(), "-",
                      absl::Hex(process_nonce, absl::kZeroPad8), "-", counter.fetch_add(1));
}

absl::StatusOr<DockerObjects> ListDockerObjects(absl::string_view label) {
  std::string filter = absl::StrCat("label=", label);
  DockerObjects objects;
  absl::StatusOr<std::vector<std::string>> ids =
      Ids({"docker", "ps", "-aq", "--no-trunc", "--filter", filter});
  if (!ids.ok()) return ids.status();
  objects.containers = *std::move(ids);
  ids = Ids({"docker", "network", "ls", "-q", "--no-trunc", "--filter", filter});
  if (!ids.ok()) return ids.status();
  objects.networks = *std::move(ids);
  ids = Ids({"docker", "images", "-q", "--no-trunc", "--filter", filter});
  if (!ids.ok()) return ids.status();
  objects.images = *std::move(ids);
  ids = Ids({"docker", "volume", "ls", "-q", "--filter", filter});
  if (!ids.ok()) return ids.status();
  objects.volumes = *std::move(ids);
  return objects;
}

absl::Status SweepDockerObjects(absl::string_view label) {
  absl::StatusOr<DockerObjects> objects = ListDockerObjects(label);
  if (!objects.ok()) return objects.status();
  absl::Status first;
  auto keep = [&first](absl::Status s) {
    if (first.ok()) first = std::move(s);
  };
  // Containers first: networks and images in use cannot be removed.
  keep(RemoveAll({"docker", "rm", "-f", "-v"}, objects->containers));
  keep(RemoveAll({"docker", "network", "rm"}, objects->networks));
  keep(RemoveAll({"docker", "rmi", "-f"}, objects->images));
  keep(RemoveAll({"docker", "volume", "rm"}, objects->volumes));
  return first;
}

absl::Status BuildLabelledImage(absl::string_view label, absl::string_view tag,
                                absl::string_view dir) {
  const std::vector<std::string> argv = {"docker", "build", "-q",           "--label",
                                         std::string(label), "-t", std::string(tag),
                                         std::string(dir)};
  absl::StatusOr<CommandResult> r = RunCommand(argv, absl::Seconds(120));
  if (r.ok() && r->exit_code != 0 && absl::StrContains(r->output, "unknown parent image ID")) {
    r = RunCommand(argv, absl::Seconds(120));
  }
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::UnknownError(
        absl::StrCat("\"", absl::StrJoin(argv, " "), "\" exited ", r->exit_code, ": ", r->output));
  }
  return absl::OkStatus();
}

bool DockerAvailable() {
  absl::StatusOr<CommandResult> r =
      RunCommand({"docker", "version", "--format", "{{.Server.Version}}"}, absl::Seconds(10));
  return r.ok() && r->exit_code == 0;
}

}  // namespace devloop::e2e
