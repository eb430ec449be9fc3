#include "domain/structuretest/check.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::structuretest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A stand-in for RE2: a pattern matches where it occurs literally; "[" is invalid.
absl::StatusOr<bool> Search(absl::string_view pattern, absl::string_view text) {
  if (pattern == "[") return absl::InvalidArgumentError("missing ]");
  return absl::StrContains(text, pattern);
}

TEST(CheckCommandTest, PassesWhenOutputsAndExitCodeAreAsExpected) {
  CommandTest t{.name = "hello",
                .expected_output = {"hello"},
                .excluded_output = {"bye"},
                .expected_error = {"warn"},
                .excluded_error = {"fatal"}};
  TestResult r = CheckCommand(t, {.stdout_text = "hello\n", .stderr_text = "warn\n"}, Search);
  EXPECT_TRUE(r.pass) << r;
  EXPECT_EQ(r.name, "Command Test: hello");
  EXPECT_THAT(r.errors, IsEmpty());
}

TEST(CheckCommandTest, NamesEveryReasonItFails) {
  CommandTest t{.name = "x",
                .expected_output = {"hello"},
                .excluded_output = {"bye"},
                .expected_error = {"warn"},
                .excluded_error = {"fatal"},
                .exit_code = 3};
  TestResult r = CheckCommand(
      t, {.stdout_text = "bye\n", .stderr_text = "fatal\n", .exit_code = 1}, Search);
  EXPECT_FALSE(r.pass);
  ASSERT_EQ(r.errors.size(), 5u) << r;
  EXPECT_EQ(r.errors[0], "exit code 1, expected 3");
  EXPECT_THAT(r.errors[1], HasSubstr("expected stdout to match \"hello\""));
  EXPECT_THAT(r.errors[2], HasSubstr("excluded \"bye\" matched in stdout"));
  EXPECT_THAT(r.errors[3], HasSubstr("expected stderr to match \"warn\""));
  EXPECT_THAT(r.errors[4], HasSubstr("excluded \"fatal\" matched in stderr"));
}

TEST(CheckCommandTest, AnInvalidRegexFailsTheTest) {
  TestResult r =
      CheckCommand({.name = "x", .expected_output = {"["}}, {.stdout_text = "["}, Search);
  EXPECT_FALSE(r.pass);
  EXPECT_THAT(r.errors, ElementsAre("invalid regex \"[\": missing ]"));
}

TEST(CheckFileExistenceTest, ChecksPresence) {
  FileExistenceTest present{.name = "a", .path = "/a"};
  EXPECT_TRUE(CheckFileExistence(present, FileFacts{.mode = 0100644}).pass);
  TestResult missing = CheckFileExistence(present, std::nullopt);
  EXPECT_FALSE(missing.pass);
  EXPECT_THAT(missing.errors, ElementsAre("\"/a\" does not exist"));

  FileExistenceTest absent{.name = "b", .path = "/b", .should_exist = false};
  EXPECT_TRUE(CheckFileExistence(absent, std::nullopt).pass);
  EXPECT_THAT(CheckFileExistence(absent, FileFacts{.mode = 0100644}).errors,
              ElementsAre("\"/b\" exists but should not"));
}

TEST(CheckFileExistenceTest, ChecksPermissionsOwnerAndExecutableBits) {
  FileExistenceTest t{.name = "sh",
                      .path = "/bin/sh",
                      .permissions = "-rwxr-xr-x",
                      .uid = 0,
                      .gid = 0,
                      .executable_by = ExecutableBy::kOther};
  EXPECT_TRUE(CheckFileExistence(t, FileFacts{.mode = 0100755}).pass);
  TestResult r = CheckFileExistence(t, FileFacts{.mode = 0100750, .uid = 1000, .gid = 50});
  EXPECT_FALSE(r.pass);
  EXPECT_THAT(r.errors,
              ElementsAre("\"/bin/sh\" has permissions \"-rwxr-x---\", expected \"-rwxr-xr-x\"",
                          "\"/bin/sh\" is owned by uid 1000, expected 0",
                          "\"/bin/sh\" belongs to gid 50, expected 0",
                          "\"/bin/sh\" (-rwxr-x---) is not executable by others"));
}

TEST(CheckFileExistenceTest, ExecutableByEachClass) {
  auto executable = [](ExecutableBy by, uint32_t mode) {
    return CheckFileExistence({.name = "f", .path = "/f", .executable_by = by},
                              FileFacts{.mode = 0100000 | mode})
        .pass;
  };
  EXPECT_TRUE(executable(ExecutableBy::kOwner, 0700));
  EXPECT_FALSE(executable(ExecutableBy::kOwner, 0077));
  EXPECT_TRUE(executable(ExecutableBy::kGroup, 0010));
  EXPECT_FALSE(executable(ExecutableBy::kGroup, 0701));
  EXPECT_TRUE(executable(ExecutableBy::kOther, 0001));
  EXPECT_FALSE(executable(ExecutableBy::kOther, 0770));
  EXPECT_TRUE(executable(ExecutableBy::kAny, 0010));
  EXPECT_FALSE(executable(ExecutableBy::kAny, 0666));
}

TEST(FileModeStringTest, PrintsAsGoFileModeDoes) {
  EXPECT_EQ(FileModeString(0100644), "-rw-r--r--");
  EXPECT_EQ(FileModeString(0040755), "drwxr-xr-x");
  EXPECT_EQ(FileModeString(0120777), "Lrwxrwxrwx");
  EXPECT_EQ(FileModeString(0104755), "urwxr-xr-x");
  EXPECT_EQ(FileModeString(0041777), "dtrwxrwxrwx");
  EXPECT_EQ(FileModeString(0020666), "Dcrw-rw-rw-");
  EXPECT_EQ(FileModeString(0010600), "prw-------");
}

TEST(CheckFileContentTest, MatchesExpectedAndExcludedContents) {
  FileContentTest t{.name = "conf",
                    .path = "/etc/conf",
                    .expected_contents = {"port=80"},
                    .excluded_contents = {"debug"}};
  EXPECT_TRUE(CheckFileContent(t, std::string("port=80\n"), Search).pass);
  TestResult r = CheckFileContent(t, std::string("port=81\ndebug\n"), Search);
  EXPECT_FALSE(r.pass);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_THAT(r.errors[0], HasSubstr("expected the contents of /etc/conf to match \"port=80\""));
  EXPECT_THAT(r.errors[1], HasSubstr("excluded \"debug\" matched in the contents of /etc/conf"));
}

TEST(CheckFileContentTest, AMissingFileFails) {
  TestResult r = CheckFileContent({.name = "c", .path = "/nope"},
                                  absl::NotFoundError("no such file"), Search);
  EXPECT_FALSE(r.pass);
  EXPECT_THAT(r.errors, ElementsAre("cannot read \"/nope\": no such file"));
}

ImageMetadata Image() {
  return {.env = {"PATH=/bin", "MODE=prod"},
          .labels = {{"org.version", "1.2.3"}},
          .exposed_ports = {"8080/tcp", "53/udp"},
          .volumes = {"/data"},
          .entrypoint = {"/app"},
          .cmd = {"--serve"},
          .workdir = "/srv",
          .user = "nobody"};
}

TEST(CheckMetadataTest, PassesWhenEveryFieldHolds) {
  MetadataTest t{.env = {{.key = "MODE", .value = "prod"}},
                 .unbound_env = {"DEBUG"},
                 .labels = {{.key = "org.version", .value = "1.2", .is_regex = true}},
                 .exposed_ports = {"8080", "53/udp"},
                 .unexposed_ports = {"9090", "53"},
                 .volumes = {"/data"},
                 .unmounted_volumes = {"/tmp"},
                 .entrypoint = std::vector<std::string>{"/app"},
                 .cmd = std::vector<std::string>{"--serve"},
                 .workdir = "/srv",
                 .user = "nobody"};
  TestResult r = CheckMetadata(t, Image(), Search);
  EXPECT_TRUE(r.pass) << r;
  EXPECT_EQ(r.name, "Metadata Test");
}

TEST(CheckMetadataTest, NamesEachMismatch) {
  MetadataTest t{.env = {{.key = "MODE", .value = "dev"}, {.key = "HOME", .value = "/"}},
                 .unbound_env = {"PATH"},
                 .labels = {{.key = "org.version", .value = "9.", .is_regex = true},
                            {.key = "missing", .value = "x"}},
                 .exposed_ports = {"9090"},
                 .unexposed_ports = {"8080"},
                 .volumes = {"/cache"},
                 .unmounted_volumes = {"/data"},
                 .entrypoint = std::vector<std::string>{},
                 .cmd = std::vector<std::string>{"sh"},
                 .workdir = "/",
                 .user = "root"};
  TestResult r = CheckMetadata(t, Image(), Search);
  EXPECT_FALSE(r.pass);
  EXPECT_THAT(
      r.errors,
      ElementsAre("env var \"MODE\" is \"prod\", expected \"dev\"", "env var \"HOME\" is not set",
                  "env var \"PATH\" is set (to \"/bin\") but should not be",
                  "label \"org.version\" is \"1.2.3\", which does not match \"9.\"",
                  "label \"missing\" is not set",
                  "port 9090 is not exposed (exposed: [\"8080/tcp\", \"53/udp\"])",
                  "port 8080 is exposed but should not be",
                  "volume \"/cache\" is not declared (volumes: [\"/data\"])",
                  "volume \"/data\" is declared but should not be",
                  "entrypoint is [\"/app\"], expected []", "cmd is [\"--serve\"], expected [\"sh\"]",
                  "workdir is \"/srv\", expected \"/\"", "user is \"nobody\", expected \"root\""));
}

TEST(CommandEnvTest, ExpandsAgainstTheImageAndEarlierVariables) {
  std::map<std::string, std::string> env =
      CommandEnv({"PATH=/bin", "HOME=/root"},
                 {{.key = "VENV", .value = "/env"}, {.key = "PATH", .value = "$VENV/bin:$PATH"}},
                 {{.key = "X", .value = "${HOME}-$NOPE-$-$"}});
  EXPECT_EQ(env, (std::map<std::string, std::string>{
                     {"PATH", "/env/bin:/bin"}, {"VENV", "/env"}, {"X", "/root--$-$"}}));
}

TEST(FormatTest, ReportsLikeTheCli) {
  TestResult pass{.name = "Metadata Test"};
  TestResult fail{.name = "Command Test: x",
                  .pass = false,
                  .errors = {"exit code 1, expected 0"},
                  .outcome = CommandOutcome{.stdout_text = "a\nb\n", .stderr_text = "oops\n"}};
  EXPECT_THAT(FormatResult(pass), ElementsAre("=== RUN: Metadata Test", "--- PASS"));
  EXPECT_THAT(FormatResult(fail),
              ElementsAre("=== RUN: Command Test: x", "--- FAIL", "stdout: a", "stdout: b",
                          "stderr: oops", "Error: exit code 1, expected 0"));
  EXPECT_THAT(FormatSummary({pass, fail}),
              ElementsAre("", "=====================================",
                          "============== RESULTS ==============",
                          "=====================================", "Passes:      1",
                          "Failures:    1", "Total tests: 2", "", "FAIL"));
  EXPECT_THAT(FormatFileHeader("a.yaml"),
              ElementsAre(std::string(31, '='), "====== Test file: a.yaml ======",
                          std::string(31, '=')));
}

}  // namespace
}  // namespace devloop::structuretest
