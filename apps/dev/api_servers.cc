#include "apps/dev/api_servers.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "infra/control/listen_port.h"

namespace devloop::apps {

void ApiServers::Shutdown(absl::Duration grace) {
  if (http != nullptr) http->Shutdown(grace);
  if (grpc != nullptr) grpc->Shutdown(grace);
}

absl::StatusOr<ApiServers> StartApiServers(const cli::CliOptions& cli, hub::Hub* hub,
                                           hub::AppLogs* app_logs, control::Control* control) {
  ApiServers servers;
  // HTTP first: it listens within a millisecond, while gRPC brings up a dozen
  // threads (its executor, timers and event engine) before it does.
  auto h = http::HttpServer::Start(
      {.address = cli.rpc_bind_address, .port = cli.rpc_http_port, .application_logs = app_logs},
      hub, control);
  if (!h.ok()) {
    return absl::Status(h.status().code(),
                        absl::StrCat("cannot start the HTTP server: ", h.status().message()));
  }
  servers.http = *std::move(h);
  auto g = rpc::GrpcServer::Start(
      {.address = cli.rpc_bind_address, .port = cli.rpc_port, .application_logs = app_logs}, hub,
      control);
  if (!g.ok()) {
    servers.Shutdown(absl::ZeroDuration());
    return absl::Status(g.status().code(),
                        absl::StrCat("cannot start the gRPC server: ", g.status().message()));
  }
  servers.grpc = *std::move(g);
  return servers;
}

void AnnounceApiServers(const cli::CliOptions& cli, const ApiServers& servers,
                        console::Console* console) {
  if (servers.grpc == nullptr || servers.http == nullptr) return;
  // Where the API answers, in one line on the console, where an IDE user looks.
  console::ApiEndpoints api{.grpc = control::HostPort(cli.rpc_bind_address, servers.grpc->port()),
                            .http = control::HostPort(cli.rpc_bind_address, servers.http->port())};
  for (auto [asked, bound] : {std::pair{cli.rpc_port, servers.grpc->port()},
                              std::pair{cli.rpc_http_port, servers.http->port()}}) {
    if (asked != 0 && bound != asked) api.taken.push_back(asked);
  }
  console->Info(console::ApiLine(api));
}

}  // namespace devloop::apps
