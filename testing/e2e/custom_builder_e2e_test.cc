// End to end on testing/examples/custom-builder: the real devloop binary on the
// real Docker Engine, with the image built by the example's build.sh (the
// docker CLI) instead of devloop's Docker builder. `devloop dev` builds through
// the script and serves the page; an edit of an ignored path rebuilds nothing,
// an edit of a dependency path rebuilds and serves the new page; a failing
// script is the user's build error; Ctrl-C leaves no container and no image of
// the run but those kept, labelled, as the project's artifact cache, as Docker
// builds are. `devloop build` runs the same script and reports the tag.
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
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
using ::testing::IsEmpty;

constexpr absl::Duration kIteration = absl::Seconds(90);
constexpr char kName[] = "devloop-custom-builder";

EventsClient::Predicate IsBuildFailed() {
  return [](const proto::LogEntry& e) {
    return e.event().has_buildevent() && e.event().buildevent().status() == "Failed";
  };
}

bool IsIteration(const proto::LogEntry& e, int iteration) {
  return e.event().has_devloopevent() && e.event().devloopevent().iteration() == iteration;
}

class CustomBuilderE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("custom-builder", {kName});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
    image_ = session_->Image(kName);
    port_ = session_->LocalPort(9010);
  }

  // Images the scripts built lose their name when a rebuild takes it: the
  // session's sweep (by repository) would miss them if devloop did not clean up.
  void TearDown() override {
    for (const std::string& id : image_ids_) (void)Docker({"rmi", id});
  }

  // Returns the image id and run id of the container devloop runs now.
  void Running(std::string* image_id, std::string* run_id) {
    absl::StatusOr<std::string> container = session_->RunningContainer(kName);
    ASSERT_TRUE(container.ok()) << container.status();
    absl::StatusOr<std::string> out = Docker(
        {"inspect", "-f", absl::StrCat("{{.Image}} {{index .Config.Labels \"", kRunIdLabel, "\"}}"),
         *container});
    ASSERT_TRUE(out.ok()) << out.status();
    std::vector<std::string> parts =
        absl::StrSplit(absl::StripAsciiWhitespace(*out), ' ', absl::SkipEmpty());
    ASSERT_EQ(parts.size(), 2u) << *out;
    *image_id = parts[0];
    *run_id = parts[1];
    image_ids_.insert(*image_id);
  }

  std::unique_ptr<DevSession> session_;
  std::string image_;
  int port_ = 0;
  std::set<std::string> image_ids_;
};

TEST_F(CustomBuilderE2eTest, DevBuildsWithTheScriptRebuildsOnDependenciesAndCleansUp) {
  ASSERT_TRUE(session_->Start().ok());
  EventsClient& events = session_->events();

  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session_->devloop().process().Output();
  absl::Status contract = CheckBuildIteration(
      events.Entries(), {.iteration = 0, .artifacts = {image_}, .ports = {{kName, port_}}});
  EXPECT_TRUE(contract.ok()) << contract;
  absl::StatusOr<std::string> body = WaitServed(port_, "/", "Hello from a custom build!");
  ASSERT_TRUE(body.ok()) << body.status();
  // The page build.sh stamped names the $IMAGE devloop gave it.
  body = WaitServed(port_, "/built.txt", absl::StrCat("built as ", image_, ":"));
  EXPECT_TRUE(body.ok()) << body.status();
  std::string first_id, run_id;
  ASSERT_NO_FATAL_FAILURE(Running(&first_id, &run_id));

  // Edits of what the dependencies do not name (an ignored file under a
  // dependency path, a file outside them) start nothing; the edit of a
  // dependency that follows is iteration 1, and the only one.
  ASSERT_TRUE(ReplaceInFile(session_->dir() + "/www/notes.md", "Notes", "Edited notes").ok());
  ASSERT_TRUE(ReplaceInFile(session_->dir() + "/README.md", "# custom-builder", "# edited").ok());
  // Not an assertion: lets those edits go out in change sets of their own, so
  // that one counted by mistake would start an iteration of its own.
  absl::SleepFor(absl::Seconds(1));
  ASSERT_TRUE(ReplaceInFile(session_->dir() + "/www/index.html", "Hello from a custom build!",
                            "Rebuilt by the script")
                  .ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status();
  body = WaitServed(port_, "/", "Rebuilt by the script");
  ASSERT_TRUE(body.ok()) << body.status();
  for (const proto::LogEntry& e : events.Entries()) {
    EXPECT_FALSE(IsIteration(e, 2)) << "an edit the dependencies do not name started an "
                                       "iteration: "
                                    << e.ShortDebugString();
  }
  contract = CheckBuildIteration(
      events.Entries(), {.iteration = 1, .artifacts = {image_}, .ports = {{kName, port_}}});
  EXPECT_TRUE(contract.ok()) << contract;
  std::string second_id, second_run;
  ASSERT_NO_FATAL_FAILURE(Running(&second_id, &second_run));
  EXPECT_NE(second_id, first_id) << "the rebuilt image must be the one that runs";

  // A failing script: the user's build error, with its exit status; the
  // running container keeps serving.
  const std::string script = session_->dir() + "/build.sh";
  ASSERT_TRUE(ReplaceInFile(script, "set -eu\n", "set -eu\necho 'cannot build today'; exit 7\n")
                  .ok());
  absl::StatusOr<proto::LogEntry> failed = events.WaitFor(IsBuildFailed(), kIteration, at, &at);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->event().buildevent().errcode(), proto::StatusCode::BUILD_USER_ERROR);
  EXPECT_THAT(failed->event().buildevent().err(), HasSubstr("exited with status 7"));
  EXPECT_THAT(failed->event().buildevent().err(), HasSubstr("cannot build today"));
  absl::StatusOr<HttpResponse> still = Http(port_, "GET", "/");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_THAT(still->body, HasSubstr("Rebuilt by the script"));

  // Ctrl-C: nothing of the run is left; the two images the script built (the
  // one whose tag the rebuild took too) are kept as the project's artifact
  // cache, labelled as such by devloop.
  absl::StatusOr<int> code = session_->Interrupt(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status() << "\n" << session_->devloop().process().Output();
  EXPECT_EQ(*code, 0) << session_->devloop().process().Output();
  absl::StatusOr<DockerObjects> left = ListDockerObjects(absl::StrCat(kRunIdLabel, "=", run_id));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_THAT(left->containers, IsEmpty());
  EXPECT_THAT(left->networks, IsEmpty());
  absl::StatusOr<std::vector<std::string>> images = session_->RepositoryImages();
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_THAT(*images, IsEmpty());
  for (const std::string& id : {first_id, second_id}) {
    absl::StatusOr<std::string> label = Docker(
        {"image", "inspect", "-f", absl::StrCat("{{index .Config.Labels \"", kCacheLabel, "\"}}"),
         id});
    ASSERT_TRUE(label.ok()) << "image " << id << " is not kept: " << label.status();
    EXPECT_THAT(*label, HasSubstr(absl::StrCat("/", image_))) << "image " << id;
  }
}

TEST_F(CustomBuilderE2eTest, BuildRunsTheScriptAndReportsTheTag) {
  const std::string output = session_->dir() + "/build.json";
  std::string env;
  for (const auto& [k, v] : session_->DevloopEnv()) absl::StrAppend(&env, k, "='", v, "' ");
  absl::StatusOr<CommandResult> r = RunCommand(
      {"/bin/sh", "-c",
       absl::StrCat("cd '", session_->dir(), "' && ", env, "exec '", Runfile("apps/devloop"),
                    "' build --file-output='", output, "' 2>&1")},
      absl::Seconds(180));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->output;
  // The last line is "<image> -> <image>:<tag>", the tag by the default policy.
  std::vector<std::string> lines =
      absl::StrSplit(absl::StripAsciiWhitespace(r->output), '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  const std::string prefix = absl::StrCat(image_, " -> ", image_, ":");
  ASSERT_TRUE(absl::StartsWith(lines.back(), prefix)) << r->output;
  const std::string tag = lines.back().substr(prefix.size() - image_.size() - 1);
  EXPECT_THAT(r->output, HasSubstr(absl::StrCat("Built [", image_, "] as ", tag)));
  absl::StatusOr<std::string> json = ReadFile(output);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr(absl::StrCat("\"imageName\":\"", image_, "\"")));
  EXPECT_THAT(*json, HasSubstr(absl::StrCat("\"tag\":\"", tag, "\"")));
  absl::StatusOr<std::string> id = Docker({"image", "inspect", "-f", "{{.Id}}", tag});
  ASSERT_TRUE(id.ok()) << id.status();
  image_ids_.insert(std::string(absl::StripAsciiWhitespace(*id)));
  absl::StatusOr<std::string> stamp =
      Docker({"run", "--rm", "--label", session_->test_label(), "--entrypoint", "/bin/busybox",
              tag, "cat", "/www/built.txt"});
  ASSERT_TRUE(stamp.ok()) << stamp.status();
  EXPECT_EQ(*stamp, absl::StrCat("built as ", tag, "\n"));
}

}  // namespace
}  // namespace devloop::e2e
