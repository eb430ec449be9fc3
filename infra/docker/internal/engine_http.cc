#include "infra/docker/internal/engine_http.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "domain/events/status_code.h"
#include "infra/docker/docker_status.h"

namespace devloop::docker::internal {

using domain::StatusCode;

absl::Status EngineHttp::WithStatusCode(absl::Status failure) const {
  switch (failure.code()) {
    case absl::StatusCode::kUnavailable:
      return WithDockerStatusCode(
          absl::UnavailableError(absl::StrCat(failure.message(), ". Is the docker daemon running?")),
          StatusCode::kBuildDockerDaemonNotRunning);
    case absl::StatusCode::kDeadlineExceeded:
      return WithDockerStatusCode(std::move(failure), StatusCode::kBuildDockerDeadline);
    case absl::StatusCode::kCancelled:
      return WithDockerStatusCode(std::move(failure), StatusCode::kBuildDockerCancelled);
    case absl::StatusCode::kAborted: {
      // A daemon that dies (or restarts) closes its connections and then
      // refuses new ones; one that merely dropped this call still accepts.
      // Only a fresh connect tells them apart, and it costs microseconds on a
      // unix socket.
      absl::Status reachable = client_.Reachable();
      if (!reachable.ok()) {
        return WithDockerStatusCode(
            absl::UnavailableError(absl::StrCat(failure.message(), "; the daemon went away: ",
                                                reachable.message())),
            StatusCode::kBuildDockerDaemonNotRunning);
      }
      return WithDockerStatusCode(absl::InternalError(failure.message()),
                                  StatusCode::kBuildDockerSystemErr);
    }
    default:
      return WithDockerStatusCode(std::move(failure), StatusCode::kBuildDockerSystemErr);
  }
}

absl::StatusOr<EngineHttp> EngineHttp::FromDockerHost(absl::string_view docker_host,
                                                      const std::optional<http::TlsFiles>& tls) {
  const std::string description(docker_host);
  const std::string named = absl::StrCat("the Docker daemon at ", description);
  if (absl::ConsumePrefix(&docker_host, "unix://")) {
    if (docker_host.empty() || docker_host[0] != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("DOCKER_HOST ", description, ": expected unix:///absolute/path"));
    }
    if (tls.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "DOCKER_HOST ", description, ": TLS (DOCKER_TLS_VERIFY, DOCKER_TLS) needs a tcp:// host"));
    }
    return EngineHttp(http::HttpClient::Unix(std::string(docker_host), "docker", named),
                      description);
  }
  if (absl::ConsumePrefix(&docker_host, "tcp://")) {
    absl::ConsumeSuffix(&docker_host, "/");
    size_t colon = docker_host.rfind(':');
    if (docker_host.empty() || colon == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("DOCKER_HOST ", description, ": expected tcp://host:port"));
    }
    std::string host(docker_host.substr(0, colon));
    // The Engine's ports when none is given: 2376 with TLS, 2375 without.
    std::string port = colon == absl::string_view::npos
                           ? (tls.has_value() ? "2376" : "2375")
                           : std::string(docker_host.substr(colon + 1));
    if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
      host = host.substr(1, host.size() - 2);
    }
    if (tls.has_value()) {
      absl::StatusOr<http::HttpClient> client =
          http::HttpClient::TcpTls(std::move(host), std::move(port), *tls, named);
      if (!client.ok()) return client.status();
      return EngineHttp(*std::move(client), description);
    }
    return EngineHttp(http::HttpClient::Tcp(std::move(host), std::move(port), named),
                      description);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "DOCKER_HOST ", description,
      ": unsupported address; devloop speaks unix:///path and tcp://host:port (no ssh)"));
}

absl::StatusOr<HttpResponse> EngineHttp::Call(absl::string_view method, absl::string_view target,
                                              std::string body, absl::string_view content_type,
                                              absl::Time deadline) const {
  absl::StatusOr<HttpResponse> r =
      client_.Call(method, target, std::move(body), content_type, deadline);
  if (!r.ok()) return WithStatusCode(r.status());
  return r;
}

absl::Status EngineHttp::Stream(
    absl::string_view method, absl::string_view target, std::string body,
    absl::string_view content_type, absl::Time deadline,
    const std::function<void(int status, absl::string_view content_type)>& on_head,
    const std::function<bool(absl::string_view data)>& on_data,
    const std::function<void(Interrupter)>& on_interrupter) const {
  absl::Status s = client_.Stream(method, target, std::move(body), content_type, deadline, on_head,
                                  on_data, on_interrupter);
  return s.ok() ? s : WithStatusCode(std::move(s));
}

}  // namespace devloop::docker::internal
