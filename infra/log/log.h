// The one logging header of devloop's shell (infra/ and apps/ .cc files only).
//
// Wraps glog so the back end can change in one place. The domain never logs: it
// emits events.
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
// errors are coloured only when stderr is a terminal.
//
// Init and SetLevel are for main; logging and the formatters are thread-safe.
#ifndef DEVLOOP_INFRA_LOG_LOG_H_
#define DEVLOOP_INFRA_LOG_LOG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "glog/logging.h"

#define DEVLOOP_LOG(severity) LOG(severity)
#define DEVLOOP_VLOG(level) VLOG(level)

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
// REQUIRES: called from main before any other thread starts (glog's flags are
// plain globals).
void SetLevel(Level level);

// Returns Skaffold's prefix of a line logged `since_start` after Init: the
// level's four letters and the whole seconds, zero-padded to four digits, as
// logrus prints them ("WARN[0003]", "ERRO[0100]", "INFO[12345]").
std::string ShortPrefix(Severity severity, absl::Duration since_start);

// Returns glog's own prefix of a line, without the space after it:
// "W20261203 21:03:11.123456 12345 grpc_server.cc:630]" (time in `zone`).
std::string GlogPrefix(Severity severity, absl::Time at, absl::TimeZone zone, int thread_id,
                       absl::string_view file, int line);

}  // namespace devloop::log

#endif  // DEVLOOP_INFRA_LOG_LOG_H_
