// The Skaffold v1 API as JSON over HTTP/1.1 (the gateway of port 50052), served
// with Boost.Beast on a small fixed pool of io_context threads.
//
// Requests are answered by Gateway (infra/http/gateway.h). Control calls
// (POST /v1/execute, PUT /v1/{build,sync,deploy}/auto_execute, POST
// /v1/events/handle) wait for the control port's answer on no thread: the
// connection writes the response when the answer comes, and reads its next
// request only then, so keep-alive responses stay in request order. One not
// answered within `control_timeout` gets 503 `{"code":14,...}` and its late
// answer is dropped. Responses carry
// `Content-Type: application/json`; connections are kept alive as HTTP/1.1 asks.
// GET /v1/events and /v1/event_log answer 200 with chunked transfer encoding and
// one `{"result":<LogEntry>}` line per entry: the whole log from its start, then
// live entries, until the hub closes (then the final chunk ends the response and
// the connection closes). Each chunk gathers the hub's shared, pre-serialized
// lines (no copy), up to a bounded batch, one write in flight per connection.
//
// Limits, each answered with a JSON error and never a crash:
//   * a request body over `max_body_bytes` (1 MiB): 413, connection closed;
//   * headers over 8 KiB: 431; a malformed request line or header: 400;
//   * a request not received in full within `request_timeout` (a slowloris
//     client, or an idle keep-alive connection): 408, connection closed;
//   * a control call not answered within `control_timeout`: 503.
//
// Slow /v1/events readers: the stream reads the hub by cursor, so a slow reader
// costs a cursor and one batch in flight, never a copy of the log, and never
// slows other connections or the dev loop. A write that makes no progress for
// `stall_timeout` (the client stopped reading) closes that connection; the log
// says which. Nothing is skipped on a stream that stays open.
//
// Shutdown: close the hub first (streams end cleanly with the final chunk), then
// Shutdown(deadline): stop accepting, wait up to `deadline` for connections to
// finish, answer control calls still waiting 503 "devloop is shutting down" and
// close the rest, join the threads.
//
//   auto server = HttpServer::Start({.port = 50052}, &hub, &control);
//   ...
//   hub.Close();
//   (*server)->Shutdown(absl::Seconds(2));
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_HTTP_HTTP_SERVER_H_
#define DEVLOOP_INFRA_HTTP_HTTP_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "infra/control/control.h"
#include "infra/hub/app_logs.h"
#include "infra/hub/hub.h"

namespace devloop::http {

class HttpServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    // 0 picks an ephemeral port. A taken port moves to the next free one, with a
    // warning in the log.
    int port = 50052;
    int threads = 2;
    size_t max_body_bytes = 1 << 20;
    absl::Duration request_timeout = absl::Seconds(10);
    absl::Duration stall_timeout = absl::Seconds(60);
    // A control call the control port has not answered within this long is
    // answered 503.
    absl::Duration control_timeout = absl::Seconds(30);
    // The application's log lines, streamed at GET /v2/applicationLogs; must
    // outlive the server. Null: that path is not served (404).
    hub::AppLogs* application_logs = nullptr;
  };

  // Starts serving. `hub` and `control` must outlive the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const Options& options,
                                                           hub::Hub* hub,
                                                           control::Control* control);

  // See the header comment. Idempotent; also run by the destructor.
  void Shutdown(absl::Duration deadline);

  ~HttpServer();

  // The port actually bound.
  int port() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace devloop::http

#endif  // DEVLOOP_INFRA_HTTP_HTTP_SERVER_H_
