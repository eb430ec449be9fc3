// ApiClient: devloopctl's view of a running devloop's API, over gRPC
// (proto.SkaffoldService) or over the JSON/HTTP gateway, with the same calls and
// the same errors either way.
//
//   absl::StatusOr<std::unique_ptr<ApiClient>> api = ApiClient::Connect("localhost:50051");
//   absl::StatusOr<proto::State> state = (*api)->GetState();
//   (*api)->Events({.idle_end = absl::Milliseconds(300)},
//                  [](const proto::LogEntry& e) { Print(e); return true; });
//
// Addresses: "HOST:PORT" or "grpc://HOST:PORT" speak gRPC; "http://HOST:PORT"
// speaks the JSON gateway. An address nobody answers at gives Unavailable
// naming it; an answer that is an error keeps the server's status code and
// message.
//
// Thread-compatible: one call at a time.
#ifndef DEVLOOP_APPS_CTL_API_CLIENT_H_
#define DEVLOOP_APPS_CTL_API_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/skaffold.pb.h"
#include "api/skaffold_v2.pb.h"

namespace devloop::ctl {

enum class Transport { kGrpc, kHttp };

struct Address {
  Transport transport = Transport::kGrpc;
  std::string host;
  std::string port;

  // "grpc localhost:50051", "http localhost:50052", for messages.
  std::string ToString() const;
};

// Parses "HOST:PORT", "grpc://HOST:PORT" or "http://HOST:PORT" (a bare
// "PORT" means localhost). InvalidArgument says what is wrong.
absl::StatusOr<Address> ParseAddress(absl::string_view text);

// The trigger a control call names.
enum class Phase { kBuild, kSync, kDeploy };

struct EventsOptions {
  // Ends the stream once no entry arrived for this long (the history has been
  // read); zero follows it until the server ends it or `on_entry` says stop.
  absl::Duration idle_end = absl::ZeroDuration();
};

class ApiClient {
 public:
  // Connects (gRPC waits for the channel; HTTP checks that the port accepts)
  // within `timeout`. Unavailable: "no devloop answers at ...".
  static absl::StatusOr<std::unique_ptr<ApiClient>> Connect(
      const Address& address, absl::Duration timeout = absl::Seconds(3));

  virtual ~ApiClient() = default;

  virtual absl::StatusOr<proto::State> GetState() = 0;

  // Calls `on_entry` with each entry of the event log, history first; returns
  // OK when `on_entry` returned false, the stream went idle (options), or the
  // server ended it cleanly.
  virtual absl::Status Events(const EventsOptions& options,
                              const std::function<bool(const proto::LogEntry&)>& on_entry) = 0;

  // The same for the application's log lines (the v2 API's ApplicationLogs
  // stream): the lines devloop kept, then new ones.
  virtual absl::Status ApplicationLogs(
      const EventsOptions& options,
      const std::function<bool(const proto::v2::Event&)>& on_event) = 0;

  virtual absl::Status Execute(const proto::Intent& intent) = 0;

  // AlreadyExists when the trigger already was in that state (the server's
  // answer, as Skaffold gives it).
  virtual absl::Status SetAutoTrigger(Phase phase, bool enabled) = 0;
};

}  // namespace devloop::ctl

#endif  // DEVLOOP_APPS_CTL_API_CLIENT_H_
