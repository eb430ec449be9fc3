// The Docker daemon goes away while `devloop dev` builds, deploys, syncs and
// status-checks (testing/examples/sync, devloop talking to the Engine through a
// SocketProxy that the test cuts): each time the event stream reports the
// failure with the phase's status code, the last good container keeps running
// and serving (asked of the real Engine, not through the proxy), and once the
// daemon is back the next edit is built, deployed or synced by the same
// devloop process.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/faults/socket_proxy.h"

namespace devloop::e2e {
namespace {

using faults::SocketProxy;

constexpr absl::Duration kIteration = absl::Seconds(90);

EventsClient::Predicate IsFailedBuild(const std::string& artifact) {
  return IsBuildEvent(artifact, "Failed");
}

std::string CodeName(proto::StatusCode code) { return proto::StatusCode_Name(code); }

class DaemonFaultsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<SocketProxy>> proxy = SocketProxy::Start({});
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
    absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("sync", {"devloop-sync"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
    image_ = session_->Image("devloop-sync");
    port_ = session_->LocalPort(9001);
  }

  void TearDown() override {
    // The session's cleanup goes through devloop: give it its daemon back.
    if (proxy_ != nullptr) (void)proxy_->Restore();
    session_.reset();
  }

  // Points devloop's DOCKER_HOST at the proxy.
  std::function<void(DevloopProcess::Options&)> OnProxy() {
    return [this](DevloopProcess::Options& o) { o.env["DOCKER_HOST"] = proxy_->docker_host(); };
  }

  // Starts devloop on the proxy and waits for iteration 0; remembers the
  // container it runs.
  void StartAndWaitForFirstIteration() {
    ASSERT_TRUE(session_->Start({}, OnProxy()).ok());
    absl::StatusOr<proto::LogEntry> done =
        session_->events().WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at_);
    ASSERT_TRUE(done.ok()) << done.status() << "\n" << Output();
    absl::StatusOr<std::string> container = session_->RunningContainer("devloop-sync");
    ASSERT_TRUE(container.ok()) << container.status();
    container_ = *container;
    ASSERT_TRUE(WaitServed(port_, "/index.html", "<").ok());
  }

  // The last good container runs (the real Engine says so) and still serves
  // through the forwarded port.
  void ExpectLastGoodContainerServes(absl::string_view marker = "<") {
    absl::StatusOr<std::string> running =
        Docker({"inspect", "--format", "{{.State.Running}}", container_});
    ASSERT_TRUE(running.ok()) << running.status();
    EXPECT_EQ(absl::StripAsciiWhitespace(*running), "true");
    absl::StatusOr<std::string> served = WaitServed(port_, "/index.html", marker);
    EXPECT_TRUE(served.ok()) << served.status();
  }

  // Writes a file that is not synced: the next iteration builds and deploys.
  void EditForRebuild(absl::string_view tag) {
    ASSERT_TRUE(WriteFile(absl::StrCat(session_->dir(), "/rebuild.txt"), tag).ok());
  }

  // The daemon is back: the next rebuilt edit is iteration 2, deployed in the
  // same process as a new container that serves.
  void RestoreAndExpectTheNextEditDeployed() {
    ASSERT_TRUE(proxy_->Restore().ok());
    EditForRebuild("2");
    absl::StatusOr<proto::LogEntry> done =
        session_->events().WaitFor(IsDevLoopEvent(2, "Succeeded"), kIteration, at_, &at_);
    ASSERT_TRUE(done.ok()) << done.status() << "\n" << Output();
    absl::StatusOr<std::string> now = session_->RunningContainer("devloop-sync");
    ASSERT_TRUE(now.ok()) << now.status();
    EXPECT_NE(*now, container_) << "the edit after the daemon came back was deployed";
    EXPECT_TRUE(session_->devloop().process().Running());
    ASSERT_TRUE(WaitServed(port_, "/index.html", "<").ok());
  }

  std::string Output() { return session_->devloop().process().Output(); }

  std::unique_ptr<SocketProxy> proxy_;
  std::unique_ptr<DevSession> session_;
  std::string image_;
  int port_ = 0;
  size_t at_ = 0;
  std::string container_;
};

TEST_F(DaemonFaultsE2eTest, DaemonGoneDuringABuild) {
  StartAndWaitForFirstIteration();
  proxy_->ArmCut("POST /v1.41/build", SocketProxy::When::kOnFirstAnswer);
  EditForRebuild("1");
  ASSERT_TRUE(proxy_->WaitCut(kIteration)) << proxy_->RequestLog();

  absl::StatusOr<proto::LogEntry> failed =
      session_->events().WaitFor(IsFailedBuild(image_), kIteration, at_, &at_);
  ASSERT_TRUE(failed.ok()) << failed.status() << "\n" << Output();
  EXPECT_EQ(CodeName(failed->event().buildevent().errcode()), "BUILD_DOCKER_DAEMON_NOT_RUNNING")
      << failed->DebugString();
  EXPECT_TRUE(absl::StrContains(failed->event().buildevent().err(), "daemon"))
      << failed->event().buildevent().err();
  absl::StatusOr<proto::LogEntry> iteration =
      session_->events().WaitFor(IsDevLoopEvent(1, "Failed"), kIteration, at_, &at_);
  ASSERT_TRUE(iteration.ok()) << iteration.status();
  EXPECT_EQ(CodeName(iteration->event().devloopevent().err().errcode()),
            "BUILD_DOCKER_DAEMON_NOT_RUNNING");
  ExpectLastGoodContainerServes();

  RestoreAndExpectTheNextEditDeployed();
}

TEST_F(DaemonFaultsE2eTest, DaemonGoneDuringADeploy) {
  StartAndWaitForFirstIteration();
  proxy_->ArmCut("POST /v1.41/containers/create", SocketProxy::When::kBeforeForwarding);
  EditForRebuild("1");
  ASSERT_TRUE(proxy_->WaitCut(kIteration)) << proxy_->RequestLog();

  absl::StatusOr<proto::LogEntry> failed =
      session_->events().WaitFor(IsDeployEvent("Failed"), kIteration, at_, &at_);
  ASSERT_TRUE(failed.ok()) << failed.status() << "\n" << Output();
  EXPECT_EQ(CodeName(failed->event().deployevent().errcode()), "DEPLOY_CLUSTER_CONNECTION_ERR")
      << failed->DebugString();
  absl::StatusOr<proto::LogEntry> iteration =
      session_->events().WaitFor(IsDevLoopEvent(1, "Failed"), kIteration, at_, &at_);
  ASSERT_TRUE(iteration.ok()) << iteration.status();
  ExpectLastGoodContainerServes();

  RestoreAndExpectTheNextEditDeployed();
}

TEST_F(DaemonFaultsE2eTest, DaemonGoneDuringASync) {
  StartAndWaitForFirstIteration();
  proxy_->Cut();
  ASSERT_TRUE(WriteFile(absl::StrCat(session_->dir(), "/www/index.html"), "while cut\n").ok());

  absl::StatusOr<proto::LogEntry> failed =
      session_->events().WaitFor(IsFileSyncEvent("Failed"), kIteration, at_, &at_);
  ASSERT_TRUE(failed.ok()) << failed.status() << "\n" << Output();
  EXPECT_EQ(CodeName(failed->event().filesyncevent().errcode()), "SYNC_UNKNOWN")
      << failed->DebugString();
  EXPECT_TRUE(absl::StrContains(failed->event().filesyncevent().err(),
                                "BUILD_DOCKER_DAEMON_NOT_RUNNING"))
      << failed->event().filesyncevent().err();
  absl::StatusOr<proto::LogEntry> iteration =
      session_->events().WaitFor(IsDevLoopEvent(1, "Failed"), kIteration, at_, &at_);
  ASSERT_TRUE(iteration.ok()) << iteration.status();
  ExpectLastGoodContainerServes();

  // (The loop also rebuilds after a failed sync, since the container may hold
  // half of it; while the daemon is away that fails too.)
  ASSERT_TRUE(proxy_->Restore().ok());
  ASSERT_TRUE(WriteFile(absl::StrCat(session_->dir(), "/www/index.html"), "daemon back\n").ok());
  absl::StatusOr<proto::LogEntry> done = session_->events().WaitFor(
      [](const proto::LogEntry& e) {
        return e.event().has_devloopevent() && e.event().devloopevent().status() == "Succeeded";
      },
      kIteration, at_, &at_);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Output();
  absl::StatusOr<std::string> served = WaitServed(port_, "/index.html", "daemon back", kIteration);
  EXPECT_TRUE(served.ok()) << served.status();
}

// The image's healthcheck passes only once /www/ready.txt exists, so the
// status check is certainly running when the daemon goes away. The check rides
// out an engine that does not answer (it may be back at the next poll) until its
// deadline, whose failure then says what the check was waiting on.
TEST_F(DaemonFaultsE2eTest, DaemonGoneDuringAStatusCheck) {
  ASSERT_TRUE(AppendToFile(absl::StrCat(session_->dir(), "/Dockerfile"),
                           "HEALTHCHECK --interval=1s --timeout=5s --retries=100000 "
                           "CMD [\"/bin/busybox\", \"test\", \"-f\", \"/www/ready.txt\"]\n")
                  .ok());
  ASSERT_TRUE(session_->Start({"--status-check-deadline=20s"}, OnProxy()).ok());
  EventsClient& events = session_->events();
  absl::StatusOr<proto::LogEntry> checking = events.WaitFor(
      [](const proto::LogEntry& e) {
        return e.event().has_statuscheckevent() &&
               e.event().statuscheckevent().status() == "In Progress";
      },
      kIteration, 0, &at_);
  ASSERT_TRUE(checking.ok()) << checking.status() << "\n" << Output();
  proxy_->Cut();

  absl::StatusOr<proto::LogEntry> failed = events.WaitFor(
      [](const proto::LogEntry& e) {
        return e.event().has_statuscheckevent() &&
               e.event().statuscheckevent().status() == "Failed";
      },
      kIteration, at_, &at_);
  ASSERT_TRUE(failed.ok()) << failed.status() << "\n" << Output();
  const proto::StatusCheckEvent& check = failed->event().statuscheckevent();
  EXPECT_EQ(CodeName(check.errcode()), "STATUSCHECK_DEADLINE_EXCEEDED") << check.DebugString();
  // The resource's own final event says what it was waiting on.
  std::string resource_err;
  for (const proto::LogEntry& e : events.Entries()) {
    if (e.event().has_resourcestatuscheckevent() &&
        e.event().resourcestatuscheckevent().status() == "Failed") {
      resource_err = e.event().resourcestatuscheckevent().err();
    }
  }
  EXPECT_TRUE(absl::StrContains(resource_err, "StatusUnavailable")) << resource_err;
  EXPECT_TRUE(absl::StrContains(resource_err, "cannot connect to the Docker daemon"))
      << resource_err;
  absl::StatusOr<proto::LogEntry> iteration =
      events.WaitFor(IsDevLoopEvent(0, "Failed"), kIteration, at_, &at_);
  ASSERT_TRUE(iteration.ok()) << iteration.status();
  absl::StatusOr<std::string> container = session_->RunningContainer("devloop-sync");
  ASSERT_TRUE(container.ok()) << container.status();
  container_ = *container;
  ExpectLastGoodContainerServes();

  // The daemon is back: a save syncs the file the healthcheck waits for, and
  // the next one builds an image that has it, deploys and checks it.
  ASSERT_TRUE(proxy_->Restore().ok());
  ASSERT_TRUE(WriteFile(absl::StrCat(session_->dir(), "/www/ready.txt"), "ready\n").ok());
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at_, &at_);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Output();
  EditForRebuild("1");
  done = events.WaitFor(IsDevLoopEvent(2, "Succeeded"), kIteration, at_, &at_);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Output();
  absl::StatusOr<std::string> now = session_->RunningContainer("devloop-sync");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_NE(*now, container_);
}

}  // namespace
}  // namespace devloop::e2e
