#include "testing/e2e/events_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/empty.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace devloop::e2e {
namespace {

absl::Status FromGrpc(const grpc::Status& s, absl::string_view call) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(call, ": ", s.error_message()));
}

std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout);
}

std::string StatusOf(const proto::Event& e) {
  switch (e.event_type_case()) {
    case proto::Event::kBuildEvent: return e.buildevent().status();
    case proto::Event::kDeployEvent: return e.deployevent().status();
    case proto::Event::kStatusCheckEvent: return e.statuscheckevent().status();
    case proto::Event::kResourceStatusCheckEvent: return e.resourcestatuscheckevent().status();
    case proto::Event::kFileSyncEvent: return e.filesyncevent().status();
    case proto::Event::kDevLoopEvent: return e.devloopevent().status();
    case proto::Event::kTerminationEvent: return e.terminationevent().status();
    case proto::Event::kDebuggingContainerEvent: return e.debuggingcontainerevent().status();
    case proto::Event::kTestEvent: return e.testevent().status();
    default: return "";
  }
}

}  // namespace

EventsClient::EventsClient(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)), stub_(proto::SkaffoldService::NewStub(channel_)) {}

absl::StatusOr<std::unique_ptr<EventsClient>> EventsClient::Connect(const std::string& target,
                                                                    absl::Duration timeout) {
  // A connection of its own: from gRPC's process-wide pool, a new client of
  // a devloop restarted on the same port could be handed the old process's
  // connection, READY until its GOAWAY is read, and see its stream end at once.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(Deadline(timeout))) {
    return absl::UnavailableError(absl::StrCat("no gRPC server answered at ", target, " within ",
                                               absl::FormatDuration(timeout)));
  }
  std::unique_ptr<EventsClient> client(new EventsClient(std::move(channel)));
  client->reader_ = std::thread([c = client.get()] { c->Read(); });
  return client;
}

EventsClient::~EventsClient() {
  stream_context_.TryCancel();
  if (reader_.joinable()) reader_.join();
}

void EventsClient::Read() {
  google::protobuf::Empty empty;
  std::unique_ptr<grpc::ClientReader<proto::LogEntry>> reader =
      stub_->Events(&stream_context_, empty);
  proto::LogEntry entry;
  while (reader->Read(&entry)) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(entry);
    changed_.notify_all();
  }
  grpc::Status status = reader->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  ended_ = true;
  stream_status_ = FromGrpc(status, "Events stream");
  changed_.notify_all();
}

std::vector<proto::LogEntry> EventsClient::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

size_t EventsClient::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

absl::Status EventsClient::stream_status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stream_status_;
}

absl::StatusOr<proto::LogEntry> EventsClient::WaitFor(const Predicate& match,
                                                      absl::Duration timeout, size_t from,
                                                      size_t* index) const {
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
  std::unique_lock<std::mutex> lock(mu_);
  size_t next = from;
  while (true) {
    for (; next < entries_.size(); ++next) {
      if (match(entries_[next])) {
        if (index != nullptr) *index = next;
        return entries_[next];
      }
    }
    if (ended_) {
      return absl::UnavailableError(
          absl::StrCat("the Events stream ended (", stream_status_.ToString(),
                       ") before the awaited entry; got: ", absl::StrJoin(Summaries(entries_), ", ")));
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && next == entries_.size()) {
      return absl::DeadlineExceededError(
          absl::StrCat("the awaited entry did not arrive within ", absl::FormatDuration(timeout),
                       "; got: ", absl::StrJoin(Summaries(entries_), ", ")));
    }
  }
}

absl::StatusOr<proto::State> EventsClient::GetState(absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  proto::State state;
  absl::Status s = FromGrpc(stub_->GetState(&ctx, google::protobuf::Empty(), &state), "GetState");
  if (!s.ok()) return s;
  return state;
}

absl::Status EventsClient::Execute(const proto::UserIntentRequest& request,
                                   absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  google::protobuf::Empty out;
  return FromGrpc(stub_->Execute(&ctx, request, &out), "Execute");
}

namespace {
template <typename Call>
absl::Status Trigger(Call call, bool enabled, absl::Duration timeout, absl::string_view name) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  proto::TriggerRequest request;
  request.mutable_state()->set_enabled(enabled);
  google::protobuf::Empty out;
  return FromGrpc(call(&ctx, request, &out), name);
}
}  // namespace

absl::Status EventsClient::AutoBuild(bool enabled, absl::Duration timeout) {
  return Trigger([this](auto* c, const auto& r, auto* o) { return stub_->AutoBuild(c, r, o); },
                 enabled, timeout, "AutoBuild");
}
absl::Status EventsClient::AutoSync(bool enabled, absl::Duration timeout) {
  return Trigger([this](auto* c, const auto& r, auto* o) { return stub_->AutoSync(c, r, o); },
                 enabled, timeout, "AutoSync");
}
absl::Status EventsClient::AutoDeploy(bool enabled, absl::Duration timeout) {
  return Trigger([this](auto* c, const auto& r, auto* o) { return stub_->AutoDeploy(c, r, o); },
                 enabled, timeout, "AutoDeploy");
}

EventsClient::Predicate IsBuildEvent(const std::string& artifact, const std::string& status) {
  return [=](const proto::LogEntry& e) {
    return e.event().has_buildevent() && e.event().buildevent().artifact() == artifact &&
           e.event().buildevent().status() == status;
  };
}

EventsClient::Predicate IsDeployEvent(const std::string& status) {
  return [=](const proto::LogEntry& e) {
    return e.event().has_deployevent() && e.event().deployevent().status() == status;
  };
}

EventsClient::Predicate IsFileSyncEvent(const std::string& status) {
  return [=](const proto::LogEntry& e) {
    return e.event().has_filesyncevent() && e.event().filesyncevent().status() == status;
  };
}

EventsClient::Predicate IsDevLoopEvent(int iteration, const std::string& status) {
  return [=](const proto::LogEntry& e) {
    return e.event().has_devloopevent() && e.event().devloopevent().iteration() == iteration &&
           e.event().devloopevent().status() == status;
  };
}

std::vector<std::string> Summaries(const std::vector<proto::LogEntry>& entries) {
  std::vector<std::string> out;
  for (const proto::LogEntry& e : entries) {
    const proto::Event& ev = e.event();
    std::string kind;
    switch (ev.event_type_case()) {
      case proto::Event::kMetaEvent: kind = "metaEvent"; break;
      case proto::Event::kBuildEvent: kind = "buildEvent"; break;
      case proto::Event::kDeployEvent: kind = "deployEvent"; break;
      case proto::Event::kPortEvent: kind = "portEvent"; break;
      case proto::Event::kStatusCheckEvent: kind = "statusCheckEvent"; break;
      case proto::Event::kResourceStatusCheckEvent: kind = "resourceStatusCheckEvent"; break;
      case proto::Event::kFileSyncEvent: kind = "fileSyncEvent"; break;
      case proto::Event::kDebuggingContainerEvent: kind = "debuggingContainerEvent"; break;
      case proto::Event::kDevLoopEvent: kind = "devLoopEvent"; break;
      case proto::Event::kTerminationEvent: kind = "terminationEvent"; break;
      case proto::Event::kTestEvent: kind = "TestEvent"; break;
      case proto::Event::EVENT_TYPE_NOT_SET: kind = "(none)"; break;
    }
    std::string status = StatusOf(ev);
    out.push_back(status.empty() ? kind : absl::StrCat(kind, " ", status));
  }
  return out;
}

}  // namespace devloop::e2e
