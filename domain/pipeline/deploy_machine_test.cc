#include "domain/pipeline/deploy_machine.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

TEST(DeployMachineTest, HappyPathAndDue) {
  DeployMachine d;
  EXPECT_FALSE(d.Due({{"web", ""}}));  // nothing built yet
  EXPECT_TRUE(d.Due({{"web", "web:1"}}));
  absl::StatusOr<int64_t> id = d.Start({{"web", "web:1"}}, false);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 1);
  EXPECT_EQ(d.status(), DeployStatus::kInProgress);
  EXPECT_EQ(d.running_id(), 1);
  ASSERT_TRUE(d.Complete(1).ok());
  EXPECT_EQ(d.status(), DeployStatus::kComplete);
  EXPECT_EQ(d.live_id(), 1);
  EXPECT_FALSE(d.Due({{"web", "web:1"}}));
  EXPECT_TRUE(d.Due({{"web", "web:2"}}));
}

TEST(DeployMachineTest, RefusesWhatItMustNotDeploy) {
  DeployMachine d;
  EXPECT_EQ(d.Start({{"web", "web:1"}}, /*build_running=*/true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.Start({{"web", ""}}, false).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(d.Start({{"web", "web:1"}}, false).ok());
  EXPECT_EQ(d.Start({{"web", "web:1"}}, false).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.Complete(99).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.Fail(99, StatusCode::kDeployUnknown).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status(), DeployStatus::kInProgress);
}

TEST(DeployMachineTest, FailureKeepsTheLiveDeploymentAndIsNotDueAgain) {
  DeployMachine d;
  ASSERT_TRUE(d.Start({{"web", "web:1"}}, false).ok());
  ASSERT_TRUE(d.Complete(1).ok());
  ASSERT_TRUE(d.Start({{"web", "web:2"}}, false).ok());
  ASSERT_TRUE(d.Fail(2, StatusCode::kOk).ok());
  EXPECT_EQ(d.status(), DeployStatus::kFailed);
  EXPECT_EQ(d.error_code(), StatusCode::kDeployUnknown);
  EXPECT_EQ(d.live_id(), 1);
  EXPECT_EQ(d.live_images().at("web"), "web:1");
  EXPECT_FALSE(d.Due({{"web", "web:2"}}));  // the same attempt would fail again
  EXPECT_TRUE(d.Due({{"web", "web:3"}}));   // a newer build is due
  d.ForgetFailure();
  EXPECT_TRUE(d.Due({{"web", "web:2"}}));   // an intent retries
  d.Reset();
  EXPECT_EQ(d.status(), DeployStatus::kNotStarted);
}

}  // namespace
}  // namespace devloop::domain
