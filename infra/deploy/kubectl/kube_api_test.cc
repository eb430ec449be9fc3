// KubeApi against a stand-in for `kubectl proxy` (testdata/
// fake_kubectl_proxy.py, a real process serving HTTP on the unix socket it is
// given): what a Get returns, how the proxy is started once and again after it
// ended, and what is left after Stop. The real proxy against the test cluster
// is exercised by the deployer's contract suite (testing/deploy).
#include "infra/deploy/kubectl/kube_api.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::deploy::kubectl {
namespace {

using ::testing::HasSubstr;

class KubeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = std::string(std::getenv("TEST_TMPDIR")) + "/starts.log";
    unlink(log_.c_str());
    setenv("FAKE_KUBECTL_LOG", log_.c_str(), 1);
    unsetenv("FAKE_KUBECTL_FAIL");
    options_.binary = std::string(std::getenv("TEST_SRCDIR")) +
                      "/devloop/infra/deploy/kubectl/testdata/fake_kubectl_proxy.py";
  }

  // The socket paths the proxies were started with, in order.
  std::vector<std::string> Sockets() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  }

  std::string log_;
  KubectlOptions options_;
  process::PosixProcessRunner runner_;
};

TEST_F(KubeApiTest, GetsThroughOneProxyStartedOnFirstUse) {
  KubectlCli kubectl(&runner_, options_);
  KubeApi api(&kubectl);
  EXPECT_EQ(api.started(), 0);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<json::Json> got = api.Get("/api/v1/namespaces/dev/pods?labelSelector=a%3Db");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ((*got)["path"].AsString(), "/api/v1/namespaces/dev/pods?labelSelector=a%3Db");
    EXPECT_EQ((*got)["items"].elements().size(), 1u);
  }
  EXPECT_EQ(api.started(), 1);
  ASSERT_EQ(Sockets().size(), 1u);
  EXPECT_EQ(access(Sockets()[0].c_str(), F_OK), 0);
}

TEST_F(KubeApiTest, AnAnswerOtherThan200CarriesTheServersMessage) {
  KubectlCli kubectl(&runner_, options_);
  KubeApi api(&kubectl);
  absl::StatusOr<json::Json> got = api.Get("/fail");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(got.status().message(), HasSubstr("500"));
  EXPECT_THAT(got.status().message(), HasSubstr("etcdserver: request timed out"));
}

TEST_F(KubeApiTest, AProxyThatEndedIsStartedAgainAfterThePause) {
  KubectlCli kubectl(&runner_, options_);
  KubeApi api(&kubectl, /*restart_pause=*/absl::Milliseconds(300));
  ASSERT_TRUE(api.Get("/version").ok());
  api.Get("/quit").IgnoreError();
  // Until the proxy is seen to have ended, a Get fails; after the pause a new
  // one serves.
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  absl::StatusOr<json::Json> got = absl::UnknownError("not tried");
  while (absl::Now() < give_up) {
    got = api.Get("/version");
    if (got.ok() && api.started() == 2) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(api.started(), 2);
  std::vector<std::string> sockets = Sockets();
  ASSERT_EQ(sockets.size(), 2u);
  // The first proxy's socket and directory are gone.
  EXPECT_NE(access(sockets[0].c_str(), F_OK), 0);
}

TEST_F(KubeApiTest, StopRemovesTheSocketAndLaterGetsFail) {
  KubectlCli kubectl(&runner_, options_);
  KubeApi api(&kubectl);
  ASSERT_TRUE(api.Get("/version").ok());
  api.Stop();
  ASSERT_EQ(Sockets().size(), 1u);
  const std::string socket = Sockets()[0];
  EXPECT_NE(access(socket.c_str(), F_OK), 0);
  EXPECT_NE(access(socket.substr(0, socket.rfind('/')).c_str(), F_OK), 0);
  EXPECT_EQ(api.Get("/version").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(api.started(), 1);
}

TEST_F(KubeApiTest, AProxyThatEndsAtOnceSaysWhatItPrinted) {
  setenv("FAKE_KUBECTL_FAIL", "error: unknown flag: --unix-socket", 1);
  KubectlCli kubectl(&runner_, options_);
  KubeApi api(&kubectl);
  absl::StatusOr<json::Json> got = api.Get("/version");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(got.status().message(), HasSubstr("unknown flag: --unix-socket"));
  // Within the pause it is not tried again.
  EXPECT_EQ(api.Get("/version").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(api.started(), 1);
}

TEST_F(KubeApiTest, AMissingKubectlIsUnavailable) {
  options_.binary = "/nonexistent/kubectl";
  KubectlCli kubectl(&runner_, options_);
  KubeApi api(&kubectl);
  absl::StatusOr<json::Json> got = api.Get("/version");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(got.status().message(), HasSubstr("/nonexistent/kubectl"));
  EXPECT_EQ(api.started(), 0);
}

TEST(QueryEscapeTest, KeepsUnreservedCharactersAndEncodesTheRest) {
  EXPECT_EQ(QueryEscape("dev.devloop.run-id=ab_1~"), "dev.devloop.run-id%3Dab_1~");
  EXPECT_EQ(QueryEscape("a,b c/d&e"), "a%2Cb%20c%2Fd%26e");
  EXPECT_EQ(QueryEscape("\xff"), "%FF");
}

}  // namespace
}  // namespace devloop::deploy::kubectl
