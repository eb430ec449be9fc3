// devloopctl: a command-line client for a running devloop's API (gRPC or the
// JSON gateway), for scripts and terminals.
//
//   devloopctl state [-o table|json]
//   devloopctl events [--follow] [--since-iteration=N] [-o text|json]
//   devloopctl build | sync | deploy
//   devloopctl auto build|sync|deploy on|off
//   devloopctl logs [ARTIFACT] [--follow] [-o text|json]
//   devloopctl ... --address=localhost:50051 | http://localhost:50052
//
// RunCtl returns the process's exit code: 0 done, 1 the API answered with an
// error or could not be reached (the message says which), 2 a usage error.
//
// Free functions: thread-safe.
#ifndef DEVLOOP_APPS_CTL_CTL_H_
#define DEVLOOP_APPS_CTL_CTL_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/skaffold.pb.h"

namespace devloop::ctl {

// `args` excludes the program name.
int RunCtl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

std::string Usage();

// A readable table of the State: each phase's status and auto trigger, the
// artifacts, the status-checked resources and the forwarded ports.
std::string FormatStateTable(const proto::State& state);

// One line per entry: local time, kind, status, the entry's text, and the
// error with its code when there is one.
std::string FormatEntry(const proto::LogEntry& entry,
                        absl::TimeZone zone = absl::LocalTimeZone());

}  // namespace devloop::ctl

#endif  // DEVLOOP_APPS_CTL_CTL_H_
