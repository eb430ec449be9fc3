// The dev loop's shell: runs the domain Controller on a serialized task runner
// and carries out its effects through its ports -- a builder
// (infra/build/builder.h), a tester (infra/tester/tester.h, when `test` names
// artifacts), a deployer and a syncer (infra/deploy/deployer.h) --
// whichever adapters the composition root picked (Docker today).
//
// One straight path for everything: an input (a file change, an API request, a
// port's result) is fed to the controller on the runner; the records it returns
// go to the hub in order; each effect is handled by one `Run` overload (a new
// Effect without one does not compile); blocking port calls go to the job runner
// and their results come back as posted inputs -- never fed re-entrantly from
// inside an effect. Timers (status polls, the controller's ticks) come from the
// runner's clock, so a test drives the whole shell on simulated time.
//
//   auto loop = DevLoop::Make(options, {.builder = &builder, .deployer = &deployer,
//                                       .syncer = &deployer, .hub = &hub,
//                                       .executor = &executor, .pool = &pool});
//   (*loop)->Start();
//   watcher.OnChange([&](auto image, auto files) { (*loop)->FilesChanged(image, files); });
//   ... (*loop)->Stop(absl::Seconds(4));   // Ctrl-C: cleanup, then returns
//
// Thread-safe: every public method may be called from any thread and none
// blocks but Stop/WaitStopped; the controller and all mutable state live on the
// task runner. Create with Make (shared ownership: posted tasks hold a weak
// reference, so a task that runs after the loop is gone does nothing).
#ifndef DEVLOOP_INFRA_DEV_DEV_LOOP_H_
#define DEVLOOP_INFRA_DEV_DEV_LOOP_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/pipeline/controller.h"
#include "infra/build/builder.h"
#include "infra/control/control.h"
#include "infra/deploy/deployer.h"
#include "infra/hub/hub.h"
#include "infra/runtime/runner.h"
#include "infra/tester/tester.h"

namespace devloop::dev {

struct DevLoopOptions {
  std::vector<build::ArtifactBuildSpec> artifacts;
  bool auto_build = true;
  bool auto_sync = true;
  bool auto_deploy = true;
  bool status_check = true;
  absl::Duration status_check_deadline = absl::Minutes(10);
  absl::Duration status_poll_interval = absl::Milliseconds(500);
  bool port_forward = true;
  // Remove what the run created when it stops.
  bool cleanup = true;
  std::string start_entry = "Starting devloop";
  domain::Metadata metadata;
  // Every LogEntry the loop appends to the hub, on the runner, after the append
  // (the console renders them).
  std::function<void(const domain::LogEntry& entry)> on_entry;
  // Build output lines: (image, line). Called from the job runner.
  std::function<void(const std::string& image, absl::string_view line)> on_build_output;
  // Test output lines: (image, line). Called from the job runner.
  std::function<void(const std::string& image, absl::string_view line)> on_test_output;
};

struct DevLoopPorts {
  build::Builder* builder = nullptr;
  // Required when an artifact's spec is `tested`; may be null otherwise.
  tester::Tester* tester = nullptr;
  deploy::Deployer* deployer = nullptr;
  deploy::Syncer* syncer = nullptr;
  hub::Hub* hub = nullptr;
  runtime::TaskRunner* executor = nullptr;
  runtime::JobRunner* pool = nullptr;
};

class DevLoop : public control::Control, public std::enable_shared_from_this<DevLoop> {
 public:
  // Returns InvalidArgument for a missing port or options the controller
  // refuses (a cycle in `requires`, duplicate images, a bad sync glob). The
  // ports must outlive the DevLoop.
  static absl::StatusOr<std::shared_ptr<DevLoop>> Make(DevLoopOptions options,
                                                       DevLoopPorts ports);

  // Starts iteration 0 (build, deploy, status check, port forwards).
  void Start();

  // Reports changed files of artifact `image` (paths relative to its context).
  void FilesChanged(const std::string& image, std::vector<domain::FileChange> files);

  // Reports changed files the tests of tested artifact `image` depend on: its
  // newest build is tested again, not rebuilt.
  void TestDependenciesChanged(const std::string& image);

  // Asks the loop to shut down: cancels builds and cleans up (removing what the
  // run created unless `cleanup` is off). Idempotent; does not block.
  void RequestStop();

  // RequestStop, then waits until cleanup is done or `timeout` passed.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(20));

  // Blocks until the loop has stopped (cleanup done) or `timeout` passed.
  bool WaitStopped(absl::Duration timeout);
  bool stopped() const;

  // Appends `entry` to the hub in the loop's order (posted to the runner), for
  // what the shell around the loop reports itself (a config it cannot apply).
  void Record(domain::LogEntry entry);

  // Makes the loop's shutdown a restart: no TerminationEvent is recorded, since
  // another loop takes over the same hub. With `run_goes_on`, the new loop
  // also carries on this loop's run (the same run id) and takes over what it
  // deployed and built: this loop's cleanup then removes nothing, and leaves
  // the deployer's containers and forwards running. Call before RequestStop/Stop.
  void ReplacedSoon(bool run_goes_on = false);

  // control::Control: posted to the runner; `done` gets the controller's answer.
  void Execute(const control::Intent& intent, Done done) override;
  void SetAutoTrigger(domain::Phase phase, bool enabled, Done done) override;
  void Handle(const domain::Event& event, Done done) override;
  void Pending(PendingDone done) override;

 private:
  DevLoop(DevLoopOptions options, DevLoopPorts ports, domain::Controller controller);

  // Runs `fn(loop)` on the runner if the loop still exists then.
  void Post(std::function<void(DevLoop&)> fn);
  // Runs `fn(loop)` on the runner and gives its answer to `done`; Unavailable
  // when the loop is gone or the runner refuses the task.
  template <typename Result>
  void Answer(std::function<Result(DevLoop&)> fn, absl::AnyInvocable<void(Result)> done);
  // Feeds `input` on the runner (posted).
  void PostInput(domain::Input input);
  // Runs `work` on the job runner and feeds the input `to_input` makes of its
  // result on the runner. If the job runner refuses, feeds `to_input` of
  // `refused(status)` instead.
  template <typename T, typename Work, typename ToInput>
  void RunBlocking(Work work, ToInput to_input, std::function<T(absl::Status)> refused);

  // On the runner: the controller's answer, recorded and carried out.
  absl::Status Feed(const domain::Input& input);
  void Perform(const domain::Effect& effect);
  absl::Time Now() const;

  // One handler per effect (Perform's visit fails to compile without one).
  void Run(const domain::BuildArtifacts& effect);
  void Run(const domain::CancelBuilds& effect);
  void Run(const domain::RunTests& effect);
  void Run(const domain::CancelTests& effect);
  void Run(const domain::SyncFiles& effect);
  void Run(const domain::Deploy& effect);
  void Run(const domain::StopWorkload& effect);
  void Run(const domain::StartStatusCheck& effect);
  void Run(const domain::ForwardPorts& effect);
  void Run(const domain::ScheduleTick& effect);
  void Run(const domain::Cleanup& effect);

  void Poll(int64_t deploy_id);
  void MarkStopped();
  const build::ArtifactBuildSpec* Artifact(const std::string& image) const;

  const DevLoopOptions options_;
  const DevLoopPorts ports_;

  // Runner-only state.
  domain::Controller controller_;
  std::map<std::string, std::string> built_;  // image -> last built reference
  std::optional<int64_t> polling_;            // the deployment the check observes
  std::vector<std::string> polled_resources_;  // and its resources
  bool stop_requested_ = false;
  std::atomic<bool> replaced_{false};
  std::atomic<bool> run_goes_on_{false};

  mutable std::mutex mu_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;  // guarded by mu_
};

}  // namespace devloop::dev

#endif  // DEVLOOP_INFRA_DEV_DEV_LOOP_H_
