// The dev loop controller: the pure decision core of `devloop dev`.
//
// It takes file changes (already mapped to artifacts), user intents (Execute
// build/sync/deploy), auto-trigger toggles and the results of effects, each with
// the time as a value, and answers with the log Records to append (in order)
// and the Effects to perform: build these artifacts, sync these files, deploy,
// check status, forward ports, stop an old workload, schedule a tick, clean up.
//
//   DEVLOOP_ASSIGN_OR_RETURN(Controller c, Controller::Make(options));
//   DEVLOOP_ASSIGN_OR_RETURN(Output out, c.Handle(Start{now}));
//   for (const Record& r : out.records) hub.Append(r);   // first: the events
//   for (const Effect& e : out.effects) pool.Run(e);     // then: the work
//   ...  c.Handle(BuildSucceeded{now, "web", "web:abc"}) ...
//
// It is a composition of small machines, each with its own table tests; the
// controller decides which one runs next and turns what they report into
// records and effects:
//   Iteration   (iteration.h)    one iteration at a time, and its first failure;
//   BuildBatch  (build_batch.h)  the builds of an iteration, in `requires` order,
//               over each artifact's ArtifactBuild and the BuildGraph;
//   SyncQueue   (sync_queue.h)   changes waiting to sync, and the syncs in flight;
//   Rollout     (rollout.h)      deploy, then status-check the deployment
//               (DeployMachine, StatusCheck with its stability window).
// The mode is derived from them, never stored beside them.
//
// Rules it keeps (each has a test):
//   - Iterations count from 0 (the initial build and deploy, which always run);
//     each is one DevLoopEvent In Progress ... Succeeded/Failed, failed with
//     the iteration's first failure.
//   - With an auto trigger off, changes accumulate and the phase waits for an
//     intent; an intent unblocks its phase exactly once, when the phase next has
//     work (a deploy intent that arrives before the build intent is kept, and
//     the deploy follows the build). Intents reset their phases to Not Started.
//   - A change during a build is queued and causes exactly one rebuild after.
//   - Deploys run only images of completed builds, never while a build runs,
//     and always the newest tag of each artifact; a failed iteration leaves the
//     last good deployment running and the loop waiting for the next input.
//   - Builds of artifacts that `test` names are tested after their batch
//     completes and before the deploy; a failed test fails the iteration and
//     its images never deploy (the last tested ones stay); the next change
//     rebuilds and tests again.
//   - A change to a tested artifact's test dependencies (TestDependenciesChanged)
//     tests its newest build again without rebuilding it, when the build
//     trigger allows (as Skaffold's dev loop re-runs tests); a pass deploys it
//     if it was not yet, a failure fails the iteration as above. A rebuild of
//     the artifact tests it anyway.
//   - Changes that all match sync rules of an artifact whose newest build is
//     the one running are synced, not rebuilt.
//   - A deployment's check succeeds only once every resource has stayed ready
//     for its stability window; one that exits or restarts within it fails the
//     iteration with its exit code and last log lines.
//   - Results that do not fit (a build result for an artifact not building)
//     are errors and change nothing; results that arrive after Shutdown are
//     ignored.
//
// Thread-compatible; deterministic: the same inputs give the same outputs.
#ifndef DEVLOOP_DOMAIN_PIPELINE_CONTROLLER_H_
#define DEVLOOP_DOMAIN_PIPELINE_CONTROLLER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/events/event.h"
#include "domain/pipeline/build_batch.h"
#include "domain/pipeline/build_machine.h"
#include "domain/pipeline/deploy_machine.h"
#include "domain/pipeline/iteration.h"
#include "domain/pipeline/rollout.h"
#include "domain/pipeline/spec.h"
#include "domain/pipeline/status_check.h"
#include "domain/pipeline/sync_machine.h"
#include "domain/pipeline/sync_queue.h"
#include "domain/state/state.h"

namespace devloop::domain {

// ---- Inputs ----
struct Start {
  absl::Time now;
  bool operator==(const Start&) const = default;
};
struct FilesChanged {
  absl::Time now;
  std::string image;
  std::vector<FileChange> files;  // relative to the artifact's context
  bool operator==(const FilesChanged&) const = default;
};
// Files the tests of tested artifact `image` depend on changed
// (test[].custom[].dependencies); its image did not.
struct TestDependenciesChanged {
  absl::Time now;
  std::string image;
  bool operator==(const TestDependenciesChanged&) const = default;
};
struct ExecuteIntent {
  absl::Time now;
  bool build = false;
  bool sync = false;
  bool deploy = false;
  bool operator==(const ExecuteIntent&) const = default;
};
struct SetAutoTrigger {
  absl::Time now;
  Phase phase = Phase::kBuild;
  bool enabled = false;
  bool operator==(const SetAutoTrigger&) const = default;
};
struct BuildSucceeded {
  absl::Time now;
  std::string image;
  std::string tag;  // the full image reference to run ("web:3f2a...")
  bool operator==(const BuildSucceeded&) const = default;
};
struct BuildFailed {
  absl::Time now;
  std::string image;
  StatusCode code = StatusCode::kBuildUnknown;
  std::string message;
  bool operator==(const BuildFailed&) const = default;
};
// The tests of a RunTests effect passed.
struct TestsSucceeded {
  absl::Time now;
  bool operator==(const TestsSucceeded&) const = default;
};
// A test of a RunTests effect failed (the first failure; later tests of the
// effect did not run).
struct TestsFailed {
  absl::Time now;
  std::string image;
  StatusCode code = StatusCode::kTestUnknown;
  std::string message;
  bool operator==(const TestsFailed&) const = default;
};
struct SyncSucceeded {
  absl::Time now;
  std::string image;
  bool operator==(const SyncSucceeded&) const = default;
};
struct SyncFailed {
  absl::Time now;
  std::string image;
  StatusCode code = StatusCode::kSyncUnknown;
  std::string message;
  bool operator==(const SyncFailed&) const = default;
};
struct DeploySucceeded {
  absl::Time now;
  int64_t deploy_id = 0;
  std::vector<std::string> resources;  // to status-check ("container/web")
  bool operator==(const DeploySucceeded&) const = default;
};
struct DeployFailed {
  absl::Time now;
  int64_t deploy_id = 0;
  StatusCode code = StatusCode::kDeployUnknown;
  std::string message;
  bool operator==(const DeployFailed&) const = default;
};
struct ResourceObserved {
  absl::Time now;
  int64_t deploy_id = 0;
  ResourceObservation observation;
  bool operator==(const ResourceObserved&) const = default;
};
struct PortForwarded {
  absl::Time now;
  PortEvent port;
  bool operator==(const PortForwarded&) const = default;
};
// A container started or stopped running under its language's debugger
// (`devloop debug`): Started when it runs, Terminated when it is gone.
struct DebuggingChanged {
  absl::Time now;
  DebuggingContainerEvent container;
  bool operator==(const DebuggingChanged&) const = default;
};
struct Tick {
  absl::Time now;
  bool operator==(const Tick&) const = default;
};
struct Shutdown {
  absl::Time now;
  bool operator==(const Shutdown&) const = default;
};

using Input = std::variant<Start, FilesChanged, ExecuteIntent, SetAutoTrigger, BuildSucceeded,
                           BuildFailed, TestsSucceeded, TestsFailed, SyncSucceeded, SyncFailed,
                           DeploySucceeded, DeployFailed, ResourceObserved, PortForwarded, Tick,
                           Shutdown, TestDependenciesChanged, DebuggingChanged>;

// ---- Effects ----
// Build these artifacts (concurrently; their requirements are already built).
// Each reports BuildSucceeded or BuildFailed.
struct BuildArtifacts {
  std::vector<std::string> images;
  bool operator==(const BuildArtifacts&) const = default;
};
// Stop these running builds; their results may still arrive and are ignored.
struct CancelBuilds {
  std::vector<std::string> images;
  bool operator==(const CancelBuilds&) const = default;
};
// Test these built images (artifact image -> the reference built), one after
// the other, stopping at the first failure. Reports TestsSucceeded or TestsFailed.
struct RunTests {
  ImageTags images;
  bool operator==(const RunTests&) const = default;
};
// Stop the running tests; their result may still arrive and is ignored.
struct CancelTests {
  bool operator==(const CancelTests&) const = default;
};
// Copy and delete files in the running container of `image` (deployment
// `deploy_id`, running `tag`). Reports SyncSucceeded or SyncFailed.
struct SyncFiles {
  std::string image;
  std::string tag;
  int64_t deploy_id = 0;
  SyncPlan plan;
  bool operator==(const SyncFiles&) const = default;
};
// Start deployment `deploy_id` running `images`, beside the live one (which a
// StopWorkload removes once this one is up). Reports DeploySucceeded/DeployFailed.
struct Deploy {
  int64_t deploy_id = 0;
  ImageTags images;
  bool operator==(const Deploy&) const = default;
};
// Remove deployment `deploy_id` (replaced, or failed half-way).
struct StopWorkload {
  int64_t deploy_id = 0;
  bool operator==(const StopWorkload&) const = default;
};
// Observe `resources` of deployment `deploy_id` (about every 0.5 s) and report
// ResourceObserved until the check ends (its final StatusCheckEvent, or
// Cleanup). Keep observing a resource that is ready: it succeeds only on an
// observation a stability window after its first ready one; fill the
// observation's last_log_lines when its container terminated or restarts.
struct StartStatusCheck {
  int64_t deploy_id = 0;
  std::vector<std::string> resources;
  absl::Time deadline;
  bool operator==(const StartStatusCheck&) const = default;
};
// Forward the ports of deployment `deploy_id`; report each as PortForwarded.
struct ForwardPorts {
  int64_t deploy_id = 0;
  bool operator==(const ForwardPorts&) const = default;
};
// Feed Tick{at} at time `at` (or later).
struct ScheduleTick {
  absl::Time at;
  bool operator==(const ScheduleTick&) const = default;
};
// Shut down: remove these deployments and their port forwards, stop watching.
struct Cleanup {
  std::vector<int64_t> deploy_ids;
  bool operator==(const Cleanup&) const = default;
};

using Effect = std::variant<BuildArtifacts, CancelBuilds, RunTests, CancelTests, SyncFiles, Deploy,
                            StopWorkload, StartStatusCheck, ForwardPorts, ScheduleTick, Cleanup>;

struct Output {
  std::vector<Record> records;  // append to the event log first, in order
  std::vector<Effect> effects;  // then perform
  bool operator==(const Output&) const = default;
};

struct ControllerOptions {
  std::vector<ArtifactSpec> artifacts;
  bool auto_build = true;
  bool auto_sync = true;
  bool auto_deploy = true;
  bool status_check = true;
  StatusCheckOptions status_check_options;
  Metadata metadata;
  std::string start_entry = "Starting devloop";  // the MetaEvent's entry text
  bool operator==(const ControllerOptions&) const = default;
};

class Controller {
 public:
  // What the dev loop is doing: waiting for Start, idle between iterations,
  // running one phase of an iteration, or shut down.
  enum class Mode {
    kNotStarted,
    kIdle,
    kBuilding,
    kTesting,
    kSyncing,
    kDeploying,
    kStatusChecking,
    kStopped
  };

  // InvalidArgument for artifacts that are declared twice, require unknown
  // artifacts or each other in a cycle, or have malformed sync globs.
  static absl::StatusOr<Controller> Make(ControllerOptions options);

  // Returns what `input` leads to. Errors (the state is unchanged: every
  // input is checked before anything changes):
  //   FailedPrecondition: a result that does not fit the current state, any
  //     input before Start, a second Start, input other than results after Shutdown;
  //   AlreadyExists: a trigger set to the value it has ("auto build is already
  //     set to true", the text the HTTP layer sends with 409);
  //   InvalidArgument: an unknown artifact or resource, a path outside the
  //     context, a build result without a tag.
  absl::StatusOr<Output> Handle(const Input& input);

  Mode mode() const;
  // The iteration running or last run; -1 before Start.
  int32_t iteration() const { return iteration_.number(); }
  bool auto_trigger(Phase phase) const { return TriggerOf(phase).automatic; }
  // Whether nothing is queued: no dirty artifact, no sync waiting, no deploy due.
  bool quiescent() const { return pending().empty(); }
  // What is queued: the dirty artifacts, the syncs waiting, whether a deploy is due.
  PendingWork pending() const;
  // The build of artifact `image`; nullptr for an unknown artifact.
  const ArtifactBuild* build(absl::string_view image) const;
  const DeployMachine& deploy() const { return rollout_.deploy(); }

  bool operator==(const Controller&) const = default;

 private:
  Controller() = default;

  enum class Lifecycle { kNotStarted, kRunning, kStopped };

  // One phase's trigger: it runs on its own (automatic), or once after an
  // Execute intent (granted; used up when the phase next starts).
  struct Trigger {
    bool automatic = true;
    bool granted = false;
    bool allows() const { return automatic || granted; }
    bool operator==(const Trigger&) const = default;
  };

  struct Artifact {
    ArtifactSpec spec;
    ArtifactBuild build;
    // For a tested artifact: the newest build whose tests passed (the one that
    // may deploy), and the newest whose tests failed.
    std::string tested_tag;
    std::string failed_tag;
    bool operator==(const Artifact&) const = default;
  };

  struct Ctx;  // the Output being built and the input's time

  // One handler per input: each checks its input, then changes state.
  absl::Status On(Ctx& c, const Start& in);
  absl::Status On(Ctx& c, const FilesChanged& in);
  absl::Status On(Ctx& c, const TestDependenciesChanged& in);
  absl::Status On(Ctx& c, const ExecuteIntent& in);
  absl::Status On(Ctx& c, const SetAutoTrigger& in);
  absl::Status On(Ctx& c, const BuildSucceeded& in);
  absl::Status On(Ctx& c, const BuildFailed& in);
  absl::Status On(Ctx& c, const TestsSucceeded& in);
  absl::Status On(Ctx& c, const TestsFailed& in);
  absl::Status On(Ctx& c, const SyncSucceeded& in);
  absl::Status On(Ctx& c, const SyncFailed& in);
  absl::Status On(Ctx& c, const DeploySucceeded& in);
  absl::Status On(Ctx& c, const DeployFailed& in);
  absl::Status On(Ctx& c, const ResourceObserved& in);
  absl::Status On(Ctx& c, const PortForwarded& in);
  absl::Status On(Ctx& c, const DebuggingChanged& in);
  absl::Status On(Ctx& c, const Tick& in);
  absl::Status On(Ctx& c, const Shutdown& in);

  // FailedPrecondition naming `what` and the mode, unless Start ran and Shutdown did not.
  absl::Status RequireRunning(absl::string_view what) const;
  absl::Status NotNow(absl::string_view what) const;
  absl::Status OnSyncResult(Ctx& c, const std::string& image, const SyncFailed* failure);

  // Starts the next piece of queued work its trigger allows, between iterations.
  void Advance(Ctx& c);
  void OpenIteration(Ctx& c);
  void CloseIteration(Ctx& c);
  void LogIterationEnd(Ctx& c);
  void StartBuilds(Ctx& c, const std::set<std::string>& changed);
  void OnBatchProgress(Ctx& c, BuildBatch::Progress progress);
  // After the builds (and their tests) of an iteration: deploy, or close it.
  void AfterBuilds(Ctx& c);
  // Tests the newest builds of `retest_` again, in an iteration of their own.
  // Returns false (and forgets them) when none has a build to test.
  bool StartRetests(Ctx& c);
  bool StartSyncs(Ctx& c);
  bool StartDeploy(Ctx& c);
  void OnRolloutStep(Ctx& c, Rollout::Step step);

  void MarkForRebuild(const std::string& image);
  bool CanSync(const std::string& image) const;
  ImageTags NewestTags() const;
  ArtifactBuild* FindBuild(const std::string& image);
  const Trigger& TriggerOf(Phase phase) const;
  Trigger& TriggerOf(Phase phase);

  ControllerOptions options_;
  BuildGraph graph_;
  std::map<std::string, Artifact> artifacts_;
  Lifecycle lifecycle_ = Lifecycle::kNotStarted;
  Trigger build_trigger_;
  Trigger sync_trigger_;
  Trigger deploy_trigger_;
  Iteration iteration_;
  BuildBatch batch_;
  SyncQueue syncs_;
  Rollout rollout_;
  std::set<std::string> built_in_batch_;  // completed builds of the running batch
  std::optional<ImageTags> testing_;      // the images under test
  // Tested artifacts whose test dependencies changed since their last tests.
  std::set<std::string> retest_;
};

std::ostream& operator<<(std::ostream& os, Controller::Mode mode);
std::ostream& operator<<(std::ostream& os, const Input& input);
std::ostream& operator<<(std::ostream& os, const Effect& effect);
std::ostream& operator<<(std::ostream& os, const Output& output);
std::ostream& operator<<(std::ostream& os, const PendingWork& pending);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_CONTROLLER_H_
