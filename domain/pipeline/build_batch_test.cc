#include "domain/pipeline/build_batch.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using Outcome = BuildBatch::Outcome;
using Progress = BuildBatch::Progress;

// base <- app <- e2e, and other on its own.
BuildGraph Graph() {
  return *BuildGraph::Make({ArtifactSpec{"base"}, ArtifactSpec{"app", {"base"}},
                            ArtifactSpec{"e2e", {"app"}}, ArtifactSpec{"other"}});
}

TEST(BuildBatchTest, Table) {
  const BuildGraph graph = Graph();
  using Op = std::function<Progress(BuildBatch&)>;
  auto start = [&](std::set<std::string> members) -> Op {
    return [&graph, members](BuildBatch& b) { return b.Start(members, graph); };
  };
  auto complete = [&](std::string image) -> Op {
    return [&graph, image](BuildBatch& b) { return b.Complete(image, graph); };
  };
  auto fail = [](std::string image) -> Op {
    return [image](BuildBatch& b) { return b.Fail(image); };
  };
  struct Case {
    const char* name;
    std::vector<Op> ops;
    Progress want_last;
    BuildBatch::State want_state;
    std::set<std::string> want_in_flight;
  };
  const std::vector<Case> cases = {
      {"independent members start together",
       {start({"base", "other"})},
       {{"base", "other"}, Outcome::kRunning, {}},
       BuildBatch::State::kRunning,
       {"base", "other"}},
      {"a dependent waits for its requirement",
       {start({"base", "app", "e2e"})},
       {{"base"}, Outcome::kRunning, {}},
       BuildBatch::State::kRunning,
       {"base"}},
      {"a completed requirement starts its dependent",
       {start({"base", "app", "e2e"}), complete("base")},
       {{"app"}, Outcome::kRunning, {}},
       BuildBatch::State::kRunning,
       {"app"}},
      {"a requirement outside the batch does not hold a member back",
       {start({"app", "e2e"})},
       {{"app"}, Outcome::kRunning, {}},
       BuildBatch::State::kRunning,
       {"app"}},
      {"the last completion completes the batch",
       {start({"base", "app"}), complete("base"), complete("app")},
       {{}, Outcome::kCompleted, {}},
       BuildBatch::State::kIdle,
       {}},
      {"a failure blocks the members that never started",
       {start({"base", "app", "e2e"}), fail("base")},
       {{}, Outcome::kFailed, {"app", "e2e"}},
       BuildBatch::State::kIdle,
       {}},
      {"after a failure the batch waits for the builds in flight",
       {start({"base", "app", "other"}), fail("other")},
       {{}, Outcome::kRunning, {}},
       BuildBatch::State::kFailing,
       {"base"}},
      {"a completion while failing starts nothing and ends the batch failed",
       {start({"base", "app", "other"}), fail("other"), complete("base")},
       {{}, Outcome::kFailed, {"app"}},
       BuildBatch::State::kIdle,
       {}},
      {"a result for an artifact not in flight is ignored",
       {start({"base", "app"}), complete("app")},
       {{}, Outcome::kRunning, {}},
       BuildBatch::State::kRunning,
       {"base"}},
      {"a start while running is ignored",
       {start({"base"}), start({"other"})},
       {{}, Outcome::kRunning, {}},
       BuildBatch::State::kRunning,
       {"base"}},
      {"an empty batch completes at once",
       {start({})},
       {{}, Outcome::kCompleted, {}},
       BuildBatch::State::kIdle,
       {}},
  };
  for (const Case& c : cases) {
    BuildBatch batch;
    Progress last;
    for (const Op& op : c.ops) last = op(batch);
    EXPECT_EQ(last, c.want_last) << c.name;
    EXPECT_EQ(batch.state(), c.want_state) << c.name;
    EXPECT_EQ(batch.in_flight(), c.want_in_flight) << c.name;
  }
}

TEST(BuildBatchTest, OnlyBuildsInFlightTakeResults) {
  const BuildGraph graph = Graph();
  BuildBatch batch;
  EXPECT_EQ(batch.CheckResult("base").code(), absl::StatusCode::kFailedPrecondition);
  batch.Start({"base", "app"}, graph);
  EXPECT_TRUE(batch.CheckResult("base").ok());
  absl::Status app = batch.CheckResult("app");
  EXPECT_EQ(app.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(app.message(), "build result for artifact app, which is not building");
}

TEST(BuildBatchTest, CancelReturnsTheBuildsInFlightAndEndsTheBatch) {
  const BuildGraph graph = Graph();
  BuildBatch batch;
  batch.Start({"base", "app", "other"}, graph);
  EXPECT_THAT(batch.Cancel(), ElementsAre("base", "other"));
  EXPECT_FALSE(batch.running());
  EXPECT_TRUE(batch.Cancel().empty());
  EXPECT_EQ(batch.CheckResult("base").code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace devloop::domain
