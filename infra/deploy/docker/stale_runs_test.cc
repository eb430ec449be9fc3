// SweepDeadRuns over the fake engine, with run records owned by real processes
// (this test and a child it kills). The real engine is covered end to end by
// testing/e2e/signals_e2e_test.cc.
#include "infra/deploy/docker/stale_runs.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/deploy/labels.h"
#include "infra/deploy/run_registry.h"
#include "testing/fakes/fake_docker.h"

namespace devloop::deploy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/stale_runs_test-", getpid());
  mkdir(dir.c_str(), 0700);
  dir = absl::StrCat(dir, "/", name);
  mkdir(dir.c_str(), 0700);
  return dir;
}

// The owner of a run that was SIGKILLed: a child process, killed and reaped.
RunOwner DeadOwner() {
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  RunOwner owner = *CurrentOwner();
  owner.pid = pid;
  owner.start_ticks = ProcessStartTicks(pid).value_or(0);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return owner;
}

class StaleRunsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    context_ = TestDir("context");
    std::ofstream(context_ + "/Dockerfile") << "FROM scratch\n";
  }

  // What a run makes: an image, a network and a container, all labelled.
  void MakeRunObjects(const std::string& run_id) {
    std::map<std::string, std::string> labels = {{kRunIdLabel, run_id}};
    absl::StatusOr<docker::BuildResult> image =
        docker_.Build({.context_dir = context_, .tags = {"web:" + run_id}, .labels = labels});
    ASSERT_TRUE(image.ok()) << image.status();
    ASSERT_TRUE(docker_.CreateNetwork("devloop-" + run_id, labels).ok());
    ASSERT_TRUE(docker_.Run({.image = image->image_id, .labels = labels}).ok());
  }

  int Objects(const std::string& run_id) {
    return docker_.ListContainers(kRunIdLabel, run_id)->size() +
           docker_.ListNetworks(kRunIdLabel, run_id)->size() +
           docker_.ListImages(kRunIdLabel, run_id)->size();
  }

  testing::FakeDocker docker_;
  std::string context_;
};

TEST_F(StaleRunsTest, RemovesOnlyTheDeadRunsOfTheProject) {
  RunRegistry registry(TestDir("registry-1"));
  const RunRecord dead{.run_id = "dead0001", .project = "p", .deployer = "docker",
                       .owner = DeadOwner()};
  const RunRecord live{.run_id = "live0001", .project = "p", .deployer = "docker",
                       .owner = *CurrentOwner()};
  RunRecord other = dead;
  other.run_id = "dead0002";
  other.project = "q";
  for (const RunRecord& r : {dead, live, other}) {
    MakeRunObjects(r.run_id);
    ASSERT_TRUE(registry.Record(r).ok());
  }

  absl::StatusOr<StaleRunSweep> sweep = SweepDeadRuns(&docker_, registry, "p");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_THAT(sweep->runs, ElementsAre(dead));
  EXPECT_EQ(sweep->removed.containers, 1);
  EXPECT_EQ(sweep->removed.networks, 1);
  EXPECT_EQ(sweep->removed.images, 1);
  EXPECT_EQ(Objects("dead0001"), 0);
  EXPECT_EQ(Objects("live0001"), 3) << "a live run's objects are never touched";
  EXPECT_EQ(Objects("dead0002"), 3) << "another project's runs are its own business";
  EXPECT_THAT(*registry.List(), SizeIs(2)) << "the swept run is forgotten";
  EXPECT_EQ(DescribeSweep(*sweep),
            absl::StrCat("Removed 1 container, 1 network and 1 image left by an earlier devloop "
                         "run (run dead0001, pid ",
                         dead.owner.pid, ") that ended without cleaning up"));

  absl::StatusOr<StaleRunSweep> again = SweepDeadRuns(&docker_, registry, "p");
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->runs, IsEmpty());
  EXPECT_EQ(DescribeSweep(*again), "") << "nothing to say the second time";
}

TEST_F(StaleRunsTest, ADeadDebugRunsSupportVolumeGoesWithIt) {
  RunRegistry registry(TestDir("registry-volumes"));
  const RunRecord dead{.run_id = "dead0009", .project = "p", .deployer = "docker",
                       .owner = DeadOwner()};
  MakeRunObjects(dead.run_id);
  ASSERT_TRUE(docker_.CreateVolume("devloop-debug-go-dead0009", {{kRunIdLabel, dead.run_id}}).ok());
  ASSERT_TRUE(docker_.CreateVolume("someone-elses", {}).ok());
  ASSERT_TRUE(registry.Record(dead).ok());
  EXPECT_TRUE(*RunObjectsLeft(&docker_, dead.run_id));

  absl::StatusOr<StaleRunSweep> sweep = SweepDeadRuns(&docker_, registry, "p");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_EQ(sweep->removed.volumes, 1);
  EXPECT_THAT(DescribeSweep(*sweep), HasSubstr("1 image (and 1 debugger volume) left by"));
  EXPECT_THAT(docker_.volumes(), ElementsAre(::testing::Key("someone-elses")));
  EXPECT_FALSE(*RunObjectsLeft(&docker_, dead.run_id));
}

TEST_F(StaleRunsTest, ARunWhoseObjectsCouldNotBeRemovedIsKeptForLater) {
  RunRegistry registry(TestDir("registry-2"));
  const RunRecord dead{.run_id = "dead0003", .project = "p", .deployer = "docker",
                       .owner = DeadOwner()};
  MakeRunObjects(dead.run_id);
  ASSERT_TRUE(registry.Record(dead).ok());
  testing::FaultyDocker faulty(&docker_);
  faulty.FailNext("ListContainers", absl::UnavailableError("the daemon went away"));

  absl::StatusOr<StaleRunSweep> sweep = SweepDeadRuns(&faulty, registry, "p");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_THAT(sweep->failed_run_ids, ElementsAre("dead0003"));
  EXPECT_THAT(DescribeSweep(*sweep), HasSubstr("the daemon went away"));
  EXPECT_THAT(*registry.List(), ElementsAre(dead));

  absl::StatusOr<StaleRunSweep> later = SweepDeadRuns(&faulty, registry, "p");
  ASSERT_TRUE(later.ok());
  EXPECT_THAT(later->runs, ElementsAre(dead));
  EXPECT_EQ(Objects("dead0003"), 0);
  EXPECT_THAT(*registry.List(), IsEmpty());
}

TEST_F(StaleRunsTest, ADeadKubectlRunsClusterObjectsGoThroughTheRemover) {
  RunRegistry registry(TestDir("registry-3"));
  const RunRecord dead{.run_id = "dead0004", .project = "p", .deployer = "kubectl",
                       .kubeconfig = "/k/config", .kube_context = "test", .owner = DeadOwner()};
  const RunRecord docker_run{.run_id = "dead0005", .project = "p", .deployer = "docker",
                             .owner = DeadOwner()};
  ASSERT_TRUE(registry.Record(dead).ok());
  ASSERT_TRUE(registry.Record(docker_run).ok());
  std::vector<RunRecord> asked;
  absl::Status fail_with = absl::UnavailableError("the API server is unreachable");
  auto remover = [&](const RunRecord& run) -> absl::StatusOr<int> {
    asked.push_back(run);
    if (!fail_with.ok()) return fail_with;
    return 3;
  };
  // The cluster cannot be reached: the run is kept for the next sweep.
  absl::StatusOr<StaleRunSweep> sweep = SweepDeadRuns(&docker_, registry, "p", remover);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_THAT(sweep->failed_run_ids, ElementsAre("dead0004"));
  EXPECT_THAT(DescribeSweep(*sweep), HasSubstr("the API server is unreachable"));
  ASSERT_THAT(asked, ElementsAre(dead)) << "only the kubectl run's cluster is asked";
  EXPECT_THAT(*registry.List(), ElementsAre(dead));

  fail_with = absl::OkStatus();
  sweep = SweepDeadRuns(&docker_, registry, "p", remover);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_THAT(sweep->runs, ElementsAre(dead));
  EXPECT_EQ(sweep->removed.cluster_objects, 3);
  EXPECT_THAT(DescribeSweep(*sweep),
              HasSubstr("Removed 0 containers, 0 networks, 0 images and 3 Kubernetes objects"));
  EXPECT_THAT(DescribeSweep(*sweep), ::testing::Not(HasSubstr("kubectl delete")));
  EXPECT_THAT(*registry.List(), IsEmpty());
}

TEST_F(StaleRunsTest, WithoutARemoverTheKubectlCommandIsNamed) {
  RunRegistry registry(TestDir("registry-4"));
  const RunRecord dead{.run_id = "dead0006", .project = "p", .deployer = "kubectl",
                       .owner = DeadOwner()};
  ASSERT_TRUE(registry.Record(dead).ok());
  absl::StatusOr<StaleRunSweep> sweep = SweepDeadRuns(&docker_, registry, "p");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_THAT(DescribeSweep(*sweep), HasSubstr("kubectl delete all -l dev.devloop.run-id=dead0006"));
}

TEST_F(StaleRunsTest, RunObjectsLeftSeesEachKind) {
  MakeRunObjects("r1");
  EXPECT_TRUE(*RunObjectsLeft(&docker_, "r1"));
  RemovedObjects removed;
  ASSERT_TRUE(RemoveRunObjects(&docker_, "r1", &removed).ok());
  EXPECT_FALSE(*RunObjectsLeft(&docker_, "r1"));
  ASSERT_TRUE(docker_.CreateNetwork("n", {{kRunIdLabel, "r1"}}).ok());
  EXPECT_TRUE(*RunObjectsLeft(&docker_, "r1"));
}

}  // namespace
}  // namespace devloop::deploy
