// ProbeTcp: one TCP connect to a target, to learn whether a forward can reach
// it straight (a pod's IP from a node on this machine).
//
//   if (ProbeTcp({"10.88.0.12", 8080}, absl::Milliseconds(300)) == Reach::kAnswers) {
//     ...  // forward to it directly
//   }
//
// Only kAnswers proves a route: a reset (kRefused) may come from the target
// or from a firewall on the way (some sandboxes reset every outside address).
//
// Thread-safe (no state).
#ifndef DEVLOOP_INFRA_PORTFORWARD_PROBE_H_
#define DEVLOOP_INFRA_PORTFORWARD_PROBE_H_

#include <ostream>

#include "absl/time/time.h"
#include "infra/portforward/port_forwarder.h"

namespace devloop::portforward {

enum class Reach {
  kAnswers,      // the connection was accepted (and closed again at once)
  kRefused,      // a reset came back: nothing listens there, or a firewall rejects
  kUnreachable,  // no route, no answer within the timeout, or not an IPv4 address
};

std::ostream& operator<<(std::ostream& os, Reach reach);

// Connects to `target` once, waiting at most `timeout` for the handshake.
Reach ProbeTcp(const Target& target, absl::Duration timeout);

}  // namespace devloop::portforward

#endif  // DEVLOOP_INFRA_PORTFORWARD_PROBE_H_
