// `devloop replay FILE`: folds a dev loop's event log into the State it served
// and summarizes each iteration, after the fact.
//
// FILE is what `devloop dev --event-log-file=FILE` wrote (every record of the
// log, infra/apimap/record_line.h) or the NDJSON a client saved from GET
// /v1/events (the LogEntries alone: without the auto-trigger and Execute
// records, its State may differ in autoTrigger and in what an Execute reset).
// Each line is mapped back to a domain Record and folded by domain::Apply, the
// reducer the hub folds with, so the State printed is the State GET /v1/state
// served at the end of the log.
//
// This library links the domain, the API's messages with their JSON mapping,
// and infra/apimap: no transport, no hub, no gRPC or Beast
// (replay_closure_test proves it).
//
//   absl::StatusOr<ParsedLog> log = ParseEventLog("events.jsonl", text);
//   if (!log.ok()) return Fail(log.status());  // "events.jsonl:12: ..."
//   std::cout << StateJson(domain::Replay(log->records)) << "\n";
//   std::cout << FormatSummary(Summarize(log->records));
//
// Free functions over values: thread-safe.
#ifndef DEVLOOP_APPS_REPLAY_REPLAY_H_
#define DEVLOOP_APPS_REPLAY_REPLAY_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/state/state.h"

namespace devloop::replay {

struct ParsedLog {
  std::vector<domain::Record> records;
  // How many records are not LogEntries (devloopRecord lines): none in the
  // NDJSON of /v1/events.
  int64_t control_records = 0;
};

// Parses an event log, one record per line; blank lines are skipped. `name`
// names the input in messages. Returns InvalidArgument "NAME:LINE: what is
// wrong" for the first line that cannot be read, and for input with no record.
absl::StatusOr<ParsedLog> ParseEventLog(absl::string_view name, absl::string_view text);

// Returns `state` as one line of JSON, exactly as GET /v1/state serves it.
std::string StateJson(const domain::State& state);

// One phase of one iteration, from its events.
struct PhaseSummary {
  // The phase's last status in the iteration ("Complete", "Succeeded",
  // "Failed", or "In Progress" if the log ends first); empty if it did not run.
  std::string outcome;
  absl::Duration duration;  // from its first event in the iteration to its last
  bool operator==(const PhaseSummary&) const = default;
};

struct IterationSummary {
  int32_t iteration = 0;
  // What started it, when the log tells: "start", "config reload",
  // "execute (build, deploy)", "auto sync on", "file change". Empty when it
  // cannot tell (a file change and an Execute look alike in /v1/events).
  std::string trigger;
  std::string outcome;  // "Succeeded", "Failed", or "In Progress" if the log ends first
  absl::Duration duration;  // from "Update initiated" to its end (or the log's last event)
  PhaseSummary build;  // every artifact built in the iteration, together
  PhaseSummary sync;
  PhaseSummary deploy;
  PhaseSummary status_check;
  std::string error;  // the iteration's error, when it failed
  bool operator==(const IterationSummary&) const = default;
};

// Returns one summary per dev-loop iteration in `records`, in log order. Events
// outside an iteration (a custom event sent through Handle) are left out.
std::vector<IterationSummary> Summarize(const std::vector<domain::Record>& records);

// Returns the summaries as a table with a header line, one row per iteration
// ("-" where a phase did not run or the trigger is unknown).
std::string FormatSummary(const std::vector<IterationSummary>& iterations);

std::ostream& operator<<(std::ostream& os, const PhaseSummary& phase);
std::ostream& operator<<(std::ostream& os, const IterationSummary& iteration);

struct Options {
  std::string file;  // "-" reads stdin
  enum class Output {
    kJson,   // the State on `out`, the iteration table on `err`
    kTable,  // the iteration table on `out`
  };
  Output output = Output::kJson;
};

// Reads options.file, folds it and prints (see Options::Output). Returns the
// exit code: 0, or 1 after printing on `err` what went wrong, naming FILE (and
// FILE:LINE for a line that cannot be read).
int Run(const Options& options, std::ostream& out, std::ostream& err);

}  // namespace devloop::replay

#endif  // DEVLOOP_APPS_REPLAY_REPLAY_H_
