// A real headless Chromium for tests: Debian's chromium driven through its
// chromedriver over loopback (W3C WebDriver), for tests that open a page
// devloop serves and check what a user would see.
//
//   absl::StatusOr<std::unique_ptr<Browser>> b = Browser::Start();
//   ASSERT_TRUE(b.ok()) << b.status();
//   ASSERT_TRUE((*b)->Open(absl::StrCat("http://127.0.0.1:", port, "/")).ok());
//   ASSERT_TRUE((*b)->WaitForText("#status", "Succeeded").ok());
//   ASSERT_TRUE((*b)->Click("#pause").ok());
//   EXPECT_TRUE((*b)->CheckNoConsoleErrors().ok());
//   ASSERT_TRUE((*b)->Screenshot("dashboard.png").ok());  // kept by Bazel
//   absl::StatusOr<absl::Duration> fcp = (*b)->WaitForFirstContentfulPaint();
//
// Each Browser is a chromedriver and the Chromium it starts, with a fresh
// profile, HOME and crash-report directory under $TEST_TMPDIR (never the
// user's). Close() (or the destructor) kills and reaps every process of the
// browser before it returns; if the test process dies without closing (a
// crash, abort(), SIGKILL on a timeout) a keeper process does the same
// (guarded_process.h), so no Chromium outlives its test. chromedriver's log of
// every command is in dir()/chromedriver.log. Tests that use it are tagged
// `requires-browser`.
//
// Why C++ speaking WebDriver, not Python's selenium: the tests that need a
// browser are end-to-end tests of devloop whose fixtures (DevSession,
// DevloopProcess, the Docker sweep in testing/e2e) are C++; the part of
// WebDriver a test needs is a dozen JSON-over-HTTP calls on loopback, made
// here with loopback_http.h and protobuf's JSON values. A py_test would also
// need the system interpreter pinned by a Python toolchain: the first python3
// on PATH here is pyenv's, which cannot import Debian's python3-selenium.
//
// Waits poll the page (every 100 ms) up to a deadline; defaults are generous
// (30 s) because a loaded 2-core CI machine is slow, and no wait asserts speed.
// Selectors are CSS; each call finds its element afresh, so a page that
// re-renders never leaves a test holding a stale element.
//
// Thread-compatible: one thread drives a Browser.
#ifndef DEVLOOP_TESTING_BROWSER_BROWSER_H_
#define DEVLOOP_TESTING_BROWSER_BROWSER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "testing/browser/guarded_process.h"

namespace devloop::browser {

// How long waits last unless told otherwise: far beyond anything a page takes
// on an idle machine, so that only a real failure reaches it.
inline constexpr absl::Duration kDefaultWait = absl::Seconds(30);

// One message of the browser's console, as Chromium reports it.
struct ConsoleEntry {
  std::string level;    // "SEVERE" (console.error, uncaught errors, failed loads),
                        // "WARNING", "INFO", "DEBUG"
  std::string source;   // "javascript" (uncaught), "console-api", "network", ...
  std::string message;  // "http://127.0.0.1:8080/app.js 12:9 Uncaught Error: boom"
  int64_t timestamp_ms = 0;

  bool operator==(const ConsoleEntry&) const = default;
};
std::ostream& operator<<(std::ostream& os, const ConsoleEntry& entry);

// The current document's Navigation Timing and Paint Timing entries, measured
// from the start of its navigation (performance.timeOrigin).
struct PageTiming {
  absl::Duration response_start;      // first byte of the document
  absl::Duration dom_content_loaded;  // domContentLoadedEventEnd
  absl::Duration load_event_end;      // zero until the load event has finished
  std::optional<absl::Duration> first_paint;
  std::optional<absl::Duration> first_contentful_paint;  // unset until content painted

  bool operator==(const PageTiming&) const = default;
};
std::ostream& operator<<(std::ostream& os, const PageTiming& timing);

class Browser {
 public:
  struct Options {
    // The viewport, in CSS pixels at scale 1: screenshots are exactly this size.
    int width = 1280;
    int height = 800;
    // A private directory for the profile, HOME and crash reports; created if
    // missing. Empty: a fresh one under $TEST_TMPDIR (or /tmp).
    std::string dir;
    std::string chromedriver = "/usr/bin/chromedriver";
    // The browser binary itself, not Debian's /usr/bin/chromium wrapper script
    // (which adds flags and extensions from /etc/chromium.d).
    std::string chromium = "/usr/lib/chromium/chromium";
    std::vector<std::string> extra_args;  // more Chromium flags
    // Driver and browser start-up (Chromium takes 1-3 s here, idle).
    absl::Duration startup_timeout = absl::Seconds(60);
    // Open() waits this long for the page's load event.
    absl::Duration page_load_timeout = absl::Seconds(60);
  };

  // Starts chromedriver on a free loopback port and opens a browser session
  // (headless, --no-sandbox for root in a container, no /dev/shm). Returns
  // FailedPrecondition if the binaries are missing (tools/setup.sh installs
  // them), Unavailable with the driver's output if the session cannot start.
  static absl::StatusOr<std::unique_ptr<Browser>> Start(const Options& options);
  static absl::StatusOr<std::unique_ptr<Browser>> Start() { return Start(Options()); }

  // Calls Close().
  ~Browser();

  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  // Navigates to `url` and waits for its load event (page_load_timeout).
  absl::Status Open(absl::string_view url);

  // Waits until an element matches the CSS `selector`. DeadlineExceeded names
  // the selector and the page (URL, title, the start of its text).
  absl::Status WaitFor(absl::string_view selector, absl::Duration timeout = kDefaultWait);

  // Waits until the first element matching `selector` has rendered text that
  // contains `text` ("body" for anywhere on the page). DeadlineExceeded shows
  // the element's text at the deadline.
  absl::Status WaitForText(absl::string_view selector, absl::string_view text,
                           absl::Duration timeout = kDefaultWait);

  // Waits until the JavaScript expression `condition` is truthy, e.g.
  // "document.querySelectorAll('tr.build').length >= 2". A script error ends
  // the wait at once with InvalidArgument.
  absl::Status WaitUntil(absl::string_view condition, absl::Duration timeout = kDefaultWait);

  // Returns the rendered (visible) text of the first element matching
  // `selector`. NotFound if none matches now. An element the page replaces
  // while it is read is looked up again; Aborted if that keeps happening
  // (WaitForText retries then).
  absl::StatusOr<std::string> Text(absl::string_view selector);

  // Returns the attribute `name` of the first element matching `selector`.
  // NotFound if no element matches or it has no such attribute.
  absl::StatusOr<std::string> Attribute(absl::string_view selector, absl::string_view name);

  // Returns how many elements match `selector` now (0 is not an error).
  absl::StatusOr<int> Count(absl::string_view selector);

  // Clicks the first element matching `selector` as a user would (scrolled
  // into view, at its centre). NotFound if none matches; FailedPrecondition if
  // it cannot be clicked (hidden, covered by another element).
  absl::Status Click(absl::string_view selector);

  // Runs `script` as the body of a function in the page and returns what it
  // returns (`return document.title;`), as a JSON value: null, bool, number,
  // string, list or struct. A thrown error is InvalidArgument with its message.
  absl::StatusOr<google::protobuf::Value> Execute(absl::string_view script);

  // Returns every console message since the browser started (each call adds
  // the new ones to those already read).
  absl::StatusOr<std::vector<ConsoleEntry>> ConsoleLog();

  // Returns OK if no console message is SEVERE (console.error, an uncaught
  // error, a failed request such as a missing favicon.ico); otherwise
  // FailedPrecondition listing them.
  absl::Status CheckNoConsoleErrors();

  // Waits until a console message contains `text`, and returns it.
  absl::StatusOr<ConsoleEntry> WaitForConsoleMessage(absl::string_view text,
                                                     absl::Duration timeout = kDefaultWait);

  // Writes a PNG of the viewport to $TEST_UNDECLARED_OUTPUTS_DIR/`name` (Bazel
  // keeps it in bazel-testlogs/<test>/test.outputs/outputs.zip), or to the
  // browser's directory outside Bazel. Returns the path written.
  // REQUIRES: `name` is a file name, no directories.
  absl::StatusOr<std::string> Screenshot(absl::string_view name);

  // Writes a PNG of the viewport to `path`.
  absl::Status ScreenshotTo(const std::string& path);

  // Reads the current document's Navigation and Paint Timing entries.
  absl::StatusOr<PageTiming> Timing();

  // Waits until the current document has painted content and returns when it
  // did, from the start of its navigation. For benchmarks: open the page, then
  // call this.
  absl::StatusOr<absl::Duration> WaitForFirstContentfulPaint(absl::Duration timeout = kDefaultWait);

  // Kills chromedriver and every browser process, and returns once none is
  // left, not even a zombie. Idempotent; the Browser is unusable afterwards.
  void Close();

  // The private directory (profile, HOME, chromedriver.log); distinct for
  // each Browser.
  const std::string& dir() const { return options_.dir; }

 private:
  Browser(Options options, std::unique_ptr<GuardedProcess> driver)
      : options_(std::move(options)), driver_(std::move(driver)) {}

  // Sends one WebDriver command to the session (`path` below /session/<id>)
  // and returns the response's "value". WebDriver errors become statuses.
  absl::StatusOr<google::protobuf::Value> Command(absl::string_view method, absl::string_view path,
                                                  const google::protobuf::Value* body = nullptr,
                                                  absl::Duration timeout = absl::Seconds(30));
  // Returns the WebDriver id of the first element matching `selector`.
  absl::StatusOr<std::string> FindElement(absl::string_view selector);
  // Describes the page for a failed wait: URL, title, the start of its text.
  std::string DescribePage();

  Options options_;                         // dir filled in
  std::unique_ptr<GuardedProcess> driver_;  // chromedriver, and so the browser
  int port_ = 0;                            // chromedriver's
  std::string session_;                     // empty when closed
  std::vector<ConsoleEntry> console_;
};

}  // namespace devloop::browser

#endif  // DEVLOOP_TESTING_BROWSER_BROWSER_H_
