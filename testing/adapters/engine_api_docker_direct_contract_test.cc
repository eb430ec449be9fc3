// The Docker contract against the real Docker Engine on this machine, with
// CopyInto and DeleteIn required to take the fast local path (writes through
// /proc/<pid>/root) instead of the Engine's archive endpoint and exec.
#include "infra/docker/engine_api_docker.h"
#include "testing/adapters/docker_contract.h"

namespace devloop::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Engine, DockerContractTest,
                         ::testing::Values(DockerFactory{
                             "engine_direct",
                             []() -> std::unique_ptr<docker::Docker> {
                               return *docker::EngineApiDocker::Create(
                                   {.direct_files = docker::DirectFiles::kRequired});
                             },
                             ReadThroughEngineArchive}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace devloop::testing
