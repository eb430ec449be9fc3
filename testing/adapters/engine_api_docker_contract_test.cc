// The Docker contract against the real Docker Engine on this machine.
#include "infra/docker/engine_api_docker.h"
#include "testing/adapters/docker_contract.h"

namespace devloop::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Engine, DockerContractTest,
                         ::testing::Values(DockerFactory{
                             "engine",
                             []() -> std::unique_ptr<docker::Docker> {
                               return *docker::EngineApiDocker::Create({});
                             },
                             ReadThroughEngineArchive}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace devloop::testing
