// The Skaffold v1 API servers of one command (gRPC and JSON over HTTP), as
// --enable-rpc, --rpc-port, --rpc-http-port and --rpc-bind-address ask: `dev`
// serves them for the session, `run` for the run's duration.
//
//   DEVLOOP_ASSIGN_OR_RETURN(ApiServers api, StartApiServers(cli, &hub, &app_logs, &control));
//   AnnounceApiServers(cli, api, &console);
//   ...
//   hub.Close();
//   api.Shutdown(absl::Milliseconds(500));
//
// Thread-compatible.
#ifndef DEVLOOP_APPS_DEV_API_SERVERS_H_
#define DEVLOOP_APPS_DEV_API_SERVERS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apps/cli/cli_options.h"
#include "apps/console/console.h"
#include "infra/control/control.h"
#include "infra/grpc/grpc_server.h"
#include "infra/http/http_server.h"
#include "infra/hub/app_logs.h"
#include "infra/hub/hub.h"

namespace devloop::apps {

struct ApiServers {
  std::unique_ptr<rpc::GrpcServer> grpc;
  std::unique_ptr<http::HttpServer> http;

  // Stops both (each waits up to `grace` for open calls). Idempotent.
  void Shutdown(absl::Duration grace);
};

// Starts both servers on `cli`'s address and ports (the next free port when
// the asked one is taken, an ephemeral one for 0). `hub`, `app_logs` (may be
// null: no v2 ApplicationLogs) and `control` must outlive the servers. Returns
// the first server's error, prefixed with which one failed.
absl::StatusOr<ApiServers> StartApiServers(const cli::CliOptions& cli, hub::Hub* hub,
                                           hub::AppLogs* app_logs, control::Control* control);

// Says on `console`, in one line, where the started `servers` answer: the
// ports actually bound, and which asked ones were taken.
void AnnounceApiServers(const cli::CliOptions& cli, const ApiServers& servers,
                        console::Console* console);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_API_SERVERS_H_
