// Whether a container's process listens on a TCP port, read from the kernel's
// socket table of its network namespace (/proc/<pid>/net/tcp and tcp6), for
// `devloop debug`: a debugging container is reported once its debugger
// listens, so that an IDE told of it can attach at once. Reading the table
// connects to nothing: a probe would be a client to the debugger (debugpy's
// adapter exits when a client leaves before the program runs), and a
// connection through a published port is accepted by Docker's proxy even
// while nothing listens behind it.
//
//   std::optional<bool> up = ListensOn(state.pid, 56268);  // nullopt: cannot tell
//
// Free functions: thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_DOCKER_LISTENING_H_
#define DEVLOOP_INFRA_DEPLOY_DOCKER_LISTENING_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace devloop::deploy {

// Whether `table`, in the format of /proc/net/tcp or /proc/net/tcp6, holds a
// socket in state LISTEN on local port `port`.
bool TableListensOn(absl::string_view table, uint32_t port);

// Whether the network namespace of process `pid` (in this machine's PID
// namespace) has a TCP socket listening on `port`; nullopt when its tables
// cannot be read (no such process, a remote engine's PID, no permission).
std::optional<bool> ListensOn(int pid, uint32_t port);

}  // namespace devloop::deploy

#endif  // DEVLOOP_INFRA_DEPLOY_DOCKER_LISTENING_H_
