// What `devloop dev` prints: a line per phase with its duration, a progress line
// while a long build runs, application logs behind a coloured [tag], and errors
// with the suggestion for their status code.
//
// The console renders the same LogEntries the API streams (so what a developer
// reads and what an IDE sees cannot disagree), plus application log lines, which
// the v1 API does not carry. Durations come from the entries' own timestamps, so
// output is deterministic in tests. All output goes to an injected stream.
//
//   Console console({.out = &std::cout, .is_tty = isatty(1)});
//   console.Render(entry);                  // "Build [web] succeeded in 1.2s"
//   console.ApplicationLog("web", "GET /");  // "[web] GET /", [web] coloured on a TTY
//   console.Tick(clock->Now());              // redraws "⠹ Building [web] 3.1s" (TTY only)
//
// Output must never stop devloop: a write that fails (stdout a pipe whose
// reader is gone, a closed terminal) is dropped, the stream's error state is
// cleared, and the next line is tried again. The console never throws.
//
// Thread-safe: log tailers and the dev loop's executor may print concurrently;
// each call writes whole lines.
#ifndef DEVLOOP_APPS_CONSOLE_CONSOLE_H_
#define DEVLOOP_APPS_CONSOLE_CONSOLE_H_

#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/events/event.h"
#include "domain/events/status_code.h"

namespace devloop::console {

struct ConsoleOptions {
  std::ostream* out = nullptr;  // required; must outlive the Console
  // Whether `out` is a terminal: enables the progress line and, unless `color`
  // says otherwise, colours.
  bool is_tty = false;
  std::optional<bool> color;  // default: is_tty
  bool debug = false;         // -v debug: print Debug() lines
  // A build must have run this long before the progress line appears, so quick
  // builds do not flicker.
  absl::Duration progress_after = absl::Seconds(1);
};

class Console {
 public:
  // REQUIRES: options.out != nullptr.
  explicit Console(const ConsoleOptions& options);

  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Prints what `entry` means to a developer, if anything (some entries only
  // update state kept for later lines, such as a phase's start time).
  void Render(const domain::LogEntry& entry);

  // Prints one line of application output as "[source] line" and returns what
  // it printed (colour codes included, no newline). `source` is an image
  // ("web") or "pod container"; its colour is stable across runs.
  std::string ApplicationLog(absl::string_view source, absl::string_view line);

  // `line` without its line end ("\n" or "\r\n"), as ApplicationLog prints it.
  static absl::string_view WithoutLineEnd(absl::string_view line);

  // Redraws the progress line of the builds running at `now` (TTY only; no-op
  // otherwise or when no build has run for `progress_after`).
  void Tick(absl::Time now);

  // Prints a command or API call made, when debug output is on.
  void Debug(absl::string_view line);

  // Prints an error that came from no event (a bad config at start-up, say),
  // with the suggestion for `code` if there is one.
  void Error(domain::StatusCode code, absl::string_view message);

  // Prints a plain informational line ("Press Ctrl+C to exit").
  void Info(absl::string_view line);

  // Prints "Cleaning up..." and marks the run as stopping: from now on the end
  // of an iteration (which the loop may still report: the one Ctrl-C cut
  // short, or one that finished meanwhile) no longer prints "Watching for
  // changes...", since nothing is watched any more. Later calls print nothing.
  void Stopping();

 private:
  void WriteLine(absl::string_view line);  // REQUIRES: mu_ held
  void ClearProgress();                    // REQUIRES: mu_ held
  std::string Colored(absl::string_view text, absl::string_view color) const;
  std::string Tag(absl::string_view source) const;
  void WriteFailure(absl::string_view headline, absl::string_view err, domain::StatusCode code,
                    const std::optional<domain::ActionableErr>& actionable);
  std::string Took(const std::string& key, absl::Time end);  // REQUIRES: mu_ held

  const ConsoleOptions options_;
  const bool color_;
  std::mutex mu_;
  std::ostream* const out_;
  std::map<std::string, absl::Time> started_;        // phase key -> start time
  std::map<std::string, absl::Time> builds_running_;  // artifact -> start time
  bool progress_shown_ = false;
  bool stopping_ = false;
  int spinner_ = 0;
};

// Where the API servers answer, for the line `devloop dev` prints once both
// listen.
struct ApiEndpoints {
  std::string grpc;        // host:port actually bound ("127.0.0.1:50051")
  std::string http;        // host:port actually bound ("127.0.0.1:50052")
  std::vector<int> taken;  // ports asked for that were in use, so a server moved
};

// Returns the one plain line that says where the API answers:
//   "API: gRPC 127.0.0.1:50051, HTTP http://127.0.0.1:50052 (dashboard)"
// and, when a port moved, why:
//   "...(dashboard); 50051 and 50052 were in use (another devloop?)".
std::string ApiLine(const ApiEndpoints& api);

// Returns `d` as a developer reads it: "850ms", "1.2s", "2m5s".
std::string FormatPhaseDuration(absl::Duration d);

// Returns the ANSI colour code (e.g. "\x1b[93m") of `source`'s tag, the same in
// every run for the same source.
absl::string_view TagColor(absl::string_view source);

}  // namespace devloop::console

#endif  // DEVLOOP_APPS_CONSOLE_CONSOLE_H_
