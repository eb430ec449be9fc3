// The contract every Docker keeps, as one parameterized suite run against
// EngineApiDocker (the real Docker Engine; a large, requires-docker test) and
// FakeDocker (a small test), so the fake cannot drift from the engine.
//
// Every image, container and network a test creates carries the label
// dev.devloop.test=<token of this process> and a unique name; the fixture
// sweeps them by label before and after each test, so a failing test leaves
// nothing behind.
#ifndef DEVLOOP_TESTING_ADAPTERS_DOCKER_CONTRACT_H_
#define DEVLOOP_TESTING_ADAPTERS_DOCKER_CONTRACT_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "infra/docker/docker.h"

namespace devloop::testing {

struct DockerFactory {
  std::string name;
  std::function<std::unique_ptr<docker::Docker>()> make;
  // Reads a file inside a container, by a route independent of the adapter.
  std::function<absl::StatusOr<std::string>(docker::Docker* docker, const std::string& container,
                                            const std::string& path)>
      read_file;
};
inline std::ostream& operator<<(std::ostream& os, const DockerFactory& f) { return os << f.name; }

inline constexpr char kTestLabel[] = "dev.devloop.test";

class DockerContractTest : public ::testing::TestWithParam<DockerFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Removes every container, image and network labelled with this process's token.
  void Sweep();
  // A fresh directory holding busybox and `dockerfile` as Dockerfile.
  std::string MakeContext(const std::string& dockerfile);
  // Builds a busybox image from `dockerfile`; fails the test on error.
  std::string BuildImage(const std::string& dockerfile = "");
  // A unique name for a resource.
  std::string UniqueName(const std::string& what);
  std::map<std::string, std::string> Labels() const { return {{kTestLabel, token_}}; }

  std::unique_ptr<docker::Docker> docker_;
  std::string token_;
  std::string temp_dir_;
  int counter_ = 0;
};

// Reads `path` in `container` through the Engine's archive endpoint with curl
// and tar, so a check of the real engine does not trust the adapter under test.
// Usable as a DockerFactory's file reader.
absl::StatusOr<std::string> ReadThroughEngineArchive(docker::Docker* unused,
                                                     const std::string& container,
                                                     const std::string& path);

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_ADAPTERS_DOCKER_CONTRACT_H_
