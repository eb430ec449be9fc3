// skaffold.yaml edited while `devloop dev` runs (testing/examples/sync on the
// real Docker Engine): an invalid edit is reported -- a devLoopEvent Failed and
// a console line, both naming skaffold.yaml:line:column -- while the last good
// container keeps serving; the valid edit after it is applied by the same
// process (a new port forward serves), with the same Events stream going on;
// a save that changes nothing devloop uses leaves the running loop alone.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
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
  EXPECT_EQ(*now, *container) << "only the forward changed: the container stays";
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

// Replaces the first `from` in `text` with `to`; false if there is none.
bool Replace(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) return false;
  text.replace(at, from.size(), to);
  return true;
}

// How often `needle` occurs in `text`.
int Count(absl::string_view text, absl::string_view needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != absl::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// GETs /index.html through a forwarded port over and over until stopped,
// counting the answers that are not 200.
class Prober {
 public:
  explicit Prober(int port)
      : thread_([this, port] {
          while (!stop_.load()) {
            absl::StatusOr<HttpResponse> r = Http(port, "GET", "/index.html");
            ++asked_;
            if (!r.ok() || r->status != 200) ++failed_;
            absl::SleepFor(absl::Milliseconds(50));  // pacing only: each answer is logged
          }
        }) {}
  ~Prober() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int asked() const { return asked_.load(); }
  int failed() const { return failed_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> asked_{0};
  std::atomic<int> failed_{0};
  std::thread thread_;
};

TEST(ConfigReloadE2eTest, AChangeKeepsWhatItDidNotTouchRunning) {
  ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
  absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("sync", {"devloop-sync"});
  ASSERT_TRUE(s.ok()) << s.status();
  DevSession& session = **s;
  const std::string config = session.dir() + "/skaffold.yaml";
  const std::string web_image = session.Image("devloop-sync");
  const std::string b_image = session.Image("devloop-sync-b");
  const int port = session.LocalPort(9001);
  absl::StatusOr<int> b_port = PickFreePort();
  ASSERT_TRUE(b_port.ok()) << b_port.status();
  ASSERT_TRUE(session.Start().ok());
  auto output = [&] { return session.devloop().process().Output(); };
  EventsClient& events = session.events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << output();
  absl::StatusOr<std::string> web = session.RunningContainer("devloop-sync");
  ASSERT_TRUE(web.ok()) << web.status();
  absl::StatusOr<std::string> run_id = session.RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();

  // 1. A second artifact (the same context and Dockerfile) with a forward of
  // its own. The first one's port answers all the while.
  absl::StatusOr<std::string> text = ReadFile(config);
  ASSERT_TRUE(text.ok()) << text.status();
  std::string yaml = *text;
  ASSERT_TRUE(Replace(yaml, "  local:\n",
                      absl::StrCat("    - image: ", b_image,
                                   "\n      docker: {dockerfile: Dockerfile}\n  local:\n")));
  ASSERT_TRUE(Replace(yaml, absl::StrCat("      - ", web_image, "\n"),
                      absl::StrCat("      - ", web_image, "\n      - ", b_image, "\n")));
  ASSERT_TRUE(absl::EndsWith(yaml, "\n"));
  absl::StrAppend(&yaml, "  - resourceType: container\n    resourceName: ", b_image,
                  "\n    port: 8080\n    localPort: ", *b_port, "\n");
  {
    Prober prober(port);
    ASSERT_TRUE(WriteFile(config, yaml).ok());
    done = events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, at + 1, &at);
    ASSERT_TRUE(done.ok()) << done.status() << "\n" << output();
    absl::StatusOr<std::string> served = WaitServed(*b_port, "/index.html", "<");
    EXPECT_TRUE(served.ok()) << "the added artifact serves: " << served.status();
    prober.Stop();
    EXPECT_GT(prober.asked(), 0);
    EXPECT_EQ(prober.failed(), 0) << "the kept container's forward failed " << prober.failed()
                                  << " of " << prober.asked() << " requests during the reload";
  }
  EXPECT_TRUE(absl::StrContains(output(), "what did not change keeps running")) << output();
  absl::StatusOr<std::string> now = session.RunningContainer("devloop-sync");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(*now, *web) << "the first artifact's container was replaced";
  absl::StatusOr<std::string> same_run = session.RunId();
  ASSERT_TRUE(same_run.ok()) << same_run.status();
  EXPECT_EQ(*same_run, *run_id) << "the run goes on";
  // Its logs are still tailed: busybox httpd -v logs each answer.
  const int logged = Count(output(), "response:404");
  absl::StatusOr<HttpResponse> missing = Http(port, "GET", "/not-there-after-the-reload.html");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  absl::Status tailed = WaitForOutput(
      [&] { return Count(output(), "response:404") > logged ? std::string("more") : ""; },
      "more", absl::Seconds(30));
  EXPECT_TRUE(tailed.ok()) << "the kept container's log is not tailed any more:\n" << output();

  // 2. The first artifact's own build changes: it is replaced, the second stays.
  absl::StatusOr<std::string> b = session.RunningContainer("devloop-sync-b");
  ASSERT_TRUE(b.ok()) << b.status();
  text = ReadFile(config);
  ASSERT_TRUE(text.ok()) << text.status();
  yaml = *text;
  ASSERT_TRUE(Replace(yaml, "        dockerfile: Dockerfile\n",
                      "        dockerfile: Dockerfile\n"
                      "        buildArgs:\n          VERSION: \"2\"\n"));
  ASSERT_TRUE(WriteFile(config, yaml).ok());
  done = events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, at + 1, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << output();
  now = session.RunningContainer("devloop-sync");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_NE(*now, *web) << "a changed build keeps its old container";
  web = now;
  EXPECT_TRUE(WaitServed(port, "/index.html", "<").ok());
  absl::StatusOr<std::string> b_now = session.RunningContainer("devloop-sync-b");
  ASSERT_TRUE(b_now.ok()) << b_now.status();
  EXPECT_EQ(*b_now, *b) << "the second artifact did not change\n" << output();
  EXPECT_TRUE(WaitServed(*b_port, "/index.html", "<").ok());
  // 3. A new sync rule applies to the kept (new) container.
  text = ReadFile(config);
  ASSERT_TRUE(text.ok()) << text.status();
  yaml = *text;
  ASSERT_TRUE(Replace(yaml, "          - src: \"www/**\"\n            dest: /\n",
                      "          - src: \"www/**\"\n            dest: /\n"
                      "          - src: \"*.txt\"\n            dest: /www\n"));
  ASSERT_TRUE(WriteFile(config, yaml).ok());
  done = events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, at + 1, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << output();
  now = session.RunningContainer("devloop-sync");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(*now, *web) << "a new sync rule replaced the container\n" << output();
  ASSERT_TRUE(WriteFile(session.dir() + "/notes.txt", "synced by the new rule\n").ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at + 1, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << output();
  EXPECT_TRUE(WaitServed(port, "/notes.txt", "synced by the new rule").ok()) << output();
  now = session.RunningContainer("devloop-sync");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(*now, *web) << "the synced file went in without a restart";
  for (const proto::LogEntry& e : events.Entries()) {
    EXPECT_FALSE(e.event().has_terminationevent()) << "the session went on:\n" << e.DebugString();
  }

  // Ctrl-C: no container, network or image of the run is left.
  absl::Status clean = session.InterruptAndCheckNothingLeft(*run_id, absl::Seconds(60));
  EXPECT_TRUE(clean.ok()) << clean;
}

}  // namespace
}  // namespace devloop::e2e
