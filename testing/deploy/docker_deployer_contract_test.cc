// The deployer contract against the DockerDeployer on the real Docker Engine:
// real containers, a real network, real port forwards and logs.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "infra/deploy/docker/docker_deployer.h"
#include "infra/deploy/labels.h"
#include "infra/docker/engine_api_docker.h"
#include "testing/deploy/deployer_contract.h"

namespace devloop::testing {
namespace {

constexpr char kTestLabel[] = "dev.devloop.test";

class DockerEnv : public DeployerEnv {
 public:
  DockerEnv() {
    std::random_device rd;
    token_ = absl::StrFormat("%08x%08x", rd(), rd());
    docker_ = *docker::EngineApiDocker::Create({.docker_host = docker::DockerHostFromEnvironment()});
    char tmpl[] = "/tmp/devloop-docker-deployer-contract-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~DockerEnv() override {
    made_.clear();  // deployers first: they stop following logs
    for (const std::string& run : runs_) {
      for (const auto& c : docker_->ListContainers(deploy::kRunIdLabel, run).value_or(
               std::vector<docker::ContainerSummary>{})) {
        (void)docker_->Remove(c.id, true);
      }
      for (const std::string& n : docker_->ListNetworks(deploy::kRunIdLabel, run).value_or(
               std::vector<std::string>{})) {
        (void)docker_->RemoveNetwork(n);
      }
    }
    for (const auto& c : docker_->ListContainers(kTestLabel, token_).value_or(
             std::vector<docker::ContainerSummary>{})) {
      (void)docker_->Remove(c.id, true);
    }
    for (const std::string& i :
         docker_->ListImages(kTestLabel, token_).value_or(std::vector<std::string>{})) {
      (void)docker_->RemoveImage(i, true);
    }
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<deploy::Deployer> Make(const std::string& run_id,
                                         std::vector<deploy::PortForwardSpec> forwards,
                                         deploy::LogSink on_log) override {
    runs_.push_back(run_id);
    auto d = deploy::DockerDeployer::Make(
        docker_.get(),
        {.run_id = run_id, .port_forwards = std::move(forwards), .on_log = std::move(on_log)},
        {"web"});
    EXPECT_TRUE(d.ok()) << d.status();
    made_.push_back(d->get());
    return *std::move(d);
  }

  std::string Image(const std::string& content) override {
    const std::string context = absl::StrCat(dir_, "/", content);
    std::filesystem::create_directories(context);
    std::filesystem::copy_file("/bin/busybox", context + "/busybox");
    std::ofstream(context + "/index.html") << content << "\n";
    std::ofstream(context + "/Dockerfile")
        << "FROM scratch\nCOPY busybox /bin/busybox\nCOPY index.html /www/index.html\n"
           "CMD [\"/bin/busybox\", \"sh\", \"-c\", \"echo serving " << content
        << "; exec /bin/busybox httpd -f -p 8080 -h /www\"]\n";
    absl::StatusOr<docker::BuildResult> built =
        docker_->Build({.context_dir = context, .labels = {{kTestLabel, token_}}});
    EXPECT_TRUE(built.ok()) << built.status();
    if (!built.ok()) return "";
    image_ = built->image_id;
    return absl::StrCat("web:", content, "@", built->image_id);
  }

  std::optional<std::string> Fetch(int port, const std::string& path) override {
    return HttpGet(port, path);
  }

  std::string ReadSynced(deploy::Deployer*, int port, const std::string& dest) override {
    // Served by the app itself, through the forward: proof the file is in it.
    return HttpGet(port, dest.substr(std::string("/www").size()));
  }

  int Owned(const std::string& run_id) override {
    return static_cast<int>(docker_->ListContainers(deploy::kRunIdLabel, run_id)
                                .value_or(std::vector<docker::ContainerSummary>{})
                                .size() +
                            docker_->ListNetworks(deploy::kRunIdLabel, run_id)
                                .value_or(std::vector<std::string>{})
                                .size());
  }

  void MakeBystander() override {
    if (image_.empty()) Image("bystander");
    absl::StatusOr<std::string> id = docker_->Run(
        {.image = image_, .name = absl::StrCat("bystander-", token_), .labels = {{kTestLabel, token_}}});
    ASSERT_TRUE(id.ok()) << id.status();
    bystander_ = *id;
  }
  bool Bystander() override {
    absl::StatusOr<docker::ContainerState> s = docker_->Inspect(bystander_);
    return s.ok() && s->status == docker::ContainerStatus::kRunning;
  }

 private:
  std::string token_;
  std::unique_ptr<docker::EngineApiDocker> docker_;
  std::string dir_;
  std::string image_;
  std::string bystander_;
  std::vector<std::string> runs_;
  std::vector<deploy::Deployer*> made_;
};

INSTANTIATE_TEST_SUITE_P(Docker, DeployerContractTest,
                         ::testing::Values(DeployerFactory{
                             "DockerDeployer", [] { return std::make_unique<DockerEnv>(); }}));

}  // namespace
}  // namespace devloop::testing
