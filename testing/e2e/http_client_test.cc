#include "testing/e2e/http_client.h"

#include <sys/stat.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/files.h"
#include "testing/e2e/subprocess.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;

// A real HTTP server: busybox httpd serving a temp directory.
class BusyboxHttpdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("www");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    ASSERT_TRUE(WriteFile(dir_ + "/index.html", "hello from httpd\n").ok());
    absl::StatusOr<int> port = PickFreePort();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    absl::StatusOr<std::unique_ptr<Subprocess>> p = Subprocess::Start(
        {.argv = {"/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:" + std::to_string(port_), "-h",
                  dir_}});
    ASSERT_TRUE(p.ok()) << p.status();
    httpd_ = *std::move(p);
    ASSERT_TRUE(WaitForPort(port_, absl::Seconds(10)).ok()) << httpd_->Output();
  }

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> httpd_;
};

TEST_F(BusyboxHttpdTest, GetReturnsStatusHeadersAndBody) {
  absl::StatusOr<HttpResponse> r = Http(port_, "GET", "/index.html");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello from httpd\n");
  EXPECT_THAT(r->headers["content-type"], HasSubstr("text/html"));
}

TEST_F(BusyboxHttpdTest, SeesANewVersionOfAFileAtOnce) {
  ASSERT_TRUE(WriteFile(dir_ + "/index.html", "changed\n").ok());
  absl::StatusOr<HttpResponse> r = Http(port_, "GET", "/index.html");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "changed\n");
}

TEST_F(BusyboxHttpdTest, ReadsACgiAnswerWhoseHeaderLinesEndInABareLineFeed) {
  ASSERT_EQ(mkdir((dir_ + "/cgi-bin").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(dir_ + "/cgi-bin/hello.cgi",
                        "#!/bin/busybox sh\n"
                        "printf 'Content-Type: text/plain\\n\\nhello from cgi\\n'\n")
                  .ok());
  ASSERT_EQ(chmod((dir_ + "/cgi-bin/hello.cgi").c_str(), 0755), 0);
  absl::StatusOr<HttpResponse> r = Http(port_, "GET", "/cgi-bin/hello.cgi");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-type"], "text/plain");
  EXPECT_EQ(r->body, "hello from cgi\n");
}

TEST_F(BusyboxHttpdTest, MissingPathIs404) {
  absl::StatusOr<HttpResponse> r = Http(port_, "GET", "/nope");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404);
}

TEST(HttpClientTest, NothingListeningIsUnavailable) {
  absl::StatusOr<int> port = PickFreePort();
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(Http(*port, "GET", "/").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(WaitForPort(*port, absl::Milliseconds(20)).code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(DevloopProcessTest, StartsOnFreePortsWaitsForThemAndStopsWithCtrlC) {
  absl::StatusOr<std::string> dir = MakeTempDir("project");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(WriteFile(*dir + "/index.html", "api\n").ok());
  absl::StatusOr<std::unique_ptr<DevloopProcess>> d = DevloopProcess::Start(
      {.binary = Runfile("testing/e2e/fake_devloop.sh"), .dir = *dir});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_NE((*d)->grpc_port(), (*d)->http_port());
  absl::StatusOr<HttpResponse> r = Http((*d)->http_port(), "GET", "/index.html");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "api\n");  // served from the project directory
  absl::StatusOr<int> code = (*d)->Interrupt(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  EXPECT_FALSE(Http((*d)->http_port(), "GET", "/").ok());
}

TEST(DevloopProcessTest, ABinaryThatNeverListensFailsWithItsOutput) {
  absl::StatusOr<std::string> dir = MakeTempDir("project");
  ASSERT_TRUE(dir.ok());
  absl::StatusOr<std::unique_ptr<DevloopProcess>> d = DevloopProcess::Start(
      {.binary = "/bin/sh",
       .dir = *dir,
       .args = {"-c", "echo config error: no skaffold.yaml; exit 1", "devloop"},
       .startup_timeout = absl::Seconds(2)});
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("config error: no skaffold.yaml"));
  EXPECT_THAT(d.status().message(), HasSubstr("exited"));
}

}  // namespace
}  // namespace devloop::e2e
