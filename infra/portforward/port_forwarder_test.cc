// The forwarder against real loopback servers: each test server answers every
// connection with its name, so a client sees which target it reached.
#include "infra/portforward/port_forwarder.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::portforward {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// A blocking loopback server: reads one line, answers "<name>:<line>", then
// keeps the connection open for more lines until the client closes.
class NamedServer {
 public:
  explicit NamedServer(std::string name)
      : name_(std::move(name)), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~NamedServer() {
    stop_ = true;
    error_code ignored;
    // Wake the blocking accept.
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  void Serve() {
    std::vector<std::thread> sessions;
    while (!stop_) {
      tcp::socket socket(io_);
      error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) break;
      sessions.emplace_back([this, s = std::move(socket)]() mutable {
        std::string line;
        char c;
        error_code ec;
        while (asio::read(s, asio::buffer(&c, 1), ec) == 1) {
          if (c != '\n') {
            line.push_back(c);
            continue;
          }
          std::string answer = name_ + ":" + line + "\n";
          asio::write(s, asio::buffer(answer), ec);
          line.clear();
        }
      });
    }
    for (auto& t : sessions) t.join();
  }

  std::string name_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  // Sends a line and returns the answer line ("" if the connection closed).
  std::string Ask(const std::string& line) {
    std::string out = line + "\n";
    error_code ec;
    asio::write(socket_, asio::buffer(out), ec);
    std::string answer;
    char c;
    while (asio::read(socket_, asio::buffer(&c, 1), ec) == 1 && c != '\n') answer.push_back(c);
    return answer;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

TEST(PortForwarderTest, ForwardsToTheTarget) {
  NamedServer a("a");
  auto fwd = PortForwarder::Start({.local_port = 0}, {"127.0.0.1", a.port()});
  ASSERT_TRUE(fwd.ok()) << fwd.status();
  EXPECT_GT((*fwd)->local_port(), 0);
  Client c((*fwd)->local_port());
  EXPECT_EQ(c.Ask("hello"), "a:hello");
  EXPECT_EQ(c.Ask("again"), "a:again");
  EXPECT_EQ((*fwd)->accepted(), 1);
}

TEST(PortForwarderTest, NewConnectionsFollowTheNewTargetOldOnesStay) {
  NamedServer a("a");
  NamedServer b("b");
  auto fwd = PortForwarder::Start({}, {"127.0.0.1", a.port()});
  ASSERT_TRUE(fwd.ok()) << fwd.status();
  const int port = (*fwd)->local_port();
  Client old_client(port);
  EXPECT_EQ(old_client.Ask("1"), "a:1");

  ASSERT_TRUE((*fwd)->SetTarget({"127.0.0.1", b.port()}).ok());
  EXPECT_EQ((*fwd)->target(), (Target{"127.0.0.1", b.port()}));
  Client new_client(port);
  EXPECT_EQ(new_client.Ask("2"), "b:2");
  EXPECT_EQ(old_client.Ask("3"), "a:3");
  EXPECT_EQ((*fwd)->local_port(), port);
}

TEST(PortForwarderTest, TakenPortFallsBackToTheNextFreeOne) {
  NamedServer a("a");
  auto first = PortForwarder::Start({}, {"127.0.0.1", a.port()});
  ASSERT_TRUE(first.ok());
  const int taken = (*first)->local_port();
  auto second = PortForwarder::Start({.local_port = taken}, {"127.0.0.1", a.port()});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE((*second)->local_port(), taken);
  EXPECT_GT((*second)->local_port(), taken);
  EXPECT_EQ(Client((*second)->local_port()).Ask("x"), "a:x");

  auto strict =
      PortForwarder::Start({.local_port = taken, .next_free_port = false}, {"127.0.0.1", a.port()});
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(strict.status().message()),
              ::testing::HasSubstr(std::to_string(taken)));
}

TEST(PortForwarderTest, AProcessStartedMeanwhileDoesNotKeepTheLocalPort) {
  NamedServer a("a");
  int port = 0;
  process::PosixProcessRunner runner;
  std::unique_ptr<process::Process> child;
  {
    auto fwd = PortForwarder::Start({}, {"127.0.0.1", a.port()});
    ASSERT_TRUE(fwd.ok()) << fwd.status();
    port = (*fwd)->local_port();
    EXPECT_EQ(Client(port).Ask("x"), "a:x");  // an accepted connection too
    // As devloop starts kubectl while forwards listen.
    auto started = runner.Start({.argv = {"sleep", "60"}});
    ASSERT_TRUE(started.ok()) << started.status();
    child = *std::move(started);
  }
  // Closed with the forwarder, though the child still runs.
  auto again = PortForwarder::Start({.local_port = port, .next_free_port = false},
                                    {"127.0.0.1", a.port()});
  EXPECT_TRUE(again.ok()) << again.status();
  child->Cancel();
  child->Wait();
}

TEST(PortForwarderTest, UnreachableTargetClosesTheClientConnection) {
  // A port with nothing listening: bind one, then close it.
  int dead_port;
  {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead_port = acceptor.local_endpoint().port();
  }
  auto fwd = PortForwarder::Start({}, {"127.0.0.1", dead_port});
  ASSERT_TRUE(fwd.ok());
  Client c((*fwd)->local_port());
  EXPECT_EQ(c.Ask("anyone?"), "");
}

TEST(PortForwarderTest, RejectsBadInput) {
  EXPECT_EQ(PortForwarder::Start({.bind_address = "localhostish"}, {"127.0.0.1", 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PortForwarder::Start({}, {"web", 80}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PortForwarder::Start({}, {"127.0.0.1", 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PortForwarder::Start({.local_port = 70000}, {"127.0.0.1", 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PortForwarderTest, DestructionClosesOpenConnections) {
  NamedServer a("a");
  auto fwd = PortForwarder::Start({}, {"127.0.0.1", a.port()});
  ASSERT_TRUE(fwd.ok());
  Client c((*fwd)->local_port());
  EXPECT_EQ(c.Ask("1"), "a:1");
  EXPECT_EQ((*fwd)->open_connections(), 1);
  fwd->reset();
  EXPECT_EQ(c.Ask("2"), "");
}

}  // namespace
}  // namespace devloop::portforward
