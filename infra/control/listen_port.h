// Picks the TCP port an API server listens on: the one asked for, or -- as
// Skaffold does when it is taken -- the next free one above it.
//
//   absl::StatusOr<int> port = FindFreePort("127.0.0.1", 50052);
//   if (*port != 50052) DEVLOOP_LOG(WARNING) << "port 50052 ... using " << *port;
//
// The probe binds and closes a socket, so a port can still be taken between the
// probe and the server's own bind; the server then fails with a clear error.
// Free functions: thread-safe.
#ifndef DEVLOOP_INFRA_CONTROL_LISTEN_PORT_H_
#define DEVLOOP_INFRA_CONTROL_LISTEN_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::control {

// Returns `port` if it can be bound on `address`, else the first bindable port in
// (port, port + max_tries). Port 0 (any ephemeral port) is returned as is.
// Returns InvalidArgument for an address that does not resolve or a port outside
// 0..65535, and Unavailable when every candidate is taken.
absl::StatusOr<int> FindFreePort(absl::string_view address, int port, int max_tries = 100);

// Returns "address:port", with brackets around an IPv6 literal ("[::1]:50051").
std::string HostPort(absl::string_view address, int port);

// Returns whether `address` reaches this machine only: 127.0.0.0/8, ::1,
// "localhost". Anything else (0.0.0.0, a LAN address) lets other machines in.
bool IsLoopbackAddress(absl::string_view address);

// FindFreePort for the server named `server` ("gRPC server", "gRPC HTTP
// server"), logging Skaffold's warning when it had to move:
// "port 50052 for gRPC HTTP server already in use: using 50055 instead",
// and a warning when `address` is not loopback.
absl::StatusOr<int> PickServerPort(absl::string_view address, int port,
                                   absl::string_view server);

}  // namespace devloop::control

#endif  // DEVLOOP_INFRA_CONTROL_LISTEN_PORT_H_
