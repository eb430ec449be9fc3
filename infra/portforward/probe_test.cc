#include "infra/portforward/probe.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "gtest/gtest.h"

namespace devloop::portforward {
namespace {

// A loopback socket bound to a free port; listening or not.
class LoopbackPort {
 public:
  explicit LoopbackPort(bool listen) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (listen) ::listen(fd_, 4);
  }
  ~LoopbackPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(ProbeTcp, AListeningPortAnswers) {
  LoopbackPort port(/*listen=*/true);
  EXPECT_EQ(ProbeTcp({"127.0.0.1", port.port()}, absl::Seconds(2)), Reach::kAnswers);
}

TEST(ProbeTcp, ABoundButSilentPortRefuses) {
  // Bound, not listening: the kernel resets, and nothing else can take the port.
  LoopbackPort port(/*listen=*/false);
  EXPECT_EQ(ProbeTcp({"127.0.0.1", port.port()}, absl::Seconds(2)), Reach::kRefused);
}

TEST(ProbeTcp, WhatIsNotAnAddressDoesNotReach) {
  EXPECT_EQ(ProbeTcp({"leeroy-app", 8080}, absl::Seconds(1)), Reach::kUnreachable);
  EXPECT_EQ(ProbeTcp({"127.0.0.1", 0}, absl::Seconds(1)), Reach::kUnreachable);
  EXPECT_EQ(ProbeTcp({"127.0.0.1", 70000}, absl::Seconds(1)), Reach::kUnreachable);
}

TEST(ProbeTcp, PrintsItsValues) {
  std::ostringstream os;
  os << Reach::kAnswers << " " << Reach::kRefused << " " << Reach::kUnreachable;
  EXPECT_EQ(os.str(), "answers refused unreachable");
}

}  // namespace
}  // namespace devloop::portforward
