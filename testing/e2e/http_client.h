// A small blocking HTTP/1.1 client over loopback for end-to-end tests: the
// Skaffold JSON API (/v1/state, /v1/execute, /v1/build/auto_execute) and the
// example apps' own pages. One request per connection (Connection: close);
// chunked responses are decoded.
//
//   absl::StatusOr<HttpResponse> r = Http(port, "PUT", "/v1/build/auto_execute",
//                                         R"({"enabled": false})");
//   absl::Status up = WaitForPort(port, absl::Seconds(5));
//
// Free functions: thread-safe.
#ifndef DEVLOOP_TESTING_E2E_HTTP_CLIENT_H_
#define DEVLOOP_TESTING_E2E_HTTP_CLIENT_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace devloop::e2e {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Sends one request to 127.0.0.1:`port` and reads the whole response. Returns
// Unavailable if nothing listens, DeadlineExceeded after `timeout`.
absl::StatusOr<HttpResponse> Http(int port, absl::string_view method, absl::string_view path,
                                  absl::string_view body = "",
                                  absl::Duration timeout = absl::Seconds(10));

// Waits until 127.0.0.1:`port` accepts a TCP connection, or `timeout` passes.
absl::Status WaitForPort(int port, absl::Duration timeout);

// Returns a port that was free a moment ago (bound to port 0, then released).
absl::StatusOr<int> PickFreePort();

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_HTTP_CLIENT_H_
