// End to end on testing/examples/getting-started: command-line behaviours on
// the real binary and the real Docker Engine.
//  - `devloop run --enable-rpc` serves the API while the run works: a client
//    follows the run's build, deploy and status check through gRPC Events.
//  - `devloop dev --port-forward=off` forwards nothing, though the config asks
//    for a container port: no portEvent, no port published by the container.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/http_client.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kIteration = absl::Seconds(90);

EventsClient::Predicate IsStatusCheck(const std::string& status) {
  return [status](const proto::LogEntry& e) {
    return e.event().has_statuscheckevent() && e.event().statuscheckevent().status() == status;
  };
}

class CommandFlagsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s =
        DevSession::Prepare("getting-started", {"devloop-getting-started"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
    image_ = session_->Image("devloop-getting-started");
  }

  std::unique_ptr<DevSession> session_;  // removes what the test's devloop made
  std::string image_;
};

TEST_F(CommandFlagsE2eTest, RunWithEnableRpcServesTheRunsEvents) {
  // --tail keeps the run (and so its API) up after the status check, until
  // Ctrl-C; the client connects as soon as the ports answer, while run builds.
  absl::Status started = session_->Start({}, [](DevloopProcess::Options& o) {
    o.args = {"run", "--enable-rpc", "--tail"};
  });
  ASSERT_TRUE(started.ok()) << started;
  EventsClient& events = session_->events();

  size_t at = 0;
  absl::StatusOr<proto::LogEntry> e =
      events.WaitFor(IsBuildEvent(image_, "Complete"), kIteration, at, &at);
  ASSERT_TRUE(e.ok()) << e.status();
  e = events.WaitFor(IsDeployEvent("Complete"), kIteration, at, &at);
  ASSERT_TRUE(e.ok()) << e.status();
  e = events.WaitFor(IsStatusCheck("Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(e.ok()) << e.status() << "\n"
                      << ::testing::PrintToString(Summaries(events.Entries()));
  absl::StatusOr<proto::State> state = events.GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->deploystate().status(), "Complete");

  // run leaves what it deployed (the session removes it), and exits 0.
  absl::StatusOr<int> code = session_->Interrupt(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE(session_->RunningContainer("devloop-getting-started").ok())
      << "devloop run removed its container on exit";
}

TEST_F(CommandFlagsE2eTest, DevWithPortForwardOffForwardsNothing) {
  const int port = session_->LocalPort(9000);
  absl::Status started = session_->Start({"--port-forward=off"});
  ASSERT_TRUE(started.ok()) << started;
  EventsClient& events = session_->events();
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration);
  ASSERT_TRUE(done.ok()) << done.status();

  for (const proto::LogEntry& entry : events.Entries()) {
    EXPECT_FALSE(entry.event().has_portevent()) << entry.DebugString();
  }
  absl::StatusOr<std::string> container = session_->RunningContainer("devloop-getting-started");
  ASSERT_TRUE(container.ok()) << container.status();
  absl::StatusOr<std::string> published =
      Docker({"container", "inspect", "--format", "{{json .NetworkSettings.Ports}}", *container});
  ASSERT_TRUE(published.ok()) << published.status();
  // The image's EXPOSE shows as "8080/tcp":null; a published port would carry a HostPort.
  EXPECT_THAT(*published, Not(HasSubstr("HostPort")));
  EXPECT_FALSE(WaitForPort(port, absl::Milliseconds(100)).ok())
      << "something listens on the config's local port " << port;

  absl::StatusOr<int> code = session_->Interrupt(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
}

}  // namespace
}  // namespace devloop::e2e
