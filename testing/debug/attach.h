// Probes that prove a language debugger answers on 127.0.0.1:PORT, for tests
// of `devloop debug` and its support images: each speaks just enough of the
// debugger's own protocol to get one real answer, within a short deadline.
//
//   absl::Status delve = ProbeDelve(dlv_port);          // Delve JSON-RPC 2
//   absl::Status dap = ProbeDebugpy(dap_port);          // DAP initialize
//   absl::Status node = ProbeNodeInspector(node_port);  // GET /json/version
//   absl::Status jdwp = ProbeJdwp(jdwp_port);           // JDWP handshake
//
// A port that accepts connections but says nothing useful (a debugger still
// starting behind Docker's proxy, which accepts at once and closes) fails the
// probe; callers that wait for a debugger to come up retry until their own
// deadline (WaitForDebugger).
//
// Free functions: thread-safe.
#ifndef DEVLOOP_TESTING_DEBUG_ATTACH_H_
#define DEVLOOP_TESTING_DEBUG_ATTACH_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace devloop::debug_testing {

inline constexpr absl::Duration kProbeTimeout = absl::Seconds(5);

// Calls Delve's `RPCServer.State` with {"NonBlocking": true} over its JSON-RPC
// 2 API (one JSON object per message) and expects a result object and a null
// error. Returns Unavailable if nothing listens, DeadlineExceeded if no answer
// comes in `timeout`, FailedPrecondition with Delve's message if it answers
// with an error (say, the debugged process exited), DataLoss for a reply that
// is not Delve's.
absl::Status ProbeDelve(int port, absl::Duration timeout = kProbeTimeout);

// Sends a DAP `initialize` request (adapterID "devloop") framed with
// Content-Length and expects its response with "success": true, skipping any
// events sent first. Errors as ProbeDelve; FailedPrecondition when the
// response says success false.
// Probe only once the debugged program runs: with debugpy 1.6.3, a client that
// connects and leaves before debugpy's server has connected to its adapter
// process makes the adapter exit, and the program runs on undebuggable.
absl::Status ProbeDebugpy(int port, absl::Duration timeout = kProbeTimeout);

// Gets /json/version from Node's inspector and expects 200 and a "Browser"
// naming node.js ("node.js/v18.20.4"). Errors as ProbeDelve.
absl::Status ProbeNodeInspector(int port, absl::Duration timeout = kProbeTimeout);

// Sends JDWP's 14-byte "JDWP-Handshake" and expects the same 14 bytes back.
// Errors as ProbeDelve.
absl::Status ProbeJdwp(int port, absl::Duration timeout = kProbeTimeout);

// Calls `probe` until it succeeds or `timeout` passes, pausing briefly between
// tries. Returns OK, or DeadlineExceeded carrying the last probe's error.
absl::Status WaitForDebugger(const std::function<absl::Status()>& probe,
                             absl::Duration timeout);

}  // namespace devloop::debug_testing

#endif  // DEVLOOP_TESTING_DEBUG_ATTACH_H_
