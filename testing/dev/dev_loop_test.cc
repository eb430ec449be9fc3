// The dev loop's shell end to end on the fake Docker Engine: the real
// controller, executor, pool, hub and port forwarder; only the engine is fake.
#include "infra/dev/dev_loop.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/clock/clock.h"
#include "infra/hub/hub.h"
#include "infra/runtime/blocking_pool.h"
#include "infra/runtime/executor.h"
#include "testing/fakes/fake_docker.h"

namespace devloop::dev {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::string MakeContext() {
  char tmpl[] = "/tmp/devloop-dev-loop-test-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/Dockerfile") << "FROM scratch\nCOPY index.html /www/index.html\n";
  std::ofstream(dir + "/index.html") << "hello\n";
  std::ofstream(dir + "/main.c") << "int main() {}\n";
  return dir;
}

class DevLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    context_ = MakeContext();
    options_.run_id = "testrun1";
    options_.status_poll_interval = absl::Milliseconds(5);
    ArtifactBuildSpec web;
    web.spec.image = "web";
    web.spec.sync = {{.src = "*.html", .dest = "/www", .strip = ""}};
    web.context_dir = context_;
    options_.artifacts.push_back(web);
    options_.port_forwards.push_back({.resource_name = "web", .port = 8080, .local_port = 0});
  }
  void TearDown() override {
    loop_.reset();
    pool_.Shutdown();
    executor_.Shutdown();
    std::string cmd = "rm -rf " + context_;
    (void)std::system(cmd.c_str());
  }

  void StartLoop() {
    auto loop = DevLoop::Make(options_, {.docker = &docker_, .hub = &hub_, .executor = &executor_,
                                         .pool = &pool_});
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
    ASSERT_TRUE(loop_->Start().ok());
  }

  // Makes a control call and waits (up to 20 s: only a hang fails) for its
  // answer. The test thread may wait; the transports never do.
  static absl::Status Answer(const std::function<void(control::Control::Done)>& call) {
    auto answer = std::make_shared<std::promise<absl::Status>>();
    std::future<absl::Status> got = answer->get_future();
    call([answer](absl::Status s) { answer->set_value(std::move(s)); });
    if (got.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      return absl::DeadlineExceededError("the control call was never answered");
    }
    return got.get();
  }

  // Waits (up to 20 s: only a hang fails) until `pred` holds for the State.
  bool WaitForState(std::function<bool(const domain::State&)> pred) {
    const absl::Time end = absl::Now() + absl::Seconds(20);
    while (absl::Now() < end) {
      if (pred(hub_.State()->state)) return true;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return false;
  }

  // The entry texts streamed so far.
  std::vector<std::string> Entries() {
    auto sub = hub_.Subscribe([] {});
    std::vector<hub::Hub::EntryPtr> batch;
    while (sub->Read(1 << 20, &batch) == hub::Hub::ReadResult::kData) {
    }
    std::vector<std::string> out;
    for (const auto& e : batch) {
      const std::string& j = e->json_line;
      const size_t at = j.rfind("\"entry\":\"");
      if (at == std::string::npos) continue;
      out.push_back(j.substr(at + 9, j.rfind('"') - at - 9));
    }
    return out;
  }

  bool Idle(const domain::State& s) {
    return s.status_check_state.status == "Succeeded" && s.deploy_state.status == "Complete";
  }

  std::string context_;
  DevLoopOptions options_;
  testing::FakeDocker docker_;
  hub::Hub hub_;
  runtime::Executor executor_{clock::RealClock()};
  runtime::BlockingPool pool_{{.threads = 2, .max_queued = 64}};
  std::unique_ptr<DevLoop> loop_;
};

TEST_F(DevLoopTest, InitialIterationBuildsDeploysChecksAndForwards) {
  StartLoop();
  ASSERT_TRUE(WaitForState([&](const domain::State& s) {
    return Idle(s) && s.forwarded_ports.size() == 1;
  })) << hub_.State()->state;
  const domain::State s = hub_.State()->state;
  EXPECT_EQ(s.build_state.artifacts.at("web"), "Complete");
  const domain::PortEvent& port = s.forwarded_ports.begin()->second;
  EXPECT_EQ(port.remote_port, 8080);
  EXPECT_EQ(port.resource_type, "container");
  EXPECT_EQ(port.address, "127.0.0.1");
  auto containers = docker_.ListContainers(DevLoop::kRunIdLabel, "testrun1");
  ASSERT_TRUE(containers.ok());
  EXPECT_EQ(containers->size(), 1u);
  std::vector<std::string> entries = Entries();
  EXPECT_THAT(entries, Contains("Build started for artifact web"));
  EXPECT_THAT(entries, Contains("Build completed for artifact web"));
  EXPECT_THAT(entries, Contains("Deploy completed"));
  EXPECT_THAT(entries, Contains("Update succeeded"));
}

TEST_F(DevLoopTest, SyncedEditIsCopiedIntoTheContainerWithoutABuild) {
  StartLoop();
  ASSERT_TRUE(WaitForState([&](const domain::State& s) { return Idle(s); }));
  const int builds = docker_.calls("Build");
  std::ofstream(context_ + "/index.html") << "hello again\n";
  loop_->FilesChanged("web", {{.path = "index.html"}});
  ASSERT_TRUE(WaitForState(
      [&](const domain::State& s) { return s.file_sync_state.status == "Succeeded"; }));
  auto containers = docker_.ListContainers(DevLoop::kRunIdLabel, "testrun1");
  ASSERT_TRUE(containers.ok());
  ASSERT_EQ(containers->size(), 1u);
  EXPECT_EQ(docker_.ReadFile((*containers)[0].id, "/www/index.html").value_or(""),
            "hello again\n");
  EXPECT_EQ(docker_.calls("Build"), builds);
}

TEST_F(DevLoopTest, SourceEditRebuildsAndReplacesTheContainerOnTheSameLocalPort) {
  StartLoop();
  ASSERT_TRUE(WaitForState([&](const domain::State& s) {
    return Idle(s) && s.forwarded_ports.size() == 1;
  }));
  const int local_port = hub_.State()->state.forwarded_ports.begin()->first;
  auto before = docker_.ListContainers(DevLoop::kRunIdLabel, "testrun1");
  ASSERT_TRUE(before.ok() && before->size() == 1u);
  std::ofstream(context_ + "/main.c") << "int main() { return 1; }\n";
  std::ofstream(context_ + "/Dockerfile", std::ios::app) << "COPY main.c /main.c\n";
  loop_->FilesChanged("web", {{.path = "main.c"}, {.path = "Dockerfile"}});
  ASSERT_TRUE(WaitForState([&](const domain::State& s) {
    auto now = docker_.ListContainers(DevLoop::kRunIdLabel, "testrun1");
    return Idle(s) && now.ok() && now->size() == 1u && (*now)[0].id != (*before)[0].id;
  })) << hub_.State()->state;
  EXPECT_EQ(hub_.State()->state.forwarded_ports.begin()->first, local_port);
  EXPECT_EQ(hub_.State()->state.forwarded_ports.size(), 1u);
}

TEST_F(DevLoopTest, StopRemovesEverythingTheRunMadeAndNothingElse) {
  auto other = docker_.Run({.image = "", .name = "not-ours", .labels = {{"x", "y"}}});
  StartLoop();
  ASSERT_TRUE(WaitForState([&](const domain::State& s) { return Idle(s); }));
  ASSERT_TRUE(loop_->Stop().ok());
  auto left = docker_.ListContainers(DevLoop::kRunIdLabel, "testrun1");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  auto nets = docker_.ListNetworks(DevLoop::kRunIdLabel, "testrun1");
  ASSERT_TRUE(nets.ok());
  EXPECT_TRUE(nets->empty());
  auto images = docker_.ListImages(DevLoop::kRunIdLabel, "testrun1");
  ASSERT_TRUE(images.ok());
  EXPECT_TRUE(images->empty());
  if (other.ok()) EXPECT_TRUE(docker_.Inspect(*other).ok()) << "a container not ours was touched";
}

TEST_F(DevLoopTest, ControlApiAnswersAlreadySetAndGatesBuilds) {
  StartLoop();
  ASSERT_TRUE(WaitForState([&](const domain::State& s) { return Idle(s); }));
  absl::Status same = Answer(
      [&](auto done) { loop_->SetAutoTrigger(domain::Phase::kBuild, true, std::move(done)); });
  EXPECT_EQ(same.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(same.message()), HasSubstr("auto build is already set to true"));
  ASSERT_TRUE(Answer([&](auto done) {
                loop_->SetAutoTrigger(domain::Phase::kBuild, false, std::move(done));
              }).ok());
  const int builds = docker_.calls("Build");
  loop_->FilesChanged("web", {{.path = "main.c"}});
  absl::SleepFor(absl::Milliseconds(50));  // give a wrong build the chance to start
  EXPECT_EQ(docker_.calls("Build"), builds);
  ASSERT_TRUE(Answer([&](auto done) { loop_->Execute({.build = true}, std::move(done)); }).ok());
  ASSERT_TRUE(WaitForState([&](const domain::State&) { return docker_.calls("Build") > builds; }));
}

TEST_F(DevLoopTest, ControlCallsReturnBeforeTheExecutorAnswers) {
  StartLoop();
  ASSERT_TRUE(WaitForState([&](const domain::State& s) { return Idle(s); }));
  // The executor is busy: a control call must return anyway, its answer later.
  absl::Notification release;
  executor_.Post([&release] { release.WaitForNotification(); });
  auto answer = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> got = answer->get_future();
  loop_->SetAutoTrigger(domain::Phase::kSync, true,
                        [answer](absl::Status s) { answer->set_value(std::move(s)); });
  EXPECT_NE(got.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  release.Notify();
  ASSERT_EQ(got.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  absl::Status s = got.get();
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "auto sync is already set to true");
  // A malformed request is answered at once, without the executor.
  EXPECT_EQ(Answer([&](auto done) { loop_->Handle(domain::NoEvent{}, std::move(done)); }).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DevLoopTest, FailedBuildKeepsTheOldContainerRunning) {
  StartLoop();
  ASSERT_TRUE(WaitForState([&](const domain::State& s) { return Idle(s); }));
  auto before = docker_.ListContainers(DevLoop::kRunIdLabel, "testrun1");
  ASSERT_TRUE(before.ok() && before->size() == 1u);
  std::ofstream(context_ + "/Dockerfile") << "FROM scratch\nCOPY missing.txt /x\n";
  loop_->FilesChanged("web", {{.path = "Dockerfile"}});
  ASSERT_TRUE(WaitForState(
      [&](const domain::State& s) { return s.build_state.artifacts.at("web") == "Failed"; }));
  EXPECT_EQ(hub_.State()->state.build_state.status_code, domain::StatusCode::kBuildUserError);
  auto after = docker_.ListContainers(DevLoop::kRunIdLabel, "testrun1");
  ASSERT_TRUE(after.ok() && after->size() == 1u);
  EXPECT_EQ((*after)[0].id, (*before)[0].id);
}

TEST(DevLoopMakeTest, RefusesAPortForwardOfNoArtifact) {
  testing::FakeDocker docker;
  hub::Hub hub;
  runtime::Executor executor(clock::RealClock());
  runtime::BlockingPool pool({.threads = 1, .max_queued = 4});
  DevLoopOptions options;
  options.artifacts.push_back({.spec = {.image = "web"}, .context_dir = "/tmp"});
  options.port_forwards.push_back({.resource_name = "db", .port = 5432});
  auto loop = DevLoop::Make(options, {&docker, &hub, &executor, &pool});
  EXPECT_EQ(loop.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(loop.status().message()), HasSubstr("\"db\""));
  pool.Shutdown();
  executor.Shutdown();
}

TEST(ShortImageNameTest, DropsRegistryTagAndDigest) {
  EXPECT_EQ(ShortImageName("gcr.io/k8s-skaffold/leeroy-web:v1"), "leeroy-web");
  EXPECT_EQ(ShortImageName("localhost:5000/web"), "web");
  EXPECT_EQ(ShortImageName("web@sha256:abc"), "web");
  EXPECT_EQ(ShortImageName("web"), "web");
}

}  // namespace
}  // namespace devloop::dev
