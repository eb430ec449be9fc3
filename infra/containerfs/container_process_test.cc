// Identifying a container's process through /proc, on this test's own process
// (no Docker needed: what makes a process "the container's" is its cgroup).
#include "infra/containerfs/container_process.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::containerfs {
namespace {

using ::testing::HasSubstr;

constexpr char kSomeId[] = "d7325c6900407bbd9cbb197b9213a576f9ca574a9d65c4c4f819dfa6210e8c80";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ParseStartTimeTest, CountsFieldsAfterTheCommandName) {
  // A command name with spaces and a ')' must not shift the fields.
  std::string stat =
      "4242 (evil ) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 "
      "1000 200 18446744073709551615";
  absl::StatusOr<uint64_t> t = ParseStartTime(stat);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, 987654u);
}

TEST(ParseStartTimeTest, RejectsTruncatedText) {
  EXPECT_FALSE(ParseStartTime("12 (x) S 1 2").ok());
  EXPECT_FALSE(ParseStartTime("garbage").ok());
}

TEST(ParseListeningPortsTest, ReadsListeningSocketsOnly) {
  const char* tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
      "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
      "   1: 0100007F:0CEA 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0\n"
      "   2: 0100007F:C350 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n";
  EXPECT_THAT(ParseListeningPorts(tcp), ::testing::ElementsAre(8080, 50000));
  const char* tcp6 =
      "  sl  local_address                         remote_address                        st\n"
      "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A\n";
  EXPECT_THAT(ParseListeningPorts(tcp6), ::testing::ElementsAre(80));
  EXPECT_TRUE(ParseListeningPorts("").empty());
  EXPECT_TRUE(ParseListeningPorts("   0: garbage 0A\n").empty());
}

TEST(ListensOnTest, SeesThisProcessListen) {
  // This test's own process stands in for a container's.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  absl::StatusOr<uint64_t> start = ParseStartTime(ReadAll("/proc/self/stat"));
  ASSERT_TRUE(start.ok());
  ContainerProcess self{.pid = ::getpid(), .start_time = *start};
  auto listens = [&] {
    absl::StatusOr<bool> l = ListensOn(self, port);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() && *l;
  };
  EXPECT_FALSE(listens());  // bound, not listening
  ASSERT_EQ(::listen(fd, 1), 0);
  EXPECT_TRUE(listens());
  ::close(fd);
  EXPECT_FALSE(listens());
  ContainerProcess other = self;
  other.start_time += 1;  // the PID names another process now
  EXPECT_EQ(ListensOn(other, port).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ParseRootMappingTest, FindsWhatRootMapsTo) {
  EXPECT_EQ(ParseRootMapping("         0          0 4294967295\n").value_or(99), 0u);
  EXPECT_EQ(ParseRootMapping("1000 1000 1\n0 165536 65536\n").value_or(99), 165536u);
  EXPECT_EQ(ParseRootMapping("1000 1000 1\n").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ParseRootMapping("0 x 1\n").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(IdentifyContainerProcessTest, RefusesAProcessOutsideTheContainersCgroup) {
  absl::StatusOr<ContainerProcess> p = IdentifyContainerProcess(getpid(), kSomeId);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition) << p.status();
  EXPECT_THAT(p.status().message(), HasSubstr("cgroup"));
}

TEST(IdentifyContainerProcessTest, RefusesInvisibleProcessesAndBadInput) {
  // PIDs above pid_max (4194304 at most) never exist.
  EXPECT_EQ(IdentifyContainerProcess(1 << 23, kSomeId).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(IdentifyContainerProcess(0, kSomeId).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IdentifyContainerProcess(getpid(), "d7325c690040").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OpenContainerRootTest, OpensTheRootOfTheSameProcessOnly) {
  absl::StatusOr<uint64_t> start = ParseStartTime(ReadAll("/proc/self/stat"));
  ASSERT_TRUE(start.ok()) << start.status();
  ContainerProcess self{.pid = getpid(), .start_time = *start,
                        .root_owner = {.uid = getuid(), .gid = getgid()}};

  ContainerProcess restarted = self;
  restarted.start_time += 1;
  absl::StatusOr<RootFs> stale = OpenContainerRoot(restarted);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition) << stale.status();

  // Our own root is "/": a copy through it lands at the absolute path.
  absl::StatusOr<RootFs> root = OpenContainerRoot(self);
  ASSERT_TRUE(root.ok()) << root.status();
  char tmpl[] = "/tmp/devloop-procroot-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/src") << "via /proc\n";
  absl::Status s = root->CopyFile(dir + "/src", dir + "/sub/dst");
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(ReadAll(dir + "/sub/dst"), "via /proc\n");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace devloop::containerfs

namespace devloop::containerfs {
namespace {

TEST(FindContainerProcessTest, AnIdNoProcessHereIsInIsNotFound) {
  absl::StatusOr<ContainerProcess> p = FindContainerProcess(std::string(64, 'e'));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound) << p.status();
}

TEST(FindContainerProcessTest, RefusesWhatIsNotAFullId) {
  EXPECT_EQ(FindContainerProcess("3f2a").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace devloop::containerfs
