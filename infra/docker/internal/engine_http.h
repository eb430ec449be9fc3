// HTTP/1.1 to the Docker Engine over a unix socket or TCP (infra/http/client.h,
// one connection per call), its failures carrying Docker's status codes.
//
//   absl::StatusOr<EngineHttp> http = EngineHttp::FromDockerHost("unix:///var/run/docker.sock");
//   absl::StatusOr<HttpResponse> r = http->Call("GET", "/v1.41/_ping", "", "", deadline);
//
// Connection failures come back as Unavailable with the daemon-not-running
// status code -- also a connection the daemon closed mid-call when a fresh
// connect is then refused (the daemon went away) --, answers that are not HTTP
// as Internal with the system-error code,
// a passed deadline as DeadlineExceeded (see docker.h's failure contract). HTTP
// status codes are left to the caller.
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_DOCKER_INTERNAL_ENGINE_HTTP_H_
#define DEVLOOP_INFRA_DOCKER_INTERNAL_ENGINE_HTTP_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "infra/http/client.h"

namespace devloop::docker::internal {

using HttpResponse = http::ClientResponse;
using Interrupter = http::Interrupter;

class EngineHttp {
 public:
  // Accepts "unix:///path/to.sock" and "tcp://host:port" (the forms DOCKER_HOST
  // takes), the latter with TLS when `tls` is set. InvalidArgument for
  // anything else, naming the value, and for TLS files that cannot be loaded.
  static absl::StatusOr<EngineHttp> FromDockerHost(
      absl::string_view docker_host, const std::optional<http::TlsFiles>& tls = std::nullopt);

  // HttpClient::Call and Stream (infra/http/client.h), their failures carrying
  // Docker's status codes.
  absl::StatusOr<HttpResponse> Call(absl::string_view method, absl::string_view target,
                                    std::string body, absl::string_view content_type,
                                    absl::Time deadline) const;
  absl::Status Stream(absl::string_view method, absl::string_view target, std::string body,
                      absl::string_view content_type, absl::Time deadline,
                      const std::function<void(int status, absl::string_view content_type)>& on_head,
                      const std::function<bool(absl::string_view data)>& on_data,
                      const std::function<void(Interrupter)>& on_interrupter) const;

  const std::string& description() const { return description_; }

 private:
  EngineHttp(http::HttpClient client, std::string description)
      : client_(std::move(client)), description_(std::move(description)) {}
  // The client's failure with the Docker status code it stands for; a
  // connection closed mid-call becomes daemon-not-running when the daemon no
  // longer accepts connections at all.
  absl::Status WithStatusCode(absl::Status failure) const;

  http::HttpClient client_;
  std::string description_;  // for messages: "unix:///var/run/docker.sock"
};

}  // namespace devloop::docker::internal

#endif  // DEVLOOP_INFRA_DOCKER_INTERNAL_ENGINE_HTTP_H_
