// Signals and terminals, tried as a user would, on the real devloop binary and
// the real Docker Engine (testing/examples/getting-started):
//  - stdout a pipe whose reader is gone (`devloop dev | tee log`, tee ended by
//    the same Ctrl-C), then SIGINT: devloop cleans up and exits 0;
//  - its terminal closed (SIGHUP through a real pseudo-terminal): the same;
//  - SIGTERM during a slow build: the same; SIGINT during a deploy, SIGHUP
//    during a sync (the engine holding the request behind a frozen proxy) and
//    SIGTERM during a status check that never ends: the same;
//  - a second Ctrl-C while cleanup is held up (the engine frozen behind a
//    proxy) ends devloop at once, with 130, and leaves its run recorded;
//  - SIGKILL, then another devloop on the project: the dead run's containers
//    and network are removed (its image is the artifact cache's), and the
//    console says so once;
//  - two devloops on one project: the second's API ports fall back, both
//    serve, and stopping one leaves the other's objects running.
// Each run checks that nothing carrying its run id is left, and that the
// console never prints "Watching for changes..." after "Cleaning up...".
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"
#include "testing/faults/socket_proxy.h"

namespace devloop::e2e {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr absl::Duration kIteration = absl::Seconds(90);
// How long devloop may take to exit after a stop signal (cleanup included).
// A deadline for the wait, not a measurement: a hang fails instead of blocking.
constexpr absl::Duration kExit = absl::Seconds(20);
constexpr char kImage[] = "devloop-getting-started";

// Reads a descriptor on a thread of its own until Close(): the reader at the
// other end of devloop's stdout (a pipe, a terminal's master), which must be
// drained or devloop's writes would block once the kernel buffer is full.
class Drain {
 public:
  explicit Drain(int fd) : fd_(fd), thread_([this] { Read(); }) {}
  ~Drain() { Close(); }

  // Stops reading and closes the descriptor: devloop's next write to a pipe
  // fails with EPIPE; a terminal's master closed hangs the terminal up.
  void Close() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::string Text() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

  // Waits until the text read so far contains `needle`.
  absl::Status WaitFor(absl::string_view needle, absl::Duration timeout) const {
    const absl::Time deadline = absl::Now() + timeout;
    while (!absl::StrContains(Text(), needle)) {
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("\"", needle, "\" not printed; output:\n", Text()));
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return absl::OkStatus();
  }

 private:
  void Read() {
    char buffer[4096];
    while (!stop_) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      ssize_t n = ::read(fd_, buffer, sizeof(buffer));
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        // EOF, or EIO from a terminal nobody holds open: nothing more comes.
        absl::SleepFor(absl::Milliseconds(20));
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      text_.append(buffer, n);
    }
  }

  int fd_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::string text_;  // guarded by mu_
  std::thread thread_;
};

// The console's order: once it said "Cleaning up...", nothing says the loop
// is watching.
void ExpectNoWatchingAfterCleaningUp(const std::string& output) {
  const size_t cleaning = output.find("Cleaning up...");
  ASSERT_NE(cleaning, std::string::npos) << output;
  EXPECT_THAT(output.substr(cleaning), Not(HasSubstr("Watching for changes..."))) << output;
}

class SignalsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { Prepare("getting-started", kImage); }

  void Prepare(const std::string& example, const std::string& image) {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare(example, {image});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
  }

  std::string RunsDir() const {
    return absl::StrCat(session_->DevloopEnv().at("XDG_CACHE_HOME"), "/devloop/runs");
  }

  // The run records of the session's devloops: run id -> owner pid.
  std::map<std::string, int> RunRecords() const {
    std::map<std::string, int> records;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(RunsDir(), ec)) {
      if (entry.path().extension() != ".run") continue;
      absl::StatusOr<std::string> text = ReadFile(entry.path().string());
      if (!text.ok()) continue;
      std::string run_id;
      int pid = 0;
      for (absl::string_view line : absl::StrSplit(*text, '\n')) {
        if (absl::ConsumePrefix(&line, "run_id=")) run_id = std::string(line);
        if (absl::ConsumePrefix(&line, "pid=")) (void)absl::SimpleAtoi(line, &pid);
      }
      records[run_id] = pid;
    }
    return records;
  }

  // The run id recorded by the devloop with process id `pid`.
  absl::StatusOr<std::string> RecordedRunOf(int pid, absl::Duration timeout = kIteration) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      for (const auto& [run_id, owner] : RunRecords()) {
        if (owner == pid) return run_id;
      }
      if (absl::Now() > deadline) {
        return absl::NotFoundError(absl::StrCat("no run record of pid ", pid, " in ", RunsDir()));
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  // Nothing of run `run_id` is on the engine, and no record of it is kept.
  void ExpectNothingLeft(const std::string& run_id) {
    absl::StatusOr<DockerObjects> left =
        ListDockerObjects(absl::StrCat(kRunIdLabel, "=", run_id));
    ASSERT_TRUE(left.ok()) << left.status();
    EXPECT_THAT(left->containers, IsEmpty()) << "run " << run_id;
    EXPECT_THAT(left->networks, IsEmpty()) << "run " << run_id;
    EXPECT_THAT(left->images, IsEmpty()) << "run " << run_id;
    EXPECT_EQ(RunRecords().count(run_id), 0u) << "run " << run_id << " is still recorded";
  }

  // Starts the session's devloop and waits for its first iteration to end.
  void StartAndWaitReady(const std::function<void(DevloopProcess::Options&)>& adjust = nullptr) {
    absl::Status started = session_->Start({}, adjust);
    ASSERT_TRUE(started.ok()) << started;
    absl::StatusOr<proto::LogEntry> done =
        session_->events().WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration);
    ASSERT_TRUE(done.ok()) << done.status() << "\n" << session_->devloop().process().Output();
  }

  std::unique_ptr<DevSession> session_;
};

TEST_F(SignalsE2eTest, CtrlCWithStdoutAClosedPipeStillCleansUp) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  Drain reader(fds[0]);
  StartAndWaitReady([&](DevloopProcess::Options& o) { o.stdout_fd = fds[1]; });
  ::close(fds[1]);
  absl::StatusOr<std::string> run_id = RecordedRunOf(session_->devloop().process().pid());
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  ASSERT_TRUE(reader.WaitFor("Watching for changes...", kIteration).ok()) << reader.Text();

  reader.Close();  // tee is gone
  absl::StatusOr<int> code = session_->Interrupt(kExit);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << session_->devloop().process().Output();
  ExpectNothingLeft(*run_id);
}

TEST_F(SignalsE2eTest, ClosingTheTerminalStillCleansUp) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string slave = ptsname(master);
  Drain terminal(master);
  StartAndWaitReady([&](DevloopProcess::Options& o) { o.terminal = slave; });
  absl::StatusOr<std::string> run_id = RecordedRunOf(session_->devloop().process().pid());
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  ASSERT_TRUE(terminal.WaitFor("Watching for changes...", kIteration).ok());

  terminal.Close();  // the window is closed: SIGHUP, and the terminal is gone
  absl::StatusOr<int> code = session_->devloop().process().Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status() << "\n" << terminal.Text();
  EXPECT_EQ(*code, 0) << terminal.Text();
  ExpectNothingLeft(*run_id);
}

TEST_F(SignalsE2eTest, SigtermDuringABuildStillCleansUp) {
  // A build that runs until cancelled.
  ASSERT_TRUE(ReplaceInFile(session_->dir() + "/Dockerfile", "COPY www /www\n",
                            "COPY www /www\nRUN [\"/bin/busybox\", \"sleep\", \"600\"]\n")
                  .ok());
  absl::Status started = session_->Start();
  ASSERT_TRUE(started.ok()) << started;
  const std::string image = session_->Image(kImage);
  absl::StatusOr<proto::LogEntry> building =
      session_->events().WaitFor(IsBuildEvent(image, "In Progress"), kIteration);
  ASSERT_TRUE(building.ok()) << building.status();
  absl::StatusOr<std::string> run_id = RecordedRunOf(session_->devloop().process().pid());
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  // The engine has the build's step running (its output says so).
  ASSERT_TRUE(WaitForOutput([&] { return session_->devloop().process().Output(); },
                            "Building [", kIteration)
                  .ok());

  ASSERT_TRUE(session_->devloop().process().Signal(SIGTERM).ok());
  absl::StatusOr<int> code = session_->devloop().process().Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status() << "\n" << session_->devloop().process().Output();
  const std::string output = session_->devloop().process().Output();
  EXPECT_EQ(*code, 0) << output;
  ExpectNoWatchingAfterCleaningUp(output);
  ExpectNothingLeft(*run_id);
}

TEST_F(SignalsE2eTest, ASecondCtrlCDuringCleanupForcesExit) {
  absl::StatusOr<std::unique_ptr<faults::SocketProxy>> proxy = faults::SocketProxy::Start({});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  StartAndWaitReady([&](DevloopProcess::Options& o) {
    o.env["DOCKER_HOST"] = (*proxy)->docker_host();
  });
  Subprocess& devloop = session_->devloop().process();
  absl::StatusOr<std::string> run_id = RecordedRunOf(devloop.pid());
  ASSERT_TRUE(run_id.ok()) << run_id.status();

  // The engine stops answering: the cleanup Ctrl-C starts cannot finish.
  (*proxy)->Freeze();
  ASSERT_TRUE(devloop.Signal(SIGINT).ok());
  ASSERT_TRUE(WaitForOutput([&] { return devloop.Output(); }, "Cleaning up...", kExit).ok());
  ASSERT_TRUE(devloop.Signal(SIGINT).ok());
  absl::StatusOr<int> code = devloop.Wait(kExit);
  (*proxy)->Thaw();
  ASSERT_TRUE(code.ok()) << code.status() << "\n" << devloop.Output();
  EXPECT_EQ(*code, 128 + SIGINT) << devloop.Output();
  EXPECT_THAT(devloop.Output(), HasSubstr("forced exit (SIGINT)"));
  // What it made is still there, and so is its record: the next run's to remove.
  EXPECT_EQ(RunRecords().count(*run_id), 1u);
  ExpectNoWatchingAfterCleaningUp(devloop.Output());
}

TEST_F(SignalsE2eTest, AfterSigkillTheNextRunRemovesWhatTheDeadRunLeft) {
  StartAndWaitReady();
  absl::StatusOr<std::string> dead_run = RecordedRunOf(session_->devloop().process().pid());
  ASSERT_TRUE(dead_run.ok()) << dead_run.status();
  ASSERT_TRUE(session_->devloop().process().Signal(SIGKILL).ok());
  absl::StatusOr<int> killed = session_->devloop().process().Wait(kExit);
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(*killed, -SIGKILL);
  absl::StatusOr<DockerObjects> left =
      ListDockerObjects(absl::StrCat(kRunIdLabel, "=", *dead_run));
  ASSERT_TRUE(left.ok()) << left.status();
  ASSERT_THAT(left->containers, SizeIs(1)) << "the killed run left its container";

  StartAndWaitReady();
  const std::string output = session_->devloop().process().Output();
  EXPECT_THAT(output, HasSubstr(absl::StrCat(
                          "Removed 1 container, 1 network and 0 images left by an earlier devloop "
                          "run (run ",
                          *dead_run, ", pid ")));
  ExpectNothingLeft(*dead_run);

  absl::StatusOr<std::string> run_id = RecordedRunOf(session_->devloop().process().pid());
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, kExit);
  EXPECT_TRUE(clean.ok()) << clean;
  ExpectNothingLeft(*run_id);
  ExpectNoWatchingAfterCleaningUp(session_->devloop().process().Output());
}

TEST_F(SignalsE2eTest, TwoDevloopsOnOneProjectEachCleanOnlyTheirOwn) {
  StartAndWaitReady();
  DevloopProcess& first = session_->devloop();
  absl::StatusOr<std::string> first_run = RecordedRunOf(first.process().pid());
  ASSERT_TRUE(first_run.ok()) << first_run.status();

  // The second asks for the first's API ports, as two `devloop dev` with the
  // defaults would.
  std::map<std::string, std::string> env = session_->DevloopEnv();
  absl::StatusOr<std::unique_ptr<Subprocess>> second = Subprocess::Start(
      {.argv = {Runfile("apps/devloop"), "dev", absl::StrCat("--rpc-port=", first.grpc_port()),
                absl::StrCat("--rpc-http-port=", first.http_port())},
       .cwd = session_->dir(),
       .env = env});
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(
      WaitForOutput([&] { return (*second)->Output(); }, "in use (another devloop?)", kIteration)
          .ok());
  std::smatch m;
  const std::string said = (*second)->Output();
  ASSERT_TRUE(std::regex_search(
      said, m, std::regex(R"(API: gRPC [^ ]+:(\d+), HTTP http://[^ ]+:(\d+) \(dashboard\); )")))
      << said;
  const int second_grpc = std::stoi(m[1].str());
  const int second_http = std::stoi(m[2].str());
  EXPECT_NE(second_grpc, first.grpc_port());
  EXPECT_NE(second_http, first.http_port());
  absl::StatusOr<std::unique_ptr<EventsClient>> second_events =
      EventsClient::Connect(absl::StrCat("127.0.0.1:", second_grpc), absl::Seconds(10));
  ASSERT_TRUE(second_events.ok()) << second_events.status();
  absl::StatusOr<proto::LogEntry> ready =
      (*second_events)->WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration);
  ASSERT_TRUE(ready.ok()) << ready.status() << "\n" << (*second)->Output();
  absl::StatusOr<HttpResponse> state = Http(second_http, "GET", "/v1/state");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->status, 200);
  absl::StatusOr<std::string> second_run = RecordedRunOf((*second)->pid());
  ASSERT_TRUE(second_run.ok()) << second_run.status();
  ASSERT_NE(*second_run, *first_run);
  EXPECT_THAT((*second)->Output(), Not(HasSubstr("left by an earlier devloop run")))
      << "the live first run was taken for a dead one";

  // Stopping the second leaves the first's container, network and image.
  second_events->reset();
  ASSERT_TRUE((*second)->Signal(SIGINT).ok());
  absl::StatusOr<int> code = (*second)->Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << (*second)->Output();
  ExpectNothingLeft(*second_run);
  ExpectNoWatchingAfterCleaningUp((*second)->Output());
  absl::StatusOr<DockerObjects> firsts =
      ListDockerObjects(absl::StrCat(kRunIdLabel, "=", *first_run));
  ASSERT_TRUE(firsts.ok()) << firsts.status();
  EXPECT_THAT(firsts->containers, SizeIs(1));
  EXPECT_THAT(firsts->networks, SizeIs(1));
  // Its image is the project's artifact cache now, which neither run removes.
  absl::StatusOr<std::string> image_id =
      Docker({"inspect", "--format", "{{.Image}}", firsts->containers.front()});
  ASSERT_TRUE(image_id.ok()) << image_id.status();
  absl::StatusOr<std::vector<std::string>> cached = session_->CachedImages();
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_THAT(*cached, Contains(std::string(absl::StripAsciiWhitespace(*image_id))));
  absl::StatusOr<std::string> running =
      Docker({"inspect", "--format", "{{.State.Running}}", firsts->containers.front()});
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(std::string(absl::StripAsciiWhitespace(*running)), "true");
  absl::StatusOr<std::string> served =
      WaitServed(session_->LocalPort(9000), "/", "devloop", absl::Seconds(20));
  EXPECT_TRUE(served.ok()) << served.status();

  absl::Status clean = session_->InterruptAndCheckNothingLeft(*first_run, kExit);
  EXPECT_TRUE(clean.ok()) << clean;
  ExpectNothingLeft(*first_run);
}

// A stop signal while a phase is in progress: the engine holds the phase's
// request (behind a frozen proxy) or the app never turns healthy, the signal
// arrives, and devloop still removes everything of its run, including what the
// held request went on to create, and exits 0.
struct Phase {
  std::string name;
  std::string example;
  std::string image;
  int signal;
};

class SignalDuringAPhaseE2eTest : public SignalsE2eTest,
                                  public ::testing::WithParamInterface<Phase> {
 protected:
  void SetUp() override { Prepare(GetParam().example, GetParam().image); }

  // Signals devloop, lets the engine answer again, and checks the exit.
  void StopAndExpectClean(const std::string& run_id, faults::SocketProxy* proxy) {
    Subprocess& devloop = session_->devloop().process();
    ASSERT_TRUE(devloop.Signal(GetParam().signal).ok());
    if (proxy != nullptr) {
      // The signal lands while the request is held; the held request then
      // completes (or fails) as the engine answers again.
      absl::SleepFor(absl::Milliseconds(200));
      proxy->Thaw();
    }
    absl::StatusOr<int> code = devloop.Wait(kExit);
    ASSERT_TRUE(code.ok()) << code.status() << "\n" << devloop.Output();
    EXPECT_EQ(*code, 0) << devloop.Output();
    ExpectNoWatchingAfterCleaningUp(devloop.Output());
    ExpectNothingLeft(run_id);
  }
};

TEST_P(SignalDuringAPhaseE2eTest, StillCleansUp) {
  const Phase& phase = GetParam();
  absl::StatusOr<std::unique_ptr<faults::SocketProxy>> proxy = faults::SocketProxy::Start({});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  auto on_proxy = [&](DevloopProcess::Options& o) {
    o.env["DOCKER_HOST"] = (*proxy)->docker_host();
  };
  Subprocess* devloop = nullptr;
  if (phase.name == "Deploy") {
    // Iteration 0's container create is held: the deploy is in progress.
    (*proxy)->ArmFreeze("/containers/create");
    ASSERT_TRUE(session_->Start({}, on_proxy).ok());
    devloop = &session_->devloop().process();
    ASSERT_TRUE((*proxy)->WaitFrozen(kIteration)) << (*proxy)->RequestLog() << devloop->Output();
  } else if (phase.name == "Sync") {
    StartAndWaitReady(on_proxy);
    devloop = &session_->devloop().process();
    // The copy into the container is held: the sync is in progress.
    (*proxy)->ArmFreeze("/archive");
    ASSERT_TRUE(WriteFile(session_->dir() + "/www/index.html", "synced while stopping\n").ok());
    ASSERT_TRUE((*proxy)->WaitFrozen(kIteration)) << (*proxy)->RequestLog() << devloop->Output();
  } else {  // StatusCheck
    // The app never turns healthy: the status check waits until stopped.
    ASSERT_TRUE(AppendToFile(session_->dir() + "/Dockerfile",
                             "HEALTHCHECK --interval=1s --timeout=5s --retries=100000 "
                             "CMD [\"/bin/busybox\", \"false\"]\n")
                    .ok());
    ASSERT_TRUE(session_->Start().ok());
    devloop = &session_->devloop().process();
    absl::StatusOr<proto::LogEntry> checking = session_->events().WaitFor(
        [](const proto::LogEntry& e) {
          return e.event().has_statuscheckevent() &&
                 e.event().statuscheckevent().status() == "In Progress";
        },
        kIteration);
    ASSERT_TRUE(checking.ok()) << checking.status() << "\n" << devloop->Output();
  }
  absl::StatusOr<std::string> run_id = RecordedRunOf(devloop->pid());
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  StopAndExpectClean(*run_id, phase.name == "StatusCheck" ? nullptr : proxy->get());
}

INSTANTIATE_TEST_SUITE_P(
    Phases, SignalDuringAPhaseE2eTest,
    ::testing::Values(Phase{"Deploy", "getting-started", kImage, SIGINT},
                      Phase{"Sync", "sync", "devloop-sync", SIGHUP},
                      Phase{"StatusCheck", "getting-started", kImage, SIGTERM}),
    [](const ::testing::TestParamInfo<Phase>& info) { return info.param.name; });

}  // namespace
}  // namespace devloop::e2e
