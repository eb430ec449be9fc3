// What a user of `devloop dev` reads on its console (testing/examples/sync, the
// real binary on the real Docker Engine): at the default verbosity no line in
// glog's shape ("I20261203 21:03:11.123456 12345 grpc_server.cc:630] ...") and
// no info line, and one plain line naming the API's ports -- the ones actually
// bound, here ephemeral ones (--rpc-port=0 --rpc-http-port=0), which the test
// then reaches over gRPC and HTTP. With -v info the servers' own lines show, in
// Skaffold's shape ("INFO[0000] gRPC server listening on 127.0.0.1:PORT").
#include <signal.h>

#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"

namespace devloop::e2e {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr absl::Duration kIteration = absl::Seconds(90);
constexpr absl::Duration kExit = absl::Seconds(10);

// The lines of `output` that match `pattern` (ECMAScript, whole-line anchors).
std::vector<std::string> LinesMatching(const std::string& output, const std::string& pattern) {
  const std::regex re(pattern);
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    const std::string l(line);
    if (std::regex_search(l, re)) out.push_back(l);
  }
  return out;
}

// A `devloop dev` on API ports of its own choosing, and where it said they are.
class ConsoleE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("sync", {"devloop-sync"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
  }

  // Starts devloop with `flags`, waits for its API line and reads the ports
  // from it.
  void StartOnEphemeralPorts(const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {Runfile("apps/devloop"), "dev", "--rpc-port=0",
                                     "--rpc-http-port=0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<std::unique_ptr<Subprocess>> p =
        Subprocess::Start({.argv = argv, .cwd = session_->dir(), .env = session_->DevloopEnv()});
    ASSERT_TRUE(p.ok()) << p.status();
    devloop_ = *std::move(p);
    const std::regex api(
        R"(API: gRPC 127\.0\.0\.1:(\d+), HTTP http://127\.0\.0\.1:(\d+) \(dashboard\)\n)");
    const absl::Time deadline = absl::Now() + kIteration;
    std::smatch m;
    std::string output;
    while (!std::regex_search(output = devloop_->Output(), m, api)) {
      ASSERT_TRUE(absl::Now() < deadline && devloop_->Running())
          << "no API line; output:\n" << output;
      absl::SleepFor(absl::Milliseconds(10));
    }
    grpc_port_ = std::stoi(m[1].str());
    http_port_ = std::stoi(m[2].str());
  }

  // Reaches both ports: the first iteration over gRPC Events, then the state
  // and the dashboard over HTTP.
  void ReachTheApi() {
    absl::StatusOr<std::unique_ptr<EventsClient>> events =
        EventsClient::Connect(absl::StrCat("127.0.0.1:", grpc_port_), absl::Seconds(10));
    ASSERT_TRUE(events.ok()) << events.status();
    absl::StatusOr<proto::LogEntry> done =
        (*events)->WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration);
    ASSERT_TRUE(done.ok()) << done.status() << "\n" << devloop_->Output();
    for (const char* path : {"/v1/state", "/"}) {
      absl::StatusOr<HttpResponse> r = Http(http_port_, "GET", path);
      ASSERT_TRUE(r.ok()) << path << ": " << r.status();
      EXPECT_EQ(r->status, 200) << path;
    }
  }

  // Ctrl-C; returns everything devloop printed (stdout and stderr).
  std::string Stop() {
    EXPECT_TRUE(devloop_->Signal(SIGINT).ok());
    absl::StatusOr<int> code = devloop_->Wait(kExit);
    EXPECT_TRUE(code.ok()) << code.status();
    if (code.ok()) {
      EXPECT_EQ(*code, 0) << devloop_->Output();
    }
    return devloop_->Output();
  }

  std::unique_ptr<DevSession> session_;
  std::unique_ptr<Subprocess> devloop_;
  int grpc_port_ = 0;
  int http_port_ = 0;
};

TEST_F(ConsoleE2eTest, DefaultVerbosityPrintsNoGlogLineAndOneApiLine) {
  ASSERT_NO_FATAL_FAILURE(StartOnEphemeralPorts({}));
  EXPECT_NE(grpc_port_, 0);
  EXPECT_NE(http_port_, 0);
  ASSERT_NO_FATAL_FAILURE(ReachTheApi());
  const std::string output = Stop();

  EXPECT_THAT(LinesMatching(output, R"(^[IWEF]\d{8} )"), IsEmpty()) << output;
  EXPECT_THAT(LinesMatching(output, R"(^INFO\[)"), IsEmpty()) << output;
  EXPECT_THAT(LinesMatching(output, "API: "),
              ElementsAre(absl::StrCat("API: gRPC 127.0.0.1:", grpc_port_,
                                       ", HTTP http://127.0.0.1:", http_port_, " (dashboard)")))
      << output;
}

TEST_F(ConsoleE2eTest, InfoVerbosityShowsTheServersLinesInSkaffoldsShape) {
  ASSERT_NO_FATAL_FAILURE(StartOnEphemeralPorts({"-v", "info"}));
  ASSERT_NO_FATAL_FAILURE(ReachTheApi());
  const std::string output = Stop();

  EXPECT_THAT(LinesMatching(output, R"(^[IWEF]\d{8} )"), IsEmpty()) << output;
  for (auto [server, port] : {std::pair{"gRPC", grpc_port_}, std::pair{"HTTP", http_port_}}) {
    EXPECT_THAT(LinesMatching(output, absl::StrCat(R"(^INFO\[\d{4}\] )", server,
                                                   R"( server listening on 127\.0\.0\.1:)", port,
                                                   "$")),
                SizeIs(1))
        << output;
  }
  EXPECT_THAT(LinesMatching(output, "API: "), SizeIs(1)) << output;
}

}  // namespace
}  // namespace devloop::e2e
