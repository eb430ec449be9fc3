// How the HTTP server reads a request off the wire: the parser's limits and the
// answer to a request the parser rejects. Shared by the Beast session
// (http_server.cc) and the HTTP fuzzer (tools/fuzz/http_fuzzer.cc), which feeds
// the same parser from memory, so what it checks is what the server does.
//
//   RequestParser parser;
//   LimitParser(options.max_body_bytes, parser);
//   ... read with parser; on error ec:
//   if (std::optional<Gateway::Reply> r = ReplyForReadError(ec, max)) write *r and close;
//
// Free functions: thread-safe.
#ifndef DEVLOOP_INFRA_HTTP_INTERNAL_REQUEST_READING_H_
#define DEVLOOP_INFRA_HTTP_INTERNAL_REQUEST_READING_H_

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "infra/http/gateway.h"

namespace devloop::http::internal {

using RequestParser =
    boost::beast::http::request_parser<boost::beast::http::string_body>;

// Request line and headers together; more is answered 431.
inline constexpr size_t kMaxHeaderBytes = 8 * 1024;

// Sets the server's limits on a fresh parser.
inline void LimitParser(size_t max_body_bytes, RequestParser& parser) {
  parser.body_limit(max_body_bytes);
  parser.header_limit(kMaxHeaderBytes);
}

// Returns the reply (a JSON error; the connection then closes) to a request the
// parser rejected with `ec`: 413 over the body limit, 431 over the header limit,
// 400 for anything malformed. Returns nullopt when the connection just closes
// without a reply: the peer went away, or the read was cancelled.
// REQUIRES: ec is an error.
inline std::optional<Gateway::Reply> ReplyForReadError(const boost::system::error_code& ec,
                                                       size_t max_body_bytes) {
  namespace bhttp = boost::beast::http;
  namespace net = boost::asio;
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::error::operation_aborted) {
    return std::nullopt;
  }
  auto reply = [](int status, absl::string_view message) {
    Gateway::Reply r = Gateway::Error(absl::InvalidArgumentError(message));
    r.status = status;
    return r;
  };
  if (ec == bhttp::error::body_limit) {
    return reply(413, absl::StrCat("request body exceeds the limit of ", max_body_bytes,
                                   " bytes"));
  }
  if (ec == bhttp::error::header_limit) {
    return reply(431, absl::StrCat("request headers exceed the limit of ", kMaxHeaderBytes,
                                   " bytes"));
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
    return reply(400, absl::StrCat("malformed HTTP request: ", ec.message()));
  }
  return std::nullopt;  // a socket error
}

}  // namespace devloop::http::internal

#endif  // DEVLOOP_INFRA_HTTP_INTERNAL_REQUEST_READING_H_
