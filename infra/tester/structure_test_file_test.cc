#include "infra/tester/structure_test_file.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::tester {
namespace {

using structuretest::CommandTest;
using structuretest::ExecutableBy;
using structuretest::KeyValue;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseStructureTestFileTest, ReadsEveryKindOfTest) {
  absl::StatusOr<structuretest::TestFile> f = ParseStructureTestFile(R"(
schemaVersion: "2.0.0"
globalEnvVars:
  - key: PATH
    value: /env/bin:$PATH
commandTests:
  - name: hello
    setup: [["touch", "/x"]]
    teardown: [["rm", "/x"]]
    command: echo
    args: ["hi"]
    envVars: [{key: A, value: b}]
    expectedOutput: ["^hi"]
    excludedOutput: ["bye"]
    expectedError: [""]
    excludedError: ["fatal"]
    exitCode: 2
fileExistenceTests:
  - name: busybox
    path: /bin/busybox
    shouldExist: true
    permissions: -rwxr-xr-x
    uid: 0
    gid: 0
    isExecutableBy: any
  - name: gone
    path: /nope
    shouldExist: false
fileContentTests:
  - name: conf
    path: /etc/conf
    expectedContents: ["a=1"]
    excludedContents: ["debug"]
metadataTest:
  envVars: [{key: MODE, value: "pr.d", isRegex: true}]
  unboundEnvVars: [{key: DEBUG}]
  labels: [{key: org.version, value: "1.0"}]
  exposedPorts: ["8080"]
  unexposedPorts: [9090]
  volumes: [/data]
  unmountedVolumes: [/tmp]
  entrypoint: []
  cmd: ["/bin/busybox", "httpd"]
  workdir: /srv
  user: nobody
)",
                                                                     "cst.yaml");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->path, "cst.yaml");
  EXPECT_THAT(f->global_env_vars, ElementsAre(KeyValue{.key = "PATH", .value = "/env/bin:$PATH"}));
  ASSERT_EQ(f->command_tests.size(), 1u);
  EXPECT_EQ(f->command_tests[0],
            (CommandTest{.name = "hello",
                         .setup = {{"touch", "/x"}},
                         .teardown = {{"rm", "/x"}},
                         .command = "echo",
                         .args = {"hi"},
                         .env_vars = {{.key = "A", .value = "b"}},
                         .expected_output = {"^hi"},
                         .excluded_output = {"bye"},
                         .expected_error = {""},
                         .excluded_error = {"fatal"},
                         .exit_code = 2}));
  ASSERT_EQ(f->file_existence_tests.size(), 2u);
  EXPECT_EQ(f->file_existence_tests[0].permissions, "-rwxr-xr-x");
  EXPECT_EQ(f->file_existence_tests[0].uid, 0);
  EXPECT_EQ(f->file_existence_tests[0].gid, 0);
  EXPECT_EQ(f->file_existence_tests[0].executable_by, ExecutableBy::kAny);
  EXPECT_TRUE(f->file_existence_tests[0].should_exist);
  EXPECT_FALSE(f->file_existence_tests[1].should_exist);
  EXPECT_FALSE(f->file_existence_tests[1].uid.has_value());
  ASSERT_EQ(f->file_content_tests.size(), 1u);
  EXPECT_THAT(f->file_content_tests[0].expected_contents, ElementsAre("a=1"));
  EXPECT_THAT(f->file_content_tests[0].excluded_contents, ElementsAre("debug"));
  ASSERT_TRUE(f->metadata.has_value());
  const structuretest::MetadataTest& m = *f->metadata;
  EXPECT_THAT(m.env, ElementsAre(KeyValue{.key = "MODE", .value = "pr.d", .is_regex = true}));
  EXPECT_THAT(m.unbound_env, ElementsAre("DEBUG"));
  EXPECT_THAT(m.labels, ElementsAre(KeyValue{.key = "org.version", .value = "1.0"}));
  EXPECT_THAT(m.exposed_ports, ElementsAre("8080"));
  EXPECT_THAT(m.unexposed_ports, ElementsAre("9090"));
  EXPECT_THAT(m.volumes, ElementsAre("/data"));
  EXPECT_THAT(m.unmounted_volumes, ElementsAre("/tmp"));
  EXPECT_EQ(m.entrypoint, std::vector<std::string>{});
  EXPECT_EQ(m.cmd, (std::vector<std::string>{"/bin/busybox", "httpd"}));
  EXPECT_EQ(m.workdir, "/srv");
  EXPECT_EQ(m.user, "nobody");
}

TEST(ParseStructureTestFileTest, AbsentMetadataFieldsAreNotChecked) {
  absl::StatusOr<structuretest::TestFile> f =
      ParseStructureTestFile("schemaVersion: 2.0.0\nmetadataTest:\n  workdir: /\n", "m.yaml");
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(f->metadata.has_value());
  EXPECT_FALSE(f->metadata->entrypoint.has_value());
  EXPECT_FALSE(f->metadata->cmd.has_value());
  EXPECT_FALSE(f->metadata->user.has_value());
  EXPECT_EQ(f->metadata->workdir, "/");
}

TEST(ParseStructureTestFileTest, ReadsJson) {
  absl::StatusOr<structuretest::TestFile> f = ParseStructureTestFile(
      R"({"schemaVersion": "2.0.0", "fileExistenceTests": [{"name": "a", "path": "/a"}]})",
      "t.json");
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->file_existence_tests.size(), 1u);
  EXPECT_EQ(f->file_existence_tests[0].path, "/a");
}

// Returns the message of parsing `text` as "t.yaml", which must fail.
std::string ErrorOf(const std::string& text) {
  absl::StatusOr<structuretest::TestFile> f = ParseStructureTestFile(text, "t.yaml");
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(f.status().message());
}

TEST(ParseStructureTestFileTest, UnknownFieldsNameFileLineAndTheClosestName) {
  EXPECT_EQ(ErrorOf("schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n"
                    "    expectedOuput: [x]\n"),
            "t.yaml:5:5: unknown field \"expectedOuput\" in commandTests[0] (did you mean "
            "\"expectedOutput\"?)");
  EXPECT_THAT(ErrorOf("schemaVersion: 2.0.0\nfileTests: []\n"),
              HasSubstr("t.yaml:2:1: unknown field \"fileTests\""));
}

TEST(ParseStructureTestFileTest, WrongTypesNameFileAndLine) {
  EXPECT_EQ(ErrorOf("schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n"
                    "    exitCode: zero\n"),
            "t.yaml:5:15: commandTests[0].exitCode: expected an integer, got \"zero\"");
  EXPECT_EQ(ErrorOf("schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: a\n    path: /a\n"
                    "    shouldExist: maybe\n"),
            "t.yaml:5:18: fileExistenceTests[0].shouldExist: expected true or false, got "
            "\"maybe\"");
  EXPECT_EQ(ErrorOf("schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n"
                    "    setup: [ls]\n"),
            "t.yaml:5:13: commandTests[0].setup[0]: expected a command as a non-empty list of "
            "strings, got \"ls\"");
  EXPECT_EQ(ErrorOf("schemaVersion: 2.0.0\ncommandTests: {name: a}\n"),
            "t.yaml:2:15: commandTests: expected a list, got a map");
  EXPECT_EQ(ErrorOf("schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: a\n    path: /a\n"
                    "    isExecutableBy: me\n"),
            "t.yaml:5:21: fileExistenceTests[0].isExecutableBy: expected owner, group, other or "
            "any, got \"me\"");
}

TEST(ParseStructureTestFileTest, MissingRequiredFields) {
  EXPECT_EQ(ErrorOf("schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n"),
            "t.yaml:3:5: missing required field \"command\" in commandTests[0]");
  EXPECT_EQ(ErrorOf("commandTests: []\n"),
            "t.yaml:1:1: missing required field \"schemaVersion\" in the document");
}

TEST(ParseStructureTestFileTest, RefusesOtherSchemaVersionsAndUnsupportedSections) {
  EXPECT_EQ(ErrorOf("schemaVersion: 1.0.0\n"),
            "t.yaml:1:16: schemaVersion \"1.0.0\" is not supported (devloop reads \"2.0.0\")");
  EXPECT_THAT(ErrorOf("schemaVersion: 2.0.0\nlicenseTests:\n  - debian: true\n"),
              HasSubstr("t.yaml:2:1: licenseTests: devloop's built-in structure-test runner "
                        "does not support it"));
  EXPECT_THAT(ErrorOf("schemaVersion: 2.0.0\ncontainerRunOptions:\n  user: root\n"),
              HasSubstr("t.yaml:2:1: containerRunOptions: devloop's built-in"));
}

TEST(ParseStructureTestFileTest, ReportsEveryErrorAtOnce) {
  const std::string message = ErrorOf(
      "schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n    exitCode: x\n"
      "fileContentTests:\n  - name: b\n    path: /b\n    expectedContent: [y]\n");
  EXPECT_THAT(message, HasSubstr("t.yaml:5:15:"));
  EXPECT_THAT(message, HasSubstr("t.yaml:9:5: unknown field \"expectedContent\""));
}

TEST(ParseStructureTestFileTest, BrokenYamlNamesItsPlace) {
  EXPECT_THAT(ErrorOf("schemaVersion: 2.0.0\ncommandTests: [\n"), HasSubstr("t.yaml:"));
}

TEST(CheckStructureTestArgsTest, TheDockerDriverOnly) {
  EXPECT_TRUE(CheckStructureTestArgs({}).ok());
  EXPECT_TRUE(CheckStructureTestArgs({"--driver=docker", "--no-color"}).ok());
  EXPECT_TRUE(CheckStructureTestArgs({"-d", "docker"}).ok());
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--driver=tar"}, {"--driver", "host"}}) {
    absl::Status s = CheckStructureTestArgs(args);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("driver is not supported by devloop's built-in"));
  }
  absl::Status s = CheckStructureTestArgs({"--pull"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"--pull\" is not supported"));
  EXPECT_EQ(CheckStructureTestArgs({"--driver"}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace devloop::tester
