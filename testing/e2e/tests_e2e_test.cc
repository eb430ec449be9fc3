// End to end on testing/examples/with-tests: skaffold.yaml `test` runs after
// each build and before the deploy. A passing test deploys (TestEvent In
// Progress, Succeeded); a failing one (www/status.txt no longer "ok") streams
// TestEvent Failed and a failed iteration, and the build is not deployed: the
// running container keeps its image and keeps serving "ok". Fixing the file
// tests and deploys again. `devloop exec` runs the example's customActions on
// the engine against the image built, and exits 0 or 1 with them. `devloop
// test` runs test[] against the images `devloop build --file-output` listed,
// or as tagged, and exits 1 with a failing test's output. An edit to a test's
// dependencies (tests/, which the image does not hold; as paths, or listed by
// a dependencies.command) tests the running build again without rebuilding it.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/contract.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kIteration = absl::Seconds(90);

EventsClient::Predicate IsTestEvent(const std::string& status) {
  return [status](const proto::LogEntry& e) {
    return e.event().has_testevent() && e.event().testevent().status() == status;
  };
}

int Count(const std::vector<proto::LogEntry>& entries, const EventsClient::Predicate& match) {
  int n = 0;
  for (const proto::LogEntry& e : entries) n += match(e) ? 1 : 0;
  return n;
}

// Runs `devloop ARGS...` in `dir` to its end; returns (exit code, output).
std::pair<int, std::string> RunDevloop(DevSession& session, std::vector<std::string> args) {
  args.insert(args.begin(), Runfile("apps/devloop"));
  absl::StatusOr<std::unique_ptr<Subprocess>> p =
      Subprocess::Start({.argv = args, .cwd = session.dir(), .env = session.DevloopEnv()});
  if (!p.ok()) return {-1000, std::string(p.status().message())};
  absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(120));
  return {code.ok() ? *code : -1000, (*p)->Output()};
}

TEST(TestsE2eTest, AFailingTestStopsTheDeployAndExecRunsActions) {
  ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
  absl::StatusOr<std::unique_ptr<DevSession>> s =
      DevSession::Prepare("with-tests", {"devloop-tested"});
  ASSERT_TRUE(s.ok()) << s.status();
  DevSession& session = **s;
  const std::string image = session.Image("devloop-tested");
  const int port = session.LocalPort(9003);
  ASSERT_TRUE(session.Start().ok());
  EventsClient& events = session.events();
  size_t at = 0;

  // Iteration 0: build, test, deploy.
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  EXPECT_EQ(Count(events.Entries(), IsTestEvent("In Progress")), 1) << Describe(events.Entries());
  EXPECT_EQ(Count(events.Entries(), IsTestEvent("Complete")), 1);
  EXPECT_THAT(session.devloop().process().Output(), HasSubstr("tested " + image + ":"));
  // tests/structure.yaml, through devloop's own runner (no CLI here).
  EXPECT_THAT(session.devloop().process().Output(),
              HasSubstr("=== RUN: File Content Test: the page"));
  EXPECT_THAT(session.devloop().process().Output(), HasSubstr("Passes:      5"));
  ASSERT_TRUE(WaitServed(port, "/status.txt", "ok").ok());
  absl::StatusOr<std::string> deployed = session.RunningImage("devloop-tested");
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  absl::StatusOr<std::string> run_id = session.RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  const int deploys = Count(events.Entries(), IsDeployEvent("In Progress"));

  // Iteration 1: the test fails, so nothing deploys.
  ASSERT_TRUE(WriteFile(session.dir() + "/www/status.txt", "broken\n").ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Failed"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(events.Entries());
  absl::StatusOr<proto::LogEntry> failed = events.WaitFor(IsTestEvent("Failed"), kIteration);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->event().testevent().actionableerr().errcode(), proto::TEST_UNKNOWN);
  EXPECT_THAT(failed->event().testevent().actionableerr().message(),
              HasSubstr("failed with exit code 1"));
  EXPECT_EQ(done->event().devloopevent().err().errcode(), proto::TEST_UNKNOWN);
  EXPECT_EQ(Count(events.Entries(), IsDeployEvent("In Progress")), deploys)
      << "a failed test must not deploy:\n" << Describe(events.Entries());
  EXPECT_EQ(session.RunningImage("devloop-tested").value_or(""), *deployed);
  absl::StatusOr<HttpResponse> served = Http(port, "GET", "/status.txt");
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->body, "ok\n");
  absl::StatusOr<proto::State> state = events.GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->teststate().status(), "Failed");
  EXPECT_EQ(state->teststate().statuscode(), proto::TEST_UNKNOWN);

  // `devloop exec` against the image that runs: status passes, fail fails.
  // Outside the project: a file written in the context would rebuild.
  const std::string build_json = std::string(std::getenv("TEST_TMPDIR")) + "/build.json";
  ASSERT_TRUE(WriteFile(build_json, absl::StrCat(R"({"builds":[{"imageName":")", image,
                                                 R"(","tag":")", *deployed, R"("}]})"))
                  .ok());
  auto [code, output] = RunDevloop(session, {"exec", "status", "-a", build_json});
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("[status] ok"));
  std::tie(code, output) = RunDevloop(session, {"exec", "fail", "-a", build_json});
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("[seven] failing"));
  EXPECT_THAT(output, HasSubstr("\"seven\" running container image \"" + *deployed +
                                "\" errored during run with status code: 7"));
  std::tie(code, output) = RunDevloop(session, {"exec", "nope"});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(output, HasSubstr("no custom action named \"nope\" (defined: status, fail)"));
  // Other tests' actions may run on this engine too: ours ran the session's image.
  absl::StatusOr<std::string> ours = Docker(
      {"ps", "-a", "-q", "--filter", "label=dev.devloop.action", "--filter",
       "ancestor=" + *deployed});
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ(*ours, "") << "exec left its containers";

  // Iteration 2: fixed, tested, deployed.
  ASSERT_TRUE(WriteFile(session.dir() + "/www/status.txt", "ok\n").ok());
  done = events.WaitFor(IsDevLoopEvent(2, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(events.Entries());
  EXPECT_EQ(Count(events.Entries(), IsTestEvent("Complete")), 2);

  absl::Status clean = session.InterruptAndCheckNothingLeft(*run_id, absl::Seconds(5));
  EXPECT_TRUE(clean.ok()) << clean;
}

TEST(TestsE2eTest, TestCommandRunsTheTestsAgainstBuiltImages) {
  ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
  absl::StatusOr<std::unique_ptr<DevSession>> s =
      DevSession::Prepare("with-tests", {"devloop-tested"});
  ASSERT_TRUE(s.ok()) << s.status();
  DevSession& session = **s;
  const std::string image = session.Image("devloop-tested");
  // Outside the project, as Skaffold's docs put it.
  const std::string build_json = std::string(std::getenv("TEST_TMPDIR")) + "/test-build.json";

  auto [code, output] = RunDevloop(session, {"build", "--file-output", build_json});
  ASSERT_EQ(code, 0) << output;
  absl::StatusOr<std::string> listed = ReadFile(build_json);
  ASSERT_TRUE(listed.ok()) << listed.status();
  const std::string marker = "\"tag\":\"";
  const size_t at = listed->find(marker);
  ASSERT_NE(at, std::string::npos) << *listed;
  const std::string built = listed->substr(at + marker.size(),
                                           listed->find('"', at + marker.size()) - at -
                                               marker.size());
  ASSERT_THAT(built, ::testing::StartsWith(image + ":"));

  // With the file: the test gets the image it lists.
  std::tie(code, output) = RunDevloop(session, {"test", "--build-artifacts", build_json});
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("[test " + image + "] tested " + built)) << output;
  // Without it: the image as the tag policy tags it now, the same one.
  std::tie(code, output) = RunDevloop(session, {"test"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("[test " + image + "] tested " + built)) << output;

  // A failing test fails the command, saying which and how.
  ASSERT_TRUE(WriteFile(session.dir() + "/www/status.txt", "broken\n").ok());
  std::tie(code, output) = RunDevloop(session, {"test", "-a", build_json});
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("failed with exit code 1")) << output;
  EXPECT_THAT(output, ::testing::Not(HasSubstr("Tests passed"))) << output;

  // A failing structure test fails the command, naming it. The file is read
  // from the project at test time, so no rebuild is needed.
  ASSERT_TRUE(WriteFile(session.dir() + "/www/status.txt", "ok\n").ok());
  absl::StatusOr<std::string> structure = ReadFile(session.dir() + "/tests/structure.yaml");
  ASSERT_TRUE(structure.ok()) << structure.status();
  ASSERT_TRUE(WriteFile(session.dir() + "/tests/structure.yaml",
                        absl::StrReplaceAll(*structure, {{"shouldExist: false", "shouldExist: true"}}))
                  .ok());
  std::tie(code, output) = RunDevloop(session, {"test", "-a", build_json});
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("--- FAIL")) << output;
  EXPECT_THAT(output, HasSubstr("\"/bin/sh\" does not exist")) << output;
  EXPECT_THAT(output, HasSubstr("1 of 5 structure tests failed: File Existence Test: no shell "
                                "but busybox"))
      << output;
  absl::StatusOr<std::string> left = Docker(
      {"ps", "-a", "-q", "--filter", "label=dev.devloop.action=test", "--filter",
       "ancestor=" + built});
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(*left, "") << "the structure tests left containers";

  // A file that lists another image is an error naming what is missing.
  ASSERT_TRUE(WriteFile(build_json, R"({"builds":[{"imageName":"other","tag":"other:v1"}]})").ok());
  std::tie(code, output) = RunDevloop(session, {"test", "-a", build_json});
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("lists no image for " + image)) << output;
}

// The test's dependencies as the example declares them (paths), or listed by
// a dependencies.command instead: the same edit tests again either way.
class TestDependenciesE2eTest : public ::testing::TestWithParam<bool> {};

INSTANTIATE_TEST_SUITE_P(PathsOrCommand, TestDependenciesE2eTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Command" : "Paths";
                         });

TEST_P(TestDependenciesE2eTest, AnEditToATestsDependenciesTestsAgainWithoutARebuild) {
  ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
  absl::StatusOr<std::unique_ptr<DevSession>> s =
      DevSession::Prepare("with-tests", {"devloop-tested"});
  ASSERT_TRUE(s.ok()) << s.status();
  DevSession& session = **s;
  const std::string image = session.Image("devloop-tested");
  if (GetParam()) {
    ASSERT_TRUE(ReplaceInFile(session.dir() + "/skaffold.yaml", R"(paths: ["tests/**"])",
                              R"(command: echo '["tests/expected.txt"]')")
                    .ok());
  }
  ASSERT_TRUE(session.Start().ok());
  EventsClient& events = session.events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  absl::StatusOr<std::string> run_id = session.RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  absl::StatusOr<std::string> deployed = session.RunningImage("devloop-tested");
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  ASSERT_EQ(Count(events.Entries(), IsBuildEvent(image, "In Progress")), 1);

  // The test now expects something else: it runs again, on the same build, and fails.
  ASSERT_TRUE(WriteFile(session.dir() + "/tests/expected.txt", "fine\n").ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Failed"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(events.Entries());
  EXPECT_EQ(done->event().devloopevent().err().errcode(), proto::TEST_UNKNOWN);
  EXPECT_EQ(Count(events.Entries(), IsTestEvent("Failed")), 1);

  // Back as it was: tested again, passes; still no build, the same container image.
  ASSERT_TRUE(WriteFile(session.dir() + "/tests/expected.txt", "ok\n").ok());
  done = events.WaitFor(IsDevLoopEvent(2, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(events.Entries());
  EXPECT_EQ(Count(events.Entries(), IsTestEvent("Complete")), 2) << Describe(events.Entries());
  EXPECT_EQ(Count(events.Entries(), IsBuildEvent(image, "In Progress")), 1)
      << "a test dependency rebuilt the image:\n" << Describe(events.Entries());
  EXPECT_EQ(session.RunningImage("devloop-tested").value_or(""), *deployed);

  absl::Status clean = session.InterruptAndCheckNothingLeft(*run_id, absl::Seconds(5));
  EXPECT_TRUE(clean.ok()) << clean;
}

}  // namespace
}  // namespace devloop::e2e
