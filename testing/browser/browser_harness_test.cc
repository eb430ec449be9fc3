// The browser harness against a real headless Chromium: a static page
// (testdata/) served by python's http.server on a loopback port of its own.
// Every test checks, as it ends, that no process of its browser is left.
#include <signal.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/browser/browser.h"
#include "testing/browser/guarded_process.h"
#include "testing/browser/png.h"
#include "testing/browser/process_table.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/files.h"
#include "testing/e2e/subprocess.h"

namespace devloop::browser {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class BrowserHarnessTest : public ::testing::Test {
 protected:
  // One server for the suite: python's http.server over testdata/, port 0,
  // guarded so that it too ends with the test, however the test ends.
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> dir = e2e::MakeTempDir("http-server");
    ASSERT_TRUE(dir.ok()) << dir.status();
    absl::StatusOr<std::unique_ptr<GuardedProcess>> server = GuardedProcess::Start(
        {.argv = {"/usr/bin/python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                  "--directory", e2e::Runfile("testing/browser/testdata")},
         .output_path = *dir + "/http_server.log"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    // "Serving HTTP on 127.0.0.1 port 41613 (http://127.0.0.1:41613/) ..."
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (port_ == 0 && absl::Now() < deadline) {
      std::string output = server_->Output();
      size_t at = output.find(" port ");
      if (at == std::string::npos ||
          !absl::SimpleAtoi(output.substr(at + 6, output.find(' ', at + 6) - at - 6), &port_)) {
        absl::SleepFor(absl::Milliseconds(50));
      }
    }
    ASSERT_NE(port_, 0) << "http.server did not report its port: " << server_->Output();
  }

  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static std::string Url(absl::string_view path) {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

  // Starts the browser of this test (options as given) and opens the page.
  void StartAndOpen(Browser::Options options = {}) {
    absl::StatusOr<std::unique_ptr<Browser>> browser = Browser::Start(options);
    ASSERT_TRUE(browser.ok()) << browser.status();
    browser_ = *std::move(browser);
    absl::Status opened = browser_->Open(Url("/index.html"));
    ASSERT_TRUE(opened.ok()) << opened;
  }

  void TearDown() override {
    if (browser_ == nullptr) return;
    std::string dir = browser_->dir();
    browser_->Close();
    // Close() returns once every process of the browser is gone: no waiting.
    EXPECT_THAT(ProcessesMentioning(dir), IsEmpty());
  }

  static GuardedProcess* server_;
  static int port_;
  std::unique_ptr<Browser> browser_;
};

GuardedProcess* BrowserHarnessTest::server_ = nullptr;
int BrowserHarnessTest::port_ = 0;

TEST_F(BrowserHarnessTest, LoadsThePageAndWaitsForAnElementThatComesLater) {
  ASSERT_NO_FATAL_FAILURE(StartAndOpen());
  // Scheduled and checked absent in one script, so the check cannot race it.
  absl::StatusOr<google::protobuf::Value> absent = browser_->Execute(
      "window.addLateElement(1000); return document.querySelector('#late') === null;");
  ASSERT_TRUE(absent.ok()) << absent.status();
  ASSERT_TRUE(absent->bool_value());
  absl::Status waited = browser_->WaitFor("#late");
  ASSERT_TRUE(waited.ok()) << waited;
  EXPECT_EQ(browser_->Text("#late").value_or("?"), "Arrived late");
  EXPECT_EQ(browser_->Text("#title").value_or("?"), "Harness page");
  EXPECT_EQ(browser_->Attribute("#status", "data-state").value_or("?"), "idle");
  EXPECT_EQ(browser_->Count("button").value_or(-1), 2);
}

TEST_F(BrowserHarnessTest, AClickChangesTextThroughTheScript) {
  ASSERT_NO_FATAL_FAILURE(StartAndOpen());
  absl::Status clicked = browser_->Click("#go");
  ASSERT_TRUE(clicked.ok()) << clicked;
  absl::Status changed = browser_->WaitForText("#status", "Clicked");
  ASSERT_TRUE(changed.ok()) << changed;
  EXPECT_EQ(browser_->Attribute("#status", "data-state").value_or("?"), "clicked");
  absl::StatusOr<google::protobuf::Value> text =
      browser_->Execute("return document.getElementById('status').textContent;");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->string_value(), "Clicked");
  absl::Status until = browser_->WaitUntil(
      "document.querySelector('#status').dataset.state"
      " === 'clicked'");
  EXPECT_TRUE(until.ok()) << until;
}

TEST_F(BrowserHarnessTest, AnUncaughtErrorShowsInTheConsoleLog) {
  ASSERT_NO_FATAL_FAILURE(StartAndOpen());
  absl::StatusOr<ConsoleEntry> ready = browser_->WaitForConsoleMessage("harness page ready");
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->level, "INFO");
  absl::Status clean = browser_->CheckNoConsoleErrors();
  EXPECT_TRUE(clean.ok()) << clean;

  ASSERT_TRUE(browser_->Click("#boom").ok());
  absl::StatusOr<ConsoleEntry> boom = browser_->WaitForConsoleMessage("boom from the page");
  ASSERT_TRUE(boom.ok()) << boom.status();
  EXPECT_EQ(boom->level, "SEVERE");
  EXPECT_EQ(boom->source, "javascript");
  EXPECT_THAT(boom->message, AllOf(HasSubstr("app.js"), HasSubstr("Uncaught Error")));
  absl::Status dirty = browser_->CheckNoConsoleErrors();
  EXPECT_EQ(dirty.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(dirty.message(), HasSubstr("boom from the page"));
  // Earlier messages stay in the log after later reads.
  absl::StatusOr<std::vector<ConsoleEntry>> log = browser_->ConsoleLog();
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_THAT(*log, Contains(Field(&ConsoleEntry::message, HasSubstr("harness page ready"))));
}

TEST_F(BrowserHarnessTest, ScreenshotsArePngsOfTheViewportSize) {
  ASSERT_NO_FATAL_FAILURE(StartAndOpen({.width = 800, .height = 600}));
  absl::StatusOr<std::string> kept = browser_->Screenshot("harness_800x600.png");
  ASSERT_TRUE(kept.ok()) << kept.status();
  const char* outputs = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  ASSERT_NE(outputs, nullptr);
  EXPECT_THAT(*kept, StartsWith(outputs));
  std::string given = absl::StrCat(browser_->dir(), "/given.png");
  absl::Status written = browser_->ScreenshotTo(given);
  ASSERT_TRUE(written.ok()) << written;

  for (const std::string& path : {*kept, given}) {
    absl::StatusOr<std::string> bytes = e2e::ReadFile(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<PngInfo> png = ParsePng(*bytes);
    ASSERT_TRUE(png.ok()) << path << ": " << png.status();
    EXPECT_EQ(png->width, 800u) << path;
    EXPECT_EQ(png->height, 600u) << path;
  }
}

TEST_F(BrowserHarnessTest, ReadsFirstContentfulPaintAndNavigationTiming) {
  ASSERT_NO_FATAL_FAILURE(StartAndOpen());
  absl::StatusOr<absl::Duration> fcp = browser_->WaitForFirstContentfulPaint();
  ASSERT_TRUE(fcp.ok()) << fcp.status();
  EXPECT_GT(*fcp, absl::ZeroDuration());
  absl::StatusOr<PageTiming> timing = browser_->Timing();
  ASSERT_TRUE(timing.ok()) << timing.status();
  // Orderings only: durations depend on the machine's load.
  EXPECT_GT(timing->response_start, absl::ZeroDuration()) << *timing;
  EXPECT_LE(timing->response_start, timing->dom_content_loaded) << *timing;
  EXPECT_LE(timing->dom_content_loaded, timing->load_event_end) << *timing;
  ASSERT_TRUE(timing->first_paint.has_value()) << *timing;
  EXPECT_LE(*timing->first_paint, *fcp) << *timing;
  EXPECT_EQ(timing->first_contentful_paint, *fcp) << *timing;
}

TEST_F(BrowserHarnessTest, FailuresSayWhatWasMissingAndWhatThePageShowed) {
  ASSERT_NO_FATAL_FAILURE(StartAndOpen());
  absl::Status missing = browser_->WaitFor("#missing", absl::Seconds(1));
  EXPECT_EQ(missing.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(missing.message(),
              AllOf(HasSubstr("no element matches CSS selector \"#missing\" after 1s"),
                    HasSubstr(Url("/index.html")), HasSubstr("Browser harness self-test"),
                    HasSubstr("Harness page")));

  absl::Status text = browser_->WaitForText("#status", "Never shown", absl::Seconds(1));
  EXPECT_EQ(text.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(text.message(), AllOf(HasSubstr("\"Never shown\""), HasSubstr("\"#status\""),
                                    HasSubstr("its text is \"Not clicked\"")));

  absl::Status until = browser_->WaitUntil("window.neverSet === true", absl::Seconds(1));
  EXPECT_EQ(until.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(until.message(), HasSubstr("`window.neverSet === true` still false"));

  EXPECT_EQ(browser_->Click("#missing").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(browser_->Text("#missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(browser_->Attribute("#status", "no-such").status().code(), absl::StatusCode::kNotFound);
  // A broken selector or script fails at once instead of waiting it out.
  absl::Status bad = browser_->WaitFor("p[[", absl::Seconds(30));
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << bad;
  absl::StatusOr<google::protobuf::Value> thrown =
      browser_->Execute("throw new Error('thrown by the test');");
  EXPECT_EQ(thrown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(thrown.status().message(), HasSubstr("thrown by the test"));
}

TEST_F(BrowserHarnessTest, ClosedBrowserRefusesCommands) {
  ASSERT_NO_FATAL_FAILURE(StartAndOpen());
  std::string dir = browser_->dir();
  ASSERT_FALSE(ProcessesMentioning(dir).empty()) << "the check below would prove nothing";
  browser_->Close();
  EXPECT_THAT(ProcessesMentioning(dir), IsEmpty());
  EXPECT_EQ(browser_->Open(Url("/index.html")).code(), absl::StatusCode::kFailedPrecondition);
  browser_->Close();  // idempotent
}

// A test process that dies with a browser open, the ways a failing test ends:
// an early return (destructors run), abort() (a crash), SIGKILL (a timeout).
// None may leave a process of its browser behind.
class DyingTestProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  // browser_crash_helper's exit code (Subprocess::Wait: -N for signal N).
  static int ExpectedExit(const std::string& ending) {
    if (ending == "return") return 1;
    return ending == "abort" ? -SIGABRT : -SIGKILL;
  }
};

TEST_P(DyingTestProcessTest, LeavesNoBrowserProcess) {
  absl::StatusOr<std::string> dir = e2e::MakeTempDir("dying-" + GetParam());
  ASSERT_TRUE(dir.ok()) << dir.status();
  absl::StatusOr<std::unique_ptr<e2e::Subprocess>> helper = e2e::Subprocess::Start(
      {.argv = {e2e::Runfile("testing/browser/browser_crash_helper"), *dir, GetParam()}});
  ASSERT_TRUE(helper.ok()) << helper.status();
  absl::StatusOr<int> code = (*helper)->Wait(absl::Seconds(120));
  ASSERT_TRUE(code.ok()) << code.status() << "; " << (*helper)->Output();
  ASSERT_THAT((*helper)->Output(), HasSubstr("browser up"))
      << "the helper must have had a browser to leave behind";
  EXPECT_EQ(*code, ExpectedExit(GetParam())) << (*helper)->Output();
  // The keeper cleans up after the helper's death on its own time: wait.
  EXPECT_THAT(WaitUntilNoProcessMentions(*dir), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Endings, DyingTestProcessTest,
                         ::testing::Values("return", "abort", "sigkill"));

}  // namespace
}  // namespace devloop::browser
