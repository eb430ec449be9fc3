// libFuzzer target for the JSON bodies clients send to the API gateway: the
// Intent of POST /v1/execute, the TriggerState of PUT /v1/*/auto_execute and the
// Event of POST /v1/events/handle (api/json.h), and the Event's mapping into
// the domain (infra/apimap). The first byte picks the message ('I', 'T', 'E',
// 'L' for a LogEntry; other bytes by value), the rest is the body.
//
// Checks: no crash, UB, leak or hang; parsing is deterministic; what parses
// renders (api::ToJson, as the gateway answers) to JSON that parses back to the
// same message; an Event the domain accepts maps back to the same domain event.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/json.h"
#include "api/skaffold.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "infra/apimap/apimap.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

using ::google::protobuf::Message;
using ::google::protobuf::util::MessageDifferencer;

std::unique_ptr<Message> NewMessage(uint8_t kind) {
  switch (kind) {
    case 'I':
      return std::make_unique<::proto::Intent>();
    case 'T':
      return std::make_unique<::proto::TriggerState>();
    case 'E':
      return std::make_unique<::proto::Event>();
    case 'L':
      return std::make_unique<::proto::LogEntry>();
  }
  return NewMessage("ITEL"[kind % 4]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::unique_ptr<Message> message = NewMessage(data[0]);
  std::unique_ptr<Message> again(message->New());
  const absl::Status status = devloop::api::FromJson(body, message.get());
  FUZZ_CHECK(status == devloop::api::FromJson(body, again.get()), "FromJson is not deterministic");
  if (!status.ok()) {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument && !status.message().empty(),
               status.ToString());
    return 0;
  }

  const std::string rendered = devloop::api::ToJson(*message);
  std::unique_ptr<Message> reparsed(message->New());
  const absl::Status back = devloop::api::FromJson(rendered, reparsed.get());
  FUZZ_CHECK(back.ok(), absl::StrCat("ToJson output does not parse: ", back.ToString(), "\n  ",
                                     rendered));
  FUZZ_CHECK(MessageDifferencer::Equals(*message, *reparsed),
             absl::StrCat("ToJson does not round-trip:\n  in:  ", message->ShortDebugString(),
                          "\n  out: ", reparsed->ShortDebugString(), "\n  json: ", rendered));

  if (const auto* event = dynamic_cast<const ::proto::Event*>(message.get())) {
    absl::StatusOr<devloop::domain::Event> domain_event = devloop::apimap::FromProto(*event);
    if (domain_event.ok()) {
      absl::StatusOr<devloop::domain::Event> round =
          devloop::apimap::FromProto(devloop::apimap::ToProto(*domain_event));
      FUZZ_CHECK(round.ok() && *round == *domain_event,
                 absl::StrCat("apimap does not round-trip ", event->ShortDebugString()));
    }
  }
  return 0;
}
