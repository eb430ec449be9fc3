#include "apps/dev/api_servers.h"

#include <future>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "infra/control/listen_port.h"

namespace devloop::apps {

void ApiServers::Shutdown(absl::Duration grace) {
  if (http != nullptr) http->Shutdown(grace);
  if (grpc != nullptr) grpc->Shutdown(grace);
}

absl::StatusOr<StartingApiServers> BeginApiServers(const cli::CliOptions& cli, hub::Hub* hub,
                                                   hub::AppLogs* app_logs,
                                                   control::Control* control) {
  StartingApiServers starting;
  // gRPC's start brings up its pools (a dozen threads) before it listens; it
  // does so beside the HTTP server's start and whatever the caller does next.
  starting.grpc_ = std::async(std::launch::async, [&cli, hub, app_logs, control] {
    return rpc::GrpcServer::Start(
        {.address = cli.rpc_bind_address, .port = cli.rpc_port, .application_logs = app_logs},
        hub, control);
  });
  auto h = http::HttpServer::Start(
      {.address = cli.rpc_bind_address, .port = cli.rpc_http_port, .application_logs = app_logs},
      hub, control);
  if (!h.ok()) {
    absl::StatusOr<ApiServers> grpc = starting.Finish();  // to stop it again
    if (grpc.ok()) grpc->Shutdown(absl::ZeroDuration());
    return absl::Status(h.status().code(),
                        absl::StrCat("cannot start the HTTP server: ", h.status().message()));
  }
  starting.http_ = *std::move(h);
  return starting;
}

absl::StatusOr<ApiServers> StartingApiServers::Finish() {
  ApiServers servers;
  servers.http = std::move(http_);
  if (!grpc_.valid()) return servers;
  absl::StatusOr<std::unique_ptr<rpc::GrpcServer>> g = grpc_.get();
  if (!g.ok()) {
    servers.Shutdown(absl::ZeroDuration());
    return absl::Status(g.status().code(),
                        absl::StrCat("cannot start the gRPC server: ", g.status().message()));
  }
  servers.grpc = *std::move(g);
  return servers;
}

absl::StatusOr<ApiServers> StartApiServers(const cli::CliOptions& cli, hub::Hub* hub,
                                           hub::AppLogs* app_logs, control::Control* control) {
  absl::StatusOr<StartingApiServers> starting = BeginApiServers(cli, hub, app_logs, control);
  if (!starting.ok()) return starting.status();
  return starting->Finish();
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
