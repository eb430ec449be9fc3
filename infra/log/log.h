// The one logging header of devloop's shell (infra/ and apps/ .cc files only).
//
// Its own small logger, not glog: glog's archive pulls in libunwind, whose
// unwinder clashes with libgcc's in a static link, and a static executable
// starts sooner (docs/BENCHMARKS.md, "Start-up: a static executable"). The
// domain never logs: it emits events.
//
//   DEVLOOP_LOG(INFO) << "serving gRPC on " << address;
//   DEVLOOP_LOG(WARNING) << "port 50052 for gRPC HTTP server already in use";
//   DEVLOOP_VLOG(1) << "docker: POST /build";   // shown with -v debug
//
// Log lines go to stderr, beside the console's output on stdout. At the levels
// a user runs with they read like Skaffold's (logrus's): four letters of the
// severity, the whole seconds since start, the message; no file, line or thread.
//
//   -v                 prints                    prefix
//   fatal, panic       FATAL                     FATA[0000]
//   error              ERROR and above           ERRO[0003]
//   warning (default)  WARNING and above         WARN[0003]
//   info               INFO and above            INFO[0003]
//   debug              + DEVLOOP_VLOG(1)         glog's: W20261203 21:03:11.123456 12345 a.cc:42]
//   trace              + DEVLOOP_VLOG(2)         glog's
//
// At debug and trace glog's full prefix comes back: whoever asks for that much
// output is reading devloop's code and wants the file and line. Warnings and
// errors are coloured only when stderr is a terminal that shows colour. A line
// is written with one write(2), so lines of different threads never mix; a
// FATAL line aborts the process once written. The arguments of a line the
// level does not print are not evaluated.
//
// Init and SetLevel are for main; logging and the formatters are thread-safe.
#ifndef DEVLOOP_INFRA_LOG_LOG_H_
#define DEVLOOP_INFRA_LOG_LOG_H_

#include <sstream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#define DEVLOOP_LOG(severity)                                                           \
  !::devloop::log::internal::Prints(::devloop::log::internal::k##severity)              \
      ? (void)0                                                                         \
      : ::devloop::log::internal::Voidify() &                                           \
            ::devloop::log::internal::Line(::devloop::log::internal::k##severity, __FILE__, \
                                           __LINE__)                                    \
                .stream()
#define DEVLOOP_VLOG(level)                                                             \
  !::devloop::log::internal::PrintsVerbose(level)                                       \
      ? (void)0                                                                         \
      : ::devloop::log::internal::Voidify() &                                           \
            ::devloop::log::internal::Line(::devloop::log::Severity::kInfo, __FILE__,   \
                                           __LINE__)                                    \
                .stream()

namespace devloop::log {

// How much of the log is printed: Skaffold's -v/--verbosity levels (panic is
// fatal here; nothing logs a panic).
enum class Level { kFatal, kError, kWarning, kInfo, kDebug, kTrace };

// What a line was logged as (DEVLOOP_LOG(INFO) ...); DEVLOOP_VLOG is kInfo.
enum class Severity { kInfo, kWarning, kError, kFatal };

// Sets up logging for a binary: lines go to stderr, not to files, at
// Level::kWarning until SetLevel; the seconds in a prefix count from this call.
// REQUIRES: called once, from main, before any other thread starts.
void Init(const char* argv0);

// Prints the lines `level` shows, with the prefix the table above gives it.
// REQUIRES: called from main (other threads may be logging).
void SetLevel(Level level);

// Returns Skaffold's prefix of a line logged `since_start` after Init: the
// level's four letters and the whole seconds, zero-padded to four digits, as
// logrus prints them ("WARN[0003]", "ERRO[0100]", "INFO[12345]").
std::string ShortPrefix(Severity severity, absl::Duration since_start);

// Returns glog's own prefix of a line, without the space after it:
// "W20261203 21:03:11.123456 12345 grpc_server.cc:630]" (time in `zone`).
std::string GlogPrefix(Severity severity, absl::Time at, absl::TimeZone zone, int thread_id,
                       absl::string_view file, int line);

namespace internal {

// The severities DEVLOOP_LOG(INFO) ... name.
inline constexpr Severity kINFO = Severity::kInfo;
inline constexpr Severity kWARNING = Severity::kWarning;
inline constexpr Severity kERROR = Severity::kError;
inline constexpr Severity kFATAL = Severity::kFatal;

// Whether the current level prints a line of `severity` / DEVLOOP_VLOG(`v`).
bool Prints(Severity severity);
bool PrintsVerbose(int v);

// One line being written: collects the message, writes prefix, message and
// newline to stderr when destroyed (and aborts after a FATAL one).
class Line {
 public:
  Line(Severity severity, const char* file, int line);
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line();
  std::ostream& stream() { return message_; }

 private:
  Severity severity_;
  const char* file_;
  int line_;
  std::ostringstream message_;
};

// Makes `cond ? (void)0 : Voidify() & stream << ...` one void expression.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace internal
}  // namespace devloop::log

#endif  // DEVLOOP_INFRA_LOG_LOG_H_
