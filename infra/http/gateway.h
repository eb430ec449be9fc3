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
// Successful control calls answer 200 `{}`.
//
//   Gateway gateway(&hub, &control);
//   Gateway::Reply r = gateway.Handle("PUT", "/v1/build/auto_execute", R"({"enabled":true})");
//
// Thread-safe (the hub and the control port are).
#ifndef DEVLOOP_INFRA_HTTP_GATEWAY_H_
#define DEVLOOP_INFRA_HTTP_GATEWAY_H_

#include <string>
#include <vector>

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

  // `hub` and `control` must outlive the gateway.
  Gateway(hub::Hub* hub, control::Control* control);

  // Answers one request. `target` may carry a query string (ignored).
  Reply Handle(absl::string_view method, absl::string_view target,
               absl::string_view body) const;

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

  Reply Call(const Route& route, absl::string_view body) const;

  hub::Hub* const hub_;
  control::Control* const control_;
  std::vector<Route> routes_;
};

}  // namespace devloop::http

#endif  // DEVLOOP_INFRA_HTTP_GATEWAY_H_
