// libFuzzer target for whole HTTP requests into the API gateway (port 50052):
// the bytes of a client connection go through the server's own request parser
// and limits (infra/http/internal/request_reading.h), the gateway's routing and
// JSON mapping (infra/http/gateway.h) and a real hub and control port, without
// sockets. Several requests in one input are a keep-alive connection's
// pipelined requests, read one after another as the server reads them.
//
// Checks: no crash, UB, leak or hang; memory stays bounded (see BUILD.bazel);
// every answer is 2xx or 4xx (501 only for a known path with another method, as
// Skaffold's gateway answers), every error answer is a JSON object with a
// numeric "code" and a non-empty "message", and every 200 is JSON or the
// event stream of GET /v1/events or /v1/event_log.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/write.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "infra/control/control.h"
#include "infra/http/gateway.h"
#include "infra/http/internal/request_reading.h"
#include "infra/hub/hub.h"
#include "infra/json/json.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

namespace bhttp = boost::beast::http;
using ::devloop::http::Gateway;
using ::devloop::http::internal::LimitParser;
using ::devloop::http::internal::ReplyForReadError;
using ::devloop::http::internal::RequestParser;
using ::devloop::json::Json;

// Small, so the fuzzer reaches the limit; the logic does not depend on the size.
constexpr size_t kMaxBody = 4096;
constexpr int kMaxRequests = 8;

void CheckErrorBody(const Gateway::Reply& reply, absl::string_view what) {
  absl::StatusOr<Json> body = Json::Parse(reply.body);
  FUZZ_CHECK(body.ok() && body->is_object(),
             absl::StrCat(what, ": error body is not a JSON object: ", reply.body));
  FUZZ_CHECK((*body)["code"].type() == Json::Type::kNumber,
             absl::StrCat(what, ": no numeric code: ", reply.body));
  FUZZ_CHECK(!(*body)["message"].AsString().empty(),
             absl::StrCat(what, ": no message: ", reply.body));
}

// Serializes the response as the session writes it.
void Write(const Gateway::Reply& reply, bool keep_alive, unsigned version) {
  bhttp::response<bhttp::string_body> response(static_cast<bhttp::status>(reply.status), version);
  response.set(bhttp::field::content_type, "application/json");
  response.keep_alive(keep_alive);
  response.body() = reply.body;
  response.prepare_payload();
  std::ostringstream out;
  out << response;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  devloop::hub::Hub hub;
  devloop::control::HubControl control(
      &hub, {.now = [] { return absl::FromUnixSeconds(1700000000); }});
  Gateway gateway(&hub, &control);

  absl::string_view input(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < kMaxRequests && !input.empty(); ++n) {
    RequestParser parser;
    LimitParser(kMaxBody, parser);
    parser.eager(true);  // as http::read does: header and body in one go
    boost::system::error_code ec;
    // Everything the client sent is there; then the client half-closes.
    while (!parser.is_done()) {
      const size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
      input.remove_prefix(used);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) break;
      if (used == 0 && !parser.is_done()) {  // all of it is read: the client is done
        parser.put_eof(ec);
        if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
        break;
      }
    }
    if (ec) {
      std::optional<Gateway::Reply> reply = ReplyForReadError(ec, kMaxBody);
      if (!reply) return 0;  // the server closes without an answer
      FUZZ_CHECK(reply->status == 400 || reply->status == 413 || reply->status == 431,
                 absl::StrCat("read error ", ec.message(), " answered ", reply->status));
      CheckErrorBody(*reply, ec.message());
      Write(*reply, false, 11);
      return 0;  // and closes
    }

    const auto& request = parser.get();
    const std::string method(request.method_string());
    const std::string target(request.target());
    std::optional<Gateway::Reply> reply;
    gateway.Handle(method, target, request.body(), [&](Gateway::Reply r) { reply = std::move(r); });
    // HubControl answers inline, so every reply is there when Handle returns.
    FUZZ_CHECK(reply.has_value(), absl::StrCat(method, " ", target, " got no answer"));

    const std::string what = absl::StrCat(method, " ", target, " -> ", reply->status);
    const std::string path = target.substr(0, target.find('?'));
    if (reply->stream != Gateway::Reply::Stream::kNone) {
      FUZZ_CHECK(reply->status == 200 && method == "GET" &&
                     (path == "/v1/events" || path == "/v1/event_log"),
                 absl::StrCat(what, " streams"));
      return 0;  // the connection is the stream from here
    }
    const int status = reply->status;
    FUZZ_CHECK((status >= 200 && status < 300) || status == 304 ||
                   (status >= 400 && status < 500) || status == 501,
               what);
    if (status >= 400) {
      CheckErrorBody(*reply, what);
    } else if (reply->content_type != "application/json") {
      // The dashboard's files, at their own paths only.
      FUZZ_CHECK(method == "GET" && (path == "/" || path == "/index.html" ||
                                     path == "/dashboard.js" || path == "/dashboard.css" ||
                                     path == "/favicon.svg"),
                 absl::StrCat(what, " served ", reply->content_type));
    } else {
      FUZZ_CHECK(Json::Parse(reply->body).ok(), absl::StrCat(what, ": body is not JSON"));
    }
    Write(*reply, request.keep_alive(), request.version());
    if (!request.keep_alive()) return 0;
  }
  return 0;
}
