// Whether a debugger answers a client yet, asked the way an IDE would ask it
// first, for `devloop debug` to report a debugging container once a client
// attaching on the report is served at once. Only questions that change
// nothing in the debugger are asked:
//   dlv       JSON-RPC RPCServer.State {"NonBlocking": true} (Delve answers the
//             first one only once it has started its target)
//   devtools  GET /json/version of Node's inspector
//   jdwp      the JDWP handshake, then goodbye (the agent listens again)
// debugpy ("dap") is never asked: a client that leaves before the program runs
// makes its adapter exit. Nor is a Delve whose command line devloop did not
// write (without --accept-multiclient, a client leaving ends it).
//
//   absl::Status ready = DebuggerAnswers("dlv", host_port, absl::Seconds(1));
//
// Free functions: thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_DOCKER_DEBUGGER_READY_H_
#define DEVLOOP_INFRA_DEPLOY_DOCKER_DEBUGGER_READY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace devloop::deploy {

// Whether there is a question to ask a debugger of port `port_name` at all.
bool CanAskDebugger(absl::string_view port_name);

// Asks the debugger on 127.0.0.1:`port`. OK once it answered as it should;
// Unavailable (nothing listens, or the connection closed unanswered: Docker's
// proxy with nothing behind it), DeadlineExceeded after `timeout`, DataLoss
// for an answer that is not the debugger's; InvalidArgument for a port name
// CanAskDebugger refuses.
absl::Status DebuggerAnswers(absl::string_view port_name, int port, absl::Duration timeout);

}  // namespace devloop::deploy

#endif  // DEVLOOP_INFRA_DEPLOY_DOCKER_DEBUGGER_READY_H_
