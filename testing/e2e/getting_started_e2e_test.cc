// End to end on testing/examples/getting-started (no sync rules): the real
// devloop binary on the real Docker Engine, followed through gRPC Events.
// One run walks the scenarios in order, since each needs the state the
// previous one left: the first iteration against the contract; a source edit
// rebuilds and redeploys with a new tag on the same local port; a broken
// Dockerfile fails with BUILD_USER_ERROR while the old container keeps
// serving; fixing it recovers; Ctrl-C exits 0 within 5 s and leaves nothing of
// the run while objects it did not create survive.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr absl::Duration kIteration = absl::Seconds(90);

EventsClient::Predicate IsBuildFailed() {
  return [](const proto::LogEntry& e) {
    return e.event().has_buildevent() && e.event().buildevent().status() == "Failed";
  };
}

// GETs a URL over and over on a thread of its own until stopped, keeping what
// it was served: the test's view of a user reloading the page during a redeploy.
// Thread-compatible: construct and Stop() on one thread.
class ContinuousGets {
 public:
  struct Result {
    int requests = 0;
    int old_content = 0;  // "Hello from devloop!"
    int new_content = 0;  // "Edited once"
    int failed = 0;
    std::vector<std::string> failures;  // the first few
  };
  ContinuousGets(int port, std::string path)
      : thread_([this, port, path] {
          while (!stop_.load()) {
            absl::StatusOr<HttpResponse> r = Http(port, "GET", path, "", absl::Seconds(5));
            ++result_.requests;
            std::string failure;
            if (!r.ok()) {
              failure = r.status().ToString();
            } else if (r->status != 200) {
              failure = absl::StrCat("HTTP ", r->status, ": ", r->body);
            } else if (absl::StrContains(r->body, "Hello from devloop!")) {
              ++result_.old_content;
            } else if (absl::StrContains(r->body, "Edited once")) {
              ++result_.new_content;
            } else {
              failure = absl::StrCat("unexpected body: ", r->body);
            }
            if (!failure.empty() && ++result_.failed <= 5) result_.failures.push_back(failure);
            absl::SleepFor(absl::Milliseconds(5));
          }
        }) {}
  ~ContinuousGets() { (void)Stop(); }
  Result Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return result_;
  }

 private:
  std::atomic<bool> stop_{false};
  Result result_;  // written by thread_ until joined
  std::thread thread_;
};

class GettingStartedE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s =
        DevSession::Prepare("getting-started", {"devloop-getting-started"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
    image_ = session_->Image("devloop-getting-started");
    port_ = session_->LocalPort(9000);
  }

  // Objects this run did not create: an image of the same repository, a
  // container of it labelled as another devloop run's, and such a network.
  void StartBystanders() {
    bystander_image_ = image_ + ":bystander";
    bystander_name_ = absl::StrCat(ShortRepo(), "-bystander");
    const std::string other_run = absl::StrCat(kRunIdLabel, "=other-", ShortRepo());
    absl::Status built = BuildLabelledImage(session_->test_label(), bystander_image_, session_->dir());
    ASSERT_TRUE(built.ok()) << built;
    absl::StatusOr<std::string> r = Docker({"run", "-d", "--label", session_->test_label(), "--label", other_run, "--name",
                bystander_name_, bystander_image_});
    ASSERT_TRUE(r.ok()) << r.status();
    r = Docker({"network", "create", "--label", session_->test_label(), "--label", other_run,
                bystander_name_});
    ASSERT_TRUE(r.ok()) << r.status();
  }

  std::string ShortRepo() const { return image_.substr(0, image_.find('/')); }

  std::unique_ptr<DevSession> session_;
  std::string image_;
  int port_ = 0;
  std::string bystander_image_, bystander_name_;
};

TEST_F(GettingStartedE2eTest, BuildsRebuildsSurvivesABrokenDockerfileAndCleansUp) {
  ASSERT_NO_FATAL_FAILURE(StartBystanders());
  ASSERT_TRUE(session_->Start().ok());
  EventsClient& events = session_->events();

  // Iteration 0, exactly as the contract's table gives it.
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session_->devloop().process().Output();
  absl::Status contract = CheckBuildIteration(
      events.Entries(),
      {.iteration = 0, .artifacts = {image_}, .ports = {{"devloop-getting-started", port_}}});
  EXPECT_TRUE(contract.ok()) << contract;
  absl::StatusOr<std::string> body = WaitServed(port_, "/", "Hello from devloop!");
  ASSERT_TRUE(body.ok()) << body.status();
  absl::StatusOr<std::string> first_image = session_->RunningImage("devloop-getting-started");
  ASSERT_TRUE(first_image.ok()) << first_image.status();
  absl::StatusOr<std::string> run_id = session_->RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  absl::StatusOr<std::string> first_container =
      session_->RunningContainer("devloop-getting-started");
  ASSERT_TRUE(first_container.ok()) << first_container.status();

  // A source edit: rebuild, redeploy with a new tag, new content, same port,
  // which answers every request meanwhile (old content, then new).
  ContinuousGets gets(port_, "/");
  ASSERT_TRUE(ReplaceInFile(session_->dir() + "/www/index.html", "Hello from devloop!",
                            "Edited once")
                  .ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status();
  body = WaitServed(port_, "/", "Edited once");
  EXPECT_TRUE(body.ok()) << body.status();
  // Keep asking until the old container is gone: it is stopped after the switch.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (Docker({"inspect", *first_container}).ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_FALSE(Docker({"inspect", *first_container}).ok()) << "the old container was not removed";
  ContinuousGets::Result served = gets.Stop();
  EXPECT_EQ(served.failed, 0) << "of " << served.requests << " requests; first failures: "
                              << ::testing::PrintToString(served.failures);
  EXPECT_GT(served.old_content, 0);
  EXPECT_GT(served.new_content, 0);
  contract = CheckBuildIteration(
      events.Entries(),
      {.iteration = 1, .artifacts = {image_}, .ports = {{"devloop-getting-started", port_}}});
  EXPECT_TRUE(contract.ok()) << contract;
  absl::StatusOr<std::string> second_image = session_->RunningImage("devloop-getting-started");
  ASSERT_TRUE(second_image.ok()) << second_image.status();
  EXPECT_NE(*second_image, *first_image) << "a changed image must run under a new tag";

  // A broken Dockerfile: the build fails as the user's error, the old container
  // keeps serving.
  const std::string dockerfile = session_->dir() + "/Dockerfile";
  absl::StatusOr<std::string> good_dockerfile = ReadFile(dockerfile);
  ASSERT_TRUE(good_dockerfile.ok());
  ASSERT_TRUE(ReplaceInFile(dockerfile, "COPY www /www", "COPY no-such-dir /www").ok());
  absl::StatusOr<proto::LogEntry> failed = events.WaitFor(IsBuildFailed(), kIteration, at, &at);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->event().buildevent().artifact(), image_);
  EXPECT_EQ(failed->event().buildevent().errcode(), proto::StatusCode::BUILD_USER_ERROR);
  EXPECT_THAT(failed->event().buildevent().err(), HasSubstr("no-such-dir"));
  EXPECT_EQ(failed->entry(), "Build failed for artifact " + image_);
  absl::StatusOr<proto::LogEntry> iteration_failed =
      events.WaitFor(IsDevLoopEvent(2, "Failed"), kIteration, at, &at);
  ASSERT_TRUE(iteration_failed.ok()) << iteration_failed.status();
  EXPECT_EQ(iteration_failed->event().devloopevent().err().errcode(),
            proto::StatusCode::BUILD_USER_ERROR);
  absl::StatusOr<HttpResponse> still = Http(port_, "GET", "/");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_THAT(still->body, HasSubstr("Edited once"));
  absl::StatusOr<std::string> running = session_->RunningImage("devloop-getting-started");
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(*running, *second_image);
  absl::StatusOr<proto::State> state = events.GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->buildstate().artifacts().at(image_), "Failed");

  // An edit while broken fails again and still deploys nothing.
  ASSERT_TRUE(
      ReplaceInFile(session_->dir() + "/www/index.html", "Edited once", "Edited twice").ok());
  iteration_failed = events.WaitFor(IsDevLoopEvent(3, "Failed"), kIteration, at, &at);
  ASSERT_TRUE(iteration_failed.ok()) << iteration_failed.status();
  still = Http(port_, "GET", "/");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_THAT(still->body, HasSubstr("Edited once"));

  // Fixed: a clean iteration deploys what the source says now.
  ASSERT_TRUE(WriteFile(dockerfile, *good_dockerfile).ok());
  done = events.WaitFor(IsDevLoopEvent(4, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status();
  contract = CheckBuildIteration(
      events.Entries(),
      {.iteration = 4, .artifacts = {image_}, .ports = {{"devloop-getting-started", port_}}});
  EXPECT_TRUE(contract.ok()) << contract;
  body = WaitServed(port_, "/", "Edited twice");
  EXPECT_TRUE(body.ok()) << body.status();
  state = events.GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->buildstate().artifacts().at(image_), "Complete");

  // Ctrl-C: exit 0 within 5 s; nothing of the run is left; the rest is.
  absl::StatusOr<int> code = session_->Interrupt(absl::Seconds(5));
  ASSERT_TRUE(code.ok()) << code.status() << "\n" << session_->devloop().process().Output();
  EXPECT_EQ(*code, 0) << session_->devloop().process().Output();
  absl::StatusOr<DockerObjects> left = ListDockerObjects(absl::StrCat(kRunIdLabel, "=", *run_id));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_THAT(left->containers, IsEmpty());
  EXPECT_THAT(left->networks, IsEmpty());
  EXPECT_THAT(left->images, IsEmpty());
  // Three images were built (first, edited once, edited twice): all three are
  // kept as the project's artifact cache, which keeps at most three.
  absl::StatusOr<std::vector<std::string>> cached = session_->CachedImages();
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_THAT(*cached, SizeIs(3));
  absl::StatusOr<std::vector<std::string>> images = session_->RepositoryImages();
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_THAT(*images, ElementsAre(bystander_image_));
  absl::StatusOr<std::string> bystander =
      Docker({"inspect", "-f", "{{.State.Running}}", bystander_name_});
  ASSERT_TRUE(bystander.ok()) << bystander.status();
  EXPECT_EQ(*bystander, "true\n");
  EXPECT_TRUE(Docker({"network", "inspect", bystander_name_}).ok());
  EXPECT_FALSE(WaitForPort(port_, absl::Milliseconds(100)).ok())
      << "the forwarded port still accepts connections after exit";
}

// The artifact cache (on by default, as in Skaffold): Ctrl-C removes the run's
// container and network but keeps the image, labelled as the project's cache;
// a restart with nothing changed builds nothing and runs that same image.
TEST_F(GettingStartedE2eTest, ARestartWithNothingChangedRunsTheCachedImage) {
  std::string image_id;
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run == 0 ? "first run" : "restart");
    ASSERT_TRUE(session_->Start({"-v", "debug"}).ok());
    absl::StatusOr<proto::LogEntry> done =
        session_->events().WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration);
    ASSERT_TRUE(done.ok()) << done.status() << "\n" << session_->devloop().process().Output();
    absl::StatusOr<std::string> body = WaitServed(port_, "/", "Hello from devloop!");
    ASSERT_TRUE(body.ok()) << body.status();
    absl::StatusOr<std::string> container = session_->RunningContainer("devloop-getting-started");
    ASSERT_TRUE(container.ok()) << container.status();
    absl::StatusOr<std::string> running = Docker({"inspect", "-f", "{{.Image}}", *container});
    ASSERT_TRUE(running.ok()) << running.status();
    const std::string id(absl::StripAsciiWhitespace(*running));
    const std::string output = session_->devloop().process().Output();
    if (run == 0) {
      image_id = id;
      EXPECT_THAT(output, Not(HasSubstr("(artifact cache)"))) << "a new project has no cache";
    } else {
      EXPECT_EQ(id, image_id) << "the restart runs the image the first run built";
      EXPECT_THAT(output, HasSubstr("locally (artifact cache): not rebuilt"));
    }
    absl::StatusOr<std::string> run_id = session_->RunId();
    ASSERT_TRUE(run_id.ok()) << run_id.status();
    absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(5));
    EXPECT_TRUE(clean.ok()) << clean;
    absl::StatusOr<std::vector<std::string>> cached = session_->CachedImages();
    ASSERT_TRUE(cached.ok()) << cached.status();
    EXPECT_THAT(*cached, ElementsAre(image_id)) << "kept as the artifact cache";
  }
}

}  // namespace
}  // namespace devloop::e2e
