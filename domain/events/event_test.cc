#include "domain/events/event.h"

#include <set>
#include <sstream>
#include <string>

#include "domain/events/status_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

TEST(StatusCodeTest, NamesAreTheWireNames) {
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
  EXPECT_EQ(StatusCodeName(StatusCode::kBuildUserError), "BUILD_USER_ERROR");
  EXPECT_EQ(StatusCodeName(StatusCode::kStatusCheckDeadlineExceeded),
            "STATUSCHECK_DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(4242)), "");
  EXPECT_EQ(SuggestionCodeName(SuggestionCode::kCheckDockerRunning), "CHECK_DOCKER_RUNNING");
}

TEST(StatusCodeTest, EveryListedCodeHasAUniqueNameAndNumber) {
  int n = 0;
  const StatusCode* all = AllStatusCodes(&n);
  EXPECT_EQ(n, 67);
  std::set<std::string> names;
  std::set<int> numbers;
  for (int i = 0; i < n; ++i) {
    EXPECT_FALSE(StatusCodeName(all[i]).empty());
    names.insert(std::string(StatusCodeName(all[i])));
    numbers.insert(static_cast<int>(all[i]));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(n));
  EXPECT_EQ(numbers.size(), static_cast<size_t>(n));
}

TEST(EventTest, KindNamesFollowTheOneof) {
  EXPECT_EQ(EventKindName(BuildEvent{}), "buildEvent");
  EXPECT_EQ(EventKindName(TestEvent{}), "TestEvent");
  EXPECT_EQ(EventKindName(NoEvent{}), "");
}

TEST(EventTest, EqualityAndPrinting) {
  LogEntry a{absl::FromUnixSeconds(10),
             BuildEvent{.artifact = "web", .status = "Failed", .err_code = StatusCode::kBuildUserError},
             "Build failed for artifact web"};
  LogEntry b = a;
  EXPECT_EQ(a, b);
  std::get<BuildEvent>(b.event).status = "Complete";
  EXPECT_NE(a, b);
  std::ostringstream os;
  os << a;
  EXPECT_THAT(os.str(), ::testing::HasSubstr("buildEvent{artifact=web status=\"Failed\""));
  EXPECT_THAT(os.str(), ::testing::HasSubstr("BUILD_USER_ERROR"));
}

}  // namespace
}  // namespace devloop::domain
