#include "testing/debug/attach.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::debug_testing {
namespace {

using ::testing::HasSubstr;

// A one-connection fake debugger on 127.0.0.1: accepts, reads what the probe
// sends (up to `expect_bytes`, or the first chunk), then runs `reply`.
class FakeDebugger {
 public:
  FakeDebugger(size_t expect_bytes, std::function<void(int fd, const std::string& got)> reply) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listener_, 1);
    socklen_t len = sizeof(addr);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, expect_bytes, reply] {
      int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      char buf[4096];
      while (got_.size() < expect_bytes || got_.empty()) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) break;
        got_.append(buf, n);
        if (expect_bytes == 0) break;
      }
      reply(fd, got_);
      close(fd);
    });
  }
  ~FakeDebugger() {
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
  }

  int port() const { return port_; }
  // What the probe sent; read after the probe returned.
  const std::string& got() const { return got_; }

 private:
  int listener_;
  int port_ = 0;
  std::string got_;
  std::thread thread_;
};

void Write(int fd, absl::string_view s) { send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

std::string Dap(absl::string_view body) {
  return absl::StrCat("Content-Length: ", body.size(), "\r\n\r\n", body);
}

TEST(ProbeDelveTest, AcceptsAStateResult) {
  FakeDebugger fake(0, [](int fd, const std::string&) {
    Write(fd, R"({"id":1,"result":{"State":{"Running":true}},"error":null})" "\n");
  });
  EXPECT_TRUE(ProbeDelve(fake.port()).ok());
  EXPECT_THAT(fake.got(), HasSubstr(R"("method":"RPCServer.State")"));
  EXPECT_THAT(fake.got(), HasSubstr(R"({"NonBlocking":true})"));
}

TEST(ProbeDelveTest, ReportsDelvesError) {
  FakeDebugger fake(0, [](int fd, const std::string&) {
    Write(fd, R"({"id":1,"result":null,"error":"Process 7 has exited with status 0"})" "\n");
  });
  absl::Status s = ProbeDelve(fake.port());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("has exited"));
}

TEST(ProbeDelveTest, RejectsAnotherProtocol) {
  FakeDebugger fake(0, [](int fd, const std::string&) { Write(fd, "HTTP/1.1 400 Bad\r\n\r\n\n"); });
  EXPECT_EQ(ProbeDelve(fake.port()).code(), absl::StatusCode::kDataLoss);
}

TEST(ProbeDebugpyTest, SkipsEventsUntilTheInitializeResponse) {
  FakeDebugger fake(0, [](int fd, const std::string&) {
    Write(fd, Dap(R"({"seq":1,"type":"event","event":"output","body":{}})") +
                  Dap(R"({"seq":2,"type":"response","request_seq":1,"command":"initialize",)"
                      R"("success":true,"body":{}})"));
  });
  absl::Status s = ProbeDebugpy(fake.port());
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(fake.got(), HasSubstr("Content-Length: "));
  EXPECT_THAT(fake.got(), HasSubstr(R"("adapterID":"devloop")"));
}

TEST(ProbeDebugpyTest, ReportsARefusal) {
  FakeDebugger fake(0, [](int fd, const std::string&) {
    Write(fd, Dap(R"({"type":"response","command":"initialize","success":false,)"
                  R"("message":"already initialized"})"));
  });
  absl::Status s = ProbeDebugpy(fake.port());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("already initialized"));
}

TEST(ProbeNodeInspectorTest, AcceptsNodesVersionWithoutWaitingForEof) {
  FakeDebugger fake(0, [](int fd, const std::string&) {
    std::string body = R"({"Browser": "node.js/v18.20.4", "Protocol-Version": "1.1"})";
    Write(fd, absl::StrCat("HTTP/1.0 200 OK\r\nContent-Length: ", body.size(), "\r\n\r\n", body));
    // As Node does, keep the connection open: the probe must not wait for EOF.
    usleep(1500 * 1000);
  });
  absl::Status s = ProbeNodeInspector(fake.port(), absl::Seconds(1));
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(fake.got(), HasSubstr("GET /json/version "));
}

TEST(ProbeNodeInspectorTest, RejectsAnotherBrowser) {
  FakeDebugger fake(0, [](int fd, const std::string&) {
    Write(fd, "HTTP/1.0 200 OK\r\n\r\n{\"Browser\": \"Chrome/120\"}");
  });
  EXPECT_EQ(ProbeNodeInspector(fake.port()).code(), absl::StatusCode::kDataLoss);
}

TEST(ProbeJdwpTest, AcceptsTheEchoedHandshake) {
  FakeDebugger fake(14, [](int fd, const std::string& got) { Write(fd, got); });
  EXPECT_TRUE(ProbeJdwp(fake.port()).ok());
  EXPECT_EQ(fake.got(), "JDWP-Handshake");
}

TEST(ProbeJdwpTest, RejectsAnotherAnswer) {
  FakeDebugger fake(14, [](int fd, const std::string&) { Write(fd, "SSH-2.0-OpenSSH_9"); });
  EXPECT_EQ(ProbeJdwp(fake.port()).code(), absl::StatusCode::kDataLoss);
}

TEST(ProbeTest, APortThatClosesAtOnceIsUnavailable) {
  // What Docker's proxy does while the debugger in the container is not up.
  FakeDebugger fake(0, [](int, const std::string&) {});
  absl::Status s = ProbeJdwp(fake.port());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("closed the connection"));
}

TEST(ProbeTest, ASilentPortTimesOut) {
  FakeDebugger fake(0, [](int, const std::string&) { usleep(500 * 1000); });
  absl::Status s = ProbeDelve(fake.port(), absl::Milliseconds(100));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(s.message(), HasSubstr("timed out"));
}

TEST(ProbeTest, NothingListeningIsUnavailable) {
  int port;
  {
    FakeDebugger fake(0, [](int, const std::string&) {});
    port = fake.port();
    // Let the fake accept and close, then its listener goes with it.
    (void)ProbeJdwp(port);
  }
  EXPECT_EQ(ProbeDelve(port).code(), absl::StatusCode::kUnavailable);
}

TEST(WaitForDebuggerTest, RetriesUntilTheProbeSucceeds) {
  int calls = 0;
  absl::Status s = WaitForDebugger(
      [&] { return ++calls < 3 ? absl::UnavailableError("not yet") : absl::OkStatus(); },
      absl::Seconds(10));
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 3);
}

TEST(WaitForDebuggerTest, GivesUpWithTheLastError) {
  absl::Status s = WaitForDebugger([] { return absl::UnavailableError("still starting"); },
                                   absl::Milliseconds(300));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(s.message(), HasSubstr("still starting"));
}

}  // namespace
}  // namespace devloop::debug_testing
