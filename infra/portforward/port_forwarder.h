// Forwards TCP connections from a local port to a target that can change.
//
// The Docker deployer forwards 127.0.0.1:localPort to a container's address. On a
// redeploy it points the forwarder at the new container before stopping the old
// one, so the local port never changes and clients (browsers, IDEs) keep working:
// new connections go to the new target, connections already open stay with the
// old one until either side closes them.
//
//   auto fwd = PortForwarder::Start({.local_port = 9000}, {"172.18.0.2", 8080});
//   if (!fwd.ok()) return fwd.status();
//   (*fwd)->SetTarget({"172.18.0.3", 8080});   // after a redeploy
//
// Thread-safe. One I/O thread per forwarder, joined on destruction, which also
// closes the listener and every open connection.
#ifndef DEVLOOP_INFRA_PORTFORWARD_PORT_FORWARDER_H_
#define DEVLOOP_INFRA_PORTFORWARD_PORT_FORWARDER_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"

namespace devloop::portforward {

struct Target {
  std::string host;  // an IP address
  int port = 0;
  bool operator==(const Target&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Target& t);

class PortForwarder {
 public:
  struct Options {
    std::string bind_address = "127.0.0.1";
    int local_port = 0;  // 0 picks a free port
    // When local_port is taken, try the following ports (up to 100 of them)
    // instead of failing.
    bool next_free_port = true;
  };

  // Starts listening and forwarding to `target`. Returns InvalidArgument for a
  // bad bind address or target, Unavailable when no port could be bound.
  static absl::StatusOr<std::unique_ptr<PortForwarder>> Start(const Options& options,
                                                              const Target& target);

  virtual ~PortForwarder() = default;

  // The port actually bound.
  virtual int local_port() const = 0;
  virtual const std::string& bind_address() const = 0;

  // New connections go to `target` from now on. Returns InvalidArgument if the
  // host is not an IP address.
  virtual absl::Status SetTarget(const Target& target) = 0;
  virtual Target target() const = 0;

  // Connections accepted so far, and those open now (for tests and diagnostics).
  virtual int64_t accepted() const = 0;
  virtual int open_connections() const = 0;
};

}  // namespace devloop::portforward

#endif  // DEVLOOP_INFRA_PORTFORWARD_PORT_FORWARDER_H_
