// devloopctl against a real `devloop dev` of the sync example on the real
// Docker Engine, over gRPC and over the JSON gateway: the state table and its
// JSON (equal to what the API serves), auto sync off then a sync on request,
// the event log since an iteration and followed live, and a clear error once
// devloop is gone.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/json.h"
#include "api/skaffold.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/subprocess.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kIteration = absl::Seconds(90);

class DevloopctlE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("sync", {"devloop-sync"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
  }

  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), Runfile("apps/devloopctl"));
    absl::StatusOr<CommandResult> r = RunCommand(args, absl::Seconds(30));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{-1, r.status().ToString()};
  }
  std::string Grpc() const { return absl::StrCat("localhost:", session_->devloop().grpc_port()); }
  std::string Http() const {
    return absl::StrCat("http://127.0.0.1:", session_->devloop().http_port());
  }

  std::unique_ptr<DevSession> session_;
};

TEST_F(DevloopctlE2eTest, StateTriggersAndEventsOverBothTransports) {
  ASSERT_TRUE(session_->Start().ok());
  EventsClient& events = session_->events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> ready =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(ready.ok()) << ready.status() << "\n" << session_->devloop().process().Output();
  absl::StatusOr<std::string> run_id = session_->RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  const std::string image = session_->Image("devloop-sync");
  const int port = session_->LocalPort(9001);

  CommandResult table = Ctl({"state", "--address", Grpc()});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_THAT(table.output, HasSubstr(absl::StrCat("  ", image)));
  EXPECT_THAT(table.output, HasSubstr("Complete"));
  EXPECT_THAT(table.output, HasSubstr(absl::StrCat("127.0.0.1:", port)));

  CommandResult json = Ctl({"state", "-o", "json", "--address", Http()});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  proto::State printed;
  ASSERT_TRUE(api::FromJson(json.output, &printed).ok()) << json.output;
  absl::StatusOr<proto::State> served = events.GetState();
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(printed.SerializeAsString(), served->SerializeAsString())
      << printed.DebugString() << "\nvs\n"
      << served->DebugString();

  // A follower over HTTP sees what happens from here on.
  absl::StatusOr<std::unique_ptr<Subprocess>> follower = Subprocess::Start(
      {.argv = {Runfile("apps/devloopctl"), "events", "--follow", "--since-iteration=1",
                "--address", Http()}});
  ASSERT_TRUE(follower.ok()) << follower.status();

  CommandResult off = Ctl({"auto", "sync", "off", "--address", Http()});
  ASSERT_EQ(off.exit_code, 0) << off.output;
  EXPECT_EQ(off.output, "auto sync is off\n");
  ASSERT_TRUE(WriteFile(session_->dir() + "/www/index.html", "synced on request\n").ok());
  CommandResult sync = Ctl({"sync", "--address", Grpc()});
  ASSERT_EQ(sync.exit_code, 0) << sync.output;
  EXPECT_EQ(sync.output, "requested a sync\n");
  absl::StatusOr<proto::LogEntry> synced =
      events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(synced.ok()) << synced.status() << "\n" << session_->devloop().process().Output();
  absl::StatusOr<std::string> body = WaitServed(port, "/index.html", "synced on request");
  EXPECT_TRUE(body.ok()) << body.status();

  CommandResult since = Ctl({"events", "--since-iteration=1", "--address", Grpc()});
  ASSERT_EQ(since.exit_code, 0) << since.output;
  EXPECT_THAT(since.output, HasSubstr("iteration 1            In Progress"));
  EXPECT_THAT(since.output, HasSubstr("sync                   Succeeded"));
  EXPECT_THAT(since.output, Not(HasSubstr("iteration 0")));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!absl::StrContains((*follower)->Output(), "iteration 1            Succeeded") &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT((*follower)->Output(), HasSubstr("iteration 1            Succeeded"));
  EXPECT_TRUE((*follower)->Running()) << "--follow keeps reading";

  const std::string grpc = Grpc();
  absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(10));
  EXPECT_TRUE(clean.ok()) << clean;
  // devloop ended the stream: the follower ends too.
  absl::StatusOr<int> follower_code = (*follower)->Wait(absl::Seconds(10));
  EXPECT_TRUE(follower_code.ok()) << follower_code.status();

  CommandResult gone = Ctl({"state", "--address", grpc});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.output, HasSubstr(absl::StrCat("no devloop answers at grpc://", grpc)));
}

}  // namespace
}  // namespace devloop::e2e
