#include "domain/config/errors.h"

#include "gtest/gtest.h"

namespace devloop::config {
namespace {

TEST(FormatErrorTest, FileLineColumnMessage) {
  EXPECT_EQ(FormatError({{"skaffold.yaml", 12, 7}, "unknown field \"x\""}),
            "skaffold.yaml:12:7: unknown field \"x\"");
  EXPECT_EQ(FormatError({{"skaffold.yaml", 0, 0}, "cannot read"}), "skaffold.yaml: cannot read");
}

TEST(ErrorsToStatusTest, OkWhenEmptyAndOneLinePerError) {
  EXPECT_TRUE(ErrorsToStatus({}).ok());
  absl::Status s = ErrorsToStatus({{{"a.yaml", 1, 2}, "one"}, {{"b.yaml", 3, 4}, "two"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "a.yaml:1:2: one\nb.yaml:3:4: two");
}

TEST(EditDistanceTest, CountsSwapsAsOneEdit) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("abc", ""), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("dockerfiel", "dockerfile"), 1);
  EXPECT_EQ(EditDistance("biuld", "build"), 1);
  EXPECT_EQ(EditDistance("ab", "ba"), 1);
}

TEST(ClosestNameTest, SuggestsPlausibleTyposOnly) {
  const std::vector<std::string> names = {"dockerfile", "buildArgs", "target", "network"};
  EXPECT_EQ(ClosestName("dockerfiel", names), "dockerfile");
  EXPECT_EQ(ClosestName("buildargs", names), "buildArgs");
  EXPECT_EQ(ClosestName("targte", names), "target");
  EXPECT_EQ(ClosestName("biuld", {"build", "deploy"}), "build");
  EXPECT_EQ(ClosestName("zzzzzz", names), "");
  EXPECT_EQ(ClosestName("x", {}), "");
}

}  // namespace
}  // namespace devloop::config
