#include "domain/pipeline/iteration.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

const ActionableErr kBuildErr{StatusCode::kBuildUserError, "exit 1", {}};
const ActionableErr kDeployErr{StatusCode::kDeployUnknown, "port in use", {}};

TEST(IterationTest, Transitions) {
  using Op = std::function<std::optional<DevLoopEvent>(Iteration&)>;
  const Op open = [](Iteration& it) { return it.Open(); };
  const Op close = [](Iteration& it) { return it.Close(); };
  const Op fail_build = [](Iteration& it) {
    it.Fail(kBuildErr);
    return std::optional<DevLoopEvent>();
  };
  const Op fail_deploy = [](Iteration& it) {
    it.Fail(kDeployErr);
    return std::optional<DevLoopEvent>();
  };
  struct Case {
    const char* name;
    std::vector<Op> ops;
    std::optional<DevLoopEvent> want_last;
    int32_t want_number;
    bool want_open;
  };
  const std::vector<Case> cases = {
      {"before the first", {}, std::nullopt, -1, false},
      {"the first is 0", {open}, DevLoopEvent{0, "In Progress"}, 0, true},
      {"succeeds without a failure", {open, close}, DevLoopEvent{0, "Succeeded"}, 0, false},
      {"fails with its first failure",
       {open, fail_build, fail_deploy, close},
       DevLoopEvent{0, "Failed", kBuildErr},
       0,
       false},
      {"counts up", {open, close, open}, DevLoopEvent{1, "In Progress"}, 1, true},
      {"a failure does not carry over",
       {open, fail_build, close, open, close},
       DevLoopEvent{1, "Succeeded"},
       1,
       false},
      {"a failure while closed is ignored",
       {open, close, fail_deploy, open, close},
       DevLoopEvent{1, "Succeeded"},
       1,
       false},
      {"open while open changes nothing", {open, open}, std::nullopt, 0, true},
      {"close while closed changes nothing", {open, close, close}, std::nullopt, 0, false},
      {"close before the first changes nothing", {close}, std::nullopt, -1, false},
  };
  for (const Case& c : cases) {
    Iteration it;
    std::optional<DevLoopEvent> last;
    for (const Op& op : c.ops) last = op(it);
    EXPECT_EQ(last, c.want_last) << c.name;
    EXPECT_EQ(it.number(), c.want_number) << c.name;
    EXPECT_EQ(it.open(), c.want_open) << c.name;
  }
}

}  // namespace
}  // namespace devloop::domain
