#include "testing/adapters/docker_contract.h"
#include "testing/fakes/fake_docker.h"

namespace devloop::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Fake, DockerContractTest,
    ::testing::Values(DockerFactory{
        "fake", [] { return std::make_unique<FakeDocker>(); },
        [](docker::Docker* docker, const std::string& container, const std::string& path) {
          return static_cast<FakeDocker*>(docker)->ReadFile(container, path);
        }}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace devloop::testing
