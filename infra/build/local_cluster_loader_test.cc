// LocalClusterLoader with a fake kind/k3d/minikube: the exact commands Skaffold's
// users know, run after each build, and a failed load failing the build.
#include "infra/build/local_cluster_loader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fakes/fake_process_runner.h"

namespace devloop::build {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FixedBuilder : public Builder {
 public:
  absl::StatusOr<std::string> Build(const BuildRequest& r) override {
    return r.image + ":3f2a@sha256:abc";
  }
  void Cancel(const std::string&) override {}
  absl::Status Cleanup() override { return absl::OkStatus(); }
};

TEST(LoadImageArgvTest, NamesTheLocalClustersCommands) {
  EXPECT_THAT(*LoadImageArgv("kind-dev", "web:1"),
              ElementsAre("kind", "load", "docker-image", "web:1", "--name", "dev"));
  EXPECT_THAT(*LoadImageArgv("k3d-mycluster", "web:1"),
              ElementsAre("k3d", "image", "import", "web:1", "-c", "mycluster"));
  // minikube builds on its node's engine instead (MinikubeDockerOptions).
  EXPECT_FALSE(LoadImageArgv("minikube", "web:1").has_value());
  EXPECT_FALSE(LoadImageArgv("docker-desktop", "web:1").has_value());
  EXPECT_FALSE(LoadImageArgv("gke_project_zone_cluster", "web:1").has_value());
}

TEST(MinikubeDockerOptionsTest, ReadsTheEngineConnectionFromDockerEnv) {
  testing::FakeProcessRunner runner;
  runner.AddProgram("minikube", [](testing::FakeProcessRunner::Io& io) {
    io.Out("DOCKER_TLS_VERIFY=\"1\"\nDOCKER_HOST=\"tcp://192.168.49.2:2376\"\n"
           "DOCKER_CERT_PATH=\"/home/dev/.minikube/certs\"\nMINIKUBE_ACTIVE_DOCKERD=\"minikube\"");
    return 0;
  });
  absl::StatusOr<docker::EngineApiDockerOptions> o = MinikubeDockerOptions(&runner, "minikube");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->docker_host, "tcp://192.168.49.2:2376");
  EXPECT_TRUE(o->tls);
  EXPECT_TRUE(o->tls_verify);
  EXPECT_EQ(o->cert_path, "/home/dev/.minikube/certs");
  ASSERT_EQ(runner.started().size(), 1u);
  EXPECT_THAT(runner.started()[0].argv, ElementsAre("minikube", "docker-env", "--shell", "none",
                                                    "-p", "minikube", "--user=devloop"));
  EXPECT_TRUE(IsMinikube("minikube"));
  EXPECT_FALSE(IsMinikube("kind-minikube"));
}

TEST(MinikubeDockerOptionsTest, AStoppedMinikubeFailsWithWhatItSaid) {
  testing::FakeProcessRunner runner;
  runner.AddProgram("minikube", [](testing::FakeProcessRunner::Io& io) {
    io.Err("X Exiting due to GUEST_STATUS: state: unknown state \"minikube\"");
    return 80;
  });
  absl::StatusOr<docker::EngineApiDockerOptions> o = MinikubeDockerOptions(&runner, "minikube");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("GUEST_STATUS"));
  EXPECT_THAT(o.status().message(), HasSubstr("minikube docker-env --shell none -p minikube"));
}

TEST(LocalClusterLoaderTest, LoadsTheTagAndDeploysItWithoutTheDigest) {
  FixedBuilder base;
  testing::FakeProcessRunner runner;
  runner.AddProgram("kind", [](testing::FakeProcessRunner::Io&) { return 0; });
  LocalClusterLoader loader(&base, &runner, "kind-dev");
  absl::StatusOr<std::string> ref = loader.Build({.image = "web"});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(*ref, "web:3f2a");
  ASSERT_EQ(runner.started().size(), 1u);
  EXPECT_THAT(runner.started()[0].argv,
              ElementsAre("kind", "load", "docker-image", "web:3f2a", "--name", "dev"));
}

TEST(LocalClusterLoaderTest, AFailedLoadFailsTheBuildWithItsOutput) {
  FixedBuilder base;
  testing::FakeProcessRunner runner;
  runner.AddProgram("k3d", [](testing::FakeProcessRunner::Io& io) {
    io.Err("cluster 'dev' not found");
    return 1;
  });
  LocalClusterLoader loader(&base, &runner, "k3d-dev");
  absl::StatusOr<std::string> ref = loader.Build({.image = "web"});
  ASSERT_FALSE(ref.ok());
  EXPECT_THAT(ref.status().message(), HasSubstr("cluster 'dev' not found"));
  EXPECT_THAT(ref.status().message(), HasSubstr("k3d image import web:3f2a -c dev"));
}

}  // namespace
}  // namespace devloop::build
