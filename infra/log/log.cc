#include "infra/log/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <ostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace devloop::log {
namespace {

std::atomic<Level> current_level{Level::kWarning};
std::atomic<bool> color{false};
absl::Time start = absl::InfinitePast();  // set by Init, before any other thread

// Whether a terminal shows colour, by its $TERM (as glog decided).
bool TermShowsColor() {
  const char* term = std::getenv("TERM");
  if (term == nullptr || *term == '\0') return false;
  const absl::string_view t = term;
  return t != "dumb" && (absl::StrContains(t, "xterm") || absl::StrContains(t, "color") ||
                         absl::StartsWith(t, "screen") || absl::StartsWith(t, "tmux") ||
                         t == "linux" || t == "cygwin" || absl::StartsWith(t, "rxvt"));
}

// Writes all of `text` to stderr, retrying short writes and interruptions.
void WriteToStderr(absl::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to say it
    text.remove_prefix(static_cast<size_t>(n));
  }
}

absl::string_view BaseName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

void Init(const char* /*argv0*/) {
  start = absl::Now();
  color.store(::isatty(STDERR_FILENO) == 1 && TermShowsColor(), std::memory_order_relaxed);
  SetLevel(Level::kWarning);
}

void SetLevel(Level level) { current_level.store(level, std::memory_order_relaxed); }

namespace internal {

bool Prints(Severity severity) {
  switch (current_level.load(std::memory_order_relaxed)) {
    case Level::kFatal: return severity == Severity::kFatal;
    case Level::kError: return severity >= Severity::kError;
    case Level::kWarning: return severity >= Severity::kWarning;
    case Level::kInfo:
    case Level::kDebug:
    case Level::kTrace: return true;
  }
  return true;
}

bool PrintsVerbose(int v) {
  const Level level = current_level.load(std::memory_order_relaxed);
  return v <= (level == Level::kTrace ? 2 : level == Level::kDebug ? 1 : 0);
}

Line::Line(Severity severity, const char* file, int line)
    : severity_(severity), file_(file), line_(line) {}

Line::~Line() {
  const absl::Time at = absl::Now();
  std::string prefix =
      current_level.load(std::memory_order_relaxed) >= Level::kDebug
          ? GlogPrefix(severity_, at, absl::LocalTimeZone(), static_cast<int>(::gettid()),
                       BaseName(file_), line_)
          : ShortPrefix(severity_, start == absl::InfinitePast() ? absl::ZeroDuration()
                                                                  : at - start);
  const char* paint = nullptr;
  if (color.load(std::memory_order_relaxed)) {
    if (severity_ == Severity::kWarning) paint = "\033[0;33m";
    if (severity_ >= Severity::kError) paint = "\033[0;31m";
  }
  WriteToStderr(paint != nullptr
                    ? absl::StrCat(paint, prefix, " ", message_.str(), "\033[m\n")
                    : absl::StrCat(prefix, " ", message_.str(), "\n"));
  if (severity_ == Severity::kFatal) std::abort();
}

}  // namespace internal

std::string ShortPrefix(Severity severity, absl::Duration since_start) {
  const char* name = "INFO";
  switch (severity) {
    case Severity::kInfo: name = "INFO"; break;
    case Severity::kWarning: name = "WARN"; break;
    case Severity::kError: name = "ERRO"; break;
    case Severity::kFatal: name = "FATA"; break;
  }
  // logrus: int(elapsed / time.Second), so whole seconds, rounded down.
  const int64_t seconds = std::max<int64_t>(0, absl::ToInt64Seconds(since_start));
  return absl::StrFormat("%s[%04d]", name, seconds);
}

std::string GlogPrefix(Severity severity, absl::Time at, absl::TimeZone zone, int thread_id,
                       absl::string_view file, int line) {
  char letter = 'I';
  switch (severity) {
    case Severity::kInfo: letter = 'I'; break;
    case Severity::kWarning: letter = 'W'; break;
    case Severity::kError: letter = 'E'; break;
    case Severity::kFatal: letter = 'F'; break;
  }
  return absl::StrFormat("%c%s %5d %s:%d]", letter, absl::FormatTime("%Y%m%d %H:%M:%E6S", at, zone),
                         thread_id, file, line);
}

}  // namespace devloop::log
