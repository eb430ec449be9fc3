#include "domain/config/platforms.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Parse(const std::string& text) {
  absl::StatusOr<std::string> p = ParsePlatform(text);
  if (!p.ok()) return "ERROR: " + std::string(p.status().message());
  return *p;
}

TEST(ParsePlatformTest, NormalizesOsArchAndVariant) {
  struct Case {
    std::string in, want;
  };
  const Case cases[] = {
      {"linux/amd64", "linux/amd64"},
      {"linux/arm64", "linux/arm64"},
      {" Linux/AMD64 ", "linux/amd64"},
      {"linux/x86_64", "linux/amd64"},
      {"linux/x86-64", "linux/amd64"},
      {"linux/amd64/v1", "linux/amd64"},
      {"linux/amd64/v3", "linux/amd64/v3"},
      {"linux/aarch64", "linux/arm64"},
      {"linux/arm64/v8", "linux/arm64"},
      {"linux/arm64/8", "linux/arm64"},
      {"linux/arm", "linux/arm/v7"},
      {"linux/arm/6", "linux/arm/v6"},
      {"linux/arm/v5", "linux/arm/v5"},
      {"linux/armhf", "linux/arm/v7"},
      {"linux/armel", "linux/arm/v6"},
      {"linux/i386", "linux/386"},
      {"linux/s390x", "linux/s390x"},
      {"macos/arm64", "darwin/arm64"},
      {"windows/amd64", "windows/amd64"},
  };
  for (const Case& c : cases) EXPECT_EQ(Parse(c.in), c.want) << c.in;
}

TEST(ParsePlatformTest, RefusesWhatIsNotOsArchVariant) {
  for (const std::string bad :
       {"", "linux", "amd64", "linux/", "/amd64", "linux//v7", "linux/arm/v7/x", "linux/amd 64",
        "linux/amd64:v1", "linux/arm64,linux/amd64"}) {
    absl::StatusOr<std::string> p = ParsePlatform(bad);
    ASSERT_FALSE(p.ok()) << bad << " -> " << *p;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(p.status().message(), HasSubstr("expected os/arch[/variant]")) << bad;
  }
}

TEST(ParsePlatformListTest, SplitsOnCommasNormalizesAndDropsRepeats) {
  absl::StatusOr<std::vector<std::string>> list =
      ParsePlatformList("linux/amd64, linux/aarch64,,linux/x86_64");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(*list, ElementsAre("linux/amd64", "linux/arm64"));

  absl::StatusOr<std::vector<std::string>> empty = ParsePlatformList("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  absl::StatusOr<std::vector<std::string>> bad = ParsePlatformList("linux/amd64,arm64");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("\"arm64\" is not a platform"));
}

// The table of Skaffold's rule: --platform over build.platforms, and the
// artifact's own list as a constraint on whichever of them applies.
TEST(ArtifactPlatformsTest, TargetsConstrainedByTheArtifact) {
  using List = std::vector<std::string>;
  struct Case {
    const char* name;
    PlatformSources sources;
    List want;
  };
  const List amd = {"linux/amd64"};
  const List arm = {"linux/arm64"};
  const List both = {"linux/amd64", "linux/arm64"};
  const List both_reversed = {"linux/arm64", "linux/amd64"};
  const Case cases[] = {
      {"nothing: the builder's default", {}, {}},
      {"pipeline alone", {.pipeline = both}, both},
      {"cli alone", {.cli = amd}, amd},
      {"artifact alone", {.artifact = arm}, arm},
      {"cli over pipeline", {.cli = arm, .pipeline = amd}, arm},
      {"artifact constrains pipeline", {.pipeline = both, .artifact = arm}, arm},
      {"artifact constrains cli", {.cli = both, .pipeline = amd, .artifact = arm}, arm},
      {"intersection in the targets' order",
       {.pipeline = both_reversed, .artifact = both},
       both_reversed},
      {"artifact wider than the targets", {.cli = amd, .artifact = both}, amd},
  };
  for (const Case& c : cases) {
    absl::StatusOr<List> got = ArtifactPlatforms(c.sources);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.name;
  }
}

TEST(ArtifactPlatformsTest, NoCommonPlatformIsAnErrorNamingBothLists) {
  absl::StatusOr<std::vector<std::string>> cli =
      ArtifactPlatforms({.cli = {"linux/amd64"}, .artifact = {"linux/arm64"}});
  ASSERT_FALSE(cli.ok());
  EXPECT_EQ(cli.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(cli.status().message(), HasSubstr("[linux/amd64] (--platform)"));
  EXPECT_THAT(cli.status().message(), HasSubstr("[linux/arm64]"));

  absl::StatusOr<std::vector<std::string>> pipeline =
      ArtifactPlatforms({.pipeline = {"linux/amd64", "linux/s390x"}, .artifact = {"linux/arm64"}});
  ASSERT_FALSE(pipeline.ok());
  EXPECT_THAT(pipeline.status().message(),
              HasSubstr("[linux/amd64,linux/s390x] (build.platforms)"));
}

}  // namespace
}  // namespace devloop::config
