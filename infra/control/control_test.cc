#include "infra/control/control.h"

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::control {
namespace {

namespace d = ::devloop::domain;

// Records every answer a Done receives, so a test can check "exactly once".
struct Answers {
  std::vector<absl::Status> got;
  Control::Done Done() {
    return [this](absl::Status s) { got.push_back(std::move(s)); };
  }
};

class HubControlTest : public ::testing::Test {
 protected:
  HubControlTest() : control_(&hub_, {[] { return absl::FromUnixSeconds(42); }}) {
    hub_.Append(d::PipelineStarted{{"web"}});
  }

  // HubControl answers inline: the outcome is known when the call returns.
  absl::Status SetAutoTrigger(d::Phase phase, bool enabled) {
    Answers answers;
    control_.SetAutoTrigger(phase, enabled, answers.Done());
    EXPECT_EQ(answers.got.size(), 1u);
    return answers.got.empty() ? absl::InternalError("no answer") : answers.got[0];
  }
  absl::Status Execute(const Intent& intent) {
    Answers answers;
    control_.Execute(intent, answers.Done());
    EXPECT_EQ(answers.got.size(), 1u);
    return answers.got.empty() ? absl::InternalError("no answer") : answers.got[0];
  }
  absl::Status Handle(const d::Event& event) {
    Answers answers;
    control_.Handle(event, answers.Done());
    EXPECT_EQ(answers.got.size(), 1u);
    return answers.got.empty() ? absl::InternalError("no answer") : answers.got[0];
  }

  hub::Hub hub_;
  HubControl control_;
};

TEST_F(HubControlTest, TogglingATriggerChangesTheStateOnce) {
  ASSERT_TRUE(SetAutoTrigger(d::Phase::kBuild, false).ok());
  EXPECT_FALSE(hub_.State()->state.build_state.auto_trigger);
  EXPECT_TRUE(hub_.State()->state.file_sync_state.auto_trigger);
  absl::Status again = SetAutoTrigger(d::Phase::kBuild, false);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "auto build is already set to false");
}

TEST_F(HubControlTest, AlreadySetMessageNamesPhaseAndValue) {
  absl::Status s = SetAutoTrigger(d::Phase::kSync, true);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "auto sync is already set to true");
  EXPECT_EQ(SetAutoTrigger(d::Phase::kDeploy, true).message(),
            "auto deploy is already set to true");
  EXPECT_EQ(SetAutoTrigger(d::Phase::kBuild, true).message(), "auto build is already set to true");
}

TEST_F(HubControlTest, ExecuteResetsThePhasesItRuns) {
  hub_.Append(d::LogEntry{absl::UnixEpoch(), d::BuildEvent{"web", "Complete"}, ""});
  hub_.Append(d::LogEntry{absl::UnixEpoch(), d::DeployEvent{"Complete"}, ""});
  ASSERT_TRUE(Execute(Intent{.build = true}).ok());
  EXPECT_EQ(hub_.State()->state.build_state.artifacts.at("web"), "Not Started");
  EXPECT_EQ(hub_.State()->state.deploy_state.status, "Complete");
  EXPECT_EQ(hub_.size(), 2);  // nothing streamed for the reset itself
}

TEST_F(HubControlTest, HandleStreamsTheEventStampedNow) {
  ASSERT_TRUE(Handle(d::BuildEvent{"web", "In Progress"}).ok());
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
  absl::Status s = Handle(d::NoEvent{});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("no event set"));
  EXPECT_EQ(hub_.size(), 0);
}

TEST_F(HubControlTest, AfterCloseControlCallsAreUnavailable) {
  hub_.Close();
  absl::Status s = Execute(Intent{});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "devloop is shutting down");
  EXPECT_EQ(SetAutoTrigger(d::Phase::kBuild, false).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Handle(d::BuildEvent{"web", "In Progress"}).code(), absl::StatusCode::kUnavailable);
}

// The answer may call back into the control port (a transport that starts the
// next request from its completion): HubControl holds no lock while answering.
TEST_F(HubControlTest, DoneRunsWithoutTheControlsLockHeld) {
  std::optional<absl::Status> second;
  control_.SetAutoTrigger(d::Phase::kBuild, false, [&](absl::Status first) {
    ASSERT_TRUE(first.ok()) << first;
    control_.SetAutoTrigger(d::Phase::kBuild, false, [&](absl::Status s) { second = s; });
  });
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace devloop::control
