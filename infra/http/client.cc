#include "infra/http/client.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/generic/stream_protocol.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/local/stream_protocol.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/ssl/host_name_verification.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"

namespace devloop::http {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast_http = boost::beast::http;
using Socket = asio::generic::stream_protocol::socket;
using TlsStream = ssl::stream<Socket&>;
using boost::system::error_code;

namespace {

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

}  // namespace

// One call's socket, its io_context and read buffer, and how its failures read.
class ClientConnection {
 public:
  explicit ClientConnection(const HttpClient& client) : client_(client), socket_(ioc_) {}

  absl::Status Connect(absl::Time deadline) {
    asio::generic::stream_protocol::endpoint endpoint;
    if (client_.unix_) {
      endpoint = asio::local::stream_protocol::endpoint(client_.path_);
    } else {
      asio::ip::tcp::resolver resolver(ioc_);
      error_code ec;
      auto results = resolver.resolve(client_.host_, client_.port_, ec);
      if (ec || results.empty()) {
        return absl::UnavailableError(
            absl::StrCat("cannot resolve ", client_.description_, ": ", ec.message()));
      }
      endpoint = results.begin()->endpoint();
    }
    error_code ec = RunUntil(ioc_, socket_, deadline, [&](auto handler) {
      socket_.async_connect(endpoint, handler);
    });
    if (ec == asio::error::timed_out) return Deadline("connecting");
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", client_.description_, ": ", ec.message()));
    }
    if (client_.tls_ == nullptr) return absl::OkStatus();
    tls_ = std::make_unique<TlsStream>(socket_, *client_.tls_);
    error_code not_ip;  // SNI names a host, never an address
    asio::ip::make_address(client_.host_, not_ip);
    if (not_ip) SSL_set_tlsext_host_name(tls_->native_handle(), client_.host_.c_str());
    if (client_.verify_) {
      tls_->set_verify_mode(ssl::verify_peer);
      tls_->set_verify_callback(ssl::host_name_verification(client_.host_));
    } else {
      tls_->set_verify_mode(ssl::verify_none);
    }
    ec = RunUntil(ioc_, socket_, deadline, [&](auto handler) {
      tls_->async_handshake(ssl::stream_base::client, handler);
    });
    if (ec == asio::error::timed_out) return Deadline("the TLS handshake");
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the TLS handshake with ", client_.description_, " failed: ", ec.message()));
    }
    return absl::OkStatus();
  }

  // Calls `f` with the stream to read and write: the TLS one, or the socket.
  template <typename F>
  void WithStream(F f) {
    if (tls_ != nullptr) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  absl::Status Deadline(absl::string_view during) const {
    return absl::DeadlineExceededError(
        absl::StrCat(client_.description_, ": deadline passed while ", during));
  }

  absl::Status IoError(absl::string_view during, const error_code& ec) const {
    if (ec == asio::error::timed_out) return Deadline(during);
    if (ec == beast_http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == ssl::error::stream_truncated) {
      return absl::AbortedError(
          absl::StrCat(client_.description_, " closed the connection while ", during));
    }
    if (ec.category() == beast_http::make_error_code(beast_http::error::bad_version).category()) {
      return absl::InternalError(absl::StrCat(client_.description_,
                                              " gave an invalid answer while ", during, ": ",
                                              ec.message()));
    }
    return absl::InternalError(
        absl::StrCat(client_.description_, ": ", during, ": ", ec.message()));
  }

  absl::Status Send(absl::string_view method, absl::string_view target, std::string body,
                    absl::string_view content_type, absl::Time deadline) {
    beast_http::request<beast_http::string_body> request;
    request.method_string(boost::beast::string_view(method.data(), method.size()));
    request.target(boost::beast::string_view(target.data(), target.size()));
    request.version(11);
    request.set(beast_http::field::host, client_.host_header_);
    request.set(beast_http::field::user_agent, "devloop");
    if (!content_type.empty()) {
      request.set(beast_http::field::content_type,
                  boost::beast::string_view(content_type.data(), content_type.size()));
    }
    request.body() = std::move(body);
    request.prepare_payload();
    error_code ec = RunUntil(ioc_, socket_, deadline, [&](auto handler) {
      WithStream([&](auto& stream) { beast_http::async_write(stream, request, handler); });
    });
    if (ec) return IoError("sending the request", ec);
    return absl::OkStatus();
  }

  asio::io_context ioc_;
  const HttpClient& client_;
  Socket socket_;
  std::unique_ptr<TlsStream> tls_;  // over socket_, for TcpTls
  boost::beast::flat_buffer buffer_;
};

HttpClient HttpClient::Unix(std::string path, std::string host_header, std::string description) {
  HttpClient c;
  c.unix_ = true;
  c.path_ = std::move(path);
  c.host_header_ = std::move(host_header);
  c.description_ = std::move(description);
  return c;
}

HttpClient HttpClient::Tcp(std::string host, std::string port, std::string description) {
  HttpClient c;
  c.unix_ = false;
  c.host_header_ = absl::StrCat(host, ":", port);
  c.host_ = std::move(host);
  c.port_ = std::move(port);
  c.description_ = std::move(description);
  return c;
}

absl::StatusOr<HttpClient> HttpClient::TcpTls(std::string host, std::string port,
                                              const TlsFiles& files, std::string description) {
  HttpClient c = Tcp(std::move(host), std::move(port), std::move(description));
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1);
  auto load = [](const std::string& what, const std::string& path, auto loader) -> absl::Status {
    error_code ec;
    loader(ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load the TLS ", what, " ", path, ": ", ec.message()));
    }
    return absl::OkStatus();
  };
  if (files.verify || !files.ca_file.empty()) {
    if (absl::Status s = load("CA", files.ca_file,
                              [&](error_code& ec) { context->load_verify_file(files.ca_file, ec); });
        !s.ok()) {
      return s;
    }
  }
  if (!files.cert_file.empty()) {
    if (absl::Status s = load("certificate", files.cert_file,
                              [&](error_code& ec) {
                                context->use_certificate_chain_file(files.cert_file, ec);
                              });
        !s.ok()) {
      return s;
    }
    if (absl::Status s = load("key", files.key_file,
                              [&](error_code& ec) {
                                context->use_private_key_file(files.key_file, ssl::context::pem, ec);
                              });
        !s.ok()) {
      return s;
    }
  }
  c.tls_ = std::move(context);
  c.verify_ = files.verify;
  return c;
}

absl::Status HttpClient::Reachable(absl::Duration timeout) const {
  ClientConnection probe(*this);
  return probe.Connect(absl::Now() + timeout);
}

absl::StatusOr<ClientResponse> HttpClient::Call(absl::string_view method,
                                                absl::string_view target, std::string body,
                                                absl::string_view content_type,
                                                absl::Time deadline) const {
  ClientConnection c(*this);
  if (absl::Status s = c.Connect(deadline); !s.ok()) return s;
  absl::Status sent = c.Send(method, target, std::move(body), content_type, deadline);
  if (absl::IsDeadlineExceeded(sent)) return sent;
  // A server may answer (a 404, say) and close before it has read a large
  // body; its answer is then still there to read.
  beast_http::response_parser<beast_http::string_body> parser;
  parser.body_limit(kMaxBody);
  error_code ec = RunUntil(c.ioc_, c.socket_, deadline, [&](auto handler) {
    c.WithStream([&](auto& stream) { beast_http::async_read(stream, c.buffer_, parser, handler); });
  });
  if (ec && !sent.ok()) return sent;
  if (ec) return c.IoError(absl::StrCat("reading the answer to ", method, " ", target), ec);
  ClientResponse response;
  response.status = parser.get().result_int();
  response.content_type = std::string(parser.get()[beast_http::field::content_type]);
  response.body = std::move(parser.get().body());
  return response;
}

absl::Status HttpClient::Stream(
    absl::string_view method, absl::string_view target, std::string body,
    absl::string_view content_type, absl::Time deadline,
    const std::function<void(int status, absl::string_view content_type)>& on_head,
    const std::function<bool(absl::string_view data)>& on_data,
    const std::function<void(Interrupter)>& on_interrupter) const {
  ClientConnection c(*this);
  if (absl::Status s = c.Connect(deadline); !s.ok()) return s;
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
    return absl::CancelledError(absl::StrCat(method, " ", target, " was cancelled"));
  };
  if (absl::Status s = c.Send(method, target, std::move(body), content_type, deadline); !s.ok()) {
    return interrupted ? cancelled() : s;
  }
  beast_http::response_parser<beast_http::buffer_body> parser;
  parser.body_limit(boost::none);
  error_code ec = RunUntil(c.ioc_, c.socket_, deadline, [&](auto handler) {
    c.WithStream(
        [&](auto& stream) { beast_http::async_read_header(stream, c.buffer_, parser, handler); });
  });
  if (interrupted) return cancelled();
  if (ec) return c.IoError(absl::StrCat("reading the answer to ", method, " ", target), ec);
  on_head(parser.get().result_int(), std::string(parser.get()[beast_http::field::content_type]));
  char chunk[65536];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    ec = RunUntil(c.ioc_, c.socket_, deadline, [&](auto handler) {
      // read_some: hand over what has arrived instead of waiting for a full chunk.
      c.WithStream(
          [&](auto& stream) { beast_http::async_read_some(stream, c.buffer_, parser, handler); });
    });
    size_t n = sizeof(chunk) - parser.get().body().size;
    if (n > 0 && !on_data(absl::string_view(chunk, n))) return absl::OkStatus();
    if (interrupted) return cancelled();
    if (ec == beast_http::error::need_buffer) continue;
    if (ec) return c.IoError(absl::StrCat("reading the answer to ", method, " ", target), ec);
  }
  return absl::OkStatus();
}

}  // namespace devloop::http
