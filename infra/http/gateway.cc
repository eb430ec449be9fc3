#include "infra/http/gateway.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "api/google/api/annotations.pb.h"
#include "api/json.h"
#include "api/skaffold.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "infra/apimap/apimap.h"

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

Gateway::Reply Ok() { return Gateway::Reply{200, "{}", false}; }

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

Gateway::Gateway(hub::Hub* hub, control::Control* control) : hub_(hub), control_(control) {
  const google::protobuf::ServiceDescriptor* service =
      proto::State::descriptor()->file()->FindServiceByName("SkaffoldService");
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = service->method(i);
    const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
    Route route;
    route.rpc = method->name();
    route.body = rule.body();
    route.request = method->input_type();
    switch (rule.pattern_case()) {
      case google::api::HttpRule::kGet:
        route.verb = "GET";
        route.path = rule.get();
        break;
      case google::api::HttpRule::kPut:
        route.verb = "PUT";
        route.path = rule.put();
        break;
      case google::api::HttpRule::kPost:
        route.verb = "POST";
        route.path = rule.post();
        break;
      default:
        continue;  // not served over HTTP
    }
    routes_.push_back(std::move(route));
  }
}

void Gateway::Handle(absl::string_view method, absl::string_view target, absl::string_view body,
                     Respond respond) const {
  const absl::string_view path = target.substr(0, target.find('?'));
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
  if (route.rpc == "GetState") return respond(Reply{200, hub_->State()->json, false});
  if (route.rpc == "Events" || route.rpc == "EventLog") return respond(Reply{200, "", true});

  // Parse the body into the annotated part of the request.
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(route.request)->New());
  if (route.body == "*") {
    if (absl::Status s = api::FromJson(body, request.get()); !s.ok()) return respond(Error(s));
  } else if (!route.body.empty()) {
    const google::protobuf::FieldDescriptor* field =
        route.request->FindFieldByName(route.body);
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
