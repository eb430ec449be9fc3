// End to end on testing/examples/sync (manual sync rules for www/**): a saved
// file is copied into the running container, served at once, and streamed as
// one sync iteration with no build and no deploy; the container keeps its
// image. Ctrl-C exits 0 within 5 s and leaves nothing of the run. And on
// testing/examples/sync-infer, the same with sync.infer.
#include <unistd.h>

#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/contract.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"

namespace devloop::e2e {
namespace {

using ::testing::IsEmpty;

constexpr absl::Duration kIteration = absl::Seconds(90);

int CountBuildEvents(const std::vector<proto::LogEntry>& entries) {
  int n = 0;
  for (const proto::LogEntry& e : entries) n += e.event().has_buildevent() ? 1 : 0;
  return n;
}

class SyncE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("sync", {"devloop-sync"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
    image_ = session_->Image("devloop-sync");
    port_ = session_->LocalPort(9001);
  }

  std::unique_ptr<DevSession> session_;
  std::string image_;
  int port_ = 0;
};

TEST_F(SyncE2eTest, SyncedEditsAreServedWithoutABuild) {
  ASSERT_TRUE(session_->Start().ok());
  EventsClient& events = session_->events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session_->devloop().process().Output();
  absl::Status contract =
      CheckBuildIteration(events.Entries(), {.iteration = 0,
                                             .artifacts = {image_},
                                             .ports = {{"devloop-sync", port_}}});
  EXPECT_TRUE(contract.ok()) << contract;
  absl::StatusOr<std::string> body = WaitServed(port_, "/index.html", "Synced without a rebuild");
  ASSERT_TRUE(body.ok()) << body.status();
  absl::StatusOr<std::string> deployed = session_->RunningImage("devloop-sync");
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  absl::StatusOr<std::string> run_id = session_->RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();

  // Two saves, two sync iterations; each is served as soon as its event says so.
  int iteration = 1;
  for (const std::string file : {"www/index.html", "www/style.css"}) {
    SCOPED_TRACE(file);
    const std::string marker = absl::StrCat("synced edit ", iteration);
    ASSERT_TRUE(WriteFile(absl::StrCat(session_->dir(), "/", file), marker + "\n").ok());
    done = events.WaitFor(IsDevLoopEvent(iteration, "Succeeded"), kIteration, at, &at);
    ASSERT_TRUE(done.ok()) << done.status();
    absl::StatusOr<std::string> synced = CheckSyncIteration(
        events.Entries(), {.iteration = iteration, .file_count = 1, .image_prefix = image_ + ":"});
    ASSERT_TRUE(synced.ok()) << synced.status();
    EXPECT_EQ(*synced, *deployed) << "the sync names the running image";
    absl::StatusOr<HttpResponse> served = Http(port_, "GET", "/" + file.substr(4));
    ASSERT_TRUE(served.ok()) << served.status();
    EXPECT_EQ(served->status, 200);
    EXPECT_EQ(served->body, marker + "\n");
    ++iteration;
  }
  EXPECT_EQ(CountBuildEvents(events.Entries()), 2) << "only iteration 0 builds:\n"
                                                   << Describe(events.Entries());
  absl::StatusOr<std::string> running = session_->RunningImage("devloop-sync");
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(*running, *deployed) << "a sync must not redeploy";
  absl::StatusOr<proto::State> state = events.GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->filesyncstate().status(), "Succeeded");

  absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(5));
  EXPECT_TRUE(clean.ok()) << clean;
}

// testing/examples/sync-infer: sync.infer with no destination in the config.
// A saved file is synced to where the Dockerfile's WORKDIR and COPY put it and
// served from there, with no build; a deleted one rebuilds, as in Skaffold.
TEST(SyncInferE2eTest, SavedFilesGoWhereTheDockerfileCopiedThem) {
  ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
  absl::StatusOr<std::unique_ptr<DevSession>> s =
      DevSession::Prepare("sync-infer", {"devloop-sync-infer"});
  ASSERT_TRUE(s.ok()) << s.status();
  DevSession& session = **s;
  const std::string image = session.Image("devloop-sync-infer");
  const int port = session.LocalPort(9002);
  ASSERT_TRUE(session.Start().ok());
  EventsClient& events = session.events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  absl::StatusOr<std::string> run_id = session.RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  absl::StatusOr<std::string> deployed = session.RunningImage("devloop-sync-infer");
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  ASSERT_TRUE(WaitServed(port, "/css/style.css", "sans-serif").ok());

  // site/css/style.css -> /srv/www/css/style.css: synced, no build.
  ASSERT_TRUE(WriteFile(session.dir() + "/site/css/style.css", "h1 { color: teal; }\n").ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  absl::StatusOr<std::string> synced = CheckSyncIteration(
      events.Entries(), {.iteration = 1, .file_count = 1, .image_prefix = image + ":"});
  ASSERT_TRUE(synced.ok()) << synced.status() << "\n" << Describe(events.Entries());
  absl::StatusOr<HttpResponse> served = Http(port, "GET", "/css/style.css");
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->body, "h1 { color: teal; }\n");
  EXPECT_EQ(CountBuildEvents(events.Entries()), 2) << "only iteration 0 builds";
  EXPECT_EQ(session.RunningImage("devloop-sync-infer").value_or(""), *deployed);

  // A deleted file rebuilds: the image may hold what it hid.
  ASSERT_EQ(::unlink((session.dir() + "/site/index.html").c_str()), 0);
  done = events.WaitFor(IsDevLoopEvent(2, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  EXPECT_EQ(CountBuildEvents(events.Entries()), 4) << Describe(events.Entries());
  absl::StatusOr<HttpResponse> gone = Http(port, "GET", "/index.html");
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_EQ(gone->status, 404);

  // The Dockerfile moves the files: the project reloads (a new loop, from
  // iteration 0), and the next save goes to the new place.
  const std::string dockerfile = session.dir() + "/Dockerfile";
  ASSERT_TRUE(ReplaceInFile(dockerfile, "COPY site www/", "COPY site pub/").ok());
  ASSERT_TRUE(ReplaceInFile(dockerfile, "\"/srv/www\"", "\"/srv/pub\"").ok());
  done = events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  ASSERT_TRUE(WriteFile(session.dir() + "/site/css/style.css", "h1 { color: plum; }\n").ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session.devloop().process().Output();
  EXPECT_TRUE(WaitServed(port, "/css/style.css", "plum").ok())
      << "synced to /srv/pub, where the new Dockerfile copies it";
  absl::StatusOr<std::string> new_run = session.RunId();
  if (new_run.ok()) run_id = new_run;

  absl::Status clean = session.InterruptAndCheckNothingLeft(*run_id, absl::Seconds(5));
  EXPECT_TRUE(clean.ok()) << clean;
}

// Ctrl-C while the first build runs: the build is cancelled, devloop exits 0
// within 5 s, and nothing of the run is left behind (no image finished after
// the cleanup looked). No image carries the run id yet, so it is read from the
// engine calls `-v debug` logs (cleanup lists objects by that label).
TEST_F(SyncE2eTest, CtrlCDuringTheFirstBuildLeavesNothing) {
  ASSERT_TRUE(session_->Start({"-v", "debug"}).ok());
  EventsClient& events = session_->events();
  absl::StatusOr<proto::LogEntry> building =
      events.WaitFor(IsBuildEvent(image_, "In Progress"), kIteration);
  ASSERT_TRUE(building.ok()) << building.status();
  absl::StatusOr<int> code = session_->Interrupt(absl::Seconds(5));
  const std::string output = session_->devloop().process().Output();
  ASSERT_TRUE(code.ok()) << code.status() << "\n" << output;
  EXPECT_EQ(*code, 0) << output;
  std::smatch m;
  static const std::regex kRunId("run-id%3D([0-9a-f]+)");
  ASSERT_TRUE(std::regex_search(output, m, kRunId)) << "no cleanup call in the output:\n" << output;
  absl::StatusOr<DockerObjects> left =
      ListDockerObjects(absl::StrCat(kRunIdLabel, "=", m[1].str()));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_TRUE(left->empty()) << left->containers.size() << " containers, " << left->networks.size()
                             << " networks, " << left->images.size() << " images left";
  absl::StatusOr<std::vector<std::string>> images = session_->RepositoryImages();
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_THAT(*images, IsEmpty());
  // The run's own id, for the session's sweep, should anything be left.
  if (!left->empty()) (void)SweepDockerObjects(absl::StrCat(kRunIdLabel, "=", m[1].str()));
}

}  // namespace
}  // namespace devloop::e2e
