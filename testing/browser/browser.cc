#include "testing/browser/browser.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "domain/base/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "testing/browser/guarded_process.h"
#include "testing/browser/loopback_http.h"
#include "testing/e2e/files.h"

namespace devloop::browser {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;

// How often waits look at the page: each look is one loopback round trip to
// chromedriver (a few ms), so this costs little and reacts quickly.
constexpr absl::Duration kPollInterval = absl::Milliseconds(100);

// The key of a web element reference in W3C WebDriver.
constexpr absl::string_view kElementKey = "element-6066-11e4-a52e-4f735466cecf";

// chromedriver's stdout line that carries the port it chose for --port=0.
constexpr absl::string_view kStartedOnPort = "started successfully on port ";

Value String(absl::string_view s) {
  Value v;
  v.set_string_value(std::string(s));
  return v;
}

Value Number(double n) {
  Value v;
  v.set_number_value(n);
  return v;
}

Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}

Value Object(std::initializer_list<std::pair<std::string, Value>> fields) {
  Value v;
  auto& map = *v.mutable_struct_value()->mutable_fields();
  for (const auto& [key, value] : fields) map[key] = value;
  return v;
}

Value List(const std::vector<std::string>& items) {
  Value v;
  auto* list = v.mutable_list_value();
  for (const std::string& item : items) *list->add_values() = String(item);
  return v;
}

// Returns the member `key` of a JSON object, or null.
const Value& Field(const Value& object, absl::string_view key) {
  static const Value* const kNull = new Value();
  if (object.kind_case() != Value::kStructValue) return *kNull;
  const auto& fields = object.struct_value().fields();
  auto it = fields.find(std::string(key));
  return it == fields.end() ? *kNull : it->second;
}

bool IsNull(const Value& v) {
  return v.kind_case() == Value::KIND_NOT_SET || v.kind_case() == Value::kNullValue;
}

std::string ToJson(const Value& value) {
  std::string json;
  // Printing a Value cannot fail: it has no Any fields to resolve.
  (void)google::protobuf::util::MessageToJsonString(value, &json);
  return json;
}

// Maps a WebDriver error (https://w3c.github.io/webdriver/#errors) to a status
// code, so callers can tell "not there yet" from "broken".
absl::StatusCode CodeOf(absl::string_view error) {
  if (error == "no such element" || error == "no such alert") return absl::StatusCode::kNotFound;
  if (error == "timeout" || error == "script timeout") return absl::StatusCode::kDeadlineExceeded;
  if (error == "javascript error" || error == "invalid selector" || error == "invalid argument") {
    return absl::StatusCode::kInvalidArgument;
  }
  // The element went away between finding and using it: worth a retry.
  if (error == "stale element reference") return absl::StatusCode::kAborted;
  if (error == "element not interactable" || error == "element click intercepted") {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (error == "invalid session id" || error == "session not created" ||
      error == "no such window") {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kInternal;
}

// Sends one WebDriver request to chromedriver on `port` and returns the
// response's "value". `what` names the request in errors.
absl::StatusOr<Value> Call(int port, absl::string_view method, absl::string_view path,
                           const Value* body, absl::Duration timeout, absl::string_view what) {
  std::string request = body != nullptr ? ToJson(*body) : (method == "POST" ? "{}" : "");
  absl::StatusOr<HttpReply> response = SendRequest(port, method, path, request, timeout);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat("WebDriver ", what, ": ", response.status().message()));
  }
  Struct parsed;
  if (!google::protobuf::util::JsonStringToMessage(response->body, &parsed).ok()) {
    return absl::InternalError(absl::StrCat("WebDriver ", what, ": HTTP ", response->status,
                                            " with a body that is not a JSON object: \"",
                                            response->body.substr(0, 200), "\""));
  }
  Value value = parsed.fields().count("value") ? parsed.fields().at("value") : Value();
  if (response->status == 200) return value;
  std::string error = Field(value, "error").string_value();
  // chromedriver adds "\n  (Session info: ...)" and a stack trace of its own.
  std::string message = Field(value, "message").string_value();
  message = message.substr(0, message.find('\n'));
  return absl::Status(CodeOf(error),
                      absl::StrCat("WebDriver ", what, ": ", message.empty() ? error : message));
}

// Calls `attempt` every kPollInterval until it returns true (done) or an error
// (give up), or `timeout` passes: then returns false.
template <typename Attempt>
absl::StatusOr<bool> PollUntil(absl::Duration timeout, Attempt attempt) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<bool> done = attempt();
    if (!done.ok() || *done) return done;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(std::min(kPollInterval, deadline - absl::Now()));
  }
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

// Waits for chromedriver's "started successfully on port N" line.
absl::StatusOr<int> WaitForDriverPort(GuardedProcess& driver, absl::Duration timeout) {
  int port = 0;
  absl::StatusOr<bool> found = PollUntil(timeout, [&]() -> absl::StatusOr<bool> {
    std::string output = driver.Output();
    size_t at = output.find(std::string(kStartedOnPort));
    if (at != std::string::npos) {
      std::string digits = output.substr(at + kStartedOnPort.size());
      digits = digits.substr(0, digits.find_first_not_of("0123456789"));
      if (absl::SimpleAtoi(digits, &port) && port > 0) return true;
    }
    if (!driver.Running()) {
      return absl::UnavailableError(absl::StrCat("chromedriver exited at start: ", output));
    }
    return false;
  });
  if (!found.ok()) return found.status();
  if (!*found) {
    return absl::UnavailableError(absl::StrCat("chromedriver did not report its port within ",
                                               absl::FormatDuration(timeout), ": ",
                                               driver.Output()));
  }
  return port;
}

std::string OutputsDir(const std::string& fallback) {
  const char* outputs = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return outputs != nullptr && *outputs != '\0' ? outputs : fallback;
}

absl::Duration Millis(const Value& v) { return absl::Milliseconds(v.number_value()); }

std::optional<absl::Duration> OptionalMillis(const Value& v) {
  if (IsNull(v)) return std::nullopt;
  return Millis(v);
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const ConsoleEntry& entry) {
  return os << entry.level << " [" << entry.source << "] " << entry.message;
}

std::ostream& operator<<(std::ostream& os, const PageTiming& timing) {
  auto optional = [](const std::optional<absl::Duration>& d) {
    return d ? absl::FormatDuration(*d) : std::string("none");
  };
  return os << "{response_start: " << timing.response_start
            << ", dom_content_loaded: " << timing.dom_content_loaded
            << ", load_event_end: " << timing.load_event_end
            << ", first_paint: " << optional(timing.first_paint)
            << ", first_contentful_paint: " << optional(timing.first_contentful_paint) << "}";
}

absl::StatusOr<std::unique_ptr<Browser>> Browser::Start(const Options& options) {
  for (const std::string& binary : {options.chromedriver, options.chromium}) {
    if (access(binary.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(binary, " is missing (", strerror(errno),
                       "): tools/setup.sh installs Debian's chromium and chromium-driver"));
    }
  }
  Options resolved = options;
  if (resolved.dir.empty()) {
    DEVLOOP_ASSIGN_OR_RETURN(resolved.dir, e2e::MakeTempDir("browser"));
  }
  const std::string home = resolved.dir + "/home";
  for (const std::string& dir : {resolved.dir, home, resolved.dir + "/profile"}) {
    DEVLOOP_RETURN_IF_ERROR(MakeDir(dir));
  }
  // HOME and the XDG directories point into the private directory: Chromium's
  // crash reporter writes to $XDG_CONFIG_HOME/chromium whatever the profile.
  // The driver's own log (every command, timestamped) goes there too, which
  // also puts the directory on the driver's command line, as it is on every
  // Chromium process's: a test can find them all by it.
  DEVLOOP_ASSIGN_OR_RETURN(
      std::unique_ptr<GuardedProcess> driver,
      GuardedProcess::Start(
          {.argv = {options.chromedriver, "--port=0",
                    absl::StrCat("--log-path=", resolved.dir, "/chromedriver.log")},
           .env = {{"HOME", home},
                   {"XDG_CONFIG_HOME", home + "/.config"},
                   {"XDG_CACHE_HOME", home + "/.cache"}},
           .output_path = resolved.dir + "/chromedriver.out"}));
  // From here on the destructor cleans up whatever fails.
  std::unique_ptr<Browser> browser(new Browser(std::move(resolved), std::move(driver)));
  const Options& o = browser->options_;
  DEVLOOP_ASSIGN_OR_RETURN(browser->port_, WaitForDriverPort(*browser->driver_, o.startup_timeout));

  std::vector<std::string> args = {
      "--headless=new",
      "--no-sandbox",             // root in a container: no user namespaces for it
      "--disable-dev-shm-usage",  // containers give /dev/shm 64 MB
      absl::StrCat("--user-data-dir=", o.dir, "/profile"),
      absl::StrCat("--window-size=", o.width, ",", o.height),
      "--hide-scrollbars",           // screenshots do not depend on page length
      "--force-color-profile=srgb",  // nor on the machine's colour profile
      "--mute-audio",
  };
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  const double page_load_ms = absl::ToDoubleMilliseconds(o.page_load_timeout);
  Value always_match = Object({
      {"browserName", String("chrome")},
      {"pageLoadStrategy", String("normal")},
      {"timeouts", Object({{"pageLoad", Number(page_load_ms)}, {"implicit", Number(0)}})},
      {"goog:loggingPrefs", Object({{"browser", String("ALL")}})},  // the console, for ConsoleLog()
      {"goog:chromeOptions", Object({{"binary", String(o.chromium)}, {"args", List(args)}})},
  });
  Value capabilities = Object({{"capabilities", Object({{"alwaysMatch", always_match}})}});
  absl::StatusOr<Value> session =
      Call(browser->port_, "POST", "/session", &capabilities, o.startup_timeout, "new session");
  if (!session.ok()) {
    return absl::UnavailableError(absl::StrCat(
        session.status().message(), "; chromedriver's output: ", browser->driver_->Output(),
        "; its log: ", o.dir, "/chromedriver.log"));
  }
  browser->session_ = Field(*session, "sessionId").string_value();
  if (browser->session_.empty()) {
    return absl::InternalError(absl::StrCat("new session: no sessionId in ", ToJson(*session)));
  }
  // --window-size sizes the window, and headless Chromium still sets aside
  // room for a toolbar it does not draw: fix the viewport itself instead.
  Value metrics = Object({{"cmd", String("Emulation.setDeviceMetricsOverride")},
                          {"params", Object({{"width", Number(o.width)},
                                             {"height", Number(o.height)},
                                             {"deviceScaleFactor", Number(1)},
                                             {"mobile", Bool(false)}})}});
  DEVLOOP_RETURN_IF_ERROR(browser->Command("POST", "/goog/cdp/execute", &metrics).status());
  return browser;
}

Browser::~Browser() { Close(); }

absl::StatusOr<Value> Browser::Command(absl::string_view method, absl::string_view path,
                                       const Value* body, absl::Duration timeout) {
  if (session_.empty()) return absl::FailedPreconditionError("the browser is closed");
  return Call(port_, method, absl::StrCat("/session/", session_, path), body, timeout,
              absl::StrCat(method, " ", path.empty() ? "/session" : path));
}

absl::Status Browser::Open(absl::string_view url) {
  Value body = Object({{"url", String(url)}});
  // The HTTP call outlasts the browser's own page-load timeout, so that a slow
  // page reports chromedriver's clear "timeout" error rather than ours.
  absl::StatusOr<Value> r =
      Command("POST", "/url", &body, options_.page_load_timeout + absl::Seconds(30));
  if (!r.ok()) {
    return absl::Status(r.status().code(), absl::StrCat("open ", url, ": ", r.status().message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Browser::FindElement(absl::string_view selector) {
  Value query = Object({{"using", String("css selector")}, {"value", String(selector)}});
  absl::StatusOr<Value> found = Command("POST", "/element", &query);
  if (absl::IsNotFound(found.status())) {
    return absl::NotFoundError(absl::StrCat("no element matches CSS selector \"", selector, "\""));
  }
  if (!found.ok()) return found.status();
  return Field(*found, kElementKey).string_value();
}

absl::Status Browser::WaitFor(absl::string_view selector, absl::Duration timeout) {
  absl::StatusOr<bool> found = PollUntil(timeout, [&]() -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> element = FindElement(selector);
    if (absl::IsNotFound(element.status())) return false;
    if (!element.ok()) return element.status();  // a bad selector, a dead browser
    return true;
  });
  if (!found.ok()) return found.status();
  if (*found) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("no element matches CSS selector \"", selector,
                                                  "\" after ", absl::FormatDuration(timeout), "; ",
                                                  DescribePage()));
}

absl::Status Browser::WaitForText(absl::string_view selector, absl::string_view text,
                                  absl::Duration timeout) {
  absl::StatusOr<std::string> last = absl::NotFoundError("never looked");
  absl::StatusOr<bool> found = PollUntil(timeout, [&]() -> absl::StatusOr<bool> {
    last = Text(selector);
    if (last.ok()) return absl::StrContains(*last, text);
    if (absl::IsNotFound(last.status()) || absl::IsAborted(last.status())) return false;
    return last.status();
  });
  if (!found.ok()) return found.status();
  if (*found) return absl::OkStatus();
  std::string saw = last.ok()
                        ? absl::StrCat("its text is \"", absl::CEscape(last->substr(0, 300)), "\"")
                        : std::string(last.status().message());
  return absl::DeadlineExceededError(
      absl::StrCat("no text \"", text, "\" in CSS selector \"", selector, "\" after ",
                   absl::FormatDuration(timeout), ": ", saw, "; ", DescribePage()));
}

absl::Status Browser::WaitUntil(absl::string_view condition, absl::Duration timeout) {
  const std::string script = absl::StrCat("return !!(", condition, ");");
  absl::StatusOr<bool> met = PollUntil(timeout, [&]() -> absl::StatusOr<bool> {
    DEVLOOP_ASSIGN_OR_RETURN(Value v, Execute(script));
    return v.bool_value();
  });
  if (!met.ok()) return met.status();
  if (*met) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("condition `", condition, "` still false after ",
                                                  absl::FormatDuration(timeout), "; ",
                                                  DescribePage()));
}

absl::StatusOr<std::string> Browser::Text(absl::string_view selector) {
  // Found, then read: a page that re-renders the element in between makes it
  // stale (Aborted), and the element matching now is read instead.
  absl::Status stale;
  for (int attempt = 0; attempt < 5; ++attempt) {
    DEVLOOP_ASSIGN_OR_RETURN(std::string element, FindElement(selector));
    absl::StatusOr<Value> text = Command("GET", absl::StrCat("/element/", element, "/text"));
    if (text.ok()) return text->string_value();
    if (!absl::IsAborted(text.status())) return text.status();
    stale = text.status();
  }
  return stale;
}

absl::StatusOr<std::string> Browser::Attribute(absl::string_view selector, absl::string_view name) {
  DEVLOOP_ASSIGN_OR_RETURN(std::string element, FindElement(selector));
  DEVLOOP_ASSIGN_OR_RETURN(Value value,
                           Command("GET", absl::StrCat("/element/", element, "/attribute/", name)));
  if (IsNull(value)) {
    return absl::NotFoundError(
        absl::StrCat("the element matching \"", selector, "\" has no attribute ", name));
  }
  return value.string_value();
}

absl::StatusOr<int> Browser::Count(absl::string_view selector) {
  Value query = Object({{"using", String("css selector")}, {"value", String(selector)}});
  DEVLOOP_ASSIGN_OR_RETURN(Value found, Command("POST", "/elements", &query));
  return found.list_value().values_size();
}

absl::Status Browser::Click(absl::string_view selector) {
  DEVLOOP_ASSIGN_OR_RETURN(std::string element, FindElement(selector));
  absl::StatusOr<Value> r = Command("POST", absl::StrCat("/element/", element, "/click"));
  if (!r.ok()) {
    return absl::Status(r.status().code(),
                        absl::StrCat("click \"", selector, "\": ", r.status().message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> Browser::Execute(absl::string_view script) {
  Value body;
  auto& fields = *body.mutable_struct_value()->mutable_fields();
  fields["script"] = String(script);
  fields["args"].mutable_list_value();
  return Command("POST", "/execute/sync", &body);
}

absl::StatusOr<std::vector<ConsoleEntry>> Browser::ConsoleLog() {
  Value type = Object({{"type", String("browser")}});
  // chromedriver hands out each message once: keep them all here.
  DEVLOOP_ASSIGN_OR_RETURN(Value entries, Command("POST", "/se/log", &type));
  for (const Value& e : entries.list_value().values()) {
    console_.push_back(
        {.level = Field(e, "level").string_value(),
         .source = Field(e, "source").string_value(),
         .message = Field(e, "message").string_value(),
         .timestamp_ms = static_cast<int64_t>(Field(e, "timestamp").number_value())});
  }
  return console_;
}

absl::Status Browser::CheckNoConsoleErrors() {
  DEVLOOP_ASSIGN_OR_RETURN(std::vector<ConsoleEntry> log, ConsoleLog());
  std::vector<std::string> errors;
  for (const ConsoleEntry& e : log) {
    if (e.level == "SEVERE") errors.push_back(absl::StrCat("[", e.source, "] ", e.message));
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(errors.size(), " console error(s): ", absl::StrJoin(errors, "; ")));
}

absl::StatusOr<ConsoleEntry> Browser::WaitForConsoleMessage(absl::string_view text,
                                                            absl::Duration timeout) {
  std::optional<ConsoleEntry> match;
  size_t seen = 0;
  absl::StatusOr<bool> found = PollUntil(timeout, [&]() -> absl::StatusOr<bool> {
    DEVLOOP_ASSIGN_OR_RETURN(std::vector<ConsoleEntry> log, ConsoleLog());
    seen = log.size();
    for (const ConsoleEntry& e : log) {
      if (absl::StrContains(e.message, text)) {
        match = e;
        return true;
      }
    }
    return false;
  });
  if (!found.ok()) return found.status();
  if (*found) return *match;
  return absl::DeadlineExceededError(absl::StrCat("no console message contains \"", text,
                                                  "\" after ", absl::FormatDuration(timeout), " (",
                                                  seen, " message(s) in all)"));
}

absl::StatusOr<std::string> Browser::Screenshot(absl::string_view name) {
  if (name.empty() || absl::StrContains(name, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("screenshot name \"", name, "\" must be a plain file name"));
  }
  std::string path = absl::StrCat(OutputsDir(options_.dir), "/", name);
  DEVLOOP_RETURN_IF_ERROR(ScreenshotTo(path));
  return path;
}

absl::Status Browser::ScreenshotTo(const std::string& path) {
  DEVLOOP_ASSIGN_OR_RETURN(Value encoded, Command("GET", "/screenshot"));
  std::string png;
  if (!absl::Base64Unescape(encoded.string_value(), &png)) {
    return absl::InternalError("screenshot: chromedriver's answer is not base64");
  }
  return e2e::WriteFile(path, png);
}

absl::StatusOr<PageTiming> Browser::Timing() {
  DEVLOOP_ASSIGN_OR_RETURN(Value t, Execute(R"js(
    const nav = performance.getEntriesByType('navigation')[0];
    const paint = {};
    for (const entry of performance.getEntriesByType('paint')) paint[entry.name] = entry.startTime;
    return {
      responseStart: nav ? nav.responseStart : 0,
      domContentLoaded: nav ? nav.domContentLoadedEventEnd : 0,
      loadEventEnd: nav ? nav.loadEventEnd : 0,
      firstPaint: paint['first-paint'] ?? null,
      firstContentfulPaint: paint['first-contentful-paint'] ?? null,
    };)js"));
  return PageTiming{.response_start = Millis(Field(t, "responseStart")),
                    .dom_content_loaded = Millis(Field(t, "domContentLoaded")),
                    .load_event_end = Millis(Field(t, "loadEventEnd")),
                    .first_paint = OptionalMillis(Field(t, "firstPaint")),
                    .first_contentful_paint = OptionalMillis(Field(t, "firstContentfulPaint"))};
}

absl::StatusOr<absl::Duration> Browser::WaitForFirstContentfulPaint(absl::Duration timeout) {
  std::optional<absl::Duration> fcp;
  absl::StatusOr<bool> painted = PollUntil(timeout, [&]() -> absl::StatusOr<bool> {
    DEVLOOP_ASSIGN_OR_RETURN(PageTiming timing, Timing());
    fcp = timing.first_contentful_paint;
    return fcp.has_value();
  });
  if (!painted.ok()) return painted.status();
  if (*painted) return *fcp;
  return absl::DeadlineExceededError(
      absl::StrCat("no first-contentful-paint entry after ", absl::FormatDuration(timeout),
                   " (an empty page never paints content); ", DescribePage()));
}

std::string Browser::DescribePage() {
  absl::StatusOr<Value> page = Execute(
      "return {url: location.href, title: document.title,"
      " text: document.body ? document.body.innerText.slice(0, 300) : ''};");
  if (!page.ok()) return absl::StrCat("the page could not be read: ", page.status().message());
  return absl::StrCat("the page is ", Field(*page, "url").string_value(), " (title \"",
                      Field(*page, "title").string_value(), "\"), its text begins \"",
                      absl::CEscape(Field(*page, "text").string_value()), "\"");
}

void Browser::Close() {
  // No WebDriver "delete session" first: the profile is thrown away, so there
  // is nothing for Chromium to save, and its orderly exit took 10-15 s on a
  // loaded 2-core machine where the kill takes milliseconds.
  session_.clear();
  driver_->Stop();
}

}  // namespace devloop::browser
