// proto.SkaffoldService over real gRPC on a loopback port, with real C++ clients.
#include "infra/grpc/grpc_server.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/skaffold.grpc.pb.h"
#include "api/skaffold_v2.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "infra/control/control.h"
#include "infra/hub/app_logs.h"
#include "infra/hub/hub.h"
#include "testing/transport/held_control.h"

namespace devloop::rpc {
namespace {

namespace d = ::devloop::domain;
using ::devloop::testing::HeldControl;
using ::testing::Contains;
using ::testing::HasSubstr;

d::LogEntry Numbered(int n) {
  return d::LogEntry{absl::FromUnixSeconds(1'700'000'000 + n), d::DevLoopEvent{n, "In Progress"},
                     absl::StrCat("entry ", n)};
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_.Append(d::PipelineStarted{{"web"}});
    hub_.Append(d::LogEntry{absl::FromUnixSeconds(1'700'000'000),
                            d::MetaEvent{"Starting devloop", std::nullopt}, "Starting devloop"});
    Start(GrpcServer::Options{.port = 0});
  }

  void Start(GrpcServer::Options options, control::Control* control = nullptr) {
    auto server = GrpcServer::Start(options, &hub_, control ? control : &control_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = proto::SkaffoldService::NewStub(channel_);
  }

  void TearDown() override {
    hub_.Close();
    if (server_) server_->Shutdown(absl::Seconds(5));
  }

  grpc::Status Trigger(
      grpc::Status (proto::SkaffoldService::Stub::*rpc)(grpc::ClientContext*,
                                                        const proto::TriggerRequest&,
                                                        google::protobuf::Empty*),
      std::optional<bool> enabled) {
    grpc::ClientContext ctx;
    proto::TriggerRequest request;
    request.mutable_state();
    if (enabled) request.mutable_state()->set_enabled(*enabled);
    google::protobuf::Empty response;
    return ((*stub_).*rpc)(&ctx, request, &response);
  }

  hub::Hub hub_;
  control::HubControl control_{&hub_, {[] { return absl::FromUnixSeconds(99); }}};
  HeldControl held_;  // outlives the server
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::SkaffoldService::Stub> stub_;
};

TEST_F(GrpcServerTest, GetStateReturnsTheHubsState) {
  grpc::ClientContext ctx;
  proto::State state;
  ASSERT_TRUE(stub_->GetState(&ctx, google::protobuf::Empty(), &state).ok());
  EXPECT_EQ(state.buildstate().artifacts().at("web"), "Not Started");
  EXPECT_TRUE(state.buildstate().autotrigger());
  EXPECT_EQ(state.deploystate().status(), "Not Started");
  EXPECT_TRUE(state.has_statuscheckstate());
  EXPECT_TRUE(state.has_filesyncstate());
  EXPECT_TRUE(state.has_teststate());
  EXPECT_TRUE(state.has_metadata());
}

TEST_F(GrpcServerTest, EventsReplaysHistoryThenStreamsLiveInOrder) {
  for (int i = 1; i <= 3; ++i) hub_.Append(Numbered(i));
  grpc::ClientContext ctx;
  auto reader = stub_->Events(&ctx, google::protobuf::Empty());
  proto::LogEntry entry;
  ASSERT_TRUE(reader->Read(&entry));
  EXPECT_EQ(entry.event().metaevent().entry(), "Starting devloop");
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(reader->Read(&entry));
    EXPECT_EQ(entry.entry(), absl::StrCat("entry ", i));
  }
  // Live: appended after the subscriber caught up.
  for (int i = 4; i <= 200; ++i) hub_.Append(Numbered(i));
  for (int i = 4; i <= 200; ++i) {
    ASSERT_TRUE(reader->Read(&entry));
    ASSERT_EQ(entry.event().devloopevent().iteration(), i);
    EXPECT_EQ(entry.timestamp().seconds(), 1'700'000'000 + i);
  }
  hub_.Close();
  EXPECT_FALSE(reader->Read(&entry));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(GrpcServerTest, ApplicationLogsStreamsTheKeptLinesThenLiveOnes) {
  hub::AppLogs logs({.keep_lines = 2});
  auto line = [](std::string message) {
    return hub::AppLogs::Line{.time = absl::FromUnixSeconds(1'700'000'000),
                              .container_name = "web",
                              .prefix = "[web]",
                              .message = message};
  };
  for (const char* m : {"forgotten", "one"}) logs.Append(line(m));
  server_->Shutdown(absl::Seconds(5));  // the fixture's, without application logs
  Start(GrpcServer::Options{.port = 0, .application_logs = &logs});
  auto v2 = proto::v2::SkaffoldV2Service::NewStub(channel_);
  grpc::ClientContext ctx;
  auto reader = v2->ApplicationLogs(&ctx, google::protobuf::Empty());
  proto::v2::Event event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.applicationlogevent().message(), "forgotten");
  logs.Append(line("two"));  // "forgotten" is no longer kept, but was read already
  for (const char* want : {"one", "two"}) {
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(event.applicationlogevent().message(), want);
    EXPECT_EQ(event.applicationlogevent().containername(), "web");
    EXPECT_EQ(event.timestamp().seconds(), 1'700'000'000);
  }
  logs.Close();
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_TRUE(reader->Finish().ok());
  server_->Shutdown(absl::Seconds(5));
  server_.reset();  // before `logs` goes
}

TEST_F(GrpcServerTest, WithoutApplicationLogsTheV2ServiceIsNotServed) {
  auto v2 = proto::v2::SkaffoldV2Service::NewStub(channel_);
  grpc::ClientContext ctx;
  auto reader = v2->ApplicationLogs(&ctx, google::protobuf::Empty());
  proto::v2::Event event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(GrpcServerTest, EventLogStreamsTheSameLog) {
  hub_.Append(Numbered(1));
  grpc::ClientContext ctx;
  auto stream = stub_->EventLog(&ctx);
  proto::LogEntry entry;
  ASSERT_TRUE(stream->Read(&entry));
  EXPECT_EQ(entry.entry(), "Starting devloop");
  ASSERT_TRUE(stream->Read(&entry));
  EXPECT_EQ(entry.entry(), "entry 1");
  stream->WritesDone();
  hub_.Close();
  EXPECT_FALSE(stream->Read(&entry));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(GrpcServerTest, ManyConcurrentSubscribersEachSeeEveryEntryOnce) {
  constexpr int kSubscribers = 20;
  constexpr int kEntries = 500;
  std::vector<std::thread> readers;
  std::vector<std::vector<int>> seen(kSubscribers);
  for (int s = 0; s < kSubscribers; ++s) {
    readers.emplace_back([this, s, &seen] {
      grpc::ClientContext ctx;
      auto reader = stub_->Events(&ctx, google::protobuf::Empty());
      proto::LogEntry entry;
      while (reader->Read(&entry)) {
        if (entry.event().has_devloopevent()) {
          seen[s].push_back(entry.event().devloopevent().iteration());
        }
      }
      EXPECT_TRUE(reader->Finish().ok());
    });
  }
  for (int i = 0; i < kEntries; ++i) hub_.Append(Numbered(i));
  hub_.Close();
  for (auto& t : readers) t.join();
  std::vector<int> expected;
  for (int i = 0; i < kEntries; ++i) expected.push_back(i);
  for (int s = 0; s < kSubscribers; ++s) EXPECT_EQ(seen[s], expected) << "subscriber " << s;
}

TEST_F(GrpcServerTest, ExecuteResetsPhases) {
  hub_.Append(d::LogEntry{absl::UnixEpoch(), d::BuildEvent{"web", "Complete"}, ""});
  grpc::ClientContext ctx;
  proto::UserIntentRequest request;
  request.mutable_intent()->set_build(true);
  google::protobuf::Empty response;
  ASSERT_TRUE(stub_->Execute(&ctx, request, &response).ok());
  EXPECT_EQ(hub_.State()->state.build_state.artifacts.at("web"), "Not Started");
}

TEST_F(GrpcServerTest, TogglesMapErrorsToCodes) {
  using Stub = proto::SkaffoldService::Stub;
  grpc::Status missing = Trigger(&Stub::AutoBuild, std::nullopt);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(missing.error_message(), "missing required boolean parameter 'enabled'");

  grpc::Status same = Trigger(&Stub::AutoSync, true);
  EXPECT_EQ(same.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(same.error_message(), "auto sync is already set to true");

  EXPECT_TRUE(Trigger(&Stub::AutoDeploy, false).ok());
  EXPECT_FALSE(hub_.State()->state.deploy_state.auto_trigger);
  EXPECT_TRUE(Trigger(&Stub::AutoBuild, false).ok());
  EXPECT_FALSE(hub_.State()->state.build_state.auto_trigger);
}

TEST_F(GrpcServerTest, HandleAddsTheEventToTheStream) {
  grpc::ClientContext ctx;
  proto::Event event;
  event.mutable_buildevent()->set_artifact("web");
  event.mutable_buildevent()->set_status("In Progress");
  google::protobuf::Empty response;
  ASSERT_TRUE(stub_->Handle(&ctx, event, &response).ok());
  EXPECT_EQ(hub_.State()->state.build_state.artifacts.at("web"), "In Progress");
  EXPECT_EQ(hub_.size(), 2);

  grpc::ClientContext bad_ctx;
  event.mutable_buildevent()->set_errcode(static_cast<proto::StatusCode>(4242));
  grpc::Status bad = stub_->Handle(&bad_ctx, event, &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("buildEvent.errCode"));

  grpc::ClientContext empty_ctx;
  EXPECT_EQ(stub_->Handle(&empty_ctx, proto::Event(), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Lists services through the reflection service, as `grpcurl list` does, with
// hand-encoded messages (linking the reflection protos would clash with the ones
// inside libgrpc++_reflection).
std::vector<std::string> ListServices(grpc::Channel* channel) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  auto step = [&](intptr_t want) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), want);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  EXPECT_TRUE(step(1));
  const std::string request("\x3a\x01*", 3);  // field 7 list_services = "*"
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  EXPECT_TRUE(step(2));
  call->WritesDone(reinterpret_cast<void*>(3));
  EXPECT_TRUE(step(3));
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(4));
  EXPECT_TRUE(step(4));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }

  std::vector<grpc::Slice> slices;
  in.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  google::protobuf::UnknownFieldSet response;
  EXPECT_TRUE(response.ParseFromString(bytes));
  std::vector<std::string> names;
  for (int i = 0; i < response.field_count(); ++i) {
    if (response.field(i).number() != 6) continue;  // list_services_response
    google::protobuf::UnknownFieldSet list;
    EXPECT_TRUE(list.ParseFromString(response.field(i).length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      EXPECT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      names.push_back(service.field(0).length_delimited());
    }
  }
  return names;
}

TEST_F(GrpcServerTest, ReflectionListsTheService) {
  EXPECT_THAT(ListServices(channel_.get()), Contains("proto.SkaffoldService"));
}

TEST_F(GrpcServerTest, TakenPortFallsBackToTheNextFreeOne) {
  auto second = GrpcServer::Start(GrpcServer::Options{.port = server_->port()}, &hub_, &control_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT((*second)->port(), server_->port());
  auto stub = proto::SkaffoldService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*second)->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  proto::State state;
  EXPECT_TRUE(stub->GetState(&ctx, google::protobuf::Empty(), &state).ok());
  (*second)->Shutdown(absl::Seconds(1));
}

TEST_F(GrpcServerTest, SlowSubscriberHoldsNobodyBackAndLosesNothing) {
  // A client that opens the stream and then reads nothing for a while, on its
  // own connection (as a separate client process would).
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto slow_stub = proto::SkaffoldService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext slow_ctx;
  auto slow = slow_stub->Events(&slow_ctx, google::protobuf::Empty());
  proto::LogEntry entry;
  ASSERT_TRUE(slow->Read(&entry));  // the stream is open
  const std::string big(4096, 'x');
  for (int i = 0; i < 2000; ++i) {
    hub_.Append(d::LogEntry{absl::UnixEpoch(), d::DevLoopEvent{i, big}, ""});
  }
  // Another subscriber reads everything while the slow one reads nothing.
  grpc::ClientContext ctx;
  auto reader = stub_->Events(&ctx, google::protobuf::Empty());
  int read = 0;
  while (read < 2001 && reader->Read(&entry)) ++read;
  EXPECT_EQ(read, 2001);
  // The slow one then gets every entry, in order.
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(slow->Read(&entry));
    ASSERT_EQ(entry.event().devloopevent().iteration(), i);
  }
  hub_.Close();
  EXPECT_FALSE(slow->Read(&entry));
  EXPECT_TRUE(slow->Finish().ok());
}

TEST_F(GrpcServerTest, ShutdownEndsOpenStreams) {
  grpc::ClientContext ctx;
  auto reader = stub_->Events(&ctx, google::protobuf::Empty());
  proto::LogEntry entry;
  ASSERT_TRUE(reader->Read(&entry));
  // Without closing the hub: the deadline passes and the stream is cancelled.
  server_->Shutdown(absl::Milliseconds(100));
  EXPECT_FALSE(reader->Read(&entry));
  EXPECT_FALSE(reader->Finish().ok());
}

// A deadline on every call of these tests, so a broken server fails the test
// instead of hanging it. Not a timing assertion: a working server answers first.
void SetCap(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
}

// What the held control answers: AlreadyExists for a toggle to true (as if it
// were on already), OK for everything else.
absl::Status HeldAnswer(const HeldControl::Call& call) {
  if (call.kind == HeldControl::Call::Kind::kSetAutoTrigger && call.enabled) {
    return absl::AlreadyExistsError("auto build is already set to true");
  }
  return absl::OkStatus();
}

TEST_F(GrpcServerTest, ControlCallsWaitOnNoThreadAndFinishWhenAnswered) {
  server_->Shutdown(absl::Seconds(1));
  Start(GrpcServer::Options{.port = 0}, &held_);
  // Far more calls than gRPC has threads: if any call held a thread until the
  // control port answered, the rest could not all reach the control port.
  constexpr int kCalls = 64;
  struct Rpc {
    grpc::ClientContext ctx;
    proto::UserIntentRequest execute;
    proto::TriggerRequest trigger;
    google::protobuf::Empty response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Rpc>> rpcs;
  absl::Mutex mu;
  int finished = 0;
  for (int i = 0; i < kCalls; ++i) {
    auto rpc = std::make_unique<Rpc>();
    SetCap(&rpc->ctx);
    auto on_done = [&mu, &finished, r = rpc.get()](grpc::Status s) {
      absl::MutexLock lock(&mu);
      r->status = std::move(s);
      ++finished;
    };
    if (i % 2 == 0) {
      rpc->execute.mutable_intent()->set_build(true);
      stub_->async()->Execute(&rpc->ctx, &rpc->execute, &rpc->response, on_done);
    } else {
      rpc->trigger.mutable_state()->set_enabled(i % 4 == 1);
      stub_->async()->AutoBuild(&rpc->ctx, &rpc->trigger, &rpc->response, on_done);
    }
    rpcs.push_back(std::move(rpc));
  }
  ASSERT_TRUE(held_.AwaitHeld(kCalls)) << "held " << held_.held() << " of " << kCalls;

  // Every control call is outstanding, and the server still answers.
  grpc::ClientContext state_ctx;
  SetCap(&state_ctx);
  proto::State state;
  ASSERT_TRUE(stub_->GetState(&state_ctx, google::protobuf::Empty(), &state).ok());
  EXPECT_EQ(state.buildstate().artifacts().at("web"), "Not Started");
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(finished, 0);
  }

  // The answers come from another thread, as the dev loop's executor gives them.
  std::thread releaser([this] { held_.ReleaseAll(HeldAnswer); });
  {
    absl::MutexLock lock(&mu);
    auto all = [&finished] { return finished == kCalls; };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(60)));
  }
  releaser.join();
  for (int i = 0; i < kCalls; ++i) {
    const grpc::Status& s = rpcs[i]->status;
    if (i % 4 == 1) {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << "call " << i;
      EXPECT_EQ(s.error_message(), "auto build is already set to true") << "call " << i;
    } else {
      EXPECT_TRUE(s.ok()) << "call " << i << ": " << s.error_message();
    }
  }
  // The control port saw exactly what the clients asked.
  std::vector<HeldControl::Call> calls = held_.calls();
  ASSERT_EQ(calls.size(), static_cast<size_t>(kCalls));
  int executes = 0;
  for (const HeldControl::Call& c : calls) {
    if (c.kind == HeldControl::Call::Kind::kExecute) {
      ++executes;
      EXPECT_EQ(c.intent, (control::Intent{.build = true}));
    } else {
      EXPECT_EQ(c.kind, HeldControl::Call::Kind::kSetAutoTrigger);
      EXPECT_EQ(c.phase, d::Phase::kBuild);
    }
  }
  EXPECT_EQ(executes, kCalls / 2);
}

TEST_F(GrpcServerTest, UnansweredControlCallIsUnavailableAndItsLateAnswerIsDropped) {
  server_->Shutdown(absl::Seconds(1));
  Start(GrpcServer::Options{.port = 0, .control_timeout = absl::Milliseconds(200)}, &held_);
  grpc::ClientContext ctx;
  SetCap(&ctx);
  proto::Event event;
  event.mutable_buildevent()->set_artifact("web");
  google::protobuf::Empty response;
  grpc::Status s = stub_->Handle(&ctx, event, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("did not answer within 200ms"));
  ASSERT_EQ(held_.held(), 1u);

  // The answer comes after all: nothing happens to the finished call, and the
  // server goes on answering.
  held_.ReleaseAll(HeldAnswer);
  grpc::ClientContext state_ctx;
  SetCap(&state_ctx);
  proto::State state;
  EXPECT_TRUE(stub_->GetState(&state_ctx, google::protobuf::Empty(), &state).ok());
}

TEST_F(GrpcServerTest, ShutdownFinishesWaitingControlCallsAndALaterAnswerIsHarmless) {
  server_->Shutdown(absl::Seconds(1));
  Start(GrpcServer::Options{.port = 0}, &held_);
  grpc::ClientContext ctx;
  SetCap(&ctx);
  proto::TriggerRequest request;
  request.mutable_state()->set_enabled(false);
  google::protobuf::Empty response;
  std::optional<grpc::Status> status;
  absl::Mutex mu;
  stub_->async()->AutoSync(&ctx, &request, &response, [&](grpc::Status s) {
    absl::MutexLock lock(&mu);
    status = std::move(s);
  });
  ASSERT_TRUE(held_.AwaitHeld(1));
  server_->Shutdown(absl::Milliseconds(100));
  server_.reset();
  {
    absl::MutexLock lock(&mu);
    auto got = [&status] { return status.has_value(); };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&got), absl::Seconds(60)));
    EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(status->error_message(), "devloop is shutting down");
  }
  // The server is gone; its call's answer arrives now and touches nothing.
  held_.ReleaseAll(HeldAnswer);
}

}  // namespace
}  // namespace devloop::rpc
