// devloopctl against devloop's real API servers (the hub, the gRPC server and
// the HTTP gateway of apps/devloop, in this process, on loopback), over both
// transports: the same commands give the same answers. Plus the output
// formats, the address syntax and the usage errors.
#include "apps/ctl/ctl.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apps/ctl/api_client.h"
#include "domain/events/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/control/control.h"
#include "infra/grpc/grpc_server.h"
#include "infra/http/http_server.h"
#include "infra/hub/hub.h"

namespace devloop::ctl {
namespace {

namespace d = ::devloop::domain;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Result {
  int code = 0;
  std::string out;
  std::string err;
};

Result Ctl(std::vector<std::string> args) {
  std::ostringstream out, err;
  Result r;
  r.code = RunCtl(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// Records the intents it is asked to run, and otherwise does what HubControl
// does.
class RecordingControl : public control::Control {
 public:
  explicit RecordingControl(hub::Hub* hub) : inner_(hub) {}
  void Execute(const control::Intent& intent, Done done) override {
    {
      absl::MutexLock lock(&mu_);
      intents_.push_back(intent);
    }
    inner_.Execute(intent, std::move(done));
  }
  void SetAutoTrigger(d::Phase phase, bool enabled, Done done) override {
    inner_.SetAutoTrigger(phase, enabled, std::move(done));
  }
  void Handle(const d::Event& event, Done done) override { inner_.Handle(event, std::move(done)); }
  std::vector<control::Intent> intents() {
    absl::MutexLock lock(&mu_);
    return intents_;
  }

 private:
  control::HubControl inner_;
  absl::Mutex mu_;
  std::vector<control::Intent> intents_;
};

absl::Time At(int second) { return absl::FromUnixSeconds(1'700'000'000 + second); }

class CtlServersTest : public ::testing::TestWithParam<Transport> {
 protected:
  void SetUp() override {
    hub_.Append(d::PipelineStarted{});
    hub_.Append(d::LogEntry{At(0), d::DevLoopEvent{0, "In Progress"}, "Update initiated"});
    hub_.Append(d::LogEntry{At(1), d::BuildEvent{.artifact = "web", .status = "Complete"},
                            "Build completed for artifact web"});
    hub_.Append(d::LogEntry{At(2), d::DevLoopEvent{0, "Succeeded"}, "Update succeeded"});
    hub_.Append(d::LogEntry{At(3), d::DevLoopEvent{1, "In Progress"}, "Update initiated"});
    hub_.Append(d::LogEntry{
        At(4), d::FileSyncEvent{.file_count = 1, .image = "web:abc", .status = "Succeeded"},
        "File sync succeeded for 1 files for web:abc"});
    for (const auto& [container, message] : std::vector<std::pair<std::string, std::string>>{
             {"web", "GET / 200"}, {"api", "ready"}, {"web", "GET /x 404"}}) {
      app_logs_.Append({.time = At(6),
                        .container_name = container,
                        .prefix = absl::StrCat("[", container, "]"),
                        .message = message,
                        .rich_message = absl::StrCat("[", container, "] ", message)});
    }
    auto grpc =
        rpc::GrpcServer::Start({.port = 0, .application_logs = &app_logs_}, &hub_, &control_);
    ASSERT_TRUE(grpc.ok()) << grpc.status();
    grpc_ = *std::move(grpc);
    auto http =
        http::HttpServer::Start({.port = 0, .application_logs = &app_logs_}, &hub_, &control_);
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = *std::move(http);
  }
  void TearDown() override {
    hub_.Close();
    app_logs_.Close();
    if (grpc_) grpc_->Shutdown(absl::Seconds(2));
    if (http_) http_->Shutdown(absl::Seconds(2));
  }

  std::string Target() const {
    return GetParam() == Transport::kGrpc ? absl::StrCat("localhost:", grpc_->port())
                                          : absl::StrCat("http://127.0.0.1:", http_->port());
  }

  hub::Hub hub_;
  hub::AppLogs app_logs_;
  RecordingControl control_{&hub_};
  std::unique_ptr<rpc::GrpcServer> grpc_;
  std::unique_ptr<http::HttpServer> http_;
};

TEST_P(CtlServersTest, StateAsTableAndJson) {
  Result table = Ctl({"state", "--address", Target()});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("Build         auto on\n"));
  EXPECT_THAT(table.out, HasSubstr("  web                                    Complete\n"));
  EXPECT_THAT(table.out, HasSubstr("File sync     auto on   Succeeded\n"));

  Result json = Ctl({"state", "-o", "json", "--address=" + Target()});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out, StartsWith(R"({"buildState":{"artifacts":{"web":"Complete"},)"));
}

TEST_P(CtlServersTest, EventsPrintsTheHistoryAndEnds) {
  Result r = Ctl({"events", "--address", Target()});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_THAT(lines[1], HasSubstr("build                  Complete     Build completed for artifact web"));
  EXPECT_THAT(lines[4], HasSubstr("sync                   Succeeded    File sync succeeded"));
}

TEST_P(CtlServersTest, EventsSinceAnIterationAsJson) {
  Result r = Ctl({"events", "--since-iteration=1", "-o", "json", "--address", Target()});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_THAT(lines[0], HasSubstr(R"("devLoopEvent":{"iteration":1,"status":"In Progress")"));
  EXPECT_THAT(lines[1], HasSubstr(R"("fileSyncEvent":{"fileCount":1,"image":"web:abc")"));
}

TEST_P(CtlServersTest, FollowSeesWhatIsAppendedLater) {
  absl::StatusOr<ctl::Address> address = ParseAddress(Target());
  ASSERT_TRUE(address.ok());
  absl::StatusOr<std::unique_ptr<ApiClient>> api = ApiClient::Connect(*address);
  ASSERT_TRUE(api.ok()) << api.status();
  int seen = 0;
  absl::Status s = (*api)->Events({}, [&](const proto::LogEntry& e) {
    if (++seen == 5) {
      hub_.Append(d::LogEntry{At(5), d::DevLoopEvent{1, "Succeeded"}, "Update succeeded"});
    }
    return seen < 6;  // the live entry ends it
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(seen, 6);
}

TEST_P(CtlServersTest, LogsOfEveryContainerOrOneArtifact) {
  Result all = Ctl({"logs", "--address", Target()});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(all.out, "[web] GET / 200\n[api] ready\n[web] GET /x 404\n");
  Result web = Ctl({"logs", "web", "--address", Target()});
  ASSERT_EQ(web.code, 0) << web.err;
  EXPECT_EQ(web.out, "[web] GET / 200\n[web] GET /x 404\n");
  Result json = Ctl({"logs", "api", "-o", "json", "--address", Target()});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out,
            R"({"timestamp":"2023-11-14T22:13:26Z","applicationLogEvent":{"containerName":"api",)"
            R"("podName":"","prefix":"[api]","message":"ready","richFormattedMessage":"[api] ready"}})"
            "\n");
}

TEST_P(CtlServersTest, TriggersAndAutoToggles) {
  Result build = Ctl({"build", "--address", Target()});
  ASSERT_EQ(build.code, 0) << build.err;
  EXPECT_EQ(build.out, "requested a build\n");
  Result deploy = Ctl({"deploy", "--address", Target()});
  ASSERT_EQ(deploy.code, 0) << deploy.err;
  EXPECT_THAT(control_.intents(),
              ::testing::ElementsAre(control::Intent{.build = true},
                                     control::Intent{.deploy = true}));

  Result off = Ctl({"auto", "sync", "off", "--address", Target()});
  ASSERT_EQ(off.code, 0) << off.err;
  EXPECT_EQ(off.out, "auto sync is off\n");
  Result again = Ctl({"auto", "sync", "off", "--address", Target()});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, "auto sync was already off\n");
  Result state = Ctl({"state", "--address", Target()});
  EXPECT_THAT(state.out, HasSubstr("File sync     auto off  Succeeded\n"));
}

INSTANTIATE_TEST_SUITE_P(Transports, CtlServersTest,
                         ::testing::Values(Transport::kGrpc, Transport::kHttp),
                         [](const ::testing::TestParamInfo<Transport>& info) {
                           return info.param == Transport::kGrpc ? "Grpc" : "Http";
                         });

TEST(CtlTest, NobodyAnsweringSaysWhereItLooked) {
  // Port 1: nothing listens there.
  for (const std::string address : {"localhost:1", "http://127.0.0.1:1"}) {
    Result r = Ctl({"state", "--address", address});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("no devloop answers at "));
    EXPECT_THAT(r.err, HasSubstr(":1 (is `devloop dev` running?"));
  }
}

TEST(CtlTest, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{}, "Usage:"},
           {{"launch"}, "unknown command \"launch\""},
           {{"auto", "build"}, "auto wants a phase and on or off"},
           {{"auto", "test", "on"}, "auto wants a phase and on or off"},
           {{"state", "-o", "yaml"}, "-o yaml: want json, table or text"},
           {{"state", "--follow"}, "--follow is a flag of events and logs"},
           {{"logs", "--since-iteration=2"}, "--since-iteration is a flag of events"},
           {{"logs", "a", "b"}, "logs takes at most one artifact"},
           {{"events", "--since-iteration=x"}, "--since-iteration needs an iteration number"},
           {{"state", "--address=ftp://x:1"}, "the scheme must be grpc:// or http://"},
           {{"state", "--address=localhost:http"}, "want HOST:PORT with a port from 1 to 65535"},
           {{"state", "--verbose"}, "unknown flag --verbose"},
       }) {
    Result r = Ctl(c.args);
    EXPECT_EQ(r.code, 2) << absl::StrJoin(c.args, " ");
    EXPECT_THAT(r.err, HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
  }
  Result help = Ctl({"help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("devloopctl auto build|sync|deploy on|off"));
}

TEST(CtlTest, ParseAddress) {
  absl::StatusOr<Address> a = ParseAddress("50051");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ToString(), "grpc://localhost:50051");
  a = ParseAddress("http://[::1]:50052/");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->transport, Transport::kHttp);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, "50052");
  a = ParseAddress("grpc://127.0.0.1:7");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ToString(), "grpc://127.0.0.1:7");
}

TEST(CtlTest, FormatEntryShowsErrorsAndCodes) {
  proto::LogEntry e;
  e.mutable_timestamp()->set_seconds(3600 * 5 + 62);
  e.mutable_timestamp()->set_nanos(7'000'000);
  e.set_entry("Build failed for artifact web");
  proto::BuildEvent* b = e.mutable_event()->mutable_buildevent();
  b->set_artifact("web");
  b->set_status("Failed");
  b->set_errcode(proto::BUILD_DOCKER_DAEMON_NOT_RUNNING);
  b->mutable_actionableerr()->set_message("cannot connect to the Docker daemon");
  EXPECT_EQ(FormatEntry(e, absl::UTCTimeZone()),
            "05:01:02.007  build                  Failed       Build failed for artifact web  "
            "error: cannot connect to the Docker daemon  (BUILD_DOCKER_DAEMON_NOT_RUNNING)");
}

TEST(CtlTest, FormatStateTableListsPortsAndResources) {
  proto::State s;
  (*s.mutable_statuscheckstate()->mutable_resources())["container/web"] = "Succeeded";
  s.mutable_statuscheckstate()->set_status("Succeeded");
  proto::PortEvent& p = (*s.mutable_forwardedports())[9000];
  p.set_localport(9000);
  p.set_remoteport(8080);
  p.set_resourcetype("container");
  p.set_resourcename("web");
  p.set_address("127.0.0.1");
  const std::string table = FormatStateTable(s);
  EXPECT_THAT(table, HasSubstr("Status check            Succeeded\n"
                               "  container/web                          Succeeded\n"));
  EXPECT_THAT(table, HasSubstr("Ports\n  127.0.0.1:9000                         -> container/web:8080\n"));
}

TEST(CtlTest, FormatStateTableListsDebuggingContainers) {
  proto::State s;
  proto::DebuggingContainerEvent* d = s.add_debuggingcontainers();
  d->set_status("Started");
  d->set_podname("web-r1-1");
  d->set_containername("web");
  d->set_runtime("go");
  (*d->mutable_debugports())["dlv"] = 56268;
  std::string table = FormatStateTable(s);
  EXPECT_THAT(table, HasSubstr("Debugging               1 container\n"));
  EXPECT_THAT(table, HasSubstr("web-r1-1 (go)"));
  EXPECT_THAT(table, HasSubstr("dlv=56268"));
  *s.add_debuggingcontainers() = *d;
  table = FormatStateTable(s);
  EXPECT_THAT(table, HasSubstr("Debugging               2 containers\n"));
}

}  // namespace
}  // namespace devloop::ctl
