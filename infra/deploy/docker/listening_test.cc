#include "infra/deploy/docker/listening.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace devloop::deploy {
namespace {

// As the kernel prints them (columns trimmed after the state).
constexpr absl::string_view kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
    "   0: 00000000:DB4C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
    "   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0\n";
constexpr absl::string_view kTcp6 =
    "  sl  local_address                         remote_address                        st\n"
    "   0: 00000000000000000000000000000000:2405 00000000000000000000000000000000:0000 0A\n";

TEST(TableListensOnTest, OnlyASocketInStateListenOnThePortCounts) {
  EXPECT_TRUE(TableListensOn(kTcp, 56140));   // 0xDB4C
  EXPECT_FALSE(TableListensOn(kTcp, 8080));   // 0x1F90, but ESTABLISHED
  EXPECT_FALSE(TableListensOn(kTcp, 9229));
  EXPECT_TRUE(TableListensOn(kTcp6, 9221));   // 0x2405
  EXPECT_FALSE(TableListensOn("", 9221));
  EXPECT_FALSE(TableListensOn("header only\n", 9221));
}

TEST(ListensOnTest, ReadsThisProcesssOwnNamespace) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const uint32_t port = ntohs(addr.sin_port);
  EXPECT_EQ(ListensOn(::getpid(), port), false) << "bound, not yet listening";
  ASSERT_EQ(::listen(fd, 1), 0);
  EXPECT_EQ(ListensOn(::getpid(), port), true);
  ::close(fd);
  EXPECT_EQ(ListensOn(0, port), std::nullopt);
  EXPECT_EQ(ListensOn(-1, port), std::nullopt);
}

}  // namespace
}  // namespace devloop::deploy
