#include "infra/docker/internal/engine_http.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/generic/stream_protocol.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/local/stream_protocol.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"
#include "domain/events/status_code.h"
#include "infra/docker/docker_status.h"

namespace devloop::docker::internal {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Socket = asio::generic::stream_protocol::socket;
using boost::system::error_code;
using domain::StatusCode;

constexpr size_t kMaxBody = 64 << 20;

// Runs one asynchronous operation to completion or until `deadline`, whichever
// comes first; on the deadline the socket is closed so the operation ends.
template <typename Start>
error_code RunUntil(asio::io_context& ioc, Socket& socket, absl::Time deadline, Start start) {
  std::optional<error_code> result;
  start([&result](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  if (deadline == absl::InfiniteFuture()) {
    ioc.run();
  } else {
    absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
    ioc.run_for(std::chrono::microseconds(absl::ToInt64Microseconds(left)));
  }
  if (!result.has_value()) {
    error_code ignored;
    socket.close(ignored);
    ioc.restart();
    ioc.run();
    return asio::error::timed_out;
  }
  return *result;
}

class Connection {
 public:
  explicit Connection(const EngineHttp& http) : http_(http), socket_(ioc_) {}

  absl::Status Fail(StatusCode code, absl::Status status) {
    return WithDockerStatusCode(std::move(status), code);
  }

  absl::Status Connect(bool unix_socket, const std::string& path, const std::string& host,
                       const std::string& port, absl::Time deadline) {
    asio::generic::stream_protocol::endpoint endpoint;
    if (unix_socket) {
      endpoint = asio::local::stream_protocol::endpoint(path);
    } else {
      asio::ip::tcp::resolver resolver(ioc_);
      error_code ec;
      auto results = resolver.resolve(host, port, ec);
      if (ec || results.empty()) {
        return Fail(StatusCode::kBuildDockerDaemonNotRunning,
                    absl::UnavailableError(absl::StrCat("cannot resolve Docker host ",
                                                        http_.description(), ": ", ec.message())));
      }
      endpoint = results.begin()->endpoint();
    }
    error_code ec = RunUntil(ioc_, socket_, deadline, [&](auto handler) {
      socket_.async_connect(endpoint, handler);
    });
    if (ec == asio::error::timed_out) return Deadline("connecting");
    if (ec) {
      return Fail(StatusCode::kBuildDockerDaemonNotRunning,
                  absl::UnavailableError(absl::StrCat(
                      "cannot connect to the Docker daemon at ", http_.description(), ": ",
                      ec.message(), ". Is the docker daemon running?")));
    }
    return absl::OkStatus();
  }

  absl::Status Deadline(absl::string_view during) {
    return Fail(StatusCode::kBuildDockerDeadline,
                absl::DeadlineExceededError(absl::StrCat("Docker daemon at ", http_.description(),
                                                         ": deadline passed while ", during)));
  }

  absl::Status Garbage(absl::string_view during, const error_code& ec) {
    return Fail(StatusCode::kBuildDockerSystemErr,
                absl::InternalError(absl::StrCat("Docker daemon at ", http_.description(),
                                                 " gave an invalid answer while ", during, ": ",
                                                 ec.message())));
  }

  absl::Status IoError(absl::string_view during, const error_code& ec) {
    if (ec == asio::error::timed_out) return Deadline(during);
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
      lost_ = true;
      return Fail(StatusCode::kBuildDockerSystemErr,
                  absl::InternalError(absl::StrCat("Docker daemon at ", http_.description(),
                                                   " closed the connection while ", during)));
    }
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) return Garbage(during, ec);
    return Fail(StatusCode::kBuildDockerSystemErr,
                absl::InternalError(absl::StrCat("Docker daemon at ", http_.description(), ": ",
                                                 during, ": ", ec.message())));
  }

  absl::Status Send(absl::string_view method, absl::string_view target, std::string body,
                    absl::string_view content_type, const std::string& host_header,
                    absl::Time deadline) {
    http::request<http::string_body> request;
    request.method_string(boost::beast::string_view(method.data(), method.size()));
    request.target(boost::beast::string_view(target.data(), target.size()));
    request.version(11);
    request.set(http::field::host, host_header);
    request.set(http::field::user_agent, "devloop");
    if (!content_type.empty()) {
      request.set(http::field::content_type,
                  boost::beast::string_view(content_type.data(), content_type.size()));
    }
    request.body() = std::move(body);
    request.prepare_payload();
    error_code ec = RunUntil(ioc_, socket_, deadline, [&](auto handler) {
      http::async_write(socket_, request, handler);
    });
    if (ec) return IoError("sending the request", ec);
    return absl::OkStatus();
  }

  asio::io_context ioc_;
  const EngineHttp& http_;
  // The daemon closed the connection mid-call: it may have gone away.
  bool lost_ = false;
  Socket socket_;
  boost::beast::flat_buffer buffer_;
};

std::string HostHeader(bool unix_socket, const std::string& host, const std::string& port) {
  return unix_socket ? "docker" : absl::StrCat(host, ":", port);
}

}  // namespace

absl::Status EngineHttp::Explain(absl::Status lost) const {
  // A daemon that dies (or restarts) closes its connections and then refuses
  // new ones; one that merely dropped this call still accepts. Only a fresh
  // connect tells them apart, and it costs microseconds on a unix socket.
  Connection probe(*this);
  absl::Status reachable =
      probe.Connect(unix_, path_, host_, port_, absl::Now() + absl::Seconds(2));
  if (reachable.ok()) return lost;
  return WithDockerStatusCode(
      absl::UnavailableError(absl::StrCat(lost.message(), "; the daemon went away: ",
                                          reachable.message())),
      StatusCode::kBuildDockerDaemonNotRunning);
}

absl::StatusOr<EngineHttp> EngineHttp::FromDockerHost(absl::string_view docker_host) {
  EngineHttp http;
  http.description_ = std::string(docker_host);
  if (absl::ConsumePrefix(&docker_host, "unix://")) {
    if (docker_host.empty() || docker_host[0] != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("DOCKER_HOST ", http.description_, ": expected unix:///absolute/path"));
    }
    http.unix_ = true;
    http.path_ = std::string(docker_host);
    return http;
  }
  if (absl::ConsumePrefix(&docker_host, "tcp://")) {
    absl::ConsumeSuffix(&docker_host, "/");
    size_t colon = docker_host.rfind(':');
    if (docker_host.empty() || colon == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("DOCKER_HOST ", http.description_, ": expected tcp://host:port"));
    }
    http.unix_ = false;
    if (colon == absl::string_view::npos) {
      http.host_ = std::string(docker_host);
      http.port_ = "2375";
    } else {
      http.host_ = std::string(docker_host.substr(0, colon));
      http.port_ = std::string(docker_host.substr(colon + 1));
    }
    if (absl::StartsWith(http.host_, "[") && absl::EndsWith(http.host_, "]")) {
      http.host_ = http.host_.substr(1, http.host_.size() - 2);
    }
    return http;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "DOCKER_HOST ", http.description_,
      ": unsupported address; devloop speaks unix:///path and tcp://host:port (no TLS, no ssh)"));
}

absl::StatusOr<HttpResponse> EngineHttp::Call(absl::string_view method, absl::string_view target,
                                              std::string body, absl::string_view content_type,
                                              absl::Time deadline) const {
  Connection c(*this);
  if (absl::Status s = c.Connect(unix_, path_, host_, port_, deadline); !s.ok()) return s;
  absl::Status sent = c.Send(method, target, std::move(body), content_type,
                             HostHeader(unix_, host_, port_), deadline);
  if (absl::IsDeadlineExceeded(sent)) return sent;
  // The Engine may answer (404 for an unknown container) and close before it
  // has read a large body; its answer is then still there to read.
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  error_code ec = RunUntil(c.ioc_, c.socket_, deadline, [&](auto handler) {
    http::async_read(c.socket_, c.buffer_, parser, handler);
  });
  if (ec && !sent.ok()) return c.lost_ ? Explain(sent) : sent;
  if (ec) {
    absl::Status failed =
        c.IoError(absl::StrCat("reading the answer to ", method, " ", target), ec);
    return c.lost_ ? Explain(failed) : failed;
  }
  HttpResponse response;
  response.status = parser.get().result_int();
  response.content_type = std::string(parser.get()[http::field::content_type]);
  response.body = std::move(parser.get().body());
  return response;
}

absl::Status EngineHttp::Stream(
    absl::string_view method, absl::string_view target, std::string body,
    absl::string_view content_type, absl::Time deadline,
    const std::function<void(int status, absl::string_view content_type)>& on_head,
    const std::function<bool(absl::string_view data)>& on_data,
    const std::function<void(Interrupter)>& on_interrupter) const {
  Connection c(*this);
  if (absl::Status s = c.Connect(unix_, path_, host_, port_, deadline); !s.ok()) return s;
  // Shutting the socket down (a plain syscall on the descriptor, safe from any
  // thread while this thread owns it) ends a blocked read with end of stream.
  std::atomic<bool> interrupted{false};
  const int fd = c.socket_.native_handle();
  if (on_interrupter) {
    on_interrupter([&interrupted, fd] {
      interrupted = true;
      ::shutdown(fd, SHUT_RDWR);
    });
  }
  auto cancelled = [&] {
    return WithDockerStatusCode(
        absl::CancelledError(absl::StrCat(method, " ", target, " was cancelled")),
        StatusCode::kBuildDockerCancelled);
  };
  if (absl::Status s = c.Send(method, target, std::move(body), content_type,
                              HostHeader(unix_, host_, port_), deadline);
      !s.ok()) {
    if (interrupted) return cancelled();
    return c.lost_ ? Explain(s) : s;
  }
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  error_code ec = RunUntil(c.ioc_, c.socket_, deadline, [&](auto handler) {
    http::async_read_header(c.socket_, c.buffer_, parser, handler);
  });
  if (interrupted) return cancelled();
  if (ec) {
    absl::Status failed =
        c.IoError(absl::StrCat("reading the answer to ", method, " ", target), ec);
    return c.lost_ ? Explain(failed) : failed;
  }
  on_head(parser.get().result_int(), std::string(parser.get()[http::field::content_type]));
  char chunk[65536];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    ec = RunUntil(c.ioc_, c.socket_, deadline, [&](auto handler) {
      // read_some: hand over what has arrived instead of waiting for a full chunk.
      http::async_read_some(c.socket_, c.buffer_, parser, handler);
    });
    size_t n = sizeof(chunk) - parser.get().body().size;
    if (n > 0 && !on_data(absl::string_view(chunk, n))) return absl::OkStatus();
    if (interrupted) return cancelled();
    if (ec == http::error::need_buffer) continue;
    if (ec) {
      absl::Status failed =
          c.IoError(absl::StrCat("reading the answer to ", method, " ", target), ec);
      return c.lost_ ? Explain(failed) : failed;
    }
  }
  return absl::OkStatus();
}

}  // namespace devloop::docker::internal
