// The HTTP/JSON gateway over real loopback sockets, checked byte for byte with a
// raw HTTP client: statuses, headers, chunk framing, exact JSON, bad input.
#include "infra/http/http_server.h"

#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/control/control.h"
#include "infra/hub/app_logs.h"
#include "infra/hub/hub.h"
#include "testing/transport/held_control.h"
#include "testing/transport/http_client.h"

namespace devloop::http {
namespace {

namespace d = ::devloop::domain;
using ::devloop::testing::HeldControl;
using ::devloop::testing::RawHttpClient;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kStart[] = "Starting devloop: {Version:test ConfigVersion:skaffold/v4beta13}";

d::LogEntry Numbered(int n) {
  return d::LogEntry{absl::FromUnixSeconds(1'700'000'000), d::DevLoopEvent{n, "In Progress"},
                     absl::StrCat("entry ", n)};
}

std::string NumberedLine(int n) {
  return absl::StrCat(
      R"({"result":{"timestamp":"2023-11-14T22:13:20Z","event":{"devLoopEvent":{"iteration":)", n,
      R"(,"status":"In Progress","err":null}},"entry":"entry )", n, "\"}}\n");
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_.Append(d::PipelineStarted{{"leeroy-web"}});
    hub_.Append(d::LogEntry{absl::FromUnixNanos(1795389614577791139),
                            d::MetaEvent{kStart, std::nullopt}, kStart});
    Start(HttpServer::Options{.port = 0});
  }

  void Start(HttpServer::Options options, control::Control* control = nullptr) {
    auto server = HttpServer::Start(options, &hub_, control ? control : &control_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    port_ = server_->port();
  }

  void TearDown() override {
    hub_.Close();
    if (server_) server_->Shutdown(absl::Seconds(5));
  }

  RawHttpClient::Response Fetch(absl::string_view method, absl::string_view target,
                                absl::string_view body = "") {
    absl::StatusOr<RawHttpClient::Response> r =
        RawHttpClient::Fetch(port_, method, target, body);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RawHttpClient::Response{};
  }

  void ExpectAlive() {
    RawHttpClient::Response r = Fetch("GET", "/v1/state");
    EXPECT_EQ(r.status, 200) << "server not answering after bad input";
  }

  hub::Hub hub_;
  control::HubControl control_{&hub_, {[] { return absl::FromUnixSeconds(1'700'000'000); }}};
  HeldControl held_;  // outlives the server
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

TEST_F(HttpServerTest, StateIsTheExactJsonOfTheKnownPipelineState) {
  hub_.Append(d::LogEntry{absl::UnixEpoch(), d::BuildEvent{"leeroy-web", "Complete"}, ""});
  hub_.Append(d::LogEntry{absl::UnixEpoch(), d::DeployEvent{"Complete"}, ""});
  hub_.Append(d::LogEntry{absl::UnixEpoch(),
                          d::PortEvent{9000, 8080, "", "", "default", "", "deployment",
                                       "leeroy-web", "127.0.0.1"},
                          ""});
  RawHttpClient::Response r = Fetch("GET", "/v1/state");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
  EXPECT_EQ(
      r.body,
      R"({"buildState":{"artifacts":{"leeroy-web":"Complete"},"autoTrigger":true,)"
      R"("statusCode":"BUILD_SUCCESS"},)"
      R"("deployState":{"status":"Complete","autoTrigger":true,"statusCode":"DEPLOY_SUCCESS"},)"
      R"("forwardedPorts":{"9000":{"localPort":9000,"remotePort":8080,"podName":"",)"
      R"("containerName":"","namespace":"default","portName":"","resourceType":"deployment",)"
      R"("resourceName":"leeroy-web","address":"127.0.0.1","targetPort":null}},)"
      R"("statusCheckState":{"status":"Not Started","resources":{},"statusCode":"OK"},)"
      R"("fileSyncState":{"status":"Not Started","autoTrigger":true},)"
      R"("debuggingContainers":[],)"
      R"("metadata":{"build":null,"deploy":null,"test":null,"additional":{}},)"
      R"("testState":{"status":"Not Started","statusCode":"OK"}})");
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*c)->Send("GET /v1/state HTTP/1.1\r\nHost: x\r\n\r\n").ok());
    auto r = (*c)->ReadResponse();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_THAT(r->body, StartsWith(R"({"buildState":)"));
  }
  // Connection: close is honoured.
  ASSERT_TRUE((*c)->Send("GET /v1/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok());
  ASSERT_TRUE((*c)->ReadResponse().ok());
  EXPECT_TRUE((*c)->PeerClosed());
}

TEST_F(HttpServerTest, EventsStreamsChunkedLinesHistoryThenLive) {
  for (int i = 1; i <= 2; ++i) hub_.Append(Numbered(i));
  auto c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  auto head = (*c)->ReadHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["content-type"], "application/json");
  EXPECT_EQ(head->headers["transfer-encoding"], "chunked");
  EXPECT_EQ((*c)->ReadLine().value(),
            absl::StrCat(R"({"result":{"timestamp":"2026-11-22T23:20:14.577791139Z","event":)",
                         R"({"metaEvent":{"entry":")", kStart, R"(","metadata":null}},"entry":")",
                         kStart, "\"}}\n"));
  EXPECT_EQ((*c)->ReadLine().value(), NumberedLine(1));
  EXPECT_EQ((*c)->ReadLine().value(), NumberedLine(2));

  // While the stream is open, other connections come and go.
  EXPECT_EQ(Fetch("GET", "/v1/state").status, 200);
  EXPECT_EQ(Fetch("PUT", "/v1/build/auto_execute", R"({"enabled": false})").status, 200);

  for (int i = 3; i <= 300; ++i) hub_.Append(Numbered(i));
  for (int i = 3; i <= 300; ++i) ASSERT_EQ((*c)->ReadLine().value(), NumberedLine(i));

  hub_.Close();  // the stream ends with the final chunk, then the connection closes
  EXPECT_EQ((*c)->ReadLine().status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*c)->PeerClosed());
}

TEST_F(HttpServerTest, EventLogIsTheSameStream) {
  hub_.Append(Numbered(1));
  auto c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send("GET /v1/event_log HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ASSERT_EQ((*c)->ReadHead()->status, 200);
  EXPECT_THAT((*c)->ReadLine().value(), HasSubstr("metaEvent"));
  EXPECT_EQ((*c)->ReadLine().value(), NumberedLine(1));
}

TEST_F(HttpServerTest, ManySubscribersEachGetEveryLineInOrder) {
  constexpr int kSubscribers = 30;
  constexpr int kEntries = 400;
  std::vector<std::thread> readers;
  std::vector<int> good(kSubscribers, 0);
  for (int s = 0; s < kSubscribers; ++s) {
    readers.emplace_back([this, s, &good] {
      auto c = RawHttpClient::Connect(port_);
      ASSERT_TRUE(c.ok());
      ASSERT_TRUE((*c)->Send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n").ok());
      ASSERT_EQ((*c)->ReadHead()->status, 200);
      ASSERT_TRUE((*c)->ReadLine().ok());  // the meta event
      for (int i = 0; i < kEntries; ++i) {
        absl::StatusOr<std::string> line = (*c)->ReadLine();
        ASSERT_TRUE(line.ok()) << line.status();
        ASSERT_EQ(*line, NumberedLine(i));
        ++good[s];
      }
      EXPECT_EQ((*c)->ReadLine().status().code(), absl::StatusCode::kNotFound);
    });
  }
  for (int i = 0; i < kEntries; ++i) hub_.Append(Numbered(i));
  hub_.Close();
  for (auto& t : readers) t.join();
  for (int s = 0; s < kSubscribers; ++s) EXPECT_EQ(good[s], kEntries) << "subscriber " << s;
}

TEST_F(HttpServerTest, ControlCallsAnswerAsTheGatewayDoes) {
  // The seed's curl bodies.
  RawHttpClient::Response r = Fetch("POST", "/v1/execute", R"({"build": true})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(Fetch("POST", "/v1/execute", R"({"build": true, "deploy": true})").status, 200);
  EXPECT_EQ(Fetch("POST", "/v1/execute", "").status, 200);
  EXPECT_EQ(Fetch("POST", "/v1/execute", "{}").status, 200);
  EXPECT_EQ(Fetch("POST", "/v1/execute", R"({"build": true, "unknownField": 1})").status, 200);

  r = Fetch("PUT", "/v1/deploy/auto_execute", R"({"enabled": false})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  EXPECT_FALSE(hub_.State()->state.deploy_state.auto_trigger);

  r = Fetch("PUT", "/v1/sync/auto_execute", R"({"enabled": true})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, R"({"code":6,"message":"auto sync is already set to true","details":[]})");

  r = Fetch("PUT", "/v1/build/auto_execute", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"code":3,"message":"missing required boolean parameter 'enabled'","details":[]})");

  r = Fetch("POST", "/v1/events/handle",
            R"({"buildEvent":{"artifact":"leeroy-web","status":"In Progress"}})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(hub_.State()->state.build_state.artifacts.at("leeroy-web"), "In Progress");
  EXPECT_EQ(hub_.size(), 2);
}

struct BadInput {
  const char* name;
  std::string request;  // raw bytes sent
  int status;
  int code;             // gRPC code in the JSON error body
  const char* message;  // a substring of the message
};

class BadInputTest : public HttpServerTest, public ::testing::WithParamInterface<BadInput> {};

std::string Request(absl::string_view method, absl::string_view target,
                    absl::string_view body) {
  return absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: x\r\nContent-Length: ",
                      body.size(), "\r\n\r\n", body);
}

TEST_P(BadInputTest, AnswersA4xxJsonErrorAndStaysUp) {
  const BadInput& in = GetParam();
  auto c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send(in.request).ok());
  absl::StatusOr<RawHttpClient::Response> r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, in.status);
  EXPECT_EQ(r->headers["content-type"], "application/json");
  EXPECT_THAT(r->body, StartsWith(absl::StrCat("{\"code\":", in.code, ",\"message\":\"")));
  EXPECT_THAT(r->body, HasSubstr(in.message));
  EXPECT_THAT(r->body, HasSubstr(R"(,"details":[]})"));
  ExpectAlive();
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadInputTest,
    ::testing::Values(
        BadInput{"MalformedJson", Request("POST", "/v1/execute", R"({"build":)"), 400, 3,
                 "invalid JSON"},
        BadInput{"NotAnObject", Request("POST", "/v1/execute", "[1,2]"), 400, 3, "invalid JSON"},
        BadInput{"WrongTypeString", Request("POST", "/v1/execute", R"({"build":"yes"})"), 400, 3,
                 "expected a boolean"},
        BadInput{"WrongTypeTrigger",
                 Request("PUT", "/v1/sync/auto_execute", R"({"enabled":"true"})"), 400, 3,
                 "expected a boolean"},
        BadInput{"EnabledNull", Request("PUT", "/v1/sync/auto_execute", R"({"enabled":null})"),
                 400, 3, "missing required boolean parameter 'enabled'"},
        BadInput{"HandleWrongType",
                 Request("POST", "/v1/events/handle", R"({"buildEvent":{"artifact":7}})"), 400,
                 3, "expected a string"},
        BadInput{"HandleUnknownCode",
                 Request("POST", "/v1/events/handle", R"({"buildEvent":{"errCode":4242}})"), 400,
                 3, "unknown status code 4242"},
        BadInput{"HandleNoEvent", Request("POST", "/v1/events/handle", "{}"), 400, 3,
                 "no event set"},
        BadInput{"WrongMethod", Request("DELETE", "/v1/state", ""), 501, 12,
                 "Method Not Allowed"},
        BadInput{"PostToState", Request("POST", "/v1/state", "{}"), 501, 12,
                 "Method Not Allowed"},
        BadInput{"GetControl", Request("GET", "/v1/execute", ""), 501, 12,
                 "Method Not Allowed"},
        BadInput{"Options", Request("OPTIONS", "/v1/execute", ""), 501, 12,
                 "Method Not Allowed"},
        BadInput{"UnknownPath", Request("GET", "/v1/nothing", ""), 404, 5, "Not Found"},
        BadInput{"UnknownPage", Request("GET", "/about", ""), 404, 5, "Not Found"},
        BadInput{"TrailingSlash", Request("GET", "/v1/state/", ""), 404, 5, "Not Found"},
        BadInput{"DoubleSlash", Request("GET", "//v1/state", ""), 404, 5, "Not Found"},
        BadInput{"DotDot", Request("GET", "/v1/../v1/state", ""), 404, 5, "Not Found"},
        BadInput{"Encoded", Request("GET", "/v1/%73tate", ""), 404, 5, "Not Found"},
        BadInput{"HugeBody",
                 absl::StrCat("POST /v1/execute HTTP/1.1\r\nHost: x\r\nContent-Length: ",
                              (1 << 20) + 1, "\r\n\r\n", std::string(4096, ' ')),
                 413, 3, "request body exceeds the limit of 1048576 bytes"},
        BadInput{"HugeHeader",
                 absl::StrCat("GET /v1/state HTTP/1.1\r\nHost: x\r\nX-Big: ",
                              std::string(20000, 'a'), "\r\n\r\n"),
                 431, 3, "request headers exceed"},
        BadInput{"GarbageRequestLine", "HELLO THERE\r\n\r\n", 400, 3, "malformed HTTP request"},
        BadInput{"BadContentLength",
                 "POST /v1/execute HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, 3,
                 "malformed HTTP request"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST_F(HttpServerTest, HeadersThatNeverFinishTimeOutWith408) {
  server_->Shutdown(absl::Seconds(1));
  Start(HttpServer::Options{.port = 0, .request_timeout = absl::Milliseconds(200)});
  auto c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send("GET /v1/state HTTP/1.1\r\nHost: x\r\nX-Slow: ").ok());
  absl::StatusOr<RawHttpClient::Response> r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 408);
  EXPECT_THAT(r->body, HasSubstr("request not received in full"));
  EXPECT_TRUE((*c)->PeerClosed());
  ExpectAlive();
}

TEST_F(HttpServerTest, StuckEventsReaderIsClosedOthersGetEverything) {
  server_->Shutdown(absl::Seconds(1));
  // Long enough that the reader that does read is never taken for a stuck one
  // on a loaded machine or under a sanitizer (300 ms was not, under ASan; 1 s
  // was not with eight TSan runs at once on two cores).
  constexpr absl::Duration kStall = absl::Seconds(3);
  Start(HttpServer::Options{.port = 0, .stall_timeout = kStall});
  auto stuck = RawHttpClient::Connect(port_);
  ASSERT_TRUE(stuck.ok());
  ASSERT_TRUE((*stuck)->Send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ASSERT_EQ((*stuck)->ReadHead()->status, 200);
  // 40 MB: more than loopback socket buffers can absorb, so the server's writes
  // to the reader that reads nothing stall.
  const std::string big(8192, 'x');
  constexpr int kEntries = 5000;
  auto reader = RawHttpClient::Connect(port_);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reader)->Send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ASSERT_EQ((*reader)->ReadHead()->status, 200);
  std::thread publisher([&] {
    for (int i = 0; i < kEntries; ++i) {
      hub_.Append(d::LogEntry{absl::UnixEpoch(), d::DevLoopEvent{i, big}, ""});
    }
  });
  int read = 0;
  while (read < kEntries + 1 && (*reader)->ReadLine().ok()) ++read;
  publisher.join();
  EXPECT_EQ(read, kEntries + 1);
  // The stuck reader has read nothing for longer than the stall timeout by
  // now (its socket filled up early on): its stream is cut before its end,
  // with no final chunk.
  absl::SleepFor(2 * kStall);
  absl::Status end;
  int stuck_read = 0;
  while (true) {
    absl::StatusOr<std::string> line = (*stuck)->ReadLine();
    if (!line.ok()) {
      end = line.status();
      break;
    }
    ++stuck_read;
  }
  EXPECT_LT(stuck_read, kEntries + 1);
  EXPECT_EQ(end.code(), absl::StatusCode::kOutOfRange) << end;  // closed, not ended
}

TEST_F(HttpServerTest, TakenPortFallsBackToTheNextFreeOne) {
  auto second = HttpServer::Start(HttpServer::Options{.port = port_}, &hub_, &control_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT((*second)->port(), port_);
  auto r = RawHttpClient::Fetch((*second)->port(), "GET", "/v1/state");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  (*second)->Shutdown(absl::Seconds(1));
}

TEST_F(HttpServerTest, ShutdownClosesOpenStreamsAndIdleConnections) {
  auto idle = RawHttpClient::Connect(port_);
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE((*idle)->Send("GET /v1/state HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ASSERT_TRUE((*idle)->ReadResponse().ok());
  auto stream = RawHttpClient::Connect(port_);
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE((*stream)->Send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ASSERT_EQ((*stream)->ReadHead()->status, 200);
  ASSERT_TRUE((*stream)->ReadLine().ok());
  server_->Shutdown(absl::Milliseconds(100));  // without closing the hub first
  EXPECT_TRUE((*idle)->PeerClosed());
  EXPECT_FALSE((*stream)->ReadLine().ok());
  EXPECT_FALSE(RawHttpClient::Connect(port_).ok());
}

// What the held control answers: AlreadyExists for a toggle to true (as if it
// were on already, with the contract's message), OK for everything else.
absl::Status HeldAnswer(const HeldControl::Call& call) {
  if (call.kind == HeldControl::Call::Kind::kSetAutoTrigger && call.enabled) {
    std::ostringstream phase;
    phase << call.phase;
    return absl::AlreadyExistsError(absl::StrCat("auto ", phase.str(), " is already set to true"));
  }
  return absl::OkStatus();
}

TEST_F(HttpServerTest, ControlCallsWaitOnNoThreadAndAnswerWhenReleased) {
  server_->Shutdown(absl::Seconds(1));
  Start(HttpServer::Options{.port = 0, .threads = 2}, &held_);
  // Far more requests than the server has threads: if any request held a
  // thread until the control port answered, the rest could not all reach it.
  constexpr int kRequests = 64;
  const char* const kPhases[] = {"build", "sync", "deploy"};
  std::vector<std::unique_ptr<RawHttpClient>> clients;
  for (int i = 0; i < kRequests; ++i) {
    auto c = RawHttpClient::Connect(port_);
    ASSERT_TRUE(c.ok()) << c.status();
    std::string request =
        i % 2 == 0 ? Request("POST", "/v1/execute", R"({"build": true})")
                   : Request("PUT", absl::StrCat("/v1/", kPhases[i % 3], "/auto_execute"),
                             i % 4 == 1 ? R"({"enabled": true})" : R"({"enabled": false})");
    ASSERT_TRUE((*c)->Send(request).ok());
    clients.push_back(*std::move(c));
  }
  ASSERT_TRUE(held_.AwaitHeld(kRequests)) << "held " << held_.held() << " of " << kRequests;

  // Every control request is outstanding, and the server still answers.
  RawHttpClient::Response state = Fetch("GET", "/v1/state");
  EXPECT_EQ(state.status, 200);
  EXPECT_THAT(state.body, StartsWith(R"({"buildState":)"));

  // The answers come from another thread, as the dev loop's executor gives them.
  std::thread releaser([this] { held_.ReleaseAll(HeldAnswer); });
  for (int i = 0; i < kRequests; ++i) {
    absl::StatusOr<RawHttpClient::Response> r = clients[i]->ReadResponse();
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << r.status();
    EXPECT_EQ(r->headers["content-type"], "application/json");
    if (i % 4 == 1) {
      EXPECT_EQ(r->status, 409) << "request " << i;
      EXPECT_EQ(r->body, absl::StrCat(R"({"code":6,"message":"auto )", kPhases[i % 3],
                                      R"( is already set to true","details":[]})"))
          << "request " << i;
    } else {
      EXPECT_EQ(r->status, 200) << "request " << i;
      EXPECT_EQ(r->body, "{}") << "request " << i;
    }
  }
  releaser.join();
  int executes = 0;
  for (const HeldControl::Call& c : held_.calls()) {
    if (c.kind == HeldControl::Call::Kind::kExecute) {
      ++executes;
      EXPECT_EQ(c.intent, (control::Intent{.build = true}));
    }
  }
  EXPECT_EQ(executes, kRequests / 2);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrderWhileAControlCallWaits) {
  server_->Shutdown(absl::Seconds(1));
  Start(HttpServer::Options{.port = 0}, &held_);
  auto c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok());
  // Both requests in one write: the state request is in the server's buffer
  // while the toggle waits for the control port.
  ASSERT_TRUE(
      (*c)->Send(absl::StrCat(Request("PUT", "/v1/sync/auto_execute", R"({"enabled":true})"),
                              "GET /v1/state HTTP/1.1\r\nHost: x\r\n\r\n"))
          .ok());
  ASSERT_TRUE(held_.AwaitHeld(1));
  std::thread releaser([this] { held_.ReleaseAll(HeldAnswer); });
  absl::StatusOr<RawHttpClient::Response> first = (*c)->ReadResponse();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->status, 409);
  EXPECT_EQ(first->body, R"({"code":6,"message":"auto sync is already set to true","details":[]})");
  absl::StatusOr<RawHttpClient::Response> second = (*c)->ReadResponse();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->status, 200);
  EXPECT_THAT(second->body, StartsWith(R"({"buildState":)"));
  releaser.join();
}

TEST_F(HttpServerTest, UnansweredControlCallIs503AndItsLateAnswerIsDropped) {
  server_->Shutdown(absl::Seconds(1));
  Start(HttpServer::Options{.port = 0, .control_timeout = absl::Milliseconds(200)}, &held_);
  auto c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send(Request("POST", "/v1/execute", R"({"deploy": true})")).ok());
  absl::StatusOr<RawHttpClient::Response> r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->headers["content-type"], "application/json");
  EXPECT_EQ(r->body,
            R"({"code":14,"message":"the dev loop did not answer within 200ms: it may be busy )"
            R"(or stuck; try again","details":[]})");
  ASSERT_EQ(held_.held(), 1u);

  // The answer comes after all, while the connection waits for its next request.
  std::thread releaser([this] { held_.ReleaseAll(HeldAnswer); });
  releaser.join();
  // The connection stays in step: its next response is the next request's.
  ASSERT_TRUE((*c)->Send("GET /v1/state HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, StartsWith(R"({"buildState":)"));

  // A request whose client is gone by the time of its timeout and its answer.
  {
    auto gone = RawHttpClient::Connect(port_);
    ASSERT_TRUE(gone.ok());
    ASSERT_TRUE(
        (*gone)->Send(Request("PUT", "/v1/build/auto_execute", R"({"enabled":false})")).ok());
    ASSERT_TRUE(held_.AwaitHeld(1));
  }
  // Whichever comes first for it, the timeout's 503 or the answer, the server
  // goes on serving others.
  EXPECT_EQ(Fetch("GET", "/v1/state").status, 200);
  held_.ReleaseAll(HeldAnswer);
  EXPECT_EQ(Fetch("GET", "/v1/state").status, 200);
}

TEST_F(HttpServerTest, ShutdownAnswersWaitingControlCalls503AndALaterAnswerIsHarmless) {
  server_->Shutdown(absl::Seconds(1));
  Start(HttpServer::Options{.port = 0}, &held_);
  auto c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send(Request("POST", "/v1/events/handle",
                                 R"({"buildEvent":{"artifact":"leeroy-web","status":"x"}})"))
                  .ok());
  ASSERT_TRUE(held_.AwaitHeld(1));
  ASSERT_EQ(held_.calls()[0].kind, HeldControl::Call::Kind::kHandle);
  server_->Shutdown(absl::Milliseconds(100));
  absl::StatusOr<RawHttpClient::Response> r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, R"({"code":14,"message":"devloop is shutting down","details":[]})");
  EXPECT_TRUE((*c)->PeerClosed());
  server_.reset();
  // The server is gone; the answer arrives now, from another thread, and
  // touches nothing (ASan: `bazel test --config=asan //infra/http/...`).
  std::thread releaser([this] { held_.ReleaseAll(HeldAnswer); });
  releaser.join();
}

// ---- The dashboard, and requests from other sites

// Sends `request` (raw bytes) on a fresh connection and reads the answer.
RawHttpClient::Response Raw(int port, const std::string& request) {
  absl::StatusOr<std::unique_ptr<RawHttpClient>> c = RawHttpClient::Connect(port);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return {};
  EXPECT_TRUE((*c)->Send(request).ok());
  absl::StatusOr<RawHttpClient::Response> r = (*c)->ReadResponse();
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : RawHttpClient::Response{};
}

TEST_F(HttpServerTest, ServesTheDashboardWithItsHeaders) {
  RawHttpClient::Response page = Fetch("GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(page.headers["cache-control"], "no-cache");
  EXPECT_EQ(page.headers["x-content-type-options"], "nosniff");
  EXPECT_THAT(page.headers["content-security-policy"],
              ::testing::AllOf(HasSubstr("default-src 'none'"), HasSubstr("script-src 'self'"),
                               HasSubstr("connect-src 'self'"),
                               HasSubstr("frame-ancestors 'none'")));
  EXPECT_THAT(page.body, HasSubstr("<script src=\"/dashboard.js\" defer></script>"));
  EXPECT_EQ(Fetch("GET", "/index.html").body, page.body);
  RawHttpClient::Response js = Fetch("GET", "/dashboard.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_THAT(js.body, HasSubstr("follow('/v1/events'"));
  EXPECT_EQ(Fetch("GET", "/dashboard.css").headers["content-type"], "text/css; charset=utf-8");
  EXPECT_EQ(Fetch("POST", "/").status, 501);
  EXPECT_EQ(Fetch("GET", "/favicon.svg").headers["content-type"], "image/svg+xml");
  EXPECT_EQ(Fetch("GET", "/favicon.ico").status, 404);

  // A browser revalidating its copy gets 304 and no body.
  const std::string etag = page.headers["etag"];
  ASSERT_FALSE(etag.empty());
  RawHttpClient::Response again =
      Raw(port_, absl::StrCat("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: ", etag,
                              "\r\n\r\n"));
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
}

TEST_F(HttpServerTest, HeadOfADashboardFileIsItsHeadersWithoutTheBody) {
  RawHttpClient::Response page = Fetch("GET", "/dashboard.js");
  ASSERT_EQ(page.status, 200);
  absl::StatusOr<std::unique_ptr<RawHttpClient>> c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->Send("HEAD /dashboard.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").ok());
  absl::StatusOr<RawHttpClient::Response> head = (*c)->ReadHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["content-length"], absl::StrCat(page.body.size()));
  EXPECT_EQ(head->headers["etag"], page.headers["etag"]);
  EXPECT_EQ(head->headers["content-type"], "text/javascript; charset=utf-8");
  // No body followed the head: the next answer on the connection starts clean.
  ASSERT_TRUE((*c)->Send("GET /favicon.svg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").ok());
  absl::StatusOr<RawHttpClient::Response> next = (*c)->ReadResponse();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->headers["content-type"], "image/svg+xml");
  ASSERT_TRUE((*c)->Send("HEAD /v1/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").ok());
  absl::StatusOr<RawHttpClient::Response> missing = (*c)->ReadHead();
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  ASSERT_TRUE((*c)->Send("GET /favicon.svg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").ok());
  next = (*c)->ReadResponse();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->status, 200) << "the 404's body was not sent either";
}

// A control port with work waiting for its triggers.
class PendingControl : public control::HubControl {
 public:
  using HubControl::HubControl;
  void Pending(PendingDone done) override {
    done(d::PendingWork{.builds = {"api", "web"},
                        .syncs = {{"web", {d::FileChange{"static/a \"b\".css"},
                                           d::FileChange{"old.js", /*deleted=*/true}}}},
                        .deploy = true,
                        .tests = {"web"}});
  }
};

TEST_F(HttpServerTest, PendingWorkIsServedAtDevloopsOwnPath) {
  EXPECT_EQ(Fetch("GET", "/devloop/v1/pending").body,
            R"({"builds":[],"syncs":[],"deploy":false,"tests":[]})")
      << "nothing waits in a pipeline with nothing to run";
  server_->Shutdown(absl::Seconds(5));
  PendingControl pending(&hub_);
  Start(HttpServer::Options{.port = 0}, &pending);
  RawHttpClient::Response r = Fetch("GET", "/devloop/v1/pending");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.body,
            R"({"builds":["api","web"],"syncs":[{"artifact":"web","files":[)"
            R"({"path":"static/a \"b\".css","deleted":false},{"path":"old.js","deleted":true}]}],)"
            R"("deploy":true,"tests":["web"]})");
  EXPECT_EQ(Fetch("POST", "/devloop/v1/pending").status, 501);
  server_->Shutdown(absl::Seconds(5));
  server_.reset();
}

TEST_F(HttpServerTest, ControlCallsFromAnotherSiteAreRefused) {
  const std::string host = absl::StrCat("127.0.0.1:", port_);
  auto execute = [&](const std::string& origin) {
    return Raw(port_, absl::StrCat("POST /v1/execute HTTP/1.1\r\nHost: ", host, "\r\n", origin,
                                   "Content-Type: text/plain\r\nContent-Length: 15\r\n\r\n",
                                   R"({"build": true})"));
  };
  RawHttpClient::Response foreign = execute("Origin: https://example.com\r\n");
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.body,
            absl::StrCat(R"({"code":7,"message":"a control call from a web page is accepted only )"
                         R"(from devloop's own dashboard (Origin http://)",
                         host, R"(), not from Origin https://example.com","details":[]})"));
  EXPECT_EQ(execute("Origin: null\r\n").status, 403);
  EXPECT_EQ(execute(absl::StrCat("Origin: http://", host, "\r\n")).status, 200)
      << "the dashboard's own";
  EXPECT_EQ(execute("").status, 200) << "no Origin: not a browser";
  RawHttpClient::Response toggle =
      Raw(port_, absl::StrCat("PUT /v1/build/auto_execute HTTP/1.1\r\nHost: ", host,
                              "\r\nOrigin: http://localhost:1\r\nContent-Length: 16\r\n\r\n",
                              R"({"enabled":true})"));
  EXPECT_EQ(toggle.status, 403);

  // No CORS header lets another origin read an answer.
  RawHttpClient::Response state = Raw(
      port_, absl::StrCat("GET /v1/state HTTP/1.1\r\nHost: ", host,
                          "\r\nOrigin: https://example.com\r\n\r\n"));
  EXPECT_EQ(state.status, 200);
  for (const auto& [name, value] : state.headers) {
    EXPECT_FALSE(absl::StartsWith(name, "access-control-")) << name << ": " << value;
  }
}

TEST_F(HttpServerTest, ARebindingHostNameIsRefused) {
  for (const std::string name : {"evil.example:50052", "attacker.test"}) {
    RawHttpClient::Response r =
        Raw(port_, absl::StrCat("GET /v1/state HTTP/1.1\r\nHost: ", name, "\r\n\r\n"));
    EXPECT_EQ(r.status, 403) << name;
    EXPECT_THAT(r.body, HasSubstr("is a DNS name: devloop's API answers localhost and IP "
                                  "addresses only"))
        << name;
  }
  for (const std::string name : {"localhost:1", "127.0.0.1", "[::1]:50052", "app.localhost",
                                 "LOCALHOST", "devbox"}) {
    EXPECT_EQ(Raw(port_, absl::StrCat("GET /v1/state HTTP/1.1\r\nHost: ", name, "\r\n\r\n"))
                  .status,
              200)
        << name;
  }
}

// ---- GET /v2/applicationLogs

TEST_F(HttpServerTest, ApplicationLogsStreamWhatIsKeptThenLiveLines) {
  hub::AppLogs logs({.keep_lines = 2});
  auto line = [](std::string message) {
    return hub::AppLogs::Line{.time = absl::FromUnixSeconds(1'700'000'000),
                              .container_name = "web",
                              .prefix = "[web]",
                              .message = message,
                              .rich_message = "[web] " + message};
  };
  auto json = [](const std::string& message) {
    return absl::StrCat(R"({"result":{"timestamp":"2023-11-14T22:13:20Z","applicationLogEvent":)",
                        R"({"containerName":"web","podName":"","prefix":"[web]","message":")",
                        message, R"(","richFormattedMessage":"[web] )", message, "\"}}}\n");
  };
  for (const char* m : {"forgotten", "one", "two"}) logs.Append(line(m));
  server_->Shutdown(absl::Seconds(5));  // the fixture's, without application logs
  Start(HttpServer::Options{.port = 0, .application_logs = &logs});
  auto c = RawHttpClient::Connect(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send("GET /v2/applicationLogs HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  auto head = (*c)->ReadHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ((*c)->ReadLine().value(), json("one")) << "only what is kept";
  EXPECT_EQ((*c)->ReadLine().value(), json("two"));
  logs.Append(line("three"));
  EXPECT_EQ((*c)->ReadLine().value(), json("three"));
  logs.Close();
  EXPECT_EQ((*c)->ReadLine().status().code(), absl::StatusCode::kNotFound);
  server_->Shutdown(absl::Seconds(5));
  server_.reset();  // before `logs` goes
}

TEST_F(HttpServerTest, WithoutApplicationLogsTheV2PathIsNotServed) {
  EXPECT_EQ(Fetch("GET", "/v2/applicationLogs").status, 404);
  EXPECT_EQ(Fetch("GET", "/v2/state").status, 404);
}

}  // namespace
}  // namespace devloop::http
