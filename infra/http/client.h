// HttpClient: HTTP/1.1 requests to one local server (a unix socket or TCP),
// with Boost.Beast, one connection per call. Every call has a deadline;
// streaming calls hand the body over as it arrives and can be cut short from
// another thread. The Docker Engine client and the Kubernetes API client
// (through `kubectl proxy`) are built on it.
//
//   HttpClient api = HttpClient::Unix("/tmp/x/proxy.sock", "localhost", "kubectl proxy");
//   absl::StatusOr<ClientResponse> r = api.Call("GET", "/version", "", "", deadline);
//
// Failures, for the adapters to map to their own status codes:
//   Unavailable       the server could not be reached (connect or resolve failed)
//   DeadlineExceeded  the deadline passed
//   Aborted           the server closed the connection mid-call (it may have
//                     gone away: Reachable() tells)
//   Internal          an answer that is not HTTP, or another I/O error
//   FailedPrecondition  the TLS handshake failed (a certificate refused)
//   Cancelled         a Stream ended through its interrupter
// HTTP status codes are left to the caller.
//
// Thread-safe: an HttpClient holds only the address; each call has its own
// io_context and socket.
#ifndef DEVLOOP_INFRA_HTTP_CLIENT_H_
#define DEVLOOP_INFRA_HTTP_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace boost::asio::ssl {
class context;
}

namespace devloop::http {

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// TLS to a TCP server, as the Docker CLI speaks it with DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH: a client certificate, and the server's checked against a
// CA (and its name against the host) when `verify` is set.
struct TlsFiles {
  std::string ca_file;    // PEM; needed when verify is set
  std::string cert_file;  // PEM client certificate; empty: none
  std::string key_file;   // PEM key of cert_file
  bool verify = true;
};

// Shuts a streaming call's socket down from another thread (so a blocked read
// ends). Set by Stream before it reads; may be called any time after.
using Interrupter = std::function<void()>;

class HttpClient {
 public:
  // `description` names the server in messages ("the Docker daemon at
  // unix:///var/run/docker.sock"); `host_header` is sent as Host.
  static HttpClient Unix(std::string path, std::string host_header, std::string description);
  static HttpClient Tcp(std::string host, std::string port, std::string description);
  // TCP with TLS. InvalidArgument naming the file when one cannot be loaded.
  static absl::StatusOr<HttpClient> TcpTls(std::string host, std::string port,
                                           const TlsFiles& files, std::string description);

  // Sends one request and reads the whole answer (at most 64 MiB).
  absl::StatusOr<ClientResponse> Call(absl::string_view method, absl::string_view target,
                                      std::string body, absl::string_view content_type,
                                      absl::Time deadline) const;

  // Sends one request; calls `on_head(status, content_type)` once the header
  // is read, then `on_data` with each piece of the body as it arrives, until
  // the body ends, `on_data` returns false, or the deadline passes.
  // `on_interrupter`, if set, receives a function that ends the call from
  // another thread (the call then returns Cancelled); it is valid until Stream
  // returns.
  absl::Status Stream(absl::string_view method, absl::string_view target, std::string body,
                      absl::string_view content_type, absl::Time deadline,
                      const std::function<void(int status, absl::string_view content_type)>& on_head,
                      const std::function<bool(absl::string_view data)>& on_data,
                      const std::function<void(Interrupter)>& on_interrupter) const;

  // OK when a fresh connection is accepted within `timeout`; Unavailable (or
  // DeadlineExceeded) otherwise. A server that died closes its connections and
  // then refuses new ones; one that merely dropped a call still accepts.
  absl::Status Reachable(absl::Duration timeout = absl::Seconds(2)) const;

  const std::string& description() const { return description_; }

 private:
  HttpClient() = default;
  friend class ClientConnection;
  bool unix_ = true;
  std::string path_;  // unix socket path
  std::string host_;  // tcp host
  std::string port_;
  std::string host_header_;
  std::string description_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // set for TcpTls
  bool verify_ = false;
};

}  // namespace devloop::http

#endif  // DEVLOOP_INFRA_HTTP_CLIENT_H_
