#include "infra/docker/docker_status.h"

#include "gtest/gtest.h"

namespace devloop::docker {
namespace {

using domain::StatusCode;

TEST(DockerStatusTest, CarriesTheCodeAsPayload) {
  absl::Status s = WithDockerStatusCode(absl::UnavailableError("down"),
                                        StatusCode::kBuildDockerDaemonNotRunning);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "down");
  EXPECT_EQ(DockerStatusCode(s), StatusCode::kBuildDockerDaemonNotRunning);
  s = WithDockerStatusCode(s, StatusCode::kBuildUserError);
  EXPECT_EQ(DockerStatusCode(s), StatusCode::kBuildUserError);
}

TEST(DockerStatusTest, DefaultsForOkAndUnmarkedErrors) {
  EXPECT_EQ(DockerStatusCode(absl::OkStatus()), StatusCode::kOk);
  EXPECT_EQ(DockerStatusCode(absl::InternalError("x")), StatusCode::kBuildDockerUnknown);
  EXPECT_TRUE(WithDockerStatusCode(absl::OkStatus(), StatusCode::kBuildUserError).ok());
}

}  // namespace
}  // namespace devloop::docker
