// The Skaffold v1 API over gRPC: proto.SkaffoldService on the callback API.
//
// Every RPC is a reactor on gRPC's own threads; none blocks a thread per stream.
// Events (and the deprecated EventLog) stream the hub's log from its start and
// then live: each write sends the protobuf bytes the hub serialized once,
// wrapped in a gRPC slice that shares the entry (no copy, no re-serialization).
// Server reflection is on, so `grpcurl -plaintext localhost:50051 list` works.
// Control calls (Execute, AutoBuild/AutoSync/AutoDeploy, Handle) go to the
// control port, which answers asynchronously: the call's reactor is finished when
// the answer comes, on whichever thread gives it, and no thread waits meanwhile.
// absl::Status codes become gRPC codes one to one (a toggle without `enabled` is
// INVALID_ARGUMENT "missing required boolean parameter 'enabled'"). A call not
// answered within `control_timeout` is finished UNAVAILABLE; its late answer is
// dropped.
//
// Slow subscribers: a stream reads the hub by cursor, one write in flight at a
// time, so it holds at most one batch of entry pointers beyond the shared log,
// plus what gRPC buffers for its connection (a 256 KiB write buffer and the
// HTTP/2 flow-control window). A stream whose write
// makes no progress for `stall_timeout` (the client stopped reading and its flow
// control window is full) is cancelled and the server logs a warning naming it;
// its client sees CANCELLED. Nothing is skipped on a stream that stays open.
//
// Shutdown: close the hub first (streams drain and finish with OK), then call
// Shutdown(deadline): streams still open at the deadline are cancelled, and
// control calls still waiting for their answer finish UNAVAILABLE "devloop is
// shutting down".
//
//   hub::Hub hub;
//   control::HubControl control(&hub);
//   auto server = GrpcServer::Start({.port = 50051}, &hub, &control);
//   ...
//   hub.Close();
//   (*server)->Shutdown(absl::Seconds(2));
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_GRPC_GRPC_SERVER_H_
#define DEVLOOP_INFRA_GRPC_GRPC_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "infra/control/control.h"
#include "infra/hub/app_logs.h"
#include "infra/hub/hub.h"

namespace devloop::rpc {

class GrpcServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    // 0 picks an ephemeral port. A taken port moves to the next free one, with a
    // warning in the log.
    int port = 50051;
    // A stream whose write has not completed for this long is cancelled.
    absl::Duration stall_timeout = absl::Seconds(60);
    // A control call the control port has not answered within this long is
    // finished UNAVAILABLE.
    absl::Duration control_timeout = absl::Seconds(30);
    // The application's log lines, served as proto.v2.SkaffoldV2Service's
    // ApplicationLogs stream; must outlive the server. Null: the v2 service is
    // not served.
    hub::AppLogs* application_logs = nullptr;
  };

  // Starts serving. `hub` and `control` must outlive the server. Returns
  // Unavailable when no port could be bound, InvalidArgument for a bad address.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const Options& options,
                                                           hub::Hub* hub,
                                                           control::Control* control);

  // Stops accepting calls, waits up to `deadline` for open calls to end, then
  // cancels the rest and waits for every reactor to finish. Idempotent; also run
  // by the destructor.
  void Shutdown(absl::Duration deadline);

  ~GrpcServer();

  // The port actually bound.
  int port() const;

  class Impl;

 private:
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace devloop::rpc

#endif  // DEVLOOP_INFRA_GRPC_GRPC_SERVER_H_
