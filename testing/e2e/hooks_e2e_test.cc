// End to end on testing/examples/hooks: the artifact's build hooks run around
// its build with Skaffold's variables; a save under app/www/ runs the sync
// hooks, one on this machine (a marker file here) and one in the container (a
// file it then serves); and a failing before-build hook fails the build, its
// output in the BuildEvent's error and on the console. Ctrl-C leaves nothing.
// `devloop build` runs the same build hooks around each real build, none when
// the artifact cache has the image, and fails on a failing one.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
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

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kIteration = absl::Seconds(90);

std::string Marker(const DevSession& session, const std::string& name) {
  absl::StatusOr<std::string> text = ReadFile(absl::StrCat(session.dir(), "/", name));
  return text.ok() ? std::string(absl::StripTrailingAsciiWhitespace(*text))
                   : absl::StrCat("<", name, ": ", text.status().ToString(), ">");
}

TEST(HooksE2eTest, BuildAndSyncHooksRunAndAFailingHookFailsTheBuild) {
  ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
  absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("hooks", {"devloop-hooks"});
  ASSERT_TRUE(s.ok()) << s.status();
  DevSession& session = **s;
  const std::string image = session.Image("devloop-hooks");
  const int port = session.LocalPort(9003);
  // Build hooks run only around a real build: another run's image of the same
  // inputs, found in the artifact cache, would run none.
  ASSERT_TRUE(session.Start({"--cache-artifacts=false"}).ok());
  EventsClient& events = session.events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  absl::StatusOr<std::string> run_id = session.RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();

  // The build hooks ran with the reference being built (the one that runs
  // now) and the context.
  absl::StatusOr<std::string> deployed = session.RunningImage("devloop-hooks");
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  ASSERT_THAT(*deployed, StartsWith(image + ":"));
  const std::string tag = deployed->substr(image.size() + 1);
  EXPECT_EQ(Marker(session, "before-build.txt"),
            absl::StrCat(image, ":", tag, " ", session.dir(), "/app"));
  EXPECT_EQ(Marker(session, "after-build.txt"), absl::StrCat(image, " ", tag, " false"));
  ASSERT_TRUE(WaitServed(port, "/index.html", "Hooks example").ok());

  // A save under app/www/ syncs, with the sync hooks around it.
  const std::string page = session.dir() + "/app/www/index.html";
  ASSERT_TRUE(WriteFile(page, "<h1>synced</h1>\n").ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  absl::StatusOr<std::string> synced = CheckSyncIteration(
      events.Entries(), {.iteration = 1, .file_count = 1, .image_prefix = image + ":"});
  ASSERT_TRUE(synced.ok()) << synced.status() << "\n" << Describe(events.Entries());
  EXPECT_THAT(Marker(session, "before-sync.txt"), StartsWith(*synced))
      << "SKAFFOLD_IMAGE: the reference that runs (with its digest)";
  EXPECT_EQ(Marker(session, "after-sync.txt"), page) << "SKAFFOLD_FILES_ADDED_OR_MODIFIED";
  absl::StatusOr<HttpResponse> hooked = Http(port, "GET", "/hooked.txt");
  ASSERT_TRUE(hooked.ok()) << hooked.status();
  EXPECT_EQ(hooked->status, 200) << "the container hook wrote /www/hooked.txt";
  EXPECT_EQ(hooked->body, "synced by a hook\n");

  // A failing before-build hook fails the next build, with its output.
  ASSERT_TRUE(WriteFile(session.dir() + "/fail-build", "").ok());
  ASSERT_TRUE(WriteFile(session.dir() + "/app/notes.txt", "no sync rule takes this\n").ok());
  absl::StatusOr<proto::LogEntry> failed =
      events.WaitFor(IsBuildEvent(image, "Failed"), kIteration, at, &at);
  ASSERT_TRUE(failed.ok()) << failed.status() << "\n" << session.devloop().process().Output();
  const proto::BuildEvent& build = failed->event().buildevent();
  EXPECT_THAT(build.err(), AllOf(HasSubstr("before-build hook 1 of artifact " + image),
                                 HasSubstr("exited with status 7"), HasSubstr("hook says no")));
  EXPECT_EQ(build.errcode(), proto::StatusCode::BUILD_USER_ERROR);
  done = events.WaitFor(IsDevLoopEvent(2, "Failed"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(events.Entries());

  absl::Status clean = session.InterruptAndCheckNothingLeft(*run_id, absl::Seconds(5));
  EXPECT_TRUE(clean.ok()) << clean;
  EXPECT_THAT(session.devloop().process().Output(), HasSubstr("[before-build hook] hook says no"))
      << "hook output shows on the console, prefixed";
}

// Runs `devloop ARGS...` in the session's directory to its end; returns
// (exit code, output).
std::pair<int, std::string> RunDevloop(DevSession& session, std::vector<std::string> args) {
  args.insert(args.begin(), Runfile("apps/devloop"));
  absl::StatusOr<std::unique_ptr<Subprocess>> p =
      Subprocess::Start({.argv = args, .cwd = session.dir(), .env = session.DevloopEnv()});
  if (!p.ok()) return {-1000, std::string(p.status().message())};
  absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(120));
  return {code.ok() ? *code : -1000, (*p)->Output()};
}

TEST(HooksE2eTest, BuildCommandRunsBuildHooksOnlyAroundRealBuilds) {
  ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
  absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("hooks", {"devloop-hooks"});
  ASSERT_TRUE(s.ok()) << s.status();
  DevSession& session = **s;
  const std::string image = session.Image("devloop-hooks");
  const std::string before = session.dir() + "/before-build.txt";
  const std::string after = session.dir() + "/after-build.txt";

  // A real build: both hooks, with Skaffold's variables.
  auto [code, output] = RunDevloop(session, {"build", "--cache-artifacts=false"});
  ASSERT_EQ(code, 0) << output;
  ASSERT_THAT(output, HasSubstr("Built [" + image + "] as " + image + ":")) << output;
  const std::string built = output.substr(output.find("] as " + image + ":") + 5);
  const std::string tag =
      built.substr(image.size() + 1, built.find_first_of("\n ") - image.size() - 1);
  EXPECT_EQ(Marker(session, "before-build.txt"),
            absl::StrCat(image, ":", tag, " ", session.dir(), "/app"));
  EXPECT_EQ(Marker(session, "after-build.txt"), absl::StrCat(image, " ", tag, " false"));

  // Nothing changed and the cache is on: the image is found, no hook runs.
  ASSERT_EQ(std::remove(before.c_str()), 0);
  ASSERT_EQ(std::remove(after.c_str()), 0);
  std::tie(code, output) = RunDevloop(session, {"build"});
  ASSERT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("Found [" + image + "] locally")) << output;
  EXPECT_FALSE(ReadFile(before).ok()) << "a before-build hook ran on a cache hit:\n" << output;
  EXPECT_FALSE(ReadFile(after).ok()) << "an after-build hook ran on a cache hit:\n" << output;

  // A failing before-build hook fails the build: its status and its output,
  // on the console prefixed as in dev, and no after hook.
  ASSERT_TRUE(WriteFile(session.dir() + "/fail-build", "").ok());
  std::tie(code, output) = RunDevloop(session, {"build", "--cache-artifacts=false"});
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, AllOf(HasSubstr("build [" + image + "] failed"),
                            HasSubstr("before-build hook 1 of artifact " + image),
                            HasSubstr("exited with status 7"),
                            HasSubstr("[before-build hook] hook says no")));
  EXPECT_FALSE(ReadFile(after).ok()) << output;
}

}  // namespace
}  // namespace devloop::e2e
