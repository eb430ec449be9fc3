// SocketProxy against a real unix-socket echo server: it forwards both ways,
// a cut ends open connections and refuses new ones, Restore listens again, and
// an armed trigger cuts at its request, before or after the upstream saw it, and
// a freeze holds every byte and new connection until the thaw.
#include "testing/faults/socket_proxy.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace devloop::faults {
namespace {

// Echoes every byte back; remembers what it received.
class EchoServer {
 public:
  EchoServer() {
    char dir[] = "/tmp/devloop-echo-XXXXXX";
    EXPECT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/echo.sock";
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    acceptor_ = std::thread([this] {
      while (true) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) {
          ::close(c);
          return;
        }
        clients_.push_back(c);
        echoes_.emplace_back([this, c] {
          char buf[4096];
          ssize_t n;
          while ((n = ::recv(c, buf, sizeof(buf), 0)) > 0) {
            {
              std::lock_guard<std::mutex> lock(mu_);
              received_.append(buf, n);
            }
            (void)::send(c, buf, n, MSG_NOSIGNAL);
          }
        });
      }
    });
  }
  ~EchoServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    // A connection wakes the blocked accept.
    int wake = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    (void)::connect(wake, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    acceptor_.join();
    ::close(wake);
    ::close(fd_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int c : clients_) ::shutdown(c, SHUT_RDWR);
    }
    for (std::thread& t : echoes_) t.join();
    for (int c : clients_) ::close(c);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
  std::mutex mu_;
  bool stopping_ = false;
  std::vector<int> clients_;
  std::vector<std::thread> echoes_;
  std::string received_;
  std::thread acceptor_;
};

// Returns a connected fd, or -errno.
int Connect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    ::close(fd);
    return -e;
  }
  return fd;
}

// Reads until `want` bytes arrived or the peer closed; "" then means closed.
std::string ReadN(int fd, size_t want) {
  std::string out;
  char buf[4096];
  while (out.size() < want) {
    pollfd p{.fd = fd, .events = POLLIN};
    if (::poll(&p, 1, 30000) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, n);
  }
  return out;
}

class SocketProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SocketProxy>> p = SocketProxy::Start({.upstream = echo_.path()});
    ASSERT_TRUE(p.ok()) << p.status();
    proxy_ = *std::move(p);
  }
  EchoServer echo_;
  std::unique_ptr<SocketProxy> proxy_;
};

TEST_F(SocketProxyTest, ForwardsBothWays) {
  EXPECT_EQ(proxy_->docker_host(), "unix://" + proxy_->path());
  int fd = Connect(proxy_->path());
  ASSERT_GE(fd, 0) << strerror(-fd);
  const std::string request = "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  EXPECT_EQ(ReadN(fd, request.size()), request);
  ::close(fd);
  EXPECT_EQ(proxy_->RequestLog(), "GET /v1.41/_ping HTTP/1.1\n");
  EXPECT_EQ(proxy_->connections(), 1);
}

TEST_F(SocketProxyTest, CutEndsOpenConnectionsAndRefusesNewOnesUntilRestored) {
  int fd = Connect(proxy_->path());
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::send(fd, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL), 16);
  ASSERT_EQ(ReadN(fd, 16), "GET / HTTP/1.1\r\n");
  proxy_->Cut();
  EXPECT_FALSE(proxy_->listening());
  EXPECT_EQ(ReadN(fd, 1), "") << "an open connection ends at the cut";
  ::close(fd);
  EXPECT_EQ(Connect(proxy_->path()), -ECONNREFUSED) << "as when the daemon died";
  EXPECT_EQ(proxy_->cuts(), 1);

  ASSERT_TRUE(proxy_->Restore().ok());
  fd = Connect(proxy_->path());
  ASSERT_GE(fd, 0) << strerror(-fd);
  ASSERT_EQ(::send(fd, "GET /again HTTP/1.1\r\n", 21, MSG_NOSIGNAL), 21);
  EXPECT_EQ(ReadN(fd, 21), "GET /again HTTP/1.1\r\n");
  ::close(fd);
}

TEST_F(SocketProxyTest, ArmedCutBeforeForwardingNeverReachesTheUpstream) {
  proxy_->ArmCut("POST /v1.41/build", SocketProxy::When::kBeforeForwarding);
  int fd = Connect(proxy_->path());
  ASSERT_GE(fd, 0);
  const std::string ping = "GET /v1.41/_ping HTTP/1.1\r\n";
  ASSERT_EQ(::send(fd, ping.data(), ping.size(), MSG_NOSIGNAL), static_cast<ssize_t>(ping.size()));
  ASSERT_EQ(ReadN(fd, ping.size()), ping) << "other requests pass";
  ::close(fd);
  fd = Connect(proxy_->path());
  ASSERT_GE(fd, 0);
  const std::string build = "POST /v1.41/build?t=x HTTP/1.1\r\n";
  (void)::send(fd, build.data(), build.size(), MSG_NOSIGNAL);
  EXPECT_TRUE(proxy_->WaitCut(absl::Seconds(30)));
  EXPECT_EQ(ReadN(fd, 1), "");
  ::close(fd);
  EXPECT_EQ(echo_.received().find("build"), std::string::npos);
  EXPECT_EQ(Connect(proxy_->path()), -ECONNREFUSED);
}

TEST_F(SocketProxyTest, ArmedCutOnFirstAnswerLetsTheUpstreamSeeTheRequest) {
  proxy_->ArmCut("POST /v1.41/containers/create", SocketProxy::When::kOnFirstAnswer);
  int fd = Connect(proxy_->path());
  ASSERT_GE(fd, 0);
  const std::string create = "POST /v1.41/containers/create HTTP/1.1\r\n";
  ASSERT_EQ(::send(fd, create.data(), create.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(create.size()));
  EXPECT_TRUE(proxy_->WaitCut(absl::Seconds(30)));
  EXPECT_EQ(ReadN(fd, 1), "") << "the answer is not forwarded";
  ::close(fd);
  EXPECT_NE(echo_.received().find("containers/create"), std::string::npos);
}

TEST_F(SocketProxyTest, FreezeHoldsEveryByteAndNewConnectionsUntilThaw) {
  int open = Connect(proxy_->path());
  ASSERT_GE(open, 0);
  ASSERT_EQ(::send(open, "GET /a HTTP/1.1\r\n", 17, MSG_NOSIGNAL), 17);
  ASSERT_EQ(ReadN(open, 17), "GET /a HTTP/1.1\r\n");

  proxy_->Freeze();
  ASSERT_EQ(::send(open, "held", 4, MSG_NOSIGNAL), 4);
  int queued = Connect(proxy_->path());  // the backlog takes it; nobody accepts
  ASSERT_GE(queued, 0) << strerror(-queued);
  ASSERT_EQ(::send(queued, "GET /b HTTP/1.1\r\n", 17, MSG_NOSIGNAL), 17);
  pollfd p[2] = {{.fd = open, .events = POLLIN}, {.fd = queued, .events = POLLIN}};
  EXPECT_EQ(::poll(p, 2, 300), 0) << "nothing passes while frozen";
  EXPECT_EQ(echo_.received(), "GET /a HTTP/1.1\r\n");
  EXPECT_EQ(proxy_->connections(), 1);

  proxy_->Thaw();
  EXPECT_EQ(ReadN(open, 4), "held");
  EXPECT_EQ(ReadN(queued, 17), "GET /b HTTP/1.1\r\n");
  EXPECT_EQ(proxy_->connections(), 2);
  ::close(open);
  ::close(queued);
}

TEST_F(SocketProxyTest, ArmedFreezeHoldsItsRequestUntilThaw) {
  proxy_->ArmFreeze("POST /v1.41/containers/create");
  int fd = Connect(proxy_->path());
  ASSERT_GE(fd, 0);
  const std::string ping = "GET /v1.41/_ping HTTP/1.1\r\n";
  ASSERT_EQ(::send(fd, ping.data(), ping.size(), MSG_NOSIGNAL), static_cast<ssize_t>(ping.size()));
  ASSERT_EQ(ReadN(fd, ping.size()), ping) << "other requests pass";
  ::close(fd);
  fd = Connect(proxy_->path());
  ASSERT_GE(fd, 0);
  const std::string create = "POST /v1.41/containers/create?name=x HTTP/1.1\r\n";
  ASSERT_EQ(::send(fd, create.data(), create.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(create.size()));
  ASSERT_TRUE(proxy_->WaitFrozen(absl::Seconds(30)));
  pollfd p{.fd = fd, .events = POLLIN};
  EXPECT_EQ(::poll(&p, 1, 300), 0) << "the request is held";
  EXPECT_EQ(echo_.received().find("create"), std::string::npos);
  proxy_->Thaw();
  EXPECT_EQ(ReadN(fd, create.size()), create);
  ::close(fd);
  EXPECT_FALSE(proxy_->WaitFrozen(absl::Milliseconds(1), /*freezes_seen=*/1)) << "once only";
}

TEST_F(SocketProxyTest, CutEndsAFrozenConnection) {
  int fd = Connect(proxy_->path());
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::send(fd, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL), 16);
  ASSERT_EQ(ReadN(fd, 16), "GET / HTTP/1.1\r\n");
  proxy_->Freeze();
  ASSERT_EQ(::send(fd, "held", 4, MSG_NOSIGNAL), 4);
  proxy_->Cut();
  EXPECT_EQ(ReadN(fd, 1), "") << "the cut ends it, frozen or not";
  ::close(fd);
}

}  // namespace
}  // namespace devloop::faults
