// JSON mapping of Skaffold v1 API messages, as Skaffold's HTTP gateway speaks it.
//
// Output follows what clients of Skaffold's gateway expect: lowerCamelCase field
// names, every field present with its default ("err":"", "errCode":"OK", empty
// lists as [], empty maps as {}), unset message fields as null, enums by name, map
// keys as strings (sorted), Timestamps as RFC 3339 UTC with up to nanoseconds and a
// trailing "Z". Members of a oneof appear only when set, so a TriggerState renders
// as {"enabled":true}.
//
// Input uses protobuf's own JSON parser: unknown fields are ignored (as the gateway
// does), an empty body means an empty message, and malformed or wrongly typed JSON
// is an InvalidArgument error that says what was wrong.
//
//   proto::State state = ...;
//   std::string body = devloop::api::ToJson(state);
//   proto::Intent intent;
//   absl::Status s = devloop::api::FromJson(request_body, &intent);
//
// Thread-safe: no shared mutable state.
#ifndef DEVLOOP_API_JSON_H_
#define DEVLOOP_API_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace devloop::api {

// Returns `message` as one line of JSON in the gateway's format.
std::string ToJson(const google::protobuf::Message& message);

// Appends `message` as JSON to `*out` (avoids a copy on hot paths).
void AppendJson(const google::protobuf::Message& message, std::string* out);

// Parses `json` into `*message`, replacing its contents. Empty or all-whitespace
// input yields an empty message. Returns InvalidArgument on malformed JSON or a
// value of the wrong type, naming the problem.
absl::Status FromJson(absl::string_view json, google::protobuf::Message* message);

}  // namespace devloop::api

#endif  // DEVLOOP_API_JSON_H_
