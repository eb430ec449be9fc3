#include "infra/deploy/docker/debugger_ready.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace devloop::deploy {
namespace {

// A one-connection server on loopback that reads what the client says (up to
// `expect` bytes, or what comes) and answers `reply`, then closes.
class OneShotServer {
 public:
  OneShotServer(size_t expect, std::string reply) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 1);
    thread_ = std::thread([this, expect, reply = std::move(reply)] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string got;
      char buf[1024];
      while (got.size() < expect) {
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      heard_ = got;
      if (!reply.empty()) (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  // What the client said (once the exchange is over).
  const std::string& heard() const { return heard_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::string heard_;
  std::thread thread_;
};

TEST(DebuggerAnswersTest, DelveAnswersItsState) {
  OneShotServer delve(1, R"({"id":1,"result":{"State":{"Running":true}},"error":null})" "\n");
  EXPECT_TRUE(DebuggerAnswers("dlv", delve.port(), absl::Seconds(5)).ok());
}

TEST(DebuggerAnswersTest, NodesInspectorAnswersItsVersion) {
  OneShotServer node(1, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}");
  EXPECT_TRUE(DebuggerAnswers("devtools", node.port(), absl::Seconds(5)).ok());
}

TEST(DebuggerAnswersTest, TheJvmEchoesTheHandshake) {
  OneShotServer jvm(14, "JDWP-Handshake");
  EXPECT_TRUE(DebuggerAnswers("jdwp", jvm.port(), absl::Seconds(5)).ok());
}

TEST(DebuggerAnswersTest, ADockerProxyWithNothingBehindItClosesUnanswered) {
  OneShotServer proxy(1, "");
  EXPECT_EQ(DebuggerAnswers("dlv", proxy.port(), absl::Seconds(5)).code(),
            absl::StatusCode::kUnavailable);
}

TEST(DebuggerAnswersTest, SomethingElseIsNotTakenForTheDebugger) {
  OneShotServer other(14, "HTTP/1.1 400 Bad Request\r\n\r\n");
  EXPECT_EQ(DebuggerAnswers("jdwp", other.port(), absl::Seconds(5)).code(),
            absl::StatusCode::kDataLoss);
}

TEST(DebuggerAnswersTest, DebugpyIsNeverAsked) {
  EXPECT_FALSE(CanAskDebugger("dap"));
  EXPECT_EQ(DebuggerAnswers("dap", 1, absl::Seconds(1)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DebuggerAnswersTest, NothingListeningIsUnavailable) {
  int port = 0;
  {
    OneShotServer gone(1, "x");
    port = gone.port();
    // Take its one connection, so the port is closed by the time it is asked.
    (void)DebuggerAnswers("dlv", port, absl::Seconds(2));
  }
  EXPECT_EQ(DebuggerAnswers("dlv", port, absl::Seconds(2)).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace devloop::deploy
