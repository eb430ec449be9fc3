// The lines of devloop's event-log file (api/event_log.proto): one JSON object
// per record of a dev loop's log, written by `devloop dev --event-log-file`
// (infra/hub/event_log_file.h) and read back by `devloop replay`.
//
// A LogEntry is the very line GET /v1/events streams for it, `{"result":...}`
// (the hub encodes its stream with AppendEventsLine below); a record that
// changes the State without being streamed (PipelineStarted, TriggerChanged,
// PhasesReset) is `{"devloopRecord":{...}}`. So the NDJSON a client saved from
// /v1/events reads as an event-log file that lacks those records.
//
//   std::string line;
//   AppendEventLogLine(domain::TriggerChanged{domain::Phase::kSync, false}, &line);
//   // {"devloopRecord":{"triggerChanged":{"phase":"SYNC","enabled":false}}}\n
//   absl::StatusOr<domain::Record> back = FromEventLogLine(line);
//
// Free functions over values: thread-safe.
#ifndef DEVLOOP_INFRA_APIMAP_RECORD_LINE_H_
#define DEVLOOP_INFRA_APIMAP_RECORD_LINE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/skaffold.pb.h"
#include "domain/state/state.h"

namespace devloop::apimap {

// Appends `{"result":<entry>}\n` to `*out`: the line GET /v1/events sends for
// `entry`, in the JSON format of api/json.h.
void AppendEventsLine(const proto::LogEntry& entry, std::string* out);

// Appends the event-log line of `record`, ending in '\n', to `*out`.
void AppendEventLogLine(const domain::Record& record, std::string* out);

// Returns the record that one line of an event-log file (or of /v1/events)
// holds; a trailing '\n' is allowed. Returns InvalidArgument saying what is
// wrong: not a JSON object, a field of the wrong type, neither "result" nor
// "devloopRecord" set, a devloopRecord with no record, an unknown phase or
// status code.
absl::StatusOr<domain::Record> FromEventLogLine(absl::string_view line);

}  // namespace devloop::apimap

#endif  // DEVLOOP_INFRA_APIMAP_RECORD_LINE_H_
