#include "infra/log/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ostream>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

// GLOG_CUSTOM_PREFIX_SUPPORT is defined for this file by its BUILD target:
// Debian's glog 0.6 is built with the custom prefix, but its header does not
// say so.

namespace devloop::log {
namespace {

std::atomic<Level> current_level{Level::kWarning};
absl::Time start;  // set by Init, before any other thread

Severity FromGlog(const char* name) {
  switch (name[0]) {
    case 'W': return Severity::kWarning;
    case 'E': return Severity::kError;
    case 'F': return Severity::kFatal;
    default: return Severity::kInfo;
  }
}

// glog writes one space after what this writes, then the message.
void WritePrefix(std::ostream& out, const google::LogMessageInfo& info, void* /*data*/) {
  const Severity severity = FromGlog(info.severity);
  const absl::Time at =
      absl::FromTimeT(info.time.timestamp()) + absl::Microseconds(info.time.usec());
  if (current_level.load(std::memory_order_relaxed) >= Level::kDebug) {
    out << GlogPrefix(severity, at, absl::LocalTimeZone(), info.thread_id, info.filename,
                      info.line_number);
  } else {
    out << ShortPrefix(severity, at - start);
  }
}

}  // namespace

void Init(const char* argv0) {
  start = absl::Now();
  FLAGS_logtostderr = true;
  // glog colours by $TERM alone; a file or pipe must not get escape codes.
  FLAGS_colorlogtostderr = ::isatty(STDERR_FILENO) == 1;
  SetLevel(Level::kWarning);
  google::InitGoogleLogging(argv0, &WritePrefix, nullptr);
}

void SetLevel(Level level) {
  switch (level) {
    case Level::kFatal: FLAGS_minloglevel = google::GLOG_FATAL; break;
    case Level::kError: FLAGS_minloglevel = google::GLOG_ERROR; break;
    case Level::kWarning: FLAGS_minloglevel = google::GLOG_WARNING; break;
    case Level::kInfo:
    case Level::kDebug:
    case Level::kTrace: FLAGS_minloglevel = google::GLOG_INFO; break;
  }
  FLAGS_v = level == Level::kTrace ? 2 : level == Level::kDebug ? 1 : 0;
  current_level.store(level, std::memory_order_relaxed);
}

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
