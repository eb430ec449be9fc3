// A deliberately small blocking HTTP/1.1 client over a POSIX socket, for tests
// that must see the exact bytes: status lines, headers, chunk framing, and
// half-sent requests (slowloris) that a full client library would never send.
//
//   auto c = RawHttpClient::Connect(port);
//   c->Send("GET /v1/state HTTP/1.1\r\nHost: x\r\n\r\n");
//   absl::StatusOr<RawHttpClient::Response> r = c->ReadResponse();
//
// Thread-compatible.
#ifndef DEVLOOP_TESTING_TRANSPORT_HTTP_CLIENT_H_
#define DEVLOOP_TESTING_TRANSPORT_HTTP_CLIENT_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::testing {

class RawHttpClient {
 public:
  struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;                            // de-chunked
  };

  // Connects to 127.0.0.1:`port`. Reads give up after `read_timeout_seconds`
  // (a safety net so a broken server fails a test instead of hanging it).
  static absl::StatusOr<std::unique_ptr<RawHttpClient>> Connect(int port,
                                                                int read_timeout_seconds = 30);
  ~RawHttpClient();

  absl::Status Send(absl::string_view bytes);

  // Reads one whole response (Content-Length or chunked body).
  absl::StatusOr<Response> ReadResponse();

  // Reads the status line and headers only (for streams).
  absl::StatusOr<Response> ReadHead();
  // Reads the next chunk's data of a chunked body; "" for the final chunk.
  absl::StatusOr<std::string> ReadChunk();
  // Reads one '\n'-terminated line of a chunked body, across chunk boundaries;
  // NotFound at the end of the body.
  absl::StatusOr<std::string> ReadLine();

  // Returns true if the peer has closed the connection (reads EOF).
  bool PeerClosed();

  // One request, one response, on a fresh connection.
  static absl::StatusOr<Response> Fetch(int port, absl::string_view method,
                                        absl::string_view target, absl::string_view body = "");

 private:
  explicit RawHttpClient(int fd) : fd_(fd) {}
  absl::StatusOr<std::string> ReadUntil(absl::string_view delimiter);
  absl::StatusOr<std::string> ReadExactly(size_t n);
  absl::Status Fill();

  int fd_;
  std::string buffer_;
  std::string line_buffer_;
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_TRANSPORT_HTTP_CLIENT_H_
