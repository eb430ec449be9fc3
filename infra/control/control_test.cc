#include "infra/control/control.h"

#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::control {
namespace {

namespace d = ::devloop::domain;

class HubControlTest : public ::testing::Test {
 protected:
  HubControlTest() : control_(&hub_, {[] { return absl::FromUnixSeconds(42); }}) {
    hub_.Append(d::PipelineStarted{{"web"}});
  }
  hub::Hub hub_;
  HubControl control_;

  // Calls a Control method and returns what it answered.
  template <typename Method, typename... Args>
  absl::Status Call(Method method, Args&&... args) {
    absl::Status answer = absl::UnknownError("no answer");
    (control_.*method)(std::forward<Args>(args)..., [&](absl::Status s) { answer = s; });
    return answer;
  }
};

TEST_F(HubControlTest, TogglingATriggerChangesTheStateOnce) {
  ASSERT_TRUE(Call(&HubControl::SetAutoTrigger, d::Phase::kBuild, false).ok());
  EXPECT_FALSE(hub_.State()->state.build_state.auto_trigger);
  EXPECT_TRUE(hub_.State()->state.file_sync_state.auto_trigger);
  absl::Status again = Call(&HubControl::SetAutoTrigger, d::Phase::kBuild, false);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "auto build is already set to false");
}

TEST_F(HubControlTest, AlreadySetMessageNamesPhaseAndValue) {
  absl::Status s = Call(&HubControl::SetAutoTrigger, d::Phase::kSync, true);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "auto sync is already set to true");
  EXPECT_EQ(Call(&HubControl::SetAutoTrigger, d::Phase::kDeploy, true).message(),
            "auto deploy is already set to true");
}

TEST_F(HubControlTest, ExecuteResetsThePhasesItRuns) {
  hub_.Append(d::LogEntry{absl::UnixEpoch(), d::BuildEvent{"web", "Complete"}, ""});
  hub_.Append(d::LogEntry{absl::UnixEpoch(), d::DeployEvent{"Complete"}, ""});
  ASSERT_TRUE(Call(&HubControl::Execute, Intent{.build = true}).ok());
  EXPECT_EQ(hub_.State()->state.build_state.artifacts.at("web"), "Not Started");
  EXPECT_EQ(hub_.State()->state.deploy_state.status, "Complete");
  EXPECT_EQ(hub_.size(), 2);  // nothing streamed for the reset itself
}

TEST_F(HubControlTest, HandleStreamsTheEventStampedNow) {
  ASSERT_TRUE(Call(&HubControl::Handle, d::BuildEvent{"web", "In Progress"}).ok());
  auto sub = hub_.Subscribe([] {});
  std::vector<hub::Hub::EntryPtr> got;
  ASSERT_EQ(sub->Read(10, &got), hub::Hub::ReadResult::kData);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->json_line,
            R"({"result":{"timestamp":"1970-01-01T00:00:42Z","event":{"buildEvent":)"
            R"({"artifact":"web","status":"In Progress","err":"","errCode":"OK",)"
            R"("actionableErr":null}},"entry":""}})"
            "\n");
  EXPECT_EQ(hub_.State()->state.build_state.artifacts.at("web"), "In Progress");
}

TEST_F(HubControlTest, HandleWithoutAnEventIsInvalid) {
  absl::Status s = Call(&HubControl::Handle, d::NoEvent{});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("no event set"));
  EXPECT_EQ(hub_.size(), 0);
}

TEST_F(HubControlTest, AfterCloseControlCallsAreUnavailable) {
  hub_.Close();
  EXPECT_EQ(Call(&HubControl::Execute, Intent{}).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Call(&HubControl::SetAutoTrigger, d::Phase::kBuild, false).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace devloop::control
