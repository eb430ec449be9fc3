#include "domain/debug/annotation.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::debug {
namespace {

TEST(DebugConfigForTest, TakesArtifactFromSpecAndTheRestFromTransform) {
  ContainerSpec spec{.name = "web", .artifact = "gcr.io/k8s-skaffold/web",
                     .entrypoint = {"node", "index.js"}, .working_dir = "/app"};
  absl::StatusOr<DebugTransform> t = TransformContainer(spec, {});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(DebugConfigFor(spec, *t),
            (ContainerDebugConfig{.artifact = "gcr.io/k8s-skaffold/web",
                                  .runtime = "nodejs",
                                  .working_dir = "/app",
                                  .ports = {{"devtools", 9229}}}));
}

struct EncodeCase {
  const char* label;
  std::map<std::string, ContainerDebugConfig> configs;
  const char* want;
};

TEST(EncodeDebugConfigTest, MatchesSkaffoldsJson) {
  const EncodeCase cases[] = {
      {"nothing", {}, "{}"},
      // The two-container pod of Skaffold's debug docs, with its fields.
      {"two containers, sorted by name",
       {{"microservice", {.runtime = "nodejs", .ports = {{"devtools", 9229}}}},
        {"adapter", {.runtime = "jvm", .ports = {{"jdwp", 5005}}}}},
       R"({"adapter":{"runtime":"jvm","ports":{"jdwp":5005}},)"
       R"("microservice":{"runtime":"nodejs","ports":{"devtools":9229}}})"},
      {"all fields in Skaffold's order",
       {{"app", {.artifact = "app", .runtime = "go", .working_dir = "/src",
                 .ports = {{"dlv", 56268}}}}},
       R"({"app":{"artifact":"app","runtime":"go","workingDir":"/src","ports":{"dlv":56268}}})"},
      {"empty fields left out", {{"x", {}}}, R"({"x":{}})"},
      {"strings escaped as Go does",
       {{"c", {.artifact = "a\"b\\c<d>&\n\x01", .runtime = "python"}}},
       R"({"c":{"artifact":"a\"b\\c\u003cd\u003e\u0026\n\u0001","runtime":"python"}})"},
      {"line and paragraph separators escaped",
       {{"c", {.working_dir = "/a\xE2\x80\xA8" "b\xE2\x80\xA9"}}},
       R"({"c":{"workingDir":"/a\u2028b\u2029"}})"},
  };
  for (const EncodeCase& c : cases) {
    EXPECT_EQ(EncodeDebugConfig(c.configs), c.want) << c.label;
    // What is written reads back as it was.
    absl::StatusOr<std::map<std::string, ContainerDebugConfig>> back =
        ParseDebugConfig(EncodeDebugConfig(c.configs));
    ASSERT_TRUE(back.ok()) << c.label << ": " << back.status();
    EXPECT_EQ(*back, c.configs) << c.label;
  }
}

TEST(ParseDebugConfigTest, ReadsAnnotationsWrittenByOthers) {
  // As Skaffold's docs show it: spaced out, ports and runtime side by side.
  absl::StatusOr<std::map<std::string, ContainerDebugConfig>> got = ParseDebugConfig(R"({
    "microservice": {"runtime": "nodejs", "ports": {"devtools": 9229}},
    "adapter": {"runtime": "jvm", "ports": {"jdwp": 5005}, "future": [1, {"a": null}, true]}
  })");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, (std::map<std::string, ContainerDebugConfig>{
                      {"microservice", {.runtime = "nodejs", .ports = {{"devtools", 9229}}}},
                      {"adapter", {.runtime = "jvm", .ports = {{"jdwp", 5005}}}}}));
}

TEST(ParseDebugConfigTest, RefusesWhatIsNotAnAnnotation) {
  const char* bad[] = {
      "",
      "not json",
      R"({"c":)",
      R"({"c":{"runtime":"go"})",
      R"({"c":{"ports":{"dlv":0}}})",
      R"({"c":{"ports":{"dlv":70000}}})",
      R"({"c":{"ports":{"dlv":"56268"}}})",
      R"({"c":{"runtime":"go}})",
      R"({"c":{}} trailing)",
      R"(["c"])",
  };
  for (const char* json : bad) {
    absl::StatusOr<std::map<std::string, ContainerDebugConfig>> got = ParseDebugConfig(json);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_THAT(got.status().message(), ::testing::HasSubstr("at byte")) << json;
  }
}

TEST(MakeDebuggingContainerTest, FillsEveryEventField) {
  ContainerDebugConfig config{.artifact = "app", .runtime = "python", .working_dir = "/w",
                              .ports = {{"dap", 5678}}};
  EXPECT_EQ(MakeDebuggingContainer(DebugStatus::kStarted, "web-5f7c", "dev", "web", config),
            (DebuggingContainer{.status = DebugStatus::kStarted,
                                .pod_name = "web-5f7c",
                                .container_name = "web",
                                .namespace_name = "dev",
                                .artifact = "app",
                                .runtime = "python",
                                .working_dir = "/w",
                                .debug_ports = {{"dap", 5678}}}));
  EXPECT_EQ(DebugStatusName(DebugStatus::kStarted), "Started");
  EXPECT_EQ(DebugStatusName(DebugStatus::kTerminated), "Terminated");
  EXPECT_EQ(kDebugConfigAnnotation, "debug.cloud.google.com/config");
}

}  // namespace
}  // namespace devloop::debug
