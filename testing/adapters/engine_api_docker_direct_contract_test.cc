// The Docker contract against the real Docker Engine on this machine, with
// CopyInto and DeleteIn required to take the fast local path (writes through
// /proc/<pid>/root) instead of the Engine's archive endpoint and exec.
#include "absl/strings/str_cat.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/process/posix_process_runner.h"
#include "testing/adapters/docker_contract.h"

namespace devloop::testing {
namespace {

// Reads a file through the Engine's archive endpoint with curl and tar, so the
// check does not trust the adapter under test.
absl::StatusOr<std::string> ReadWithCurl(docker::Docker*, const std::string& container,
                                         const std::string& path) {
  process::PosixProcessRunner runner;
  std::string content;
  absl::StatusOr<process::ExitStatus> exit = runner.Run(
      {.argv = {"sh", "-c",
                absl::StrCat("curl -sf --unix-socket /var/run/docker.sock "
                             "'http://docker/v1.41/containers/",
                             container, "/archive?path=", path, "' | tar -xOf -")},
       .timeout = absl::Seconds(30),
       .on_stdout = [&](absl::string_view line) { absl::StrAppend(&content, line, "\n"); }});
  if (!exit.ok()) return exit.status();
  if (!exit->success()) return absl::NotFoundError(absl::StrCat(path, " not in ", container));
  return content;
}

INSTANTIATE_TEST_SUITE_P(Engine, DockerContractTest,
                         ::testing::Values(DockerFactory{
                             "engine_direct",
                             []() -> std::unique_ptr<docker::Docker> {
                               return *docker::EngineApiDocker::Create(
                                   {.direct_files = docker::DirectFiles::kRequired});
                             },
                             ReadWithCurl}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace devloop::testing
