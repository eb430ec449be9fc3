// skaffold.yaml edited while `devloop dev` runs (testing/examples/sync on the
// real Docker Engine): an invalid edit is reported -- a devLoopEvent Failed and
// a console line, both naming skaffold.yaml:line:column -- while the last good
// container keeps serving; the valid edit after it is applied by the same
// process (a new port forward serves), with the same Events stream going on;
// a save that changes nothing devloop uses leaves the running loop alone.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"

namespace devloop::e2e {
namespace {

constexpr absl::Duration kIteration = absl::Seconds(90);

TEST(ConfigReloadE2eTest, InvalidEditIsReportedAndAValidOneIsApplied) {
  ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
  absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("sync", {"devloop-sync"});
  ASSERT_TRUE(s.ok()) << s.status();
  DevSession& session = **s;
  const std::string config = session.dir() + "/skaffold.yaml";
  const int port = session.LocalPort(9001);
  ASSERT_TRUE(session.Start().ok());
  EventsClient& events = session.events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  absl::StatusOr<std::string> container = session.RunningContainer("devloop-sync");
  ASSERT_TRUE(container.ok()) << container.status();

  // Invalid: a port that is not a number.
  ASSERT_TRUE(ReplaceInFile(config, "port: 8080", "port: eighty").ok());
  absl::StatusOr<proto::LogEntry> refused = events.WaitFor(
      [](const proto::LogEntry& e) {
        return e.event().has_devloopevent() && e.event().devloopevent().status() == "Failed";
      },
      kIteration, at, &at);
  ASSERT_TRUE(refused.ok()) << refused.status() << "\n" << session.devloop().process().Output();
  const std::string message = refused->event().devloopevent().err().message();
  EXPECT_TRUE(absl::StrContains(message, "skaffold.yaml:")) << message;
  EXPECT_TRUE(absl::StrContains(message, "port")) << message;
  EXPECT_TRUE(absl::StrContains(refused->entry(), "Config reload failed")) << refused->entry();
  EXPECT_TRUE(absl::StrContains(session.devloop().process().Output(), "skaffold.yaml:"))
      << "the console names the place too:\n"
      << session.devloop().process().Output();
  absl::StatusOr<std::string> running =
      Docker({"inspect", "--format", "{{.State.Running}}", *container});
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(absl::StripAsciiWhitespace(*running), "true");
  EXPECT_TRUE(WaitServed(port, "/index.html", "<").ok()) << "the last good config still runs";

  // Valid again, and different: the forward moves to another local port.
  absl::StatusOr<int> moved = PickFreePort();
  ASSERT_TRUE(moved.ok()) << moved.status();
  absl::StatusOr<std::string> text = ReadFile(config);
  ASSERT_TRUE(text.ok()) << text.status();
  std::string fixed = *text;
  ASSERT_TRUE(absl::StrContains(fixed, "port: eighty"));
  fixed = absl::StrCat(fixed.substr(0, fixed.find("port: eighty")), "port: 8080",
                       fixed.substr(fixed.find("port: eighty") + 12));
  const std::string old_local = absl::StrCat("localPort: ", port);
  ASSERT_TRUE(absl::StrContains(fixed, old_local));
  fixed.replace(fixed.find(old_local), old_local.size(), absl::StrCat("localPort: ", *moved));
  ASSERT_TRUE(WriteFile(config, fixed).ok());

  done = events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  absl::StatusOr<std::string> served = WaitServed(*moved, "/index.html", "<");
  EXPECT_TRUE(served.ok()) << served.status();
  absl::StatusOr<std::string> now = session.RunningContainer("devloop-sync");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_NE(*now, *container) << "the new config's loop deployed again";
  EXPECT_TRUE(session.devloop().process().Running());
  for (const proto::LogEntry& e : events.Entries()) {
    EXPECT_FALSE(e.event().has_terminationevent()) << "the session went on:\n" << e.DebugString();
  }

  // And it keeps working: a synced edit under the new config.
  ASSERT_TRUE(WriteFile(session.dir() + "/www/index.html", "after the reload\n").ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  EXPECT_TRUE(WaitServed(*moved, "/index.html", "after the reload").ok());

  // A save that changes nothing devloop uses (a comment, a blank line) leaves
  // the loop alone: the same container goes on serving, no iteration runs.
  absl::StatusOr<std::string> before = session.RunningContainer("devloop-sync");
  ASSERT_TRUE(before.ok()) << before.status();
  const size_t entries = events.Entries().size();
  absl::StatusOr<std::string> current = ReadFile(config);
  ASSERT_TRUE(current.ok()) << current.status();
  ASSERT_TRUE(WriteFile(config, absl::StrCat("# only a comment\n\n", *current)).ok());
  absl::Status said = WaitForOutput([&] { return session.devloop().process().Output(); },
                                    "nothing devloop uses changed", kIteration);
  ASSERT_TRUE(said.ok()) << said << "\n" << session.devloop().process().Output();
  absl::StatusOr<std::string> after = session.RunningContainer("devloop-sync");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, *before) << "the container was replaced";
  for (size_t i = entries; i < events.Entries().size(); ++i) {
    EXPECT_FALSE(events.Entries()[i].event().has_devloopevent())
        << "an iteration ran:\n" << events.Entries()[i].DebugString();
  }
  EXPECT_TRUE(WaitServed(*moved, "/index.html", "after the reload").ok());
}

}  // namespace
}  // namespace devloop::e2e
