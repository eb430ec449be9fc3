#include "infra/http/gateway.h"

#include <arpa/inet.h>

#include <cstdint>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/json.h"
#include "api/skaffold.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "infra/apimap/apimap.h"
#include "infra/http/dashboard_assets.h"

namespace devloop::http {
namespace {

using google::protobuf::Message;

void AppendJsonString(absl::string_view s, std::string* out) {
  // Reuses the API's escaping through a one-field message would be heavier than
  // this; error messages are plain text, so escape what JSON requires.
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

Gateway::Reply Ok() { return Gateway::Reply{200, "{}"}; }

// The dashboard loads only its own files and talks only to its own server.
constexpr absl::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// FNV-1a: a stable validator across runs of the same build.
std::string ETag(absl::string_view body) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return absl::StrCat("\"", absl::Hex(h, absl::kZeroPad16), "\"");
}

// The host part of a Host header ("localhost:50052", "[::1]:50052").
absl::string_view HostName(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    const size_t close = host.find(']');
    return close == absl::string_view::npos ? host : host.substr(0, close + 1);
  }
  const size_t colon = host.rfind(':');
  return colon == absl::string_view::npos ? host : host.substr(0, colon);
}

// Whether no public DNS answer can point `name` at this machine: localhost,
// *.localhost, an IP address, or a name of one label (a public name has a dot).
bool IsLocalName(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (!absl::StrContains(lower, '.') || absl::EndsWith(lower, ".localhost")) return true;
  in6_addr v6;
  in_addr v4;
  if (absl::StartsWith(lower, "[") && absl::EndsWith(lower, "]")) {
    return ::inet_pton(AF_INET6, lower.substr(1, lower.size() - 2).c_str(), &v6) == 1;
  }
  return ::inet_pton(AF_INET, lower.c_str(), &v4) == 1;
}

// {"builds":["web"],"syncs":[{"artifact":"web","files":[{"path":"a.css","deleted":false}]}],
//  "deploy":true}
std::string PendingJson(const domain::PendingWork& pending) {
  std::string out = "{\"builds\":[";
  for (size_t i = 0; i < pending.builds.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(pending.builds[i], &out);
  }
  out.append("],\"syncs\":[");
  bool first = true;
  for (const auto& [image, files] : pending.syncs) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"artifact\":");
    AppendJsonString(image, &out);
    out.append(",\"files\":[");
    for (size_t i = 0; i < files.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append("{\"path\":");
      AppendJsonString(files[i].path, &out);
      absl::StrAppend(&out, ",\"deleted\":", files[i].deleted ? "true" : "false", "}");
    }
    out.append("]}");
  }
  absl::StrAppend(&out, "],\"deploy\":", pending.deploy ? "true" : "false", ",\"tests\":[");
  for (size_t i = 0; i < pending.tests.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(pending.tests[i], &out);
  }
  out.append("]}");
  return out;
}

}  // namespace

int Gateway::HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    default:
      return 500;
  }
}

Gateway::Reply Gateway::Error(const absl::Status& status) {
  Reply reply;
  reply.status = HttpStatusFor(status.code());
  absl::StrAppend(&reply.body, "{\"code\":", static_cast<int>(status.code()), ",\"message\":");
  AppendJsonString(status.message(), &reply.body);
  reply.body.append(",\"details\":[]}");
  return reply;
}

Gateway::Gateway(hub::Hub* hub, control::Control* control, Options options)
    : hub_(hub), control_(control), options_(options) {
  for (const EmbeddedAsset& a : DashboardAssets()) {
    assets_.push_back(Asset{std::string(a.path), std::string(a.content_type), a.body, ETag(a.body)});
  }
  for (const Route& route : Routes()) {
    if (route.rpc == "ApplicationLogs" && !options_.application_logs) continue;
    routes_.push_back(route);
  }
}

absl::Span<const Gateway::Route> Gateway::Routes() {
  static constexpr Route kRoutes[] = {
      {"GET", "/v1/state", "GetState", "", "google.protobuf.Empty"},
      {"GET", "/v1/event_log", "EventLog", "", "proto.LogEntry"},
      {"GET", "/v1/events", "Events", "", "google.protobuf.Empty"},
      {"POST", "/v1/execute", "Execute", "intent", "proto.UserIntentRequest"},
      {"PUT", "/v1/build/auto_execute", "AutoBuild", "state", "proto.TriggerRequest"},
      {"PUT", "/v1/sync/auto_execute", "AutoSync", "state", "proto.TriggerRequest"},
      {"PUT", "/v1/deploy/auto_execute", "AutoDeploy", "state", "proto.TriggerRequest"},
      {"POST", "/v1/events/handle", "Handle", "*", "proto.Event"},
      {"GET", "/v2/applicationLogs", "ApplicationLogs", "", "google.protobuf.Empty"},
  };
  return kRoutes;
}

absl::Status Gateway::CheckSite(const Request& request) const {
  const absl::string_view name = HostName(request.host);
  if (options_.loopback_only && !request.host.empty() && !IsLocalName(name)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "Host \"", request.host,
        "\" is a DNS name: devloop's API answers localhost and IP addresses only, so that a web "
        "page cannot reach it through a name pointed at this machine"));
  }
  if ((request.method == "POST" || request.method == "PUT") && !request.origin.empty() &&
      request.origin != absl::StrCat("http://", request.host)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "a control call from a web page is accepted only from devloop's own dashboard (Origin "
        "http://", request.host, "), not from Origin ", request.origin));
  }
  return absl::OkStatus();
}

void Gateway::Handle(const Request& request, Respond respond) const {
  if (request.method == "HEAD") {  // every answer to HEAD is a head without its body
    respond = [respond = std::move(respond)](Reply reply) mutable {
      reply.head_only = true;
      respond(std::move(reply));
    };
  }
  if (absl::Status site = CheckSite(request); !site.ok()) return respond(Error(site));
  const absl::string_view method = request.method;
  const absl::string_view target = request.target;
  const absl::string_view body = request.body;
  const absl::string_view path = target.substr(0, target.find('?'));
  for (const Asset& asset : assets_) {
    if (asset.path != path && !(asset.path == "/" && path == "/index.html")) continue;
    if (method != "GET" && method != "HEAD") {
      return respond(Error(absl::UnimplementedError("Method Not Allowed")));
    }
    Reply reply;
    reply.content_type = asset.content_type;
    reply.headers = {{"Cache-Control", "no-cache"},
                     {"ETag", asset.etag},
                     {"Content-Security-Policy", std::string(kContentSecurityPolicy)},
                     {"X-Content-Type-Options", "nosniff"},
                     {"Referrer-Policy", "no-referrer"}};
    if (request.if_none_match == asset.etag) {
      reply.status = 304;
    } else {
      reply.body = std::string(asset.body);
    }
    return respond(std::move(reply));
  }
  if (path == kPendingPath) {
    if (method != "GET") return respond(Error(absl::UnimplementedError("Method Not Allowed")));
    return control_->Pending(
        [respond = std::move(respond)](absl::StatusOr<domain::PendingWork> pending) mutable {
          respond(pending.ok() ? Reply{200, PendingJson(*pending)} : Error(pending.status()));
        });
  }
  bool path_known = false;
  for (const Route& route : routes_) {
    if (route.path != path) continue;
    path_known = true;
    if (route.verb == method) return Call(route, body, std::move(respond));
  }
  if (path_known) return respond(Error(absl::UnimplementedError("Method Not Allowed")));
  respond(Error(absl::NotFoundError("Not Found")));
}

void Gateway::Call(const Route& route, absl::string_view body, Respond respond) const {
  if (route.rpc == "GetState") return respond(Reply{200, hub_->State()->json});
  if (route.rpc == "Events" || route.rpc == "EventLog") {
    return respond(Reply{200, "", Reply::Stream::kEvents});
  }
  if (route.rpc == "ApplicationLogs") return respond(Reply{200, "", Reply::Stream::kApplicationLogs});

  // Parse the body into the annotated part of the request.
  const google::protobuf::Descriptor* type =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          std::string(route.request));
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
  if (route.body == "*") {
    if (absl::Status s = api::FromJson(body, request.get()); !s.ok()) return respond(Error(s));
  } else if (!route.body.empty()) {
    const google::protobuf::FieldDescriptor* field =
        type->FindFieldByName(std::string(route.body));
    Message* part = request->GetReflection()->MutableMessage(request.get(), field);
    if (absl::Status s = api::FromJson(body, part); !s.ok()) return respond(Error(s));
  }

  // The control port answers later, on its own thread; the reply follows.
  control::Control::Done done = [respond = std::move(respond)](absl::Status status) mutable {
    respond(status.ok() ? Ok() : Error(status));
  };
  if (route.rpc == "Execute") {
    const auto& intent = static_cast<const proto::UserIntentRequest&>(*request).intent();
    control_->Execute(control::Intent{intent.build(), intent.sync(), intent.deploy()},
                      std::move(done));
  } else if (route.rpc == "AutoBuild" || route.rpc == "AutoSync" || route.rpc == "AutoDeploy") {
    const auto& state = static_cast<const proto::TriggerRequest&>(*request).state();
    if (state.val_case() != proto::TriggerState::kEnabled) {
      return done(absl::InvalidArgumentError("missing required boolean parameter 'enabled'"));
    }
    const domain::Phase phase = route.rpc == "AutoBuild"  ? domain::Phase::kBuild
                                : route.rpc == "AutoSync" ? domain::Phase::kSync
                                                          : domain::Phase::kDeploy;
    control_->SetAutoTrigger(phase, state.enabled(), std::move(done));
  } else if (route.rpc == "Handle") {
    absl::StatusOr<domain::Event> event =
        apimap::FromProto(static_cast<const proto::Event&>(*request));
    if (!event.ok()) return done(event.status());
    control_->Handle(*event, std::move(done));
  } else {
    done(absl::UnimplementedError(absl::StrCat(route.rpc, " is not served over HTTP")));
  }
}

}  // namespace devloop::http
