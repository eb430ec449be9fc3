#include "apps/ctl/api_client.h"

#include <grpcpp/grpcpp.h>

#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api/json.h"
#include "api/skaffold.grpc.pb.h"
#include "api/skaffold_v2.grpc.pb.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/struct.pb.h"
#include "infra/http/client.h"

namespace devloop::ctl {
namespace {

constexpr absl::Duration kCallTimeout = absl::Seconds(30);

absl::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kBuild:
      return "build";
    case Phase::kSync:
      return "sync";
    case Phase::kDeploy:
      return "deploy";
  }
  return "build";
}

// Calls `cancel` once no Touch() came for `idle` (never if `idle` is zero),
// from a thread of its own that ends with the object, without its lock held
// (`cancel` may take locks of its own; fired() may be called under them).
class IdleCanceller {
 public:
  IdleCanceller(absl::Duration idle, std::function<void()> cancel)
      : idle_(idle), cancel_(std::move(cancel)), last_(absl::Now()) {
    if (idle_ > absl::ZeroDuration()) thread_ = std::thread([this] { Watch(); });
  }
  ~IdleCanceller() {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }
  void Touch() {
    absl::MutexLock lock(&mu_);
    last_ = absl::Now();
    armed_ = true;
  }
  bool fired() {
    absl::MutexLock lock(&mu_);
    return fired_;
  }

 private:
  void Watch() {
    {
      absl::MutexLock lock(&mu_);
      // The quiet time counts from the first entry: a slow connect or a
      // loaded machine before it is not the end of the history.
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ || armed_; };
      mu_.Await(absl::Condition(&ready));
      while (!done_ && !fired_) {
        const absl::Time due = last_ + idle_;
        if (absl::Now() >= due) {
          fired_ = true;
        } else {
          mu_.AwaitWithDeadline(absl::Condition(&done_), due);
        }
      }
      if (!fired_) return;
    }
    cancel_();
  }

  const absl::Duration idle_;
  const std::function<void()> cancel_;
  absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool fired_ ABSL_GUARDED_BY(mu_) = false;
  bool armed_ ABSL_GUARDED_BY(mu_) = false;  // an entry has come
  std::thread thread_;
};

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

// ---------------------------------------------------------------- gRPC

class GrpcApiClient final : public ApiClient {
 public:
  GrpcApiClient(Address address, std::shared_ptr<grpc::Channel> channel)
      : address_(std::move(address)),
        stub_(proto::SkaffoldService::NewStub(channel)),
        v2_(proto::v2::SkaffoldV2Service::NewStub(channel)) {}

  absl::StatusOr<proto::State> GetState() override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
    proto::State state;
    grpc::Status s = stub_->GetState(&context, google::protobuf::Empty(), &state);
    if (!s.ok()) return FromGrpc(s, "GetState");
    return state;
  }

  absl::Status Events(const EventsOptions& options,
                      const std::function<bool(const proto::LogEntry&)>& on_entry) override {
    grpc::ClientContext context;
    return ReadAll(&context, stub_->Events(&context, google::protobuf::Empty()), options, on_entry,
                   "Events");
  }

  absl::Status ApplicationLogs(const EventsOptions& options,
                               const std::function<bool(const proto::v2::Event&)>& on_event) override {
    grpc::ClientContext context;
    return ReadAll(&context, v2_->ApplicationLogs(&context, google::protobuf::Empty()), options,
                   on_event, "ApplicationLogs");
  }

  absl::Status Execute(const proto::Intent& intent) override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
    proto::UserIntentRequest request;
    *request.mutable_intent() = intent;
    google::protobuf::Empty reply;
    return FromGrpc(stub_->Execute(&context, request, &reply), "Execute");
  }

  absl::Status SetAutoTrigger(Phase phase, bool enabled) override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
    proto::TriggerRequest request;
    request.mutable_state()->set_enabled(enabled);
    google::protobuf::Empty reply;
    grpc::Status s;
    switch (phase) {
      case Phase::kBuild:
        s = stub_->AutoBuild(&context, request, &reply);
        break;
      case Phase::kSync:
        s = stub_->AutoSync(&context, request, &reply);
        break;
      case Phase::kDeploy:
        s = stub_->AutoDeploy(&context, request, &reply);
        break;
    }
    return FromGrpc(s, absl::StrCat("auto ", PhaseName(phase)));
  }

 private:
  // Reads `reader` to its end, or until `on_message` says stop or it went idle.
  template <typename Message>
  static absl::Status ReadAll(grpc::ClientContext* context,
                              std::unique_ptr<grpc::ClientReader<Message>> reader,
                              const EventsOptions& options,
                              const std::function<bool(const Message&)>& on_message,
                              absl::string_view what) {
    IdleCanceller idle(options.idle_end, [context] { context->TryCancel(); });
    Message message;
    bool stopped = false;
    while (reader->Read(&message)) {
      idle.Touch();
      if (!on_message(message)) {
        stopped = true;
        context->TryCancel();
        break;
      }
    }
    grpc::Status s = reader->Finish();
    if (stopped || idle.fired()) return absl::OkStatus();
    return FromGrpc(s, what);
  }

  const Address address_;
  std::unique_ptr<proto::SkaffoldService::Stub> stub_;
  std::unique_ptr<proto::v2::SkaffoldV2Service::Stub> v2_;
};

// ---------------------------------------------------------------- HTTP

// The gateway's error body, {"code":N,"message":"...","details":[]}, as a
// Status; Unknown with the body when it is not one.
absl::Status FromHttp(int status, absl::string_view body, absl::string_view what) {
  google::protobuf::Struct error;
  if (api::FromJson(body, &error).ok() && error.fields().contains("code") &&
      error.fields().contains("message")) {
    const int code = static_cast<int>(error.fields().at("code").number_value());
    if (code > 0 && code <= 16) {
      return absl::Status(static_cast<absl::StatusCode>(code),
                          absl::StrCat(what, ": ", error.fields().at("message").string_value()));
    }
  }
  return absl::UnknownError(absl::StrCat(what, ": HTTP ", status, ": ", body));
}

class HttpApiClient final : public ApiClient {
 public:
  explicit HttpApiClient(Address address)
      : address_(address),
        http_(http::HttpClient::Tcp(address.host, address.port,
                                    absl::StrCat("devloop's HTTP API at ", address.host, ":",
                                                 address.port))) {}

  absl::Status Reachable(absl::Duration timeout) { return http_.Reachable(timeout); }

  absl::StatusOr<proto::State> GetState() override {
    absl::StatusOr<http::ClientResponse> r =
        http_.Call("GET", "/v1/state", "", "", absl::Now() + kCallTimeout);
    if (!r.ok()) return r.status();
    if (r->status != 200) return FromHttp(r->status, r->body, "GET /v1/state");
    proto::State state;
    absl::Status parsed = api::FromJson(r->body, &state);
    if (!parsed.ok()) {
      return absl::InternalError(absl::StrCat("GET /v1/state answered ", parsed.message()));
    }
    return state;
  }

  absl::Status Events(const EventsOptions& options,
                      const std::function<bool(const proto::LogEntry&)>& on_entry) override {
    return ReadStream("/v1/events", options, on_entry);
  }

  absl::Status ApplicationLogs(const EventsOptions& options,
                               const std::function<bool(const proto::v2::Event&)>& on_event) override {
    return ReadStream("/v2/applicationLogs", options, on_event);
  }

  absl::Status Execute(const proto::Intent& intent) override {
    return Send("POST", "/v1/execute", api::ToJson(intent));
  }

  absl::Status SetAutoTrigger(Phase phase, bool enabled) override {
    proto::TriggerState state;
    state.set_enabled(enabled);
    return Send("PUT", absl::StrCat("/v1/", PhaseName(phase), "/auto_execute"),
                api::ToJson(state));
  }

  // One line of a stream: {"result":<Message>}.
  template <typename Message>
  static absl::StatusOr<Message> ParseStreamLine(absl::string_view path, absl::string_view line) {
    absl::string_view inner = line;
    if (!absl::ConsumePrefix(&inner, "{\"result\":") || !absl::ConsumeSuffix(&inner, "}")) {
      return absl::InternalError(
          absl::StrCat("GET ", path, " sent a line that is not {\"result\":...}: ", line));
    }
    Message message;
    absl::Status s = api::FromJson(inner, &message);
    if (!s.ok()) return absl::InternalError(absl::StrCat("GET ", path, ": ", s.message()));
    return message;
  }

 private:
  // Reads the NDJSON stream at `path` (one {"result":<Message>} a line).
  template <typename Message>
  absl::Status ReadStream(absl::string_view path, const EventsOptions& options,
                          const std::function<bool(const Message&)>& on_entry) {
    absl::Mutex mu;
    http::Interrupter interrupt;  // guarded by mu
    IdleCanceller idle(options.idle_end, [&] {
      absl::MutexLock lock(&mu);
      if (interrupt) interrupt();
    });
    int status = 0;
    std::string pending;
    absl::Status bad_line;
    bool stopped = false;
    absl::Status s = http_.Stream(
        "GET", path, "", "", absl::InfiniteFuture(),
        [&](int code, absl::string_view) { status = code; },
        [&](absl::string_view data) {
          idle.Touch();
          pending.append(data.data(), data.size());
          if (status != 200) return true;  // the error body, read whole
          size_t start = 0;
          for (size_t eol; (eol = pending.find('\n', start)) != std::string::npos; start = eol + 1) {
            absl::string_view line(pending.data() + start, eol - start);
            if (line.empty()) continue;
            absl::StatusOr<Message> entry = ParseStreamLine<Message>(path, line);
            if (!entry.ok()) {
              bad_line = entry.status();
              return false;
            }
            if (!on_entry(*entry)) {
              stopped = true;
              return false;
            }
          }
          pending.erase(0, start);
          return true;
        },
        [&](http::Interrupter i) {
          absl::MutexLock lock(&mu);
          interrupt = std::move(i);
          // Went idle before the call could be interrupted: end it now.
          if (idle.fired()) interrupt();
        });
    {
      absl::MutexLock lock(&mu);
      interrupt = nullptr;  // valid only while Stream runs
    }
    if (!bad_line.ok()) return bad_line;
    if (status != 0 && status != 200) return FromHttp(status, pending, absl::StrCat("GET ", path));
    if (stopped || idle.fired()) return absl::OkStatus();
    return s;
  }

  absl::Status Send(absl::string_view method, const std::string& target, std::string body) {
    absl::StatusOr<http::ClientResponse> r =
        http_.Call(method, target, std::move(body), "application/json", absl::Now() + kCallTimeout);
    if (!r.ok()) return r.status();
    if (r->status != 200) return FromHttp(r->status, r->body, absl::StrCat(method, " ", target));
    return absl::OkStatus();
  }

  const Address address_;
  const http::HttpClient http_;
};

}  // namespace

std::string Address::ToString() const {
  return absl::StrCat(transport == Transport::kGrpc ? "grpc://" : "http://", host, ":", port);
}

absl::StatusOr<Address> ParseAddress(absl::string_view text) {
  Address address;
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "http://")) {
    address.transport = Transport::kHttp;
  } else if (absl::ConsumePrefix(&rest, "grpc://")) {
    address.transport = Transport::kGrpc;
  } else if (absl::StrContains(rest, "://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--address=", text, ": the scheme must be grpc:// or http:// (or none, for gRPC)"));
  }
  absl::ConsumeSuffix(&rest, "/");
  const size_t colon = rest.rfind(':');
  std::string host = colon == absl::string_view::npos ? "localhost" : std::string(rest.substr(0, colon));
  absl::string_view port = colon == absl::string_view::npos ? rest : rest.substr(colon + 1);
  int number = 0;
  if (!absl::SimpleAtoi(port, &number) || number <= 0 || number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--address=", text, ": want HOST:PORT with a port from 1 to 65535"));
  }
  if (host.empty()) host = "localhost";
  // "[::1]:50051": the brackets are gRPC's target syntax, not part of the host.
  if (address.transport == Transport::kHttp && absl::StartsWith(host, "[") &&
      absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  address.host = std::move(host);
  address.port = std::string(port);
  return address;
}

absl::StatusOr<std::unique_ptr<ApiClient>> ApiClient::Connect(const Address& address,
                                                              absl::Duration timeout) {
  const std::string hint = absl::StrCat(
      "no devloop answers at ", address.ToString(),
      " (is `devloop dev` running? it prints its API ports at start; --address picks another)");
  if (address.transport == Transport::kHttp) {
    auto client = std::make_unique<HttpApiClient>(address);
    absl::Status reachable = client->Reachable(timeout);
    if (!reachable.ok()) return absl::UnavailableError(hint);
    return client;
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      absl::StrCat(address.host, ":", address.port), grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout))) {
    return absl::UnavailableError(hint);
  }
  return std::make_unique<GrpcApiClient>(address, std::move(channel));
}

}  // namespace devloop::ctl
