// A compact binary encoding of log Records, so an event log of a million events
// fits in well under 200 MB: strings are stored by length, numbers as varints,
// and unset optionals as one byte, instead of in a ~400-byte std::variant.
//
//   std::string bytes;
//   EncodeRecord(record, &bytes);
//   DEVLOOP_ASSIGN_OR_RETURN(Record back, DecodeRecord(bytes));  // back == record
//
// The encoding is private to one process (EventLog keeps it in memory); it is
// not a file or wire format and may change between builds.
//
// Free functions: thread-safe.
#ifndef DEVLOOP_DOMAIN_STATE_RECORD_CODEC_H_
#define DEVLOOP_DOMAIN_STATE_RECORD_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/state/state.h"

namespace devloop::domain {

// Appends the encoding of `record` to `*out`.
void EncodeRecord(const Record& record, std::string* out);

// Decodes one record that EncodeRecord wrote and that fills all of `bytes`;
// DataLoss if the bytes are truncated or are not such an encoding.
absl::StatusOr<Record> DecodeRecord(absl::string_view bytes);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_STATE_RECORD_CODEC_H_
