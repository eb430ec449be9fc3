#include "testing/e2e/events_client.h"

#include <condition_variable>
#include <mutex>

#include "api/skaffold.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/empty.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace devloop::e2e {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

proto::LogEntry Entry(const std::string& artifact, const std::string& status) {
  proto::LogEntry e;
  e.mutable_event()->mutable_buildevent()->set_artifact(artifact);
  e.mutable_event()->mutable_buildevent()->set_status(status);
  return e;
}

// A real gRPC server on loopback whose Events stream sends what the test pushes.
class ScriptedService final : public proto::SkaffoldService::Service {
 public:
  void Push(proto::LogEntry e) {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(std::move(e));
    cv_.notify_all();
  }
  void End() {
    std::lock_guard<std::mutex> l(mu_);
    ended_ = true;
    cv_.notify_all();
  }
  bool auto_build() {
    std::lock_guard<std::mutex> l(mu_);
    return auto_build_;
  }

  grpc::Status Events(grpc::ServerContext* ctx, const google::protobuf::Empty*,
                      grpc::ServerWriter<proto::LogEntry>* writer) override {
    size_t sent = 0;
    std::unique_lock<std::mutex> l(mu_);
    while (!ctx->IsCancelled()) {
      while (sent < queue_.size()) {
        proto::LogEntry e = queue_[sent++];
        l.unlock();
        writer->Write(e);
        l.lock();
      }
      if (ended_) return grpc::Status::OK;
      cv_.wait_for(l, std::chrono::milliseconds(20));
    }
    return grpc::Status::CANCELLED;
  }
  grpc::Status GetState(grpc::ServerContext*, const google::protobuf::Empty*,
                        proto::State* state) override {
    (*state->mutable_buildstate()->mutable_artifacts())["web"] = "Complete";
    return grpc::Status::OK;
  }
  grpc::Status AutoBuild(grpc::ServerContext*, const proto::TriggerRequest* r,
                         google::protobuf::Empty*) override {
    std::lock_guard<std::mutex> l(mu_);
    if (r->state().enabled() == auto_build_) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "auto build is already set");
    }
    auto_build_ = r->state().enabled();
    return grpc::Status::OK;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<proto::LogEntry> queue_;
  bool ended_ = false;
  bool auto_build_ = true;
};

class EventsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override { server_->Shutdown(gpr_now(GPR_CLOCK_REALTIME)); }

  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

  ScriptedService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(EventsClientTest, CollectsEntriesInOrderAndWaitsForOneThatMatches) {
  service_.Push(Entry("web", "In Progress"));
  absl::StatusOr<std::unique_ptr<EventsClient>> c = EventsClient::Connect(target(), absl::Seconds(10));
  ASSERT_TRUE(c.ok()) << c.status();
  service_.Push(Entry("web", "Complete"));
  size_t index = 99;
  absl::StatusOr<proto::LogEntry> done =
      (*c)->WaitFor(IsBuildEvent("web", "Complete"), absl::Seconds(30), 0, &index);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(index, 1u);
  EXPECT_THAT(Summaries((*c)->Entries()),
              ElementsAre("buildEvent In Progress", "buildEvent Complete"));
  // Searching from after the match does not find it again.
  absl::StatusOr<proto::LogEntry> again =
      (*c)->WaitFor(IsBuildEvent("web", "Complete"), absl::Milliseconds(50), index + 1);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(again.status().message(), HasSubstr("buildEvent Complete"));  // lists what came
}

TEST_F(EventsClientTest, AStreamThatEndsFailsTheWaitAtOnce) {
  absl::StatusOr<std::unique_ptr<EventsClient>> c = EventsClient::Connect(target(), absl::Seconds(10));
  ASSERT_TRUE(c.ok()) << c.status();
  service_.End();
  absl::StatusOr<proto::LogEntry> e = (*c)->WaitFor(IsDeployEvent("Complete"), absl::Hours(1));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(EventsClientTest, UnaryCallsReachTheServerAndMapErrors) {
  absl::StatusOr<std::unique_ptr<EventsClient>> c = EventsClient::Connect(target(), absl::Seconds(10));
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<proto::State> state = (*c)->GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->buildstate().artifacts().at("web"), "Complete");
  EXPECT_TRUE((*c)->AutoBuild(false).ok());
  EXPECT_FALSE(service_.auto_build());
  EXPECT_EQ((*c)->AutoBuild(false).code(), absl::StatusCode::kAlreadyExists);
  // Not implemented by the scripted server: the gRPC code comes through.
  EXPECT_EQ((*c)->AutoSync(false).code(), absl::StatusCode::kUnimplemented);
}

TEST(EventsClientConnectTest, NoServerIsUnavailable) {
  absl::StatusOr<std::unique_ptr<EventsClient>> c =
      EventsClient::Connect("127.0.0.1:1", absl::Milliseconds(200));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace devloop::e2e
