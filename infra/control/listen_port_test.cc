#include "infra/control/listen_port.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace devloop::control {
namespace {

// Listens on an ephemeral loopback port for the test's lifetime.
class Listener {
 public:
  // reuse_address: set SO_REUSEADDR first, as gRPC and Asio do.
  explicit Listener(bool reuse_address = false) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    if (reuse_address) ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_;
};

TEST(IsLoopbackAddressTest, OnlyThisMachine) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  }
  for (const char* a : {"0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "example.com", "", "128.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

TEST(FindFreePortTest, TakenPortMovesToTheNextFreeOne) {
  Listener taken;
  absl::StatusOr<int> port = FindFreePort("127.0.0.1", taken.port());
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_GT(*port, taken.port());
}

// The check binds with SO_REUSEADDR and does not listen: a listener that set
// SO_REUSEADDR too (another devloop's gRPC or HTTP server) must still count.
TEST(FindFreePortTest, PortOfAListenerWithReuseAddressIsTaken) {
  Listener taken(/*reuse_address=*/true);
  absl::StatusOr<int> port = FindFreePort("127.0.0.1", taken.port());
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_GT(*port, taken.port());
}

TEST(FindFreePortTest, FreePortIsKept) {
  int free_port = 0;
  {
    Listener l;
    free_port = l.port();
  }
  EXPECT_EQ(FindFreePort("127.0.0.1", free_port).value(), free_port);
  EXPECT_EQ(FindFreePort("127.0.0.1", 0).value(), 0);
}

TEST(FindFreePortTest, BadInputIsAClearError) {
  EXPECT_EQ(FindFreePort("127.0.0.1", 70000).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<int> bad = FindFreePort("no such host.invalid", 50051);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("no such host.invalid"), absl::string_view::npos);
  Listener taken;
  EXPECT_EQ(FindFreePort("127.0.0.1", taken.port(), 1).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(HostPortTest, BracketsIpv6) {
  EXPECT_EQ(HostPort("127.0.0.1", 1), "127.0.0.1:1");
  EXPECT_EQ(HostPort("::1", 2), "[::1]:2");
}

}  // namespace
}  // namespace devloop::control
