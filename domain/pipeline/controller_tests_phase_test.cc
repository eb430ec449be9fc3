// The test phase of the controller: builds of artifacts that `test` names are
// tested after their batch and before the deploy; a failed test fails the
// iteration and keeps its images from deploying.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "domain/pipeline/controller.h"

namespace devloop::domain {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);
absl::Time At(int seconds) { return kT0 + absl::Seconds(seconds); }

ArtifactSpec Tested(std::string image) {
  ArtifactSpec a{std::move(image)};
  a.tested = true;
  return a;
}

std::vector<std::string> Entries(const Output& out) {
  std::vector<std::string> texts;
  for (const Record& r : out.records) {
    if (const auto* e = std::get_if<LogEntry>(&r)) texts.push_back(e->entry);
  }
  return texts;
}

template <class E>
std::vector<E> EventsOf(const Output& out) {
  std::vector<E> events;
  for (const Record& r : out.records) {
    if (const auto* e = std::get_if<LogEntry>(&r)) {
      if (const auto* ev = std::get_if<E>(&e->event)) events.push_back(*ev);
    }
  }
  return events;
}

class ControllerTestPhaseTest : public ::testing::Test {
 protected:
  void Make(std::vector<ArtifactSpec> artifacts) {
    ControllerOptions o;
    o.artifacts = std::move(artifacts);
    o.status_check = false;  // the check is not what these tests are about
    absl::StatusOr<Controller> c = Controller::Make(std::move(o));
    ASSERT_TRUE(c.ok()) << c.status();
    c_.emplace(*std::move(c));
  }
  Output Feed(const Input& in) {
    absl::StatusOr<Output> out = c_->Handle(in);
    EXPECT_TRUE(out.ok()) << in << ": " << out.status();
    return out.ok() ? *std::move(out) : Output{};
  }
  // Iteration 0 of "web" (tested) to its deploy: web:1 tested and live as deploy 1.
  void RunInitial() {
    Feed(Start{At(0)});
    Feed(BuildSucceeded{At(1), "web", "web:1"});
    Feed(TestsSucceeded{At(2)});
    Output up = Feed(DeploySucceeded{At(3), 1, {"container/web"}});
    ASSERT_THAT(Entries(up), Contains("Update succeeded"));
  }

  std::optional<Controller> c_;
};

TEST_F(ControllerTestPhaseTest, PassingTestsRunBetweenBuildAndDeploy) {
  Make({Tested("web")});
  Feed(Start{At(0)});
  Output built = Feed(BuildSucceeded{At(1), "web", "web:1"});
  EXPECT_THAT(Entries(built), ElementsAre("Build completed for artifact web", "Test started"));
  EXPECT_THAT(EventsOf<TestEvent>(built), ElementsAre(TestEvent{"In Progress"}));
  EXPECT_THAT(built.effects, ElementsAre(Effect(RunTests{{{"web", "web:1"}}})));
  EXPECT_EQ(c_->mode(), Controller::Mode::kTesting);
  EXPECT_FALSE(c_->pending().deploy);  // an untested build is not due to deploy

  Output passed = Feed(TestsSucceeded{At(2)});
  EXPECT_THAT(Entries(passed), ElementsAre("Test completed", "Deploy started"));
  EXPECT_THAT(EventsOf<TestEvent>(passed), ElementsAre(TestEvent{"Complete"}));
  EXPECT_THAT(passed.effects, ElementsAre(Effect(Deploy{1, {{"web", "web:1"}}})));
}

TEST_F(ControllerTestPhaseTest, AFailedTestFailsTheIterationAndDoesNotDeploy) {
  Make({Tested("web")});
  RunInitial();
  Feed(FilesChanged{At(10), "web", {{"main.go"}}});
  Feed(BuildSucceeded{At(11), "web", "web:2"});
  Output failed = Feed(TestsFailed{At(12), "web", StatusCode::kTestUnknown, "exit status 1"});
  EXPECT_THAT(Entries(failed), ElementsAre("Test failed for artifact web", "Update failed"));
  const ActionableErr err{StatusCode::kTestUnknown, "exit status 1", {}};
  EXPECT_THAT(EventsOf<TestEvent>(failed), ElementsAre(TestEvent{"Failed", err}));
  EXPECT_THAT(EventsOf<DevLoopEvent>(failed), ElementsAre(DevLoopEvent{1, "Failed", err}));
  EXPECT_THAT(failed.effects, IsEmpty());  // no Deploy: web:1 keeps running
  EXPECT_EQ(c_->mode(), Controller::Mode::kIdle);
  EXPECT_FALSE(c_->pending().deploy);
  EXPECT_TRUE(c_->deploy().live_images() == ImageTags({{"web", "web:1"}}));

  // The next change rebuilds and tests again, even into the same image.
  Feed(FilesChanged{At(20), "web", {{"main.go"}}});
  Output rebuilt = Feed(BuildSucceeded{At(21), "web", "web:2"});
  EXPECT_THAT(rebuilt.effects, ElementsAre(Effect(RunTests{{{"web", "web:2"}}})));
  Output passed = Feed(TestsSucceeded{At(22)});
  EXPECT_THAT(passed.effects, ElementsAre(Effect(Deploy{2, {{"web", "web:2"}}})));
}

TEST_F(ControllerTestPhaseTest, AFailedTestAtStartDeploysNothing) {
  Make({Tested("web")});
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Output failed = Feed(TestsFailed{At(2), "web", StatusCode::kOk, "boom"});
  EXPECT_THAT(failed.effects, IsEmpty());
  // Without a code the failure is TEST_UNKNOWN.
  EXPECT_THAT(EventsOf<DevLoopEvent>(failed),
              ElementsAre(DevLoopEvent{0, "Failed", ActionableErr{StatusCode::kTestUnknown, "boom", {}}}));
  // An intent rebuilds the stale artifact, and tests it again.
  Output intent = Feed(ExecuteIntent{.now = At(5), .build = true});
  EXPECT_THAT(intent.effects, ElementsAre(Effect(BuildArtifacts{{"web"}})));
}

TEST_F(ControllerTestPhaseTest, AnEditDuringTestsIsBuiltAfterTheDeploy) {
  Make({Tested("web")});
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Output edit = Feed(FilesChanged{At(2), "web", {{"main.go"}}});
  EXPECT_THAT(edit.effects, IsEmpty());  // queued while the tests run
  EXPECT_EQ(c_->mode(), Controller::Mode::kTesting);
  EXPECT_THAT(c_->pending().builds, ElementsAre("web"));

  Output passed = Feed(TestsSucceeded{At(3)});
  EXPECT_THAT(passed.effects, ElementsAre(Effect(Deploy{1, {{"web", "web:1"}}})));
  Output deployed = Feed(DeploySucceeded{At(4), 1, {"container/web"}});
  EXPECT_THAT(Entries(deployed), Contains("Update succeeded"));
  // Exactly one rebuild follows, in its own iteration, tested before it deploys.
  EXPECT_THAT(deployed.effects, Contains(Effect(BuildArtifacts{{"web"}})));
  Output rebuilt = Feed(BuildSucceeded{At(5), "web", "web:2"});
  EXPECT_THAT(rebuilt.effects, ElementsAre(Effect(RunTests{{{"web", "web:2"}}})));
}

TEST_F(ControllerTestPhaseTest, AnEditDuringFailingTestsRebuildsAfterTheFailure) {
  Make({Tested("web")});
  RunInitial();
  Feed(FilesChanged{At(10), "web", {{"main.go"}}});
  Feed(BuildSucceeded{At(11), "web", "web:2"});
  Feed(FilesChanged{At(12), "web", {{"main.go"}}});
  Output failed = Feed(TestsFailed{At(13), "web", StatusCode::kTestUnknown, "red"});
  EXPECT_THAT(Entries(failed), Contains("Update failed"));
  // The queued change is not lost: the next iteration builds it at once.
  EXPECT_THAT(failed.effects, ElementsAre(Effect(BuildArtifacts{{"web"}})));
}

TEST_F(ControllerTestPhaseTest, OnlyTestedArtifactsAreTestedAndUntestedOnesWait) {
  Make({ArtifactSpec{"db"}, Tested("web")});
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "db", "db:1"});
  Output built = Feed(BuildSucceeded{At(1), "web", "web:1"});
  EXPECT_THAT(built.effects, ElementsAre(Effect(RunTests{{{"web", "web:1"}}})));
  Output passed = Feed(TestsSucceeded{At(2)});
  EXPECT_THAT(passed.effects, ElementsAre(Effect(Deploy{1, {{"db", "db:1"}, {"web", "web:1"}}})));
  Feed(DeploySucceeded{At(3), 1, {}});

  // A change to the untested artifact deploys without a test phase.
  Feed(FilesChanged{At(10), "db", {{"schema.sql"}}});
  Output db = Feed(BuildSucceeded{At(11), "db", "db:2"});
  EXPECT_THAT(db.effects, ElementsAre(Effect(Deploy{2, {{"db", "db:2"}, {"web", "web:1"}}})));
}

TEST_F(ControllerTestPhaseTest, ResultsThatDoNotFitAreErrorsAndChangeNothing) {
  Make({Tested("web")});
  Feed(Start{At(0)});
  EXPECT_EQ(c_->Handle(TestsSucceeded{At(1)}).status().code(),
            absl::StatusCode::kFailedPrecondition);  // still building
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  EXPECT_EQ(c_->Handle(TestsFailed{At(2), "db", StatusCode::kTestUnknown, "x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c_->mode(), Controller::Mode::kTesting);
}

TEST_F(ControllerTestPhaseTest, ShutdownDuringTestsCancelsThem) {
  Make({Tested("web")});
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Output stop = Feed(Shutdown{At(2)});
  EXPECT_THAT(Entries(stop), ElementsAre("Test failed", "Update failed", "Dev loop shut down"));
  EXPECT_THAT(stop.effects, ElementsAre(Effect(CancelTests{}), Effect(Cleanup{{}})));
  // The cancelled tests' result arrives late and is ignored.
  EXPECT_THAT(Feed(TestsSucceeded{At(3)}).records, IsEmpty());
}

TEST_F(ControllerTestPhaseTest, AnIntentDuringTestsKeepsTheTestStatus) {
  Make({Tested("web")});
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Output intent = Feed(ExecuteIntent{.now = At(2), .build = true});
  // No PhasesReset of the build (and test) phase while it runs.
  for (const Record& r : intent.records) {
    const auto* reset = std::get_if<PhasesReset>(&r);
    EXPECT_TRUE(reset == nullptr || !reset->build);
  }
}

// ---- Test dependencies: the tests run again, the image is not rebuilt ----

TEST_F(ControllerTestPhaseTest, ATestDependencyChangeTestsTheNewestBuildAgainWithoutABuild) {
  Make({Tested("web")});
  RunInitial();
  Output retest = Feed(TestDependenciesChanged{At(10), "web"});
  EXPECT_THAT(Entries(retest), ElementsAre("Update initiated", "Test started"));
  EXPECT_THAT(EventsOf<DevLoopEvent>(retest), ElementsAre(DevLoopEvent{1, "In Progress"}));
  EXPECT_THAT(retest.effects, ElementsAre(Effect(RunTests{{{"web", "web:1"}}})));
  EXPECT_EQ(c_->mode(), Controller::Mode::kTesting);

  // Passed, and web:1 already runs: nothing to deploy.
  Output passed = Feed(TestsSucceeded{At(11)});
  EXPECT_THAT(Entries(passed), ElementsAre("Test completed", "Update succeeded"));
  EXPECT_THAT(passed.effects, IsEmpty());
  EXPECT_TRUE(c_->quiescent());
}

TEST_F(ControllerTestPhaseTest, AFailedBuildWhoseTestIsFixedDeploysWithoutARebuild) {
  Make({Tested("web")});
  RunInitial();
  Feed(FilesChanged{At(10), "web", {{"main.go"}}});
  Feed(BuildSucceeded{At(11), "web", "web:2"});
  Feed(TestsFailed{At(12), "web", StatusCode::kTestUnknown, "red"});
  ASSERT_TRUE(c_->deploy().live_images() == ImageTags({{"web", "web:1"}}));

  // The test (not the image) was wrong: fixed, web:2 is tested and deployed.
  Output retest = Feed(TestDependenciesChanged{At(20), "web"});
  EXPECT_THAT(retest.effects, ElementsAre(Effect(RunTests{{{"web", "web:2"}}})));
  Output passed = Feed(TestsSucceeded{At(21)});
  EXPECT_THAT(passed.effects, ElementsAre(Effect(Deploy{2, {{"web", "web:2"}}})));
}

TEST_F(ControllerTestPhaseTest, AFailingRetestFailsTheIterationAndKeepsWhatRuns) {
  Make({Tested("web")});
  RunInitial();
  Feed(TestDependenciesChanged{At(10), "web"});
  Output failed = Feed(TestsFailed{At(11), "web", StatusCode::kTestUnknown, "red"});
  const ActionableErr err{StatusCode::kTestUnknown, "red", {}};
  EXPECT_THAT(EventsOf<DevLoopEvent>(failed), ElementsAre(DevLoopEvent{1, "Failed", err}));
  EXPECT_THAT(failed.effects, IsEmpty());
  EXPECT_TRUE(c_->deploy().live_images() == ImageTags({{"web", "web:1"}}));
  // The next change to the test runs it again.
  EXPECT_THAT(Feed(TestDependenciesChanged{At(20), "web"}).effects,
              ElementsAre(Effect(RunTests{{{"web", "web:1"}}})));
}

TEST_F(ControllerTestPhaseTest, ATestDependencyChangeDuringABuildIsTestedWithThatBatch) {
  Make({ArtifactSpec{"db"}, Tested("web")});
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "db", "db:1"});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Feed(TestsSucceeded{At(2)});
  Feed(DeploySucceeded{At(3), 1, {}});

  Feed(FilesChanged{At(10), "db", {{"schema.sql"}}});
  Output queued = Feed(TestDependenciesChanged{At(11), "web"});
  EXPECT_THAT(queued.effects, IsEmpty()) << "one iteration at a time";
  EXPECT_THAT(c_->pending().tests, ElementsAre("web"));
  EXPECT_FALSE(c_->quiescent());
  // The batch (db only) ends by testing web again, then deploys both.
  Output built = Feed(BuildSucceeded{At(12), "db", "db:2"});
  EXPECT_THAT(built.effects, ElementsAre(Effect(RunTests{{{"web", "web:1"}}})));
  EXPECT_THAT(c_->pending().tests, IsEmpty());
  Output passed = Feed(TestsSucceeded{At(13)});
  EXPECT_THAT(passed.effects, ElementsAre(Effect(Deploy{2, {{"db", "db:2"}, {"web", "web:1"}}})));
}

TEST_F(ControllerTestPhaseTest, WithAutoBuildOffATestDependencyChangeWaitsForAnIntent) {
  Make({Tested("web")});
  RunInitial();
  Feed(SetAutoTrigger{At(5), Phase::kBuild, false});
  EXPECT_THAT(Feed(TestDependenciesChanged{At(10), "web"}).effects, IsEmpty());
  EXPECT_EQ(c_->pending(), (PendingWork{.tests = {"web"}}));
  Output intent = Feed(ExecuteIntent{.now = At(11), .build = true});
  EXPECT_THAT(intent.effects, ElementsAre(Effect(RunTests{{{"web", "web:1"}}})));
}

TEST_F(ControllerTestPhaseTest, TestDependencyChangesThatDoNotFitAreErrors) {
  Make({ArtifactSpec{"db"}, Tested("web")});
  EXPECT_EQ(c_->Handle(TestDependenciesChanged{At(0), "web"}).status().code(),
            absl::StatusCode::kFailedPrecondition);  // before Start
  Feed(Start{At(0)});
  EXPECT_EQ(c_->Handle(TestDependenciesChanged{At(1), "api"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c_->Handle(TestDependenciesChanged{At(1), "db"}).status().code(),
            absl::StatusCode::kInvalidArgument);  // it has no tests
  EXPECT_THAT(c_->pending().tests, IsEmpty());
}

TEST_F(ControllerTestPhaseTest, ATestDependencyChangeBeforeAnyBuildWaitsForTheBuild) {
  Make({Tested("web")});
  Feed(Start{At(0)});
  Feed(BuildFailed{At(1), "web", StatusCode::kBuildUserError, "broken"});
  // Nothing built to test: forgotten; the next build is tested anyway.
  EXPECT_THAT(Feed(TestDependenciesChanged{At(2), "web"}).effects, IsEmpty());
  EXPECT_TRUE(c_->pending().tests.empty());
}

}  // namespace
}  // namespace devloop::domain
