// The HTTP/JSON face of proto.SkaffoldService, independent of sockets: turns one
// HTTP request (method, target, body) into the answer Skaffold's gRPC gateway
// would give. infra/http/http_server.h puts it on the wire with Boost.Beast.
//
// Routes come from the google.api.http annotations in api/skaffold.proto's
// descriptors, so the .proto stays the one source of truth. Bodies are parsed
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
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "infra/control/control.h"
#include "infra/hub/hub.h"

namespace devloop::http {

class Gateway {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    // True for /v1/events and /v1/event_log: the caller streams the hub's log
    // (status 200, chunked, one `{"result":…}` line per entry) instead of `body`.
    bool stream = false;
  };

  // Called exactly once with the reply, from any thread, possibly before the
  // call that was given it returns.
  using Respond = absl::AnyInvocable<void(Reply)>;

  // `hub` and `control` must outlive the gateway.
  Gateway(hub::Hub* hub, control::Control* control);

  // Answers one request through `respond`. `target` may carry a query string
  // (ignored). Reads `method`, `target` and `body` only before it returns.
  void Handle(absl::string_view method, absl::string_view target, absl::string_view body,
              Respond respond) const;

  // Returns the gateway's error reply for a non-OK `status`.
  static Reply Error(const absl::Status& status);

  // Returns the HTTP status Skaffold's gateway uses for a gRPC/absl code.
  static int HttpStatusFor(absl::StatusCode code);

 private:
  struct Route {
    std::string verb;  // GET, PUT, POST
    std::string path;
    std::string rpc;   // method name in proto.SkaffoldService
    std::string body;  // "" (no body), "*" or a field of the request
    const google::protobuf::Descriptor* request = nullptr;
  };

  void Call(const Route& route, absl::string_view body, Respond respond) const;

  hub::Hub* const hub_;
  control::Control* const control_;
  std::vector<Route> routes_;
};

}  // namespace devloop::http

#endif  // DEVLOOP_INFRA_HTTP_GATEWAY_H_
