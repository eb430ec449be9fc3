// The HTTP/JSON face of proto.SkaffoldService, independent of sockets: turns one
// HTTP request (method, target, body) into the answer Skaffold's gRPC gateway
// would give. infra/http/http_server.h puts it on the wire with Boost.Beast.
//
// Routes are the google.api.http annotations of api/skaffold.proto (and
// skaffold_v2.proto's ApplicationLogs), written out in Gateway::Routes() so
// that answering needs no descriptor pool: building skaffold.proto's
// descriptors was most of devloop's work before its first answer.
// http_server_test checks the table against the annotations. Bodies are parsed
// with api/json.h into the annotated body field (`intent`, `state`) or the whole
// request (`*`). Errors are JSON `{"code":N,"message":"...","details":[]}` with
// the HTTP status of the gRPC code, as the gateway sends them:
//   400 code 3   malformed or wrongly typed JSON; a toggle without `enabled`
//   404 code 5   unknown path ("Not Found")
//   409 code 6   a toggle to the value it already has
//   501 code 12  a known path with another method, OPTIONS too ("Method Not Allowed")
//   503 code 14  the dev loop is shutting down (or, from the server, did not answer
//                in time)
// Successful control calls answer 200 `{}`.
//
// The dashboard (infra/http/dashboard/, compiled in) is served at `/` (GET
// and HEAD), with
// its Content-Type, `Cache-Control: no-cache` and an ETag (304 to a matching
// If-None-Match), and a Content-Security-Policy that allows only its own
// scripts, styles and connections. No answer carries CORS headers, so a page
// from another origin cannot read the API. Against cross-site requests and
// DNS rebinding, when the request's headers are given (Request):
//   403 code 7   a control call (POST, PUT) whose Origin is not the
//                dashboard's own, http://<Host>;
//   403 code 7   with `loopback_only`, any request whose Host is a DNS name
//                (one with a dot, not *.localhost, not an IP address): a web
//                page could have pointed that name at this machine.
// Requests without an Origin (curl, IDEs, gRPC gateways' clients) are not
// affected by the first rule.
//
// Control calls are asynchronous, as the control port is: Handle passes the
// request on and returns, and the reply comes when the control port answers,
// from whichever thread answers. Everything else (state, streams, requests that
// fail validation) is answered before Handle returns.
//
//   Gateway gateway(&hub, &control);
//   gateway.Handle("PUT", "/v1/build/auto_execute", R"({"enabled":true})",
//                  [](Gateway::Reply r) { /* 409 {"code":6,...} */ });
//
// Thread-safe (the hub and the control port are).
#ifndef DEVLOOP_INFRA_HTTP_GATEWAY_H_
#define DEVLOOP_INFRA_HTTP_GATEWAY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "absl/strings/string_view.h"
#include "infra/control/control.h"
#include "infra/hub/hub.h"

namespace devloop::http {

class Gateway {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    // For /v1/events and /v1/event_log the caller streams the hub's log, for
    // /v2/applicationLogs the application's log lines (status 200, chunked,
    // one `{"result":…}` line per entry) instead of `body`.
    enum class Stream { kNone, kEvents, kApplicationLogs };
    Stream stream = Stream::kNone;
    std::string content_type = "application/json";
    // Further response headers (the dashboard's caching and security headers).
    std::vector<std::pair<std::string, std::string>> headers;
    // A HEAD request: send the headers `body` would have, without it.
    bool head_only = false;
  };

  // devloop's own path, beside Skaffold's: GET answers what waits for a
  // trigger that is off (Control::Pending), for the dashboard:
  //   {"builds":["web"],"syncs":[{"artifact":"web","files":[{"path":"a.css",
  //    "deleted":false}]}],"deploy":false,"tests":["api"]}
  static constexpr absl::string_view kPendingPath = "/devloop/v1/pending";

  // One request as read off the wire. The views must stay valid during Handle.
  struct Request {
    absl::string_view method;
    absl::string_view target;  // may carry a query string (ignored)
    absl::string_view body;
    absl::string_view host;    // the Host header; empty: none
    absl::string_view origin;  // the Origin header; empty: none (not a browser)
    absl::string_view if_none_match;
  };

  struct Options {
    // Refuse requests whose Host is a DNS name other than localhost (see
    // above): for a server bound to loopback.
    bool loopback_only = false;
    // Serve GET /v2/applicationLogs (the caller has the application logs).
    bool application_logs = false;
  };

  // Called exactly once with the reply, from any thread, possibly before the
  // call that was given it returns.
  using Respond = absl::AnyInvocable<void(Reply)>;

  // `hub` and `control` must outlive the gateway.
  Gateway(hub::Hub* hub, control::Control* control) : Gateway(hub, control, Options()) {}
  Gateway(hub::Hub* hub, control::Control* control, Options options);

  // Answers one request through `respond`. Reads the request only before it
  // returns.
  void Handle(const Request& request, Respond respond) const;

  // The same without headers (no Origin, no Host): for callers that are not
  // browsers' servers, such as the fuzzer.
  void Handle(absl::string_view method, absl::string_view target, absl::string_view body,
              Respond respond) const {
    Handle(Request{.method = method, .target = target, .body = body}, std::move(respond));
  }

  // Returns the gateway's error reply for a non-OK `status`.
  static Reply Error(const absl::Status& status);

  // Returns the HTTP status Skaffold's gateway uses for a gRPC/absl code.
  static int HttpStatusFor(absl::StatusCode code);

  // What a google.api.http annotation says of one rpc.
  struct Route {
    absl::string_view verb;     // GET, PUT, POST
    absl::string_view path;
    absl::string_view rpc;      // method name in proto.SkaffoldService (or proto.v2's)
    absl::string_view body;     // "" (no body), "*" or a field of the request
    absl::string_view request;  // the request message's full name
  };
  // Every annotated rpc of proto.SkaffoldService in the .proto's order, then
  // proto.v2.SkaffoldV2Service's ApplicationLogs.
  static absl::Span<const Route> Routes();

 private:

  struct Asset {
    std::string path;
    std::string content_type;
    absl::string_view body;
    std::string etag;
  };

  void Call(const Route& route, absl::string_view body, Respond respond) const;
  // Forbidden when `request` may come from another site; OK otherwise.
  absl::Status CheckSite(const Request& request) const;

  hub::Hub* const hub_;
  control::Control* const control_;
  const Options options_;
  std::vector<Route> routes_;  // Routes(), without ApplicationLogs unless served
  std::vector<Asset> assets_;
};

}  // namespace devloop::http

#endif  // DEVLOOP_INFRA_HTTP_GATEWAY_H_
