#include "infra/deploy/run_registry.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::deploy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/run_registry_test-", getpid(), "/", name);
}

// A real child process that waits to be killed.
class Child {
 public:
  Child() {
    pid_ = fork();
    if (pid_ == 0) {
      pause();
      _exit(0);
    }
  }
  ~Child() { Kill(); }
  pid_t pid() const { return pid_; }
  // Kills and reaps it: its PID then names no process (until reused).
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

RunOwner OwnerOf(pid_t pid) {
  absl::StatusOr<RunOwner> me = CurrentOwner();
  EXPECT_TRUE(me.ok()) << me.status();
  RunOwner owner = *me;
  owner.pid = pid;
  std::optional<uint64_t> start = ProcessStartTicks(pid);
  EXPECT_TRUE(start.has_value()) << "no /proc/" << pid << "/stat";
  owner.start_ticks = start.value_or(0);
  return owner;
}

TEST(CurrentOwnerTest, NamesThisProcess) {
  absl::StatusOr<RunOwner> me = CurrentOwner();
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->pid, getpid());
  EXPECT_FALSE(me->host.empty());
  EXPECT_EQ(me->boot_id.size(), 36u) << me->boot_id;
  EXPECT_THAT(me->pid_namespace, HasSubstr("pid:["));
  EXPECT_EQ(JudgeOwner(*me), OwnerState::kAlive);
}

TEST(JudgeOwnerTest, ALiveChildIsAliveAndAKilledOneIsDead) {
  Child child;
  RunOwner owner = OwnerOf(child.pid());
  EXPECT_EQ(JudgeOwner(owner), OwnerState::kAlive);
  child.Kill();
  EXPECT_EQ(JudgeOwner(owner), OwnerState::kDead);
}

TEST(JudgeOwnerTest, AReusedPidIsDead) {
  // This process stands for the program that got the dead run's PID: same PID,
  // another start time.
  RunOwner owner = OwnerOf(getpid());
  owner.start_ticks += 1;
  EXPECT_EQ(JudgeOwner(owner), OwnerState::kDead);
}

TEST(JudgeOwnerTest, DecidesFromHostBootAndNamespace) {
  const RunOwner here{.host = "h", .boot_id = "b", .pid_namespace = "pid:[1]", .pid = 10,
                      .start_ticks = 5};
  RunOwner owner = here;
  owner.pid = 42;
  owner.start_ticks = 7;
  EXPECT_EQ(JudgeOwner(owner, here, 7), OwnerState::kAlive);
  EXPECT_EQ(JudgeOwner(owner, here, std::nullopt), OwnerState::kDead);
  EXPECT_EQ(JudgeOwner(owner, here, 8), OwnerState::kDead);

  RunOwner elsewhere = owner;
  elsewhere.host = "other";
  EXPECT_EQ(JudgeOwner(elsewhere, here, std::nullopt), OwnerState::kUnknown)
      << "a run on another host is never judged dead";
  RunOwner sandboxed = owner;
  sandboxed.pid_namespace = "pid:[2]";
  EXPECT_EQ(JudgeOwner(sandboxed, here, std::nullopt), OwnerState::kUnknown);
  RunOwner rebooted = owner;
  rebooted.boot_id = "earlier";
  EXPECT_EQ(JudgeOwner(rebooted, here, 7), OwnerState::kDead);
}

TEST(RunRecordTest, RoundTrips) {
  RunRecord r{.run_id = "3f2a9c01",
              .project = "0123456789abcdef",
              .deployer = "docker",
              .owner = {.host = "box", .boot_id = "b-1", .pid_namespace = "pid:[4026531836]",
                        .pid = 1234, .start_ticks = 987654321}};
  absl::StatusOr<RunRecord> parsed = ParseRunRecord(FormatRunRecord(r), "f.run");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, r);
  // A kubectl run also names its cluster.
  r.deployer = "kubectl";
  r.kubeconfig = "/home/dev/.kube/other";
  r.kube_context = "kind-dev";
  parsed = ParseRunRecord(FormatRunRecord(r), "k.run");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, r);
}

TEST(RunRecordTest, BadTextSaysWhereAndWhat) {
  absl::StatusOr<RunRecord> no_pid = ParseRunRecord(
      "run_id=a\nproject=p\ndeployer=docker\nhost=h\nboot_id=b\npid_namespace=n\n", "x.run");
  EXPECT_THAT(no_pid.status().message(), HasSubstr("x.run: no pid"));
  absl::StatusOr<RunRecord> garbage = ParseRunRecord("hello\n", "y.run");
  EXPECT_THAT(garbage.status().message(), HasSubstr("y.run:1: expected key=value"));
  absl::StatusOr<RunRecord> escape = ParseRunRecord(
      "run_id=../x\nproject=p\ndeployer=docker\nhost=h\nboot_id=b\npid_namespace=n\npid=1\n"
      "start_ticks=1\n",
      "z.run");
  EXPECT_THAT(escape.status().message(), HasSubstr("is not a run id"));
}

TEST(RunRegistryTest, RecordsListsAndForgets) {
  RunRegistry registry(TestDir("records"));
  EXPECT_THAT(*registry.List(), IsEmpty()) << "a missing directory holds no runs";
  RunRecord r{.run_id = "aa11", .project = "p", .deployer = "docker", .owner = OwnerOf(getpid())};
  ASSERT_TRUE(registry.Record(r).ok());
  EXPECT_THAT(*registry.List(), ElementsAre(r));
  ASSERT_TRUE(registry.Forget("aa11").ok());
  EXPECT_THAT(*registry.List(), IsEmpty());
  EXPECT_TRUE(registry.Forget("aa11").ok()) << "forgetting twice is fine";
  EXPECT_FALSE(registry.Record({.run_id = "../etc"}).ok());
}

TEST(RunRegistryTest, DeadRunsAreThoseOfTheProjectWhoseOwnerIsGone) {
  RunRegistry registry(TestDir("dead"));
  Child dead_child;
  Child live_child;
  RunRecord dead{.run_id = "dead1", .project = "p", .deployer = "docker",
                 .owner = OwnerOf(dead_child.pid())};
  RunRecord live{.run_id = "live1", .project = "p", .deployer = "docker",
                 .owner = OwnerOf(live_child.pid())};
  RunRecord other_project = dead;
  other_project.run_id = "dead2";
  other_project.project = "q";
  dead_child.Kill();
  for (const RunRecord& r : {dead, live, other_project}) ASSERT_TRUE(registry.Record(r).ok());
  // Another program's file in the directory is skipped, not fatal.
  std::ofstream(absl::StrCat(registry.dir(), "/junk.run")) << "not a record\n";

  absl::StatusOr<std::vector<RunRecord>> found = registry.DeadRuns("p");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(*found, ElementsAre(dead));
}

}  // namespace
}  // namespace devloop::deploy
