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
    absl::StatusOr<PlatformChoice> got = ArtifactPlatforms(c.sources);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
    EXPECT_EQ(got->platforms, c.want) << c.name;
    EXPECT_EQ(got->note, "") << c.name;
  }
}

TEST(ArtifactPlatformsTest, NoCommonPlatformIsAnErrorNamingBothLists) {
  absl::StatusOr<PlatformChoice> cli =
      ArtifactPlatforms({.cli = {"linux/amd64"}, .artifact = {"linux/arm64"}});
  ASSERT_FALSE(cli.ok());
  EXPECT_EQ(cli.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(cli.status().message(), HasSubstr("[linux/amd64] (--platform)"));
  EXPECT_THAT(cli.status().message(), HasSubstr("[linux/arm64]"));

  absl::StatusOr<PlatformChoice> pipeline =
      ArtifactPlatforms({.pipeline = {"linux/amd64", "linux/s390x"}, .artifact = {"linux/arm64"}});
  ASSERT_FALSE(pipeline.ok());
  EXPECT_THAT(pipeline.status().message(),
              HasSubstr("[linux/amd64,linux/s390x] (build.platforms)"));
}

// The cluster's nodes, as Skaffold's dev, debug and run read them: they fill
// in missing targets and narrow given ones, and never override what the user
// asked for when they share none of it.
TEST(ArtifactPlatformsTest, ClusterNodesNarrowOrFillTheTargets) {
  using List = std::vector<std::string>;
  struct Case {
    const char* name;
    PlatformSources sources;
    List want;
    std::vector<std::string> note_has;  // empty: no note
  };
  const List amd = {"linux/amd64"};
  const List arm = {"linux/arm64"};
  const List both = {"linux/amd64", "linux/arm64"};
  const List s390x = {"linux/s390x"};
  const Case cases[] = {
      {"no targets: the nodes' platform", {.cluster = arm}, arm, {}},
      {"no targets, mixed cluster, multi-platform builder: all of them",
       {.cluster = both},
       both,
       {}},
      {"cli narrowed to what the nodes run", {.cli = both, .cluster = arm}, arm, {}},
      {"pipeline narrowed to what the nodes run", {.pipeline = both, .cluster = amd}, amd, {}},
      {"cli over pipeline, then narrowed",
       {.cli = both, .pipeline = s390x, .cluster = both},
       both,
       {}},
      {"targets the nodes do not run stay, with a warning",
       {.cli = s390x, .cluster = both},
       s390x,
       {"[linux/s390x] (--platform) match none of the cluster's nodes "
        "[linux/amd64,linux/arm64]"}},
      {"the artifact constrains the nodes' platforms",
       {.artifact = arm, .cluster = both},
       arm,
       {}},
      {"dev on a mixed cluster: this machine's platform",
       {.cluster = both, .single = true, .host = "linux/arm64"},
       arm,
       {"building for linux/arm64 only, of [linux/amd64,linux/arm64]", "dev and debug"}},
      {"dev on a mixed cluster of other platforms: the first",
       {.cluster = {"linux/arm64", "linux/s390x"}, .single = true, .host = "linux/amd64"},
       arm,
       {"building for linux/arm64 only"}},
      {"dev with several targets given: one too",
       {.pipeline = both, .single = true, .host = "linux/amd64"},
       amd,
       {"building for linux/amd64 only"}},
      {"Docker build on a mixed cluster: one, with why",
       {.cluster = both, .builder_takes_one = true, .host = "linux/amd64"},
       amd,
       {"(the cluster's nodes)", "a Docker build makes one platform's image"}},
      {"Docker build for several the user named: left to the caller's error",
       {.pipeline = both, .builder_takes_one = true, .host = "linux/amd64"},
       both,
       {}},
      {"mismatch and a pick: both said",
       {.cli = {"linux/s390x", "linux/ppc64le"}, .cluster = amd, .single = true},
       s390x,
       {"match none of the cluster's nodes", "building for linux/s390x only"}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<PlatformChoice> got = ArtifactPlatforms(c.sources);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
    EXPECT_EQ(got->platforms, c.want) << c.name;
    if (c.note_has.empty()) {
      EXPECT_EQ(got->note, "") << c.name;
    }
    for (const std::string& part : c.note_has) {
      EXPECT_THAT(got->note, HasSubstr(part)) << c.name;
    }
  }
}

TEST(ArtifactPlatformsTest, ArtifactOutsideTheNodesPlatformsNamesTheCluster) {
  absl::StatusOr<PlatformChoice> got =
      ArtifactPlatforms({.artifact = {"linux/s390x"}, .cluster = {"linux/amd64"}});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(got.status().message(),
              HasSubstr("[linux/amd64] (the cluster's nodes) include none of the artifact's "
                        "platforms [linux/s390x]"));
}

TEST(AsksClusterPlatformsTest, OnlyWhenCheckingAndDeployingToKubernetes) {
  EXPECT_TRUE(AsksClusterPlatforms(/*check_cluster_node_platforms=*/true,
                                   /*kubernetes_deployer=*/true));
  EXPECT_FALSE(AsksClusterPlatforms(true, false)) << "the Docker deployer runs locally";
  EXPECT_FALSE(AsksClusterPlatforms(false, true)) << "build, or the flag turned off";
  EXPECT_FALSE(AsksClusterPlatforms(false, false));
}

}  // namespace
}  // namespace devloop::config
