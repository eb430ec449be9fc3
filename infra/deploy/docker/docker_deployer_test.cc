// DockerDeployer's own policies on the fake engine (the deployer contract in
// testing/deploy covers the port's promises on the real engine).
#include "infra/deploy/docker/docker_deployer.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "domain/events/status_payload.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/deploy/labels.h"
#include "infra/docker/docker_status.h"
#include "testing/fakes/fake_docker.h"

namespace devloop::deploy {
namespace {

using ::testing::HasSubstr;

TEST(DockerDeployerMakeTest, RefusesAPortForwardOfNoArtifactOrAnotherResourceType) {
  testing::FakeDocker docker;
  auto none = DockerDeployer::Make(
      &docker, {.run_id = "r", .port_forwards = {{.resource_name = "db", .port = 5432}}}, {"web"});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("\"db\""));
  auto pod = DockerDeployer::Make(
      &docker,
      {.run_id = "r",
       .port_forwards = {{.resource_type = "service", .resource_name = "web", .port = 80}}},
      {"web"});
  EXPECT_THAT(std::string(pod.status().message()), HasSubstr("resourceType \"service\""));
}

class DockerDeployerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-docker-deployer-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::ofstream(dir_ + "/Dockerfile") << "FROM scratch\n";
    web1_ = *docker_.Build({.context_dir = dir_});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<DockerDeployer> Make() {
    return *DockerDeployer::Make(&docker_, {.run_id = "r1"}, {"web", "db"});
  }
  std::string Ref(const docker::BuildResult& b) { return "web:x@" + b.image_id; }

  std::string dir_;
  testing::FakeDocker docker_;
  docker::BuildResult web1_;
};

TEST_F(DockerDeployerTest, AnUnchangedImageIsCarriedOverNotRestarted) {
  absl::StatusOr<docker::BuildResult> db = docker_.Build({.context_dir = dir_});
  ASSERT_TRUE(db.ok());
  std::unique_ptr<DockerDeployer> d = Make();
  ASSERT_TRUE(d->Deploy(1, {{"web", Ref(web1_)}, {"db", "db:1@" + db->image_id}}).ok());
  std::vector<docker::ContainerSummary> first = *docker_.ListContainers(kRunIdLabel, "r1");
  ASSERT_EQ(first.size(), 2u);

  absl::StatusOr<docker::BuildResult> web2 = docker_.Build({.context_dir = dir_});
  ASSERT_TRUE(d->Deploy(2, {{"web", Ref(*web2)}, {"db", "db:1@" + db->image_id}}).ok());
  ASSERT_TRUE(d->Stop(1).ok());
  std::vector<docker::ContainerSummary> now = *docker_.ListContainers(kRunIdLabel, "r1");
  int running = 0;
  std::string db_before, db_after;
  for (const auto& c : first) {
    if (absl::StrContains(c.name, "db-")) db_before = c.id;
  }
  for (const auto& c : now) {
    if (docker_.Inspect(c.id)->status == docker::ContainerStatus::kRunning) ++running;
    if (absl::StrContains(c.name, "db-")) db_after = c.id;
  }
  EXPECT_EQ(running, 2);
  EXPECT_EQ(db_after, db_before) << "db was restarted though its image did not change";
  EXPECT_EQ((*d->Observe(2)).size(), 2u);
}

TEST_F(DockerDeployerTest, ADeadContainersLastLinesAreReportedThoughTheyArriveLate) {
  ASSERT_TRUE(docker_
                  .SetImageConfig(web1_.image_id,
                                  {.cmd = {"/bin/busybox", "sh", "-c",
                                           "echo starting; echo fatal: no database >&2; exit 3"}})
                  .ok());
  docker_.SetLogDelay(absl::Milliseconds(300));
  std::unique_ptr<DockerDeployer> d = Make();
  ASSERT_TRUE(d->Deploy(1, {{"web", Ref(web1_)}}).ok());
  absl::StatusOr<std::vector<domain::ResourceObservation>> seen = d->Observe(1);
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_TRUE((*seen)[0].terminated);
  EXPECT_EQ((*seen)[0].exit_code, 3);
  EXPECT_THAT((*seen)[0].last_log_lines,
              ::testing::ElementsAre("starting", "fatal: no database"));
}

TEST_F(DockerDeployerTest, AFailedDeployLeavesNothingOfItRunning) {
  testing::FaultyDocker faulty(&docker_);
  absl::StatusOr<docker::BuildResult> db = docker_.Build({.context_dir = dir_});
  auto d = *DockerDeployer::Make(&faulty, {.run_id = "r1"}, {"web", "db"});
  // The second container fails to start: the first is removed again.
  faulty.FailNext("Inspect", absl::InternalError("boom"));
  absl::StatusOr<std::vector<std::string>> r =
      d->Deploy(1, {{"db", "db:1@" + db->image_id}, {"web", Ref(web1_)}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(domain::AttachedStatusCode(r.status()), domain::StatusCode::kDeployUnknown);
  EXPECT_TRUE(docker_.ListContainers(kRunIdLabel, "r1")->empty());
}

TEST_F(DockerDeployerTest, PrepareMakesTheNetworkOnceAheadOfTheFirstDeploy) {
  std::unique_ptr<DockerDeployer> d = Make();
  d->Prepare();
  d->Prepare();  // once is enough
  ASSERT_TRUE(d->Deploy(1, {{"web", Ref(web1_)}}).ok());
  EXPECT_EQ(docker_.calls("CreateNetwork"), 1);
  EXPECT_EQ(docker_.ListNetworks(kRunIdLabel, "r1")->size(), 1u);
  ASSERT_TRUE(d->Cleanup(/*remove=*/true).ok());
  EXPECT_TRUE(docker_.ListNetworks(kRunIdLabel, "r1")->empty());
}

TEST_F(DockerDeployerTest, ANetworkPreparedForARunThatNeverDeployedIsRemoved) {
  std::unique_ptr<DockerDeployer> d = Make();
  d->Prepare();
  // Cleanup waits for the network being made, then removes it.
  ASSERT_TRUE(d->Cleanup(/*remove=*/true).ok());
  EXPECT_EQ(docker_.calls("CreateNetwork"), 1);
  EXPECT_TRUE(docker_.ListNetworks(kRunIdLabel, "r1")->empty());
  d->Prepare();  // after Cleanup: makes nothing
  EXPECT_EQ(docker_.calls("CreateNetwork"), 1);
}

TEST_F(DockerDeployerTest, DeployMakesTheNetworkAgainWhenPrepareFailed) {
  testing::FaultyDocker faulty(&docker_);
  auto d = *DockerDeployer::Make(&faulty, {.run_id = "r1"}, {"web"});
  faulty.FailNext("CreateNetwork", absl::UnavailableError("engine busy"));
  d->Prepare();
  ASSERT_TRUE(d->Deploy(1, {{"web", Ref(web1_)}}).ok());
  EXPECT_EQ(docker_.ListNetworks(kRunIdLabel, "r1")->size(), 1u);
  // An error that persists is the deploy's.
  auto e = *DockerDeployer::Make(&faulty, {.run_id = "r2"}, {"web"});
  faulty.FailAlways("CreateNetwork", absl::UnavailableError("engine gone"));
  e->Prepare();
  absl::StatusOr<std::vector<std::string>> r = e->Deploy(1, {{"web", Ref(web1_)}});
  EXPECT_THAT(r.status().message(), HasSubstr("engine gone"));
  EXPECT_TRUE(docker_.ListContainers(kRunIdLabel, "r2")->empty());
  faulty.Heal("CreateNetwork");
  ASSERT_TRUE(d->Cleanup(true).ok());
  ASSERT_TRUE(e->Cleanup(true).ok());
}

// A config reload in the same run: the new deployer takes over what the old
// one runs and keeps what did not change.
TEST_F(DockerDeployerTest, TakenOverContainersStayUnlessTheirArtifactChangedOrWent) {
  absl::StatusOr<docker::BuildResult> db = docker_.Build({.context_dir = dir_});
  absl::StatusOr<docker::BuildResult> api = docker_.Build({.context_dir = dir_});
  ASSERT_TRUE(db.ok() && api.ok());
  const PortForwardSpec forward{.resource_name = "web", .port = 8080, .local_port = 0};
  auto old = *DockerDeployer::Make(
      &docker_,
      {.run_id = "r1", .port_forwards = {forward}, .answer_wait = absl::ZeroDuration()},
      {"web", "db", "api"});
  ASSERT_TRUE(old->Deploy(1, {{"web", Ref(web1_)},
                              {"db", "db:1@" + db->image_id},
                              {"api", "api:1@" + api->image_id}})
                  .ok());
  std::vector<domain::PortEvent> ports = old->ForwardPorts(1);
  ASSERT_EQ(ports.size(), 1u);
  // Name prefix -> id.
  auto by_name = [&] {
    std::map<std::string, std::string> out;
    std::vector<docker::ContainerSummary> all = *docker_.ListContainers(kRunIdLabel, "r1");
    for (const auto& c : all) out[c.name.substr(0, 3)] = c.id;
    return out;
  };
  std::map<std::string, std::string> before = by_name();
  ASSERT_EQ(before.size(), 3u);

  DockerDeployer::Handover handover = old->HandOver();
  EXPECT_EQ(handover.containers(), 3u);
  EXPECT_EQ(old->Deploy(2, {{"web", Ref(web1_)}}).status().code(), absl::StatusCode::kCancelled);
  ASSERT_TRUE(old->Cleanup(/*remove=*/true).ok());
  EXPECT_EQ(docker_.ListContainers(kRunIdLabel, "r1")->size(), 3u)
      << "a deployer that handed over removes nothing";

  // The new config: db rebuilt, api gone, cache added; web as it was.
  absl::StatusOr<docker::BuildResult> db2 = docker_.Build({.context_dir = dir_});
  absl::StatusOr<docker::BuildResult> cache = docker_.Build({.context_dir = dir_});
  auto next = *DockerDeployer::Make(
      &docker_,
      {.run_id = "r1", .port_forwards = {forward}, .answer_wait = absl::ZeroDuration()},
      {"web", "db", "cache"});
  ASSERT_TRUE(next->TakeOver(std::move(handover)).ok());
  absl::StatusOr<std::vector<std::string>> resources =
      next->Deploy(1, {{"web", Ref(web1_)},
                       {"db", "db:2@" + db2->image_id},
                       {"cache", "cache:1@" + cache->image_id}});
  ASSERT_TRUE(resources.ok()) << resources.status();
  std::map<std::string, std::string> after = by_name();
  EXPECT_EQ(after.size(), 3u);
  EXPECT_EQ(after["web"], before["web"]) << "web did not change: its container stays";
  EXPECT_NE(after["db-"], before["db-"]) << "db was rebuilt: a new container";
  EXPECT_FALSE(docker_.Inspect(before["db-"]).ok()) << "the old db container is removed";
  EXPECT_FALSE(docker_.Inspect(before["api"]).ok()) << "api left the config";
  EXPECT_TRUE(after.contains("cac"));
  EXPECT_EQ(docker_.calls("CreateNetwork"), 1) << "the run keeps its network";

  std::vector<domain::PortEvent> now = next->ForwardPorts(1);
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].local_port, ports[0].local_port) << "the forward kept its local port";

  ASSERT_TRUE(next->Cleanup(/*remove=*/true).ok());
  EXPECT_TRUE(docker_.ListContainers(kRunIdLabel, "r1")->empty());
  EXPECT_TRUE(docker_.ListNetworks(kRunIdLabel, "r1")->empty());
}

TEST_F(DockerDeployerTest, TakeOverRefusesAnotherRunsContainers) {
  std::unique_ptr<DockerDeployer> old = Make();
  ASSERT_TRUE(old->Deploy(1, {{"web", Ref(web1_)}}).ok());
  auto other = *DockerDeployer::Make(&docker_, {.run_id = "r2"}, {"web"});
  EXPECT_EQ(other->TakeOver(old->HandOver()).code(), absl::StatusCode::kInvalidArgument);
}

TEST(DeployErrorTest, AnUnreachableEngineIsAClusterConnectionError) {
  absl::Status gone = docker::WithDockerStatusCode(
      absl::UnavailableError("no daemon"), domain::StatusCode::kBuildDockerDaemonNotRunning);
  EXPECT_EQ(domain::AttachedStatusCode(DeployError(gone)),
            domain::StatusCode::kDeployClusterConnectionErr);
  absl::Status bad = docker::WithDockerStatusCode(absl::InvalidArgumentError("bad name"),
                                                  domain::StatusCode::kBuildDockerInvalidParamErr);
  absl::Status mapped = DeployError(bad);
  EXPECT_EQ(domain::AttachedStatusCode(mapped), domain::StatusCode::kDeployUnknown);
  EXPECT_THAT(std::string(mapped.message()), HasSubstr("BUILD_DOCKER_INVALID_PARAM_ERR"));
}

TEST(ShortImageNameTest, DropsRegistryTagAndDigest) {
  EXPECT_EQ(ShortImageName("gcr.io/k8s-skaffold/leeroy-web:v1"), "leeroy-web");
  EXPECT_EQ(ShortImageName("localhost:5000/web"), "web");
  EXPECT_EQ(ShortImageName("web@sha256:abc"), "web");
  EXPECT_EQ(ShortImageName("web"), "web");
}

TEST(ObserveContainerTest, MapsEngineStatesToObservations) {
  docker::ContainerState exited{.status = docker::ContainerStatus::kExited, .exit_code = 3};
  domain::ResourceObservation o = ObserveContainer("container/web", exited);
  EXPECT_TRUE(o.terminated);
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(o.terminated_reason, "Error");
  docker::ContainerState unhealthy{.status = docker::ContainerStatus::kRunning,
                                   .health = "unhealthy"};
  EXPECT_EQ(ObserveContainer("container/web", unhealthy).ready_replicas, 0);
  EXPECT_EQ(ObserveContainer("container/web", unhealthy).health, domain::Health::kUnhealthy);
  docker::ContainerState restarting{.status = docker::ContainerStatus::kRestarting};
  EXPECT_EQ(ObserveContainer("container/web", restarting).waiting_reason, "CrashLoopBackOff");
}

}  // namespace
// `devloop debug` on the fake engine: the container's command line comes
// from its image's configuration, as the engine would run it.
class DockerDeployerDebugTest : public DockerDeployerTest {
 protected:
  void SetUp() override {
    DockerDeployerTest::SetUp();
    ASSERT_TRUE(docker_.SetImageConfig(web1_.image_id, {.entrypoint = {"/app", "--serve"},
                                                        .env = {"GOTRACEBACK=single"},
                                                        .working_dir = "/src"})
                    .ok());
  }
  void MakeSupportImage() {
    ASSERT_TRUE(docker_.Build({.context_dir = dir_, .tags = {"devloop-debug-support:go"}}).ok());
  }
  std::unique_ptr<DockerDeployer> MakeDebugging() {
    auto d = *DockerDeployer::Make(&docker_,
                                   {.run_id = "r1",
                                    .answer_wait = absl::ZeroDuration(),
                                    .debug = {.enabled = true, .forward_ports = true}},
                                   {"web"});
    d->ReportDebugging([this](domain::DebuggingContainerEvent e) {
      absl::MutexLock lock(&mu_);
      events_.push_back(std::move(e));
    });
    return d;
  }
  std::vector<domain::DebuggingContainerEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  absl::Mutex mu_;
  std::vector<domain::DebuggingContainerEvent> events_ ABSL_GUARDED_BY(mu_);
};

TEST_F(DockerDeployerDebugTest, AGoContainerRunsUnderDelveWithItsFilesMountedReadOnly) {
  MakeSupportImage();
  std::unique_ptr<DockerDeployer> d = MakeDebugging();
  ASSERT_TRUE(d->Deploy(1, {{"web", Ref(web1_)}}).ok());

  std::vector<docker::ContainerSummary> running = *docker_.ListContainers(kRunIdLabel, "r1");
  ASSERT_EQ(running.size(), 1u) << "the container that filled the volume is gone";
  docker::RunRequest run = *docker_.RunRequestOf(running[0].id);
  EXPECT_EQ(run.entrypoint,
            (std::vector<std::string>{"/dbg/go/bin/dlv", "exec", "--headless", "--continue",
                                      "--accept-multiclient", "--listen=:56268",
                                      "--api-version=2", "/app", "--", "--serve"}));
  ASSERT_EQ(run.mounts.size(), 1u);
  EXPECT_EQ(run.mounts[0].target, "/dbg/go");
  EXPECT_TRUE(run.mounts[0].read_only);
  EXPECT_TRUE(docker_.volumes().contains(run.mounts[0].volume));
  EXPECT_EQ(docker_.volumes().at(run.mounts[0].volume).at(kRunIdLabel), "r1");
  EXPECT_THAT(run.ports, ::testing::Contains(::testing::Field(
                             &docker::PortMapping::container_port, 56268)));

  std::vector<domain::DebuggingContainerEvent> started = events();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].status, "Started");
  EXPECT_EQ(started[0].container_name, "web");
  EXPECT_EQ(started[0].pod_name, run.name);
  EXPECT_EQ(started[0].artifact, "web");
  EXPECT_EQ(started[0].runtime, "go");
  EXPECT_EQ(started[0].working_dir, "/src");
  EXPECT_EQ(started[0].debug_ports, (std::map<std::string, uint32_t>{{"dlv", 56268}}));

  std::vector<domain::PortEvent> ports = d->ForwardPorts(1);
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0].port_name, "dlv");
  EXPECT_EQ(ports[0].remote_port, 56268);
  EXPECT_GT(ports[0].local_port, 0);

  // A rebuilt image replaces the container; its debug port keeps its local port.
  absl::StatusOr<docker::BuildResult> web2 = docker_.Build({.context_dir = dir_});
  ASSERT_TRUE(docker_.SetImageConfig(web2->image_id, {.entrypoint = {"/app"},
                                                      .env = {"GOTRACEBACK=single"}})
                  .ok());
  ASSERT_TRUE(d->Deploy(2, {{"web", Ref(*web2)}}).ok());
  std::vector<domain::PortEvent> again = d->ForwardPorts(2);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].local_port, ports[0].local_port);
  ASSERT_TRUE(d->Stop(1).ok());
  ASSERT_EQ(events().size(), 3u);
  EXPECT_EQ(events()[1].status, "Started");
  EXPECT_EQ(events()[2].status, "Terminated");
  EXPECT_EQ(events()[2].pod_name, run.name) << "the replaced container is the one gone";

  ASSERT_TRUE(d->Cleanup(/*remove=*/true).ok());
  EXPECT_EQ(events().back().status, "Terminated");
  EXPECT_TRUE(docker_.volumes().empty()) << "the run's support volume is removed with it";
}

TEST_F(DockerDeployerDebugTest, WithoutItsSupportImageTheDeployFailsSayingHowToMakeIt) {
  std::unique_ptr<DockerDeployer> d = MakeDebugging();
  absl::StatusOr<std::vector<std::string>> r = d->Deploy(1, {{"web", Ref(web1_)}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("devloop-debug-support:go"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("tools/debug/support.sh"));
  EXPECT_TRUE(docker_.ListContainers(kRunIdLabel, "r1")->empty());
  EXPECT_TRUE(events().empty());
}

TEST_F(DockerDeployerDebugTest, AContainerOfNoKnownRuntimeRunsAsItIs) {
  ASSERT_TRUE(docker_.SetImageConfig(web1_.image_id, {.cmd = {"/bin/busybox", "httpd", "-f"}})
                  .ok());
  std::unique_ptr<DockerDeployer> d = MakeDebugging();
  ASSERT_TRUE(d->Deploy(1, {{"web", Ref(web1_)}}).ok());
  std::vector<docker::ContainerSummary> running = *docker_.ListContainers(kRunIdLabel, "r1");
  ASSERT_EQ(running.size(), 1u);
  docker::RunRequest run = *docker_.RunRequestOf(running[0].id);
  EXPECT_TRUE(run.entrypoint.empty());
  EXPECT_TRUE(run.cmd.empty());
  EXPECT_TRUE(run.mounts.empty());
  EXPECT_TRUE(events().empty());
  EXPECT_TRUE(d->ForwardPorts(1).empty());
}

TEST_F(DockerDeployerDebugTest, TheArtifactsRuntimeTypeWinsOverDetection) {
  ASSERT_TRUE(docker_.Build({.context_dir = dir_, .tags = {"devloop-debug-support:python"}}).ok());
  ASSERT_TRUE(docker_.SetImageConfig(web1_.image_id, {.cmd = {"python3", "app.py"},
                                                      .env = {"GOTRACEBACK=single"}})
                  .ok());
  auto d = *DockerDeployer::Make(&docker_,
                                 {.run_id = "r1",
                                  .debug = {.enabled = true,
                                            .runtime_types = {{"web", "python"}}}},
                                 {"web"});
  ASSERT_TRUE(d->Deploy(1, {{"web", Ref(web1_)}}).ok());
  docker::RunRequest run = *docker_.RunRequestOf(docker_.ListContainers(kRunIdLabel, "r1")->at(0).id);
  ASSERT_FALSE(run.cmd.empty());
  EXPECT_EQ(run.cmd[0], "/dbg/python/launcher");
  ASSERT_EQ(run.mounts.size(), 1u);
  EXPECT_EQ(run.mounts[0].target, "/dbg/python");
}

}  // namespace devloop::deploy
