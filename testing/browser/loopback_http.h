// A blocking HTTP/1.1 client for chromedriver on loopback: one request per
// connection, its response read to the end of its Content-Length.
//
// testing/e2e's Http() reads a response to EOF, trusting the server to close
// after "Connection: close"; chromedriver keeps the connection open whatever
// the request says, so that client would wait for its deadline on every call.
//
//   absl::StatusOr<HttpReply> r =
//       SendRequest(port, "POST", "/session", R"({"capabilities":{}})", absl::Seconds(60));
//
// Free functions: thread-safe.
#ifndef DEVLOOP_TESTING_BROWSER_LOOPBACK_HTTP_H_
#define DEVLOOP_TESTING_BROWSER_LOOPBACK_HTTP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace devloop::browser {

struct HttpReply {
  int status = 0;
  std::string body;
};

// Sends `method path` with `body` (as application/json when not empty, or for
// POST) to 127.0.0.1:`port` and reads one response: exactly Content-Length
// bytes of body, or up to EOF when the response has no Content-Length.
// Returns Unavailable if nothing listens, DeadlineExceeded once `timeout` has
// passed, DataLoss on a malformed or truncated response, Unimplemented for a
// chunked one.
absl::StatusOr<HttpReply> SendRequest(int port, absl::string_view method, absl::string_view path,
                                      absl::string_view body, absl::Duration timeout);

}  // namespace devloop::browser

#endif  // DEVLOOP_TESTING_BROWSER_LOOPBACK_HTTP_H_
