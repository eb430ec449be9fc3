#include "domain/events/status_payload.h"

#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

TEST(StatusPayloadTest, AttachedCodeSurvivesAndOkStaysOk) {
  absl::Status s = WithStatusCode(absl::UnavailableError("engine gone"),
                                  StatusCode::kDeployClusterConnectionErr);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "engine gone");
  EXPECT_EQ(AttachedStatusCode(s), StatusCode::kDeployClusterConnectionErr);
  EXPECT_EQ(StatusCodeOr(s, StatusCode::kDeployUnknown), StatusCode::kDeployClusterConnectionErr);

  EXPECT_TRUE(WithStatusCode(absl::OkStatus(), StatusCode::kBuildUserError).ok());
  EXPECT_EQ(StatusCodeOr(absl::OkStatus(), StatusCode::kDeployUnknown), StatusCode::kOk);
}

TEST(StatusPayloadTest, NoCodeFallsBack) {
  absl::Status plain = absl::InternalError("x");
  EXPECT_EQ(AttachedStatusCode(plain), std::nullopt);
  EXPECT_EQ(StatusCodeOr(plain, StatusCode::kSyncUnknown), StatusCode::kSyncUnknown);
}

TEST(StatusPayloadTest, ALaterCodeReplacesTheFirst) {
  absl::Status s = WithStatusCode(absl::AbortedError("x"), StatusCode::kBuildUserError);
  s = WithStatusCode(s, StatusCode::kDeployUnknown);
  EXPECT_EQ(AttachedStatusCode(s), StatusCode::kDeployUnknown);
}

}  // namespace
}  // namespace devloop::domain
