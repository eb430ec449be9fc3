// The dashboard in a real headless Chromium (testing/browser) against a real
// `devloop dev` of the sync example on the real Docker Engine: the artifact
// shows as Complete; a synced edit appears as a sync row; the application's
// log lines appear; with auto build turned off from the page, an edit shows
// as waiting under Build, and "Build now" builds and the artifact's row goes
// through In Progress to Complete; a
// restarted devloop (same ports) is picked up by the page on its own, with
// no row shown twice. Screenshots are kept as test outputs.
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/skaffold.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/browser/browser.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"

namespace devloop::e2e {
namespace {

constexpr absl::Duration kIteration = absl::Seconds(90);

class DashboardE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("sync", {"devloop-sync"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
  }

  // Starts devloop (on the given API ports, or free ones) and waits for its
  // first iteration.
  void StartDevloop(int grpc_port = 0, int http_port = 0) {
    absl::Status started = session_->Start({}, [&](DevloopProcess::Options& o) {
      o.grpc_port = grpc_port;
      o.http_port = http_port;
    });
    ASSERT_TRUE(started.ok()) << started;
    absl::StatusOr<proto::LogEntry> ready =
        session_->events().WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at_);
    ASSERT_TRUE(ready.ok()) << ready.status() << "\n" << session_->devloop().process().Output();
  }

  std::unique_ptr<DevSession> session_;
  size_t at_ = 0;
};

TEST_F(DashboardE2eTest, ShowsThePipelineLiveDrivesTheControlsAndReconnects) {
  ASSERT_NO_FATAL_FAILURE(StartDevloop());
  absl::StatusOr<std::string> run_id = session_->RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  const std::string image = session_->Image("devloop-sync");
  const int grpc_port = session_->devloop().grpc_port();
  const int http_port = session_->devloop().http_port();

  absl::StatusOr<std::unique_ptr<browser::Browser>> started =
      browser::Browser::Start({.width = 1280, .height = 1300});
  ASSERT_TRUE(started.ok()) << started.status();
  browser::Browser& page = **started;
  ASSERT_TRUE(page.Open(absl::StrCat("http://127.0.0.1:", http_port, "/")).ok());
  EXPECT_TRUE(page.WaitForText("#connection", "live").ok());
  absl::Status complete = page.WaitForText("#artifacts tbody", "Complete");
  ASSERT_TRUE(complete.ok()) << complete;
  EXPECT_THAT(page.Text("#artifacts tbody").value_or(""), ::testing::HasSubstr(image));
  EXPECT_THAT(page.Text("#ports").value_or(""),
              ::testing::HasSubstr(absl::StrCat("127.0.0.1:", session_->LocalPort(9001))));

  // A synced edit: a new row in the file syncs, Succeeded.
  const absl::Time edited = absl::Now();
  ASSERT_TRUE(WriteFile(session_->dir() + "/www/index.html", "synced from the dashboard\n").ok());
  absl::Status synced = page.WaitUntil(
      "(() => { const row = document.querySelector('#syncs tbody tr');"
      "         return row !== null && row.cells[3].textContent === 'Succeeded'; })()");
  ASSERT_TRUE(synced.ok()) << synced;
  std::cout << "edit to sync row on the page: " << absl::Now() - edited << "\n";

  // The application's log lines (busybox httpd logs each request).
  absl::StatusOr<std::string> served =
      WaitServed(session_->LocalPort(9001), "/index.html", "synced from the dashboard");
  ASSERT_TRUE(served.ok()) << served.status();
  absl::Status logged = page.WaitForText("#logs", "response:200");
  EXPECT_TRUE(logged.ok()) << logged;
  EXPECT_EQ(page.Attribute("#logs .line span", "class").value_or(""),
            absl::StrCat("tag-", [] {
              uint32_t h = 2166136261u;  // the console's colour of "devloop-sync"
              for (unsigned char c : std::string("devloop-sync")) {
                h ^= c;
                h *= 16777619u;
              }
              return h % 8;
            }()));

  // Auto build off from the page: an edit then waits for "Build now".
  ASSERT_TRUE(page.Click("input[data-auto='build']").ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  bool auto_off = false;
  while (!auto_off && absl::Now() < deadline) {
    absl::StatusOr<proto::State> state = session_->events().GetState();
    auto_off = state.ok() && !state->buildstate().autotrigger();
    if (!auto_off) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(auto_off) << "the checkbox did not turn auto build off";
  // Every text the artifact's build cell shows from here on.
  ASSERT_TRUE(page.Execute("window.seen = [];"
                           "new MutationObserver(() => {"
                           "  const cell = document.querySelector('#artifacts tbody tr td:nth-child(2)');"
                           "  if (cell) window.seen.push(cell.textContent);"
                           "}).observe(document.querySelector('#artifacts'),"
                           "           {subtree: true, childList: true, characterData: true});"
                           "return true;")
                  .ok());
  ASSERT_TRUE(AppendToFile(session_->dir() + "/Dockerfile", "# rebuilt on request\n").ok());
  // The change waits, and the page says so under Build.
  absl::Status waiting = page.WaitUntil(absl::StrCat(
      "(() => { const w = document.getElementById('build-pending');"
      "         return !w.hidden && w.textContent === 'waiting: changed: ", image, "'; })()"));
  ASSERT_TRUE(waiting.ok()) << waiting << "\nshown: "
                            << page.Execute("return document.getElementById('build-pending')"
                                            ".textContent;")
                                   .value_or(google::protobuf::Value())
                                   .string_value();
  ASSERT_TRUE(page.Click("button.now[data-phase='build']").ok());
  absl::StatusOr<proto::LogEntry> built =
      session_->events().WaitFor(IsBuildEvent(image, "Complete"), kIteration, at_, &at_);
  ASSERT_TRUE(built.ok()) << built.status() << "\n" << session_->devloop().process().Output();
  absl::Status went_through = page.WaitUntil(
      "(() => { const i = window.seen.indexOf('In Progress');"
      "         return i >= 0 && window.seen.indexOf('Complete', i) > i; })()");
  EXPECT_TRUE(went_through.ok()) << went_through << "\nseen: "
                                 << page.Execute("return window.seen.join(', ');")
                                        .value_or(google::protobuf::Value())
                                        .string_value();
  EXPECT_TRUE(page.WaitUntil("document.getElementById('build-pending').hidden").ok())
      << "the change was built: nothing waits";
  EXPECT_TRUE(page.CheckNoConsoleErrors().ok());
  absl::StatusOr<std::string> shot = page.Screenshot("dashboard.png");
  EXPECT_TRUE(shot.ok()) << shot.status();

  // devloop stops and starts again on the same ports: the page reconnects by
  // itself and shows the new run alone.
  absl::Status stopped = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(10));
  ASSERT_TRUE(stopped.ok()) << stopped;
  EXPECT_TRUE(page.WaitForText("#connection", "reconnecting").ok());
  at_ = 0;
  ASSERT_NO_FATAL_FAILURE(StartDevloop(grpc_port, http_port));
  absl::Status again = page.WaitUntil(
      "(() => { const rows = document.querySelectorAll('#iterations tbody tr');"
      "         return document.querySelector('#connection').textContent === 'live' &&"
      "                rows.length === 1 && rows[0].cells[2].textContent === 'Succeeded'; })()");
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_EQ(page.Count("#artifacts tbody tr").value_or(-1), 1) << "no row shown twice";
  EXPECT_EQ(page.Count("#syncs tbody tr").value_or(-1), 0) << "the new run synced nothing";
  EXPECT_TRUE(page.Screenshot("dashboard-after-restart.png").ok());

  absl::StatusOr<std::string> second_run = session_->RunId();
  ASSERT_TRUE(second_run.ok()) << second_run.status();
  absl::Status clean = session_->InterruptAndCheckNothingLeft(*second_run, absl::Seconds(10));
  EXPECT_TRUE(clean.ok()) << clean;
}

}  // namespace
}  // namespace devloop::e2e
