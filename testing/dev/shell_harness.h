// ShellHarness: the dev loop's shell with the real Docker adapters (builder and
// deployer) over the fake engine, on a ManualRuntime and a FakeClock. Nothing
// runs on another thread and no time passes unless the test says so, so every
// scenario -- a build that fails, a daemon that goes away, Ctrl-C in any phase
// -- runs the same way every time, with no sleeps.
//
//   ShellHarness h;                 // artifact "web", sync *.html, forward 8080
//   h.Start();
//   ASSERT_TRUE(h.RunUntil([&] { return h.Idle(); }));
//   h.faulty().FailNext("Build", DaemonGone());
//   h.Edit("main.c", "...");        // writes the file and reports the change
//   h.RunFor(absl::Seconds(2));
//
// Thread-compatible: the test's thread only.
#ifndef DEVLOOP_TESTING_DEV_SHELL_HARNESS_H_
#define DEVLOOP_TESTING_DEV_SHELL_HARNESS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "infra/build/docker/docker_builder.h"
#include "infra/clock/fake_clock.h"
#include "infra/deploy/docker/docker_deployer.h"
#include "infra/dev/dev_loop.h"
#include "infra/hub/hub.h"
#include "testing/fakes/fake_docker.h"
#include "testing/runtime/manual_runtime.h"

namespace devloop::testing {

class ShellHarness {
 public:
  static constexpr char kRunId[] = "shellrun1";

  // A context with a Dockerfile (busybox-free: the fake engine runs nothing),
  // index.html (synced to /www) and main.c (rebuilt).
  ShellHarness();
  ~ShellHarness();

  // Options to change before Start().
  dev::DevLoopOptions& options() { return options_; }
  build::DockerBuilder::Options& builder_options() { return builder_options_; }
  deploy::DockerDeployer::Options& deployer_options() { return deployer_options_; }

  // Makes the adapters and the loop and starts iteration 0 (nothing runs yet).
  void Start();

  // A config reload that keeps the run, as LiveLoop does it on Docker:
  // `change` edits the options (what the new config says); the running loop
  // stops without cleaning up (running its queue until it has), its deployer
  // hands what runs to a new one made of the changed options, and a new loop
  // starts on the same hub (nothing runs yet). The old adapters stay until
  // the harness goes.
  void Reload(const std::function<void(ShellHarness&)>& change);

  // Runs what is queued; then moves time in 100 ms steps, running what falls
  // due, until `pred` holds or `limit` of simulated time passed.
  bool RunUntil(const std::function<bool()>& pred, absl::Duration limit = absl::Seconds(30));
  // Without moving time: runs the queued tasks, then one job, and again, and
  // stops as soon as `pred` holds after a step (true) or nothing is left (false).
  // Leaves the rest queued: the way to stop a scenario mid-phase.
  bool StepUntil(const std::function<bool()>& pred);
  // Moves time forward by `d` in 100 ms steps, running what falls due.
  void RunFor(absl::Duration d);

  // Writes `content` to `path` in the context and reports the change.
  void Edit(const std::string& path, const std::string& content);

  // Reports `port` through the sink the loop gave the deployer's
  // ReportForwardMoves, as a deployer whose forward followed its workload to
  // a new pod does (the Docker deployer's never move by themselves).
  void MoveForward(domain::PortEvent port);

  domain::State State() const { return hub_.State()->state; }
  // The status check finished with success and nothing is queued.
  bool Idle() const;
  // The entry texts streamed so far.
  std::vector<std::string> Entries() const;
  // Containers carrying the run id.
  std::vector<docker::ContainerSummary> Containers();

  FakeDocker& docker() { return docker_; }
  FaultyDocker& faulty() { return faulty_; }
  ManualRuntime& runtime() { return runtime_; }
  dev::DevLoop& loop() { return *loop_; }
  const std::string& context() const { return context_; }

 private:
  // Makes the adapters and the loop of the options (not started).
  void Make();

  std::string context_;
  dev::DevLoopOptions options_;
  build::DockerBuilder::Options builder_options_;
  deploy::DockerDeployer::Options deployer_options_;
  clock::FakeClock clock_;
  ManualRuntime runtime_{&clock_};
  FakeDocker docker_;
  FaultyDocker faulty_{&docker_};
  mutable hub::Hub hub_;
  std::unique_ptr<build::DockerBuilder> builder_;
  std::unique_ptr<deploy::DockerDeployer> deployer_;
  // deployer_ as the loop sees it: keeps the loop's ReportForwardMoves sink.
  class MoveTap;
  std::unique_ptr<MoveTap> tap_;
  std::shared_ptr<dev::DevLoop> loop_;
  // Loops a reload replaced, with their adapters (jobs may still hold them).
  struct Replaced {
    std::unique_ptr<build::DockerBuilder> builder;
    std::unique_ptr<deploy::DockerDeployer> deployer;
    std::unique_ptr<MoveTap> tap;
    std::shared_ptr<dev::DevLoop> loop;
  };
  std::vector<Replaced> replaced_;
};

// What the Docker port returns when the daemon is gone.
absl::Status DaemonGone();

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_DEV_SHELL_HARNESS_H_
