// Apps that fail under `devloop dev` on the real Docker Engine
// (testing/examples/sync with its Dockerfile's entrypoint or healthcheck
// changed): one that exits 3 right after it starts, one that exits 7 soon after
// it came up (Docker runs containers without a restart policy, so a crash loop
// is one crash after a start), and one whose healthcheck never passes. Each
// time the status check fails with the code that says so, the container's exit
// code and its last log lines in the event's message; and the loop stays up.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"

namespace devloop::e2e {
namespace {

constexpr absl::Duration kIteration = absl::Seconds(90);
constexpr char kEntrypoint[] =
    "ENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-v\", \"-p\", \"8080\", \"-h\", \"/www\"]";

class AppFaultsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("sync", {"devloop-sync"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
  }

  void SetEntrypoint(absl::string_view script) {
    ASSERT_TRUE(ReplaceInFile(absl::StrCat(session_->dir(), "/Dockerfile"), kEntrypoint,
                              absl::StrCat("ENTRYPOINT [\"/bin/busybox\", \"sh\", \"-c\", \"",
                                           script, "\"]"))
                    .ok());
  }

  // Runs devloop and returns iteration 0's failed status check event, having
  // checked that the iteration failed with the same code.
  proto::StatusCheckEvent FailedCheck() {
    EXPECT_TRUE(session_->Start().ok());
    EventsClient& events = session_->events();
    size_t at = 0;
    absl::StatusOr<proto::LogEntry> failed = events.WaitFor(
        [](const proto::LogEntry& e) {
          return e.event().has_statuscheckevent() &&
                 e.event().statuscheckevent().status() == "Failed";
        },
        kIteration, 0, &at);
    EXPECT_TRUE(failed.ok()) << failed.status() << "\n" << session_->devloop().process().Output();
    if (!failed.ok()) return {};
    absl::StatusOr<proto::LogEntry> iteration =
        events.WaitFor(IsDevLoopEvent(0, "Failed"), kIteration, at);
    EXPECT_TRUE(iteration.ok()) << iteration.status();
    if (iteration.ok()) {
      EXPECT_EQ(iteration->event().devloopevent().err().errcode(),
                failed->event().statuscheckevent().errcode());
    }
    EXPECT_TRUE(session_->devloop().process().Running()) << "the loop waits for the next edit";
    return failed->event().statuscheckevent();
  }

  std::unique_ptr<DevSession> session_;
};

TEST_F(AppFaultsE2eTest, ExitsRightAfterStart) {
  SetEntrypoint("echo starting up; echo fatal: no database configured >&2; exit 3");
  proto::StatusCheckEvent check = FailedCheck();
  EXPECT_EQ(proto::StatusCode_Name(check.errcode()), "STATUSCHECK_CONTAINER_TERMINATED");
  EXPECT_TRUE(absl::StrContains(check.err(), "exit code 3")) << check.err();
  EXPECT_TRUE(absl::StrContains(check.err(), "fatal: no database configured")) << check.err();
  EXPECT_EQ(check.actionableerr().message(), check.err());
}

TEST_F(AppFaultsE2eTest, CrashesSoonAfterComingUp) {
  SetEntrypoint(
      "echo serving; /bin/busybox httpd -p 8080 -h /www; sleep 0.5; "
      "echo panic: index out of range >&2; exit 7");
  proto::StatusCheckEvent check = FailedCheck();
  EXPECT_EQ(proto::StatusCode_Name(check.errcode()), "STATUSCHECK_CONTAINER_TERMINATED");
  EXPECT_TRUE(absl::StrContains(check.err(), "exit code 7")) << check.err();
  EXPECT_TRUE(absl::StrContains(check.err(), "panic: index out of range")) << check.err();
}

TEST_F(AppFaultsE2eTest, NeverBecomesHealthy) {
  SetEntrypoint("echo listening on 8080; exec /bin/busybox httpd -f -p 8080 -h /www");
  ASSERT_TRUE(AppendToFile(absl::StrCat(session_->dir(), "/Dockerfile"),
                           "HEALTHCHECK --interval=1s --timeout=5s --retries=2 "
                           "CMD [\"/bin/busybox\", \"false\"]\n")
                  .ok());
  proto::StatusCheckEvent check = FailedCheck();
  EXPECT_EQ(proto::StatusCode_Name(check.errcode()), "STATUSCHECK_UNHEALTHY");
  EXPECT_TRUE(absl::StrContains(check.err(), "unhealthy")) << check.err();
  EXPECT_TRUE(absl::StrContains(check.err(), "listening on 8080")) << check.err();
}

}  // namespace
}  // namespace devloop::e2e
