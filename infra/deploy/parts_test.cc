// The parts a deployer is built from: LogTail and StableForwards, on real
// sockets over loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/deploy/log_tail.h"
#include "infra/deploy/stable_forwards.h"

namespace devloop::deploy {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(LogTailTest, KeepsTheLastLinesPerWorkloadAndPassesEveryLineOn) {
  std::vector<std::pair<std::string, std::string>> seen;
  std::vector<std::string> pods;
  LogTail tail([&](const LogSource& source, absl::string_view line) {
    seen.emplace_back(source.name, std::string(line));
    pods.push_back(source.pod);
  }, /*keep=*/2);
  tail.Add("c1", {.name = "web"}, "one");
  tail.Add("c1", {.name = "web"}, "two");
  tail.Add("c2", {.name = "db", .pod = "db-7d9f-x2x"}, "ready");
  tail.Add("c1", {.name = "web"}, "three");
  EXPECT_THAT(tail.Last("c1"), ElementsAre("two", "three"));
  EXPECT_THAT(tail.Last("c2"), ElementsAre("ready"));
  EXPECT_THAT(seen, ElementsAre(Pair("web", "one"), Pair("web", "two"), Pair("db", "ready"),
                                Pair("web", "three")));
  EXPECT_THAT(pods, ElementsAre("", "", "db-7d9f-x2x", ""));
  tail.Forget("c1");
  EXPECT_TRUE(tail.Last("c1").empty());
}

// A loopback server that answers each connection with `reply` and closes it.
class ReplyServer {
 public:
  explicit ReplyServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        (void)!::write(c, reply_.data(), reply_.size());
        ::close(c);
      }
    });
  }
  ~ReplyServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string Fetch(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "refused";
  }
  std::string out;
  char buf[64];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, n);
  ::close(fd);
  return out;
}

TEST(StableForwardsTest, ARetargetedForwardKeepsItsLocalPort) {
  ReplyServer first("first"), second("second");
  StableForwards forwards;
  PortForwardSpec spec{.resource_name = "web", .port = 8080, .local_port = 0};
  absl::StatusOr<domain::PortEvent> a = forwards.Point(0, spec, {"127.0.0.1", first.port()}, "web");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote_port, 8080);
  EXPECT_EQ(a->resource_type, "container");
  EXPECT_EQ(a->container_name, "web");
  EXPECT_EQ(a->address, "127.0.0.1");
  EXPECT_EQ(Fetch(a->local_port), "first");

  absl::StatusOr<domain::PortEvent> b =
      forwards.Point(0, spec, {"127.0.0.1", second.port()}, "web");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->local_port, a->local_port);
  EXPECT_EQ(Fetch(b->local_port), "second");

  forwards.CloseAll();
  EXPECT_EQ(Fetch(a->local_port), "refused");
  EXPECT_EQ(forwards.Point(0, spec, {"127.0.0.1", first.port()}, "web").status().code(),
            absl::StatusCode::kCancelled);
}

TEST(StableForwardsTest, ATakenLocalPortMovesToTheNextFreeOne) {
  ReplyServer app("app");
  StableForwards holder;
  PortForwardSpec spec{.resource_name = "web", .port = 8080, .local_port = 0};
  absl::StatusOr<domain::PortEvent> taken = holder.Point(0, spec, {"127.0.0.1", app.port()}, "web");
  ASSERT_TRUE(taken.ok());
  StableForwards forwards;
  spec.local_port = taken->local_port;
  absl::StatusOr<domain::PortEvent> moved = forwards.Point(0, spec, {"127.0.0.1", app.port()}, "web");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_NE(moved->local_port, taken->local_port);
  EXPECT_EQ(Fetch(moved->local_port), "app");
}

TEST(StableForwardsTest, AdoptedForwardsKeepTheirLocalPortsAndDroppedOnesClose) {
  ReplyServer web("web"), db("db");
  StableForwards old;
  PortForwardSpec web_spec{.resource_name = "web", .port = 8080, .local_port = 0};
  PortForwardSpec db_spec{.resource_name = "db", .port = 5432, .local_port = 0};
  absl::StatusOr<domain::PortEvent> w = old.Point(0, web_spec, {"127.0.0.1", web.port()}, "web");
  absl::StatusOr<domain::PortEvent> d = old.Point(1, db_spec, {"127.0.0.1", db.port()}, "db");
  ASSERT_TRUE(w.ok() && d.ok());

  // The new config drops db's forward and puts web's second.
  StableForwards next;
  PortForwardSpec api_spec{.resource_name = "api", .port = 9000, .local_port = 0};
  next.Adopt(old.Release(), {api_spec, web_spec});
  EXPECT_EQ(old.Point(0, web_spec, {"127.0.0.1", web.port()}, "web").status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(Fetch(w->local_port), "web") << "still pointing where it pointed";
  EXPECT_EQ(Fetch(d->local_port), "refused");
  absl::StatusOr<domain::PortEvent> moved =
      next.Point(1, web_spec, {"127.0.0.1", db.port()}, "web");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->local_port, w->local_port);
  EXPECT_EQ(Fetch(w->local_port), "db");
}

TEST(StableForwardsTest, AForwardAdoptedAtItsNewNumberKeepsItsLocalPort) {
  ReplyServer web("web"), db("db");
  StableForwards old;
  PortForwardSpec web_spec{.resource_name = "web", .port = 8080, .local_port = 0};
  PortForwardSpec db_spec{.resource_name = "db", .port = 5432, .local_port = 0};
  absl::StatusOr<domain::PortEvent> w = old.Point(3, web_spec, {"127.0.0.1", web.port()}, "web");
  absl::StatusOr<domain::PortEvent> d = old.Point(5, db_spec, {"127.0.0.1", db.port()}, "db");
  ASSERT_TRUE(w.ok() && d.ok());
  std::map<int, StableForwards::Listening> released = old.ReleaseNumbered();
  ASSERT_EQ(released.size(), 2u);
  ASSERT_TRUE(released.contains(3) && released.contains(5));

  StableForwards next;
  EXPECT_TRUE(next.AdoptAt(0, std::move(released[3])));
  EXPECT_FALSE(next.AdoptAt(0, std::move(released[5]))) << "number 0 is taken";
  EXPECT_EQ(Fetch(d->local_port), "refused") << "the one not adopted closed";
  EXPECT_EQ(Fetch(w->local_port), "web");
  absl::StatusOr<domain::PortEvent> moved =
      next.Point(0, web_spec, {"127.0.0.1", db.port()}, "web");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->local_port, w->local_port);
  EXPECT_EQ(Fetch(w->local_port), "db");
  next.CloseAll();
  EXPECT_FALSE(next.AdoptAt(1, {}));
}

}  // namespace
}  // namespace devloop::deploy
