#include "domain/config/validate.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Artifact MakeArtifact(std::string image, int line) {
  Artifact a;
  a.image = std::move(image);
  a.absolute_context = "/p";
  a.pos = {"skaffold.yaml", line, 5};
  a.context_pos = a.pos;
  return a;
}

bool Exists(const std::string& dir) { return dir == "/p"; }

TEST(ValidateTest, ValidConfigHasNoErrors) {
  Config c;
  c.build.artifacts = {MakeArtifact("a", 3), MakeArtifact("b", 6)};
  c.build.artifacts[1].required_artifacts = {{"a", "BASE"}};
  c.port_forward = {{"container", "b", "", 8080, 9000, "127.0.0.1", {}}};
  EXPECT_THAT(Validate({c}, Exists), IsEmpty());
}

TEST(ValidateTest, CollectsEveryErrorInOnePass) {
  Config c;
  c.build.artifacts = {MakeArtifact("a", 3), MakeArtifact("a", 9)};
  c.build.artifacts[1].absolute_context = "/missing";
  c.build.artifacts[1].context = "missing";
  c.build.artifacts[1].context_pos = {"skaffold.yaml", 10, 14};
  c.build.artifacts[0].sync = Sync{};
  c.build.artifacts[0].sync->manual = {{"../secrets/*", ".", "", {"skaffold.yaml", 5, 11}}};
  c.build.artifacts[0].required_artifacts = {{"nope", ""}, {"a", ""}};
  EXPECT_THAT(
      Validate({c}, Exists),
      ElementsAre(
          ConfigError{{"skaffold.yaml", 9, 5},
                      "duplicate image \"a\" (first defined at skaffold.yaml:3:5)"},
          ConfigError{{"skaffold.yaml", 5, 11},
                      "build.artifacts[0].sync.manual[0].src \"../secrets/*\" leaves the "
                      "context \".\" (expected a path inside it)"},
          ConfigError{{"skaffold.yaml", 3, 5},
                      "build.artifacts[0].requires[0].image \"nope\" is not built by any "
                      "artifact (known: a)"},
          ConfigError{{"skaffold.yaml", 3, 5},
                      "build.artifacts[0].requires[1]: artifact \"a\" cannot require itself"},
          ConfigError{{"skaffold.yaml", 10, 14},
                      "build.artifacts[1].context \"missing\" is not a directory (looked for "
                      "/missing)"}));
}

TEST(ValidateTest, MalformedSyncGlobsSayWhatAndWhere) {
  Config c;
  c.build.artifacts = {MakeArtifact("a", 3)};
  c.build.artifacts[0].sync = Sync{};
  c.build.artifacts[0].sync->manual = {{"src/[a", "/app", "", {"skaffold.yaml", 6, 14}},
                                       {"src/[a]/**", "/app", "", {"skaffold.yaml", 8, 14}}};
  c.build.artifacts[0].sync->infer = {"*.js", "x\\"};
  EXPECT_THAT(
      Validate({c}, Exists),
      ElementsAre(ConfigError{{"skaffold.yaml", 6, 14},
                              "build.artifacts[0].sync.manual[0].src \"src/[a\" is not a valid "
                              "glob (malformed glob \"src/[a\" at offset 4: character class has "
                              "no closing ']')"},
                  ConfigError{{"skaffold.yaml", 3, 5},
                              "build.artifacts[0].sync.infer[1] \"x\\\" is not a valid glob "
                              "(malformed glob \"x\\\" at offset 1: trailing backslash escapes "
                              "nothing)"}));
}

}  // namespace
}  // namespace devloop::config
