// Maps the domain's event and state values to the Skaffold v1 API messages and back.
//
// The domain mirrors api/skaffold.proto field by field, so each mapping is a plain
// copy; this is the one place that knows both sides, so the transports never touch
// domain structs and proto messages together. Output messages carry every
// sub-message Skaffold sends (a State always has buildState, deployState, ...),
// and an unset optional stays unset (rendered as null in JSON).
//
//   proto::LogEntry wire = apimap::ToProto(entry);
//   absl::StatusOr<domain::Event> event = apimap::FromProto(request);  // Handle
//
// Free functions over values: thread-safe.
#ifndef DEVLOOP_INFRA_APIMAP_APIMAP_H_
#define DEVLOOP_INFRA_APIMAP_APIMAP_H_

#include "absl/status/statusor.h"
#include "api/skaffold.pb.h"
#include "domain/events/event.h"
#include "domain/state/state.h"

namespace devloop::apimap {

// Returns the wire form of one log entry (timestamp, event, entry text).
proto::LogEntry ToProto(const domain::LogEntry& entry);

// Returns the wire form of an event; NoEvent gives an Event with no member set.
proto::Event ToProto(const domain::Event& event);

// Returns the wire form of a State snapshot, with every sub-message present.
proto::State ToProto(const domain::State& state);

// Returns the wire form of a run's metadata (as in MetaEvent and State).
proto::Metadata ToProto(const domain::Metadata& metadata);

// Returns the domain form of metadata. Total: enum values the domain does not
// name are kept as numbers, as the wire keeps them.
domain::Metadata FromProto(const proto::Metadata& metadata);

// Returns the domain form of an event received from a client (Handle). Returns
// InvalidArgument naming the field when a status or suggestion code is a number
// the contract does not list.
absl::StatusOr<domain::Event> FromProto(const proto::Event& event);

// Returns the domain form of a log entry (used by tests and replay tools); fails
// as FromProto(Event) does.
absl::StatusOr<domain::LogEntry> FromProto(const proto::LogEntry& entry);

}  // namespace devloop::apimap

#endif  // DEVLOOP_INFRA_APIMAP_APIMAP_H_
