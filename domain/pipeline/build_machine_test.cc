#include "domain/pipeline/build_machine.h"

#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ArtifactBuildTest, Transitions) {
  struct Case {
    const char* name;
    std::vector<std::function<absl::Status(ArtifactBuild&)>> steps;
    BuildStatus want_status;
    bool want_ok_last;
  };
  auto start = [](ArtifactBuild& b) { return b.Start(); };
  auto complete = [](ArtifactBuild& b) { return b.Complete("web:1"); };
  auto fail = [](ArtifactBuild& b) { return b.Fail(StatusCode::kBuildUserError, "x"); };
  auto cancel = [](ArtifactBuild& b) { return b.Cancel(); };
  const std::vector<Case> cases = {
      {"start", {start}, BuildStatus::kInProgress, true},
      {"complete", {start, complete}, BuildStatus::kComplete, true},
      {"fail", {start, fail}, BuildStatus::kFailed, true},
      {"cancel", {start, cancel}, BuildStatus::kFailed, true},
      {"restart after complete", {start, complete, start}, BuildStatus::kInProgress, true},
      {"restart after failure", {start, fail, start}, BuildStatus::kInProgress, true},
      {"start twice", {start, start}, BuildStatus::kInProgress, false},
      {"complete without start", {complete}, BuildStatus::kNotStarted, false},
      {"fail without start", {fail}, BuildStatus::kNotStarted, false},
      {"cancel after complete", {start, complete, cancel}, BuildStatus::kComplete, false},
  };
  for (const Case& c : cases) {
    ArtifactBuild b("web");
    absl::Status last;
    for (const auto& step : c.steps) last = step(b);
    EXPECT_EQ(b.status(), c.want_status) << c.name;
    EXPECT_EQ(last.ok(), c.want_ok_last) << c.name << ": " << last;
    if (!last.ok()) {
      EXPECT_EQ(last.code(), absl::StatusCode::kFailedPrecondition) << c.name;
      EXPECT_THAT(std::string(last.message()), HasSubstr("web")) << c.name;
    }
  }
}

TEST(ArtifactBuildTest, ChangeDuringBuildIsQueuedOnce) {
  ArtifactBuild b("web");
  b.MarkChanged();
  ASSERT_TRUE(b.Start().ok());
  EXPECT_FALSE(b.dirty());
  b.MarkChanged();
  b.MarkChanged();
  ASSERT_TRUE(b.Complete("web:1").ok());
  EXPECT_TRUE(b.dirty());
  ASSERT_TRUE(b.Start().ok());
  EXPECT_FALSE(b.dirty());
  ASSERT_TRUE(b.Complete("web:2").ok());
  EXPECT_FALSE(b.dirty());
}

TEST(ArtifactBuildTest, CancelIsBuildCancelledAndKeepsTheLastGoodTag) {
  ArtifactBuild b("web");
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(b.Complete("web:1").ok());
  EXPECT_FALSE(b.stale());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(b.Cancel().ok());
  EXPECT_EQ(b.status(), BuildStatus::kFailed);
  EXPECT_EQ(b.error_code(), StatusCode::kBuildCancelled);
  EXPECT_EQ(b.tag(), "web:1");
  EXPECT_TRUE(b.stale());
}

TEST(ArtifactBuildTest, FailureWithoutACodeIsBuildUnknown) {
  ArtifactBuild b("web");
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(b.Fail(StatusCode::kOk, "?").ok());
  EXPECT_EQ(b.error_code(), StatusCode::kBuildUnknown);
}

TEST(BuildGraphTest, OrdersByRequires) {
  absl::StatusOr<BuildGraph> g = BuildGraph::Make(
      {ArtifactSpec{"app", {"lib", "base"}}, ArtifactSpec{"lib", {"base"}}, ArtifactSpec{"base"},
       ArtifactSpec{"tool"}});
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(g->order(), ElementsAre("base", "tool", "lib", "app"));
  EXPECT_EQ(g->WithDependents({"lib"}), (std::set<std::string>{"lib", "app"}));
  EXPECT_EQ(g->WithDependents({"base"}), (std::set<std::string>{"base", "lib", "app"}));
  EXPECT_EQ(g->WithDependents({"tool"}), (std::set<std::string>{"tool"}));
  std::set<std::string> batch = {"base", "lib", "app"};
  EXPECT_THAT(g->Ready(batch, {}), ElementsAre("base"));
  EXPECT_THAT(g->Ready(batch, {"base"}), ElementsAre("lib"));
  EXPECT_THAT(g->Ready(batch, {"base", "lib"}), ElementsAre("app"));
  // Requirements outside the batch are already built.
  EXPECT_THAT(g->Ready({"lib", "app"}, {}), ElementsAre("lib"));
  EXPECT_THAT(g->Requirements("app"), ElementsAre("lib", "base"));
  EXPECT_TRUE(g->Requirements("nope").empty());
}

TEST(BuildGraphTest, BadGraphsAreErrors) {
  EXPECT_THAT(std::string(BuildGraph::Make({ArtifactSpec{"a", {"zz"}}}).status().message()),
              HasSubstr("requires unknown artifact zz"));
  EXPECT_THAT(std::string(BuildGraph::Make({ArtifactSpec{"a"}, ArtifactSpec{"a"}}).status().message()),
              HasSubstr("declared twice"));
  absl::StatusOr<BuildGraph> cycle = BuildGraph::Make(
      {ArtifactSpec{"a", {"c"}}, ArtifactSpec{"b", {"a"}}, ArtifactSpec{"c", {"b"}}, ArtifactSpec{"d"}});
  EXPECT_EQ(cycle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(cycle.status().message()), HasSubstr("cycle: a, b, c"));
}

}  // namespace
}  // namespace devloop::domain
