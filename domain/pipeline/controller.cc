#include "domain/pipeline/controller.h"

#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/base/status_macros.h"
#include "domain/paths/path.h"

namespace devloop::domain {

struct Controller::Ctx {
  absl::Time now;
  Output out;

  void Log(Event event, std::string entry) {
    out.records.push_back(LogEntry{now, std::move(event), std::move(entry)});
  }
  void Do(Effect effect) { out.effects.push_back(std::move(effect)); }
};

namespace {

constexpr absl::string_view kShuttingDown = "devloop is shutting down";

// "web:v1@sha256:abc" -> "web:v1"; anything without a digest is unchanged.
std::string WithoutDigest(const std::string& reference) {
  const size_t at = reference.find('@');
  return at == std::string::npos ? reference : reference.substr(0, at);
}

absl::Time InputTime(const Input& input) {
  return std::visit([](const auto& in) { return in.now; }, input);
}

std::string PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kBuild:
      return "build";
    case Phase::kSync:
      return "sync";
    case Phase::kDeploy:
      return "deploy";
  }
  return "unknown";
}

// The batch holds only artifacts of the pipeline, so this does not happen.
absl::Status UnknownInBatch(const std::string& image) {
  return absl::InternalError(
      absl::StrCat("artifact ", image, " builds but is not in the pipeline"));
}

std::vector<FileChange> Cleaned(const std::vector<FileChange>& files) {
  std::vector<FileChange> out;
  out.reserve(files.size());
  for (const FileChange& f : files) out.push_back(FileChange{CleanPath(f.path), f.deleted});
  return out;
}

}  // namespace

absl::StatusOr<Controller> Controller::Make(ControllerOptions options) {
  Controller c;
  DEVLOOP_ASSIGN_OR_RETURN(c.graph_, BuildGraph::Make(options.artifacts));
  for (const ArtifactSpec& a : options.artifacts) {
    // Reject malformed sync globs now, not on the first change.
    DEVLOOP_RETURN_IF_ERROR(PlanSync(a, {}).status());
    c.artifacts_.emplace(a.image, Artifact{a, ArtifactBuild(a.image)});
  }
  c.build_trigger_.automatic = options.auto_build;
  c.sync_trigger_.automatic = options.auto_sync;
  c.deploy_trigger_.automatic = options.auto_deploy;
  c.rollout_ = Rollout(options.status_check, options.status_check_options);
  c.options_ = std::move(options);
  return c;
}

absl::StatusOr<Output> Controller::Handle(const Input& input) {
  Ctx c{InputTime(input), {}};
  // Each handler checks its input before it changes anything, so an error
  // leaves the controller as it was.
  absl::Status status = std::visit([&](const auto& in) { return On(c, in); }, input);
  if (!status.ok()) return status;
  return std::move(c.out);
}

Controller::Mode Controller::mode() const {
  switch (lifecycle_) {
    case Lifecycle::kNotStarted:
      return Mode::kNotStarted;
    case Lifecycle::kStopped:
      return Mode::kStopped;
    case Lifecycle::kRunning:
      break;
  }
  // One iteration at a time, and it runs one phase at a time.
  if (batch_.running()) return Mode::kBuilding;
  if (testing_.has_value()) return Mode::kTesting;
  if (syncs_.running()) return Mode::kSyncing;
  switch (rollout_.stage()) {
    case Rollout::Stage::kDeploying:
      return Mode::kDeploying;
    case Rollout::Stage::kChecking:
      return Mode::kStatusChecking;
    case Rollout::Stage::kIdle:
      break;
  }
  return Mode::kIdle;
}

PendingWork Controller::pending() const {
  PendingWork p;
  for (const std::string& image : graph_.order()) {
    if (artifacts_.at(image).build.dirty()) p.builds.push_back(image);
  }
  p.syncs = syncs_.Queued();
  p.deploy = rollout_.Due(NewestTags());
  p.tests.assign(retest_.begin(), retest_.end());
  return p;
}

const ArtifactBuild* Controller::build(absl::string_view image) const {
  auto it = artifacts_.find(std::string(image));
  return it == artifacts_.end() ? nullptr : &it->second.build;
}

ArtifactBuild* Controller::FindBuild(const std::string& image) {
  auto it = artifacts_.find(image);
  return it == artifacts_.end() ? nullptr : &it->second.build;
}

const Controller::Trigger& Controller::TriggerOf(Phase phase) const {
  switch (phase) {
    case Phase::kBuild:
      return build_trigger_;
    case Phase::kSync:
      return sync_trigger_;
    case Phase::kDeploy:
      return deploy_trigger_;
  }
  return build_trigger_;
}

Controller::Trigger& Controller::TriggerOf(Phase phase) {
  return const_cast<Trigger&>(std::as_const(*this).TriggerOf(phase));
}

ImageTags Controller::NewestTags() const {
  ImageTags tags;
  // A tested artifact deploys only builds whose tests passed.
  for (const auto& [image, a] : artifacts_) {
    tags[image] = a.spec.tested ? a.tested_tag : a.build.tag();
  }
  return tags;
}

absl::Status Controller::RequireRunning(absl::string_view what) const {
  if (lifecycle_ == Lifecycle::kRunning) return absl::OkStatus();
  return NotNow(what);
}

absl::Status Controller::NotNow(absl::string_view what) const {
  std::ostringstream os;
  os << mode();
  return absl::FailedPreconditionError(absl::StrCat(what, " while the dev loop is ", os.str()));
}

// ---- Start and iterations ----

absl::Status Controller::On(Ctx& c, const Start&) {
  if (lifecycle_ != Lifecycle::kNotStarted) return NotNow("Start");
  lifecycle_ = Lifecycle::kRunning;
  PipelineStarted started;
  started.artifacts = graph_.order();
  started.auto_build = build_trigger_.automatic;
  started.auto_sync = sync_trigger_.automatic;
  started.auto_deploy = deploy_trigger_.automatic;
  started.metadata = options_.metadata;
  c.out.records.push_back(std::move(started));
  c.Log(MetaEvent{options_.start_entry, options_.metadata}, options_.start_entry);
  // Iteration 0 builds every artifact and deploys, whatever the triggers say.
  OpenIteration(c);
  StartBuilds(c, std::set<std::string>(graph_.order().begin(), graph_.order().end()));
  return absl::OkStatus();
}

void Controller::OpenIteration(Ctx& c) {
  if (std::optional<DevLoopEvent> opened = iteration_.Open()) {
    c.Log(*std::move(opened), "Update initiated");
  }
}

void Controller::LogIterationEnd(Ctx& c) {
  if (std::optional<DevLoopEvent> closed = iteration_.Close()) {
    const bool ok = !closed->err.has_value();
    c.Log(*std::move(closed), ok ? "Update succeeded" : "Update failed");
  }
}

void Controller::CloseIteration(Ctx& c) {
  LogIterationEnd(c);
  Advance(c);
}

void Controller::Advance(Ctx& c) {
  if (lifecycle_ != Lifecycle::kRunning || iteration_.open()) return;
  if (syncs_.has_queued() && sync_trigger_.allows() && StartSyncs(c)) return;
  std::set<std::string> to_build;
  for (const auto& [image, a] : artifacts_) {
    // A stale artifact (its last build failed or was blocked) waits for an
    // intent or its next change: rebuilding it on its own would loop.
    if ((a.build.dirty() && build_trigger_.allows()) ||
        (a.build.stale() && build_trigger_.granted)) {
      to_build.insert(image);
    }
  }
  if (!to_build.empty()) {
    OpenIteration(c);
    StartBuilds(c, to_build);
    return;
  }
  if (!retest_.empty() && build_trigger_.allows() && StartRetests(c)) return;
  if (deploy_trigger_.allows() && rollout_.Due(NewestTags())) StartDeploy(c);
}

// ---- Builds ----

void Controller::MarkForRebuild(const std::string& image) {
  if (ArtifactBuild* b = FindBuild(image)) b->MarkChanged();
  // A rebuild takes in every pending change: queued syncs are covered by it.
  syncs_.Drop(image);
}

void Controller::StartBuilds(Ctx& c, const std::set<std::string>& changed) {
  build_trigger_.granted = false;
  std::set<std::string> members = graph_.WithDependents(changed);
  for (const std::string& image : members) MarkForRebuild(image);
  OnBatchProgress(c, batch_.Start(std::move(members), graph_));
}

void Controller::OnBatchProgress(Ctx& c, BuildBatch::Progress progress) {
  if (!progress.start.empty()) {
    for (const std::string& image : progress.start) {
      // The batch starts only members not in flight, so their builds are not
      // running and Start() succeeds.
      if (ArtifactBuild* b = FindBuild(image)) (void)b->Start();
      c.Log(BuildEvent{image, std::string(kStatusInProgress)},
            absl::StrCat("Build started for artifact ", image));
    }
    c.Do(BuildArtifacts{std::move(progress.start)});
  }
  switch (progress.outcome) {
    case BuildBatch::Outcome::kRunning:
      return;
    case BuildBatch::Outcome::kFailed:
      built_in_batch_.clear();
      // Members that never started (a requirement failed) wait for an intent
      // or their next change; marking them dirty again would loop on the failure.
      for (const std::string& image : progress.blocked) {
        if (ArtifactBuild* b = FindBuild(image)) b->Block();
      }
      CloseIteration(c);
      return;
    case BuildBatch::Outcome::kCompleted: {
      // Test what this batch built, and any tested build an earlier failed
      // batch left untested.
      ImageTags to_test;
      for (const auto& [image, a] : artifacts_) {
        const std::string& tag = a.build.tag();
        if (!a.spec.tested || tag.empty()) continue;
        if (built_in_batch_.contains(image) || retest_.contains(image) ||
            (tag != a.tested_tag && tag != a.failed_tag)) {
          to_test[image] = tag;
          retest_.erase(image);
        }
      }
      built_in_batch_.clear();
      if (!to_test.empty()) {
        testing_ = to_test;
        c.Log(TestEvent{std::string(kStatusInProgress)}, "Test started");
        c.Do(RunTests{std::move(to_test)});
        return;
      }
      AfterBuilds(c);
      return;
    }
  }
}

void Controller::AfterBuilds(Ctx& c) {
  if ((iteration_.number() == 0 || deploy_trigger_.allows()) && rollout_.Due(NewestTags()) &&
      StartDeploy(c)) {
    return;
  }
  CloseIteration(c);
}

// ---- Tests ----

absl::Status Controller::On(Ctx& c, const TestDependenciesChanged& in) {
  DEVLOOP_RETURN_IF_ERROR(RequireRunning("a test dependency change"));
  auto a = artifacts_.find(in.image);
  if (a == artifacts_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("test dependency change for unknown artifact ", in.image));
  }
  if (!a->second.spec.tested) {
    return absl::InvalidArgumentError(
        absl::StrCat("test dependency change for artifact ", in.image, ", which has no tests"));
  }
  retest_.insert(in.image);
  Advance(c);
  return absl::OkStatus();
}

bool Controller::StartRetests(Ctx& c) {
  ImageTags to_test;
  for (const std::string& image : retest_) {
    // Never built (its first build failed): its next build is tested anyway.
    const std::string& tag = artifacts_.at(image).build.tag();
    if (!tag.empty()) to_test[image] = tag;
  }
  retest_.clear();
  if (to_test.empty()) return false;
  build_trigger_.granted = false;
  OpenIteration(c);
  testing_ = to_test;
  c.Log(TestEvent{std::string(kStatusInProgress)}, "Test started");
  c.Do(RunTests{std::move(to_test)});
  return true;
}

absl::Status Controller::On(Ctx& c, const TestsSucceeded&) {
  if (lifecycle_ == Lifecycle::kStopped) return absl::OkStatus();  // cancelled tests'
  if (!testing_.has_value()) return NotNow("a test result");
  for (const auto& [image, tag] : *testing_) artifacts_.at(image).tested_tag = tag;
  testing_.reset();
  c.Log(TestEvent{std::string(kStatusComplete)}, "Test completed");
  AfterBuilds(c);
  return absl::OkStatus();
}

absl::Status Controller::On(Ctx& c, const TestsFailed& in) {
  if (lifecycle_ == Lifecycle::kStopped) return absl::OkStatus();
  if (!testing_.has_value()) return NotNow("a test result");
  if (!in.image.empty() && !testing_->contains(in.image)) {
    return absl::InvalidArgumentError(
        absl::StrCat("test result for artifact ", in.image, ", which is not under test"));
  }
  for (const auto& [image, tag] : *testing_) {
    Artifact& a = artifacts_.at(image);
    a.failed_tag = tag;
    // Stale: an intent rebuilds (and tests) it; a change already queued keeps
    // it dirty and rebuilds it after this iteration.
    if (!a.build.dirty()) a.build.Block();
  }
  testing_.reset();
  const StatusCode code = in.code == StatusCode::kOk ? StatusCode::kTestUnknown : in.code;
  ActionableErr err{code, in.message, {}};
  iteration_.Fail(err);
  c.Log(TestEvent{std::string(kStatusFailed), err},
        in.image.empty() ? "Test failed" : absl::StrCat("Test failed for artifact ", in.image));
  CloseIteration(c);
  return absl::OkStatus();
}

absl::Status Controller::On(Ctx& c, const BuildSucceeded& in) {
  if (lifecycle_ == Lifecycle::kStopped) return absl::OkStatus();  // a cancelled build's
  DEVLOOP_RETURN_IF_ERROR(batch_.CheckResult(in.image));
  if (in.tag.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("build result for artifact ", in.image, " has no image tag"));
  }
  ArtifactBuild* b = FindBuild(in.image);
  if (b == nullptr) return UnknownInBatch(in.image);
  DEVLOOP_RETURN_IF_ERROR(b->Complete(in.tag));
  built_in_batch_.insert(in.image);
  c.Log(BuildEvent{in.image, std::string(kStatusComplete)},
        absl::StrCat("Build completed for artifact ", in.image));
  OnBatchProgress(c, batch_.Complete(in.image, graph_));
  return absl::OkStatus();
}

absl::Status Controller::On(Ctx& c, const BuildFailed& in) {
  if (lifecycle_ == Lifecycle::kStopped) return absl::OkStatus();
  DEVLOOP_RETURN_IF_ERROR(batch_.CheckResult(in.image));
  ArtifactBuild* b = FindBuild(in.image);
  if (b == nullptr) return UnknownInBatch(in.image);
  DEVLOOP_RETURN_IF_ERROR(b->Fail(in.code, in.message));
  ActionableErr err{b->error_code(), in.message, {}};
  iteration_.Fail(err);
  c.Log(BuildEvent{in.image, std::string(kStatusFailed), in.message, b->error_code(), err},
        absl::StrCat("Build failed for artifact ", in.image));
  OnBatchProgress(c, batch_.Fail(in.image));
  return absl::OkStatus();
}

// ---- Deploy and status check ----

bool Controller::StartDeploy(Ctx& c) {
  const ImageTags tags = NewestTags();
  absl::StatusOr<int64_t> id = rollout_.Start(tags, batch_.running());
  if (!id.ok()) return false;  // callers check Due() and that no build runs
  deploy_trigger_.granted = false;
  OpenIteration(c);  // after a build, the iteration is open already
  c.Log(DeployEvent{std::string(kStatusInProgress)}, "Deploy started");
  c.Do(Deploy{*id, tags});
  return true;
}

absl::Status Controller::On(Ctx& c, const DeploySucceeded& in) {
  if (lifecycle_ == Lifecycle::kStopped) return absl::OkStatus();
  DEVLOOP_RETURN_IF_ERROR(rollout_.CheckResult(in.deploy_id));
  const int64_t previous = rollout_.deploy().live_id();
  Rollout::Step step = rollout_.Succeeded(in.deploy_id, in.resources, c.now);
  c.Log(DeployEvent{std::string(kStatusComplete)}, "Deploy completed");
  if (previous != 0) c.Do(StopWorkload{previous});
  c.Do(ForwardPorts{in.deploy_id});
  if (options_.status_check) {
    c.Do(StartStatusCheck{in.deploy_id, in.resources, rollout_.check_deadline()});
    c.Do(ScheduleTick{rollout_.check_deadline()});
  }
  OnRolloutStep(c, std::move(step));
  return absl::OkStatus();
}

absl::Status Controller::On(Ctx& c, const DeployFailed& in) {
  if (lifecycle_ == Lifecycle::kStopped) return absl::OkStatus();
  DEVLOOP_RETURN_IF_ERROR(rollout_.CheckResult(in.deploy_id));
  Rollout::Step step = rollout_.Failed(in.deploy_id, in.code, in.message);
  const ActionableErr err =
      step.error.value_or(ActionableErr{StatusCode::kDeployUnknown, in.message, {}});
  c.Log(DeployEvent{std::string(kStatusFailed), in.message, err.code, err}, "Deploy failed");
  c.Do(StopWorkload{in.deploy_id});
  OnRolloutStep(c, std::move(step));
  return absl::OkStatus();
}

absl::Status Controller::On(Ctx& c, const ResourceObserved& in) {
  if (lifecycle_ == Lifecycle::kStopped) return absl::OkStatus();
  DEVLOOP_ASSIGN_OR_RETURN(Rollout::Step step,
                           rollout_.Observe(in.deploy_id, in.observation, c.now));
  OnRolloutStep(c, std::move(step));
  return absl::OkStatus();
}

absl::Status Controller::On(Ctx& c, const Tick&) {
  if (lifecycle_ != Lifecycle::kRunning) return absl::OkStatus();
  OnRolloutStep(c, rollout_.Tick(c.now));
  return absl::OkStatus();
}

void Controller::OnRolloutStep(Ctx& c, Rollout::Step step) {
  for (CheckEvent& e : step.events) c.Log(std::move(e.event), std::move(e.entry));
  if (!step.ended) return;
  if (step.error.has_value()) iteration_.Fail(*std::move(step.error));
  CloseIteration(c);
}

absl::Status Controller::On(Ctx& c, const PortForwarded& in) {
  if (lifecycle_ != Lifecycle::kRunning) return absl::OkStatus();
  c.Log(in.port, absl::StrCat("Forwarding container ", in.port.container_name, " to local port ",
                              in.port.local_port));
  return absl::OkStatus();
}

absl::Status Controller::On(Ctx& c, const DebuggingChanged& in) {
  // A container removed as the run ends is still reported Terminated.
  if (lifecycle_ == Lifecycle::kNotStarted) return absl::OkStatus();
  const DebuggingContainerEvent& d = in.container;
  std::string ports;
  for (const auto& [name, port] : d.debug_ports) {
    absl::StrAppend(&ports, ports.empty() ? "" : ", ", name, " ", port);
  }
  std::string text =
      d.status == kStatusStarted
          ? absl::StrCat("Debugging container ", d.container_name, " (", d.runtime, ") on ",
                         ports.empty() ? "no port" : ports)
          : absl::StrCat("Container ", d.container_name, " no longer debuggable");
  c.Log(d, std::move(text));
  return absl::OkStatus();
}

// ---- Sync ----

bool Controller::CanSync(const std::string& image) const {
  auto a = artifacts_.find(image);
  if (a == artifacts_.end() || (a->second.spec.sync.empty() && a->second.spec.infer.empty())) {
    return false;
  }
  const ArtifactBuild& b = a->second.build;
  if (b.status() == BuildStatus::kInProgress || b.dirty() || b.stale()) return false;
  // Syncing into a container that a pending deploy will replace would be lost.
  auto live = rollout_.deploy().live_images().find(image);
  return live != rollout_.deploy().live_images().end() && live->second == b.tag();
}

absl::Status Controller::On(Ctx& c, const FilesChanged& in) {
  DEVLOOP_RETURN_IF_ERROR(RequireRunning("a file change"));
  auto a = artifacts_.find(in.image);
  if (a == artifacts_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("file change for unknown artifact ", in.image));
  }
  if (in.files.empty()) return absl::OkStatus();
  // Check the paths whatever the route, so bad input is an error either way.
  DEVLOOP_ASSIGN_OR_RETURN(SyncDecision decision, PlanSync(a->second.spec, in.files));
  if (!decision.needs_rebuild && CanSync(in.image)) {
    // Queued until sync may run (now, after a running sync, or on an intent).
    syncs_.Queue(in.image, Cleaned(in.files));
  } else {
    MarkForRebuild(in.image);
  }
  Advance(c);
  return absl::OkStatus();
}

bool Controller::StartSyncs(Ctx& c) {
  struct Planned {
    std::string image;
    SyncPlan plan;
  };
  std::vector<Planned> planned;
  for (auto& [image, files] : syncs_.TakeQueued()) {
    // Each change was planned and the container checked when it was queued;
    // one whose container no longer runs the newest build is rebuilt instead.
    auto a = artifacts_.find(image);
    absl::StatusOr<SyncDecision> d =
        a == artifacts_.end() ? absl::NotFoundError(image) : PlanSync(a->second.spec, files);
    if (!CanSync(image) || !d.ok() || d->needs_rebuild) {
      MarkForRebuild(image);
      continue;
    }
    planned.push_back(Planned{image, std::move(d->plan)});
  }
  if (planned.empty()) return false;
  sync_trigger_.granted = false;
  OpenIteration(c);
  for (Planned& p : planned) {
    // CanSync found the live container of p.image.
    const std::string tag = rollout_.deploy().live_images().find(p.image)->second;
    // Events name the image as users know it: IMAGE:TAG, without the digest
    // the shell may add to tell builds under one tag apart.
    const std::string shown = WithoutDigest(tag);
    syncs_.Started(p.image, SyncQueue::Sync{shown, p.plan.file_count});
    c.Log(FileSyncEvent{p.plan.file_count, shown, std::string(kStatusInProgress)},
          absl::StrCat("File sync started for ", p.plan.file_count, " files for ", shown));
    c.Do(SyncFiles{p.image, tag, rollout_.deploy().live_id(), std::move(p.plan)});
  }
  return true;
}

absl::Status Controller::On(Ctx& c, const SyncSucceeded& in) {
  return OnSyncResult(c, in.image, nullptr);
}

absl::Status Controller::On(Ctx& c, const SyncFailed& in) { return OnSyncResult(c, in.image, &in); }

absl::Status Controller::OnSyncResult(Ctx& c, const std::string& image, const SyncFailed* failure) {
  if (lifecycle_ == Lifecycle::kStopped) return absl::OkStatus();
  std::optional<SyncQueue::Sync> done = syncs_.Finish(image);
  if (!done.has_value()) return syncs_.CheckResult(image);  // not syncing: nothing changed
  const std::string files = absl::StrCat(done->file_count, " files for ", done->image);
  if (failure != nullptr) {
    const StatusCode code =
        failure->code == StatusCode::kOk ? StatusCode::kSyncUnknown : failure->code;
    ActionableErr err{code, failure->message, {}};
    c.Log(FileSyncEvent{done->file_count, done->image, std::string(kStatusFailed), failure->message,
                        code, err},
          absl::StrCat("File sync failed for ", files));
    // The container may hold half the change: a rebuild brings it back in step,
    // and the change is not lost.
    MarkForRebuild(image);
    iteration_.Fail(std::move(err));
  } else {
    c.Log(FileSyncEvent{done->file_count, done->image, std::string(kStatusSucceeded)},
          absl::StrCat("File sync succeeded for ", files));
  }
  if (!syncs_.running()) CloseIteration(c);
  return absl::OkStatus();
}

// ---- Control ----

absl::Status Controller::On(Ctx& c, const ExecuteIntent& in) {
  DEVLOOP_RETURN_IF_ERROR(RequireRunning("Execute"));
  const Mode now = mode();
  PhasesReset reset;
  // A phase that is running now keeps its status; the others start again from
  // "Not Started", as the Control API documents.
  reset.build = in.build && now != Mode::kBuilding && now != Mode::kTesting;
  reset.sync = in.sync && now != Mode::kSyncing;
  reset.deploy = in.deploy && now != Mode::kDeploying && now != Mode::kStatusChecking;
  if (reset.build || reset.sync || reset.deploy) {
    c.out.records.push_back(reset);
    if (reset.build) {
      for (auto& [image, a] : artifacts_) a.build.Reset();
    }
    if (reset.deploy) rollout_.ResetStatus();
  }
  if (in.build) build_trigger_.granted = true;
  if (in.sync) sync_trigger_.granted = true;
  if (in.deploy) {
    deploy_trigger_.granted = true;
    rollout_.ForgetFailure();
  }
  Advance(c);
  return absl::OkStatus();
}

absl::Status Controller::On(Ctx& c, const SetAutoTrigger& in) {
  DEVLOOP_RETURN_IF_ERROR(RequireRunning("a trigger change"));
  Trigger& trigger = TriggerOf(in.phase);
  if (trigger.automatic == in.enabled) {
    return absl::AlreadyExistsError(absl::StrCat(
        "auto ", PhaseName(in.phase), " is already set to ", in.enabled ? "true" : "false"));
  }
  trigger.automatic = in.enabled;
  c.out.records.push_back(TriggerChanged{in.phase, in.enabled});
  Advance(c);
  return absl::OkStatus();
}

absl::Status Controller::On(Ctx& c, const Shutdown&) {
  if (lifecycle_ == Lifecycle::kStopped) return NotNow("Shutdown");
  // Whatever phase runs ends as failed: cancelled.
  CancelBuilds cancel;
  for (std::string& image : batch_.Cancel()) {
    if (ArtifactBuild* b = FindBuild(image)) (void)b->Cancel();  // in flight: it builds
    ActionableErr e{
        StatusCode::kBuildCancelled, absl::StrCat("build cancelled: ", kShuttingDown), {}};
    c.Log(BuildEvent{image, std::string(kStatusFailed), e.message, e.code, e},
          absl::StrCat("Build failed for artifact ", image));
    iteration_.Fail(std::move(e));
    cancel.images.push_back(std::move(image));
  }
  if (!cancel.images.empty()) c.Do(std::move(cancel));
  built_in_batch_.clear();
  if (testing_.has_value()) {
    ActionableErr e{StatusCode::kTestUnknown, absl::StrCat("tests cancelled: ", kShuttingDown), {}};
    c.Log(TestEvent{std::string(kStatusFailed), e}, "Test failed");
    iteration_.Fail(std::move(e));
    testing_.reset();
    c.Do(CancelTests{});
  }
  std::vector<int64_t> deployments;
  if (rollout_.deploy().live_id() != 0) deployments.push_back(rollout_.deploy().live_id());
  const int64_t deploying = rollout_.deploy().running_id();
  Rollout::Step step = rollout_.Cancel(kShuttingDown);
  if (deploying != 0 && step.error.has_value()) {
    c.Log(
        DeployEvent{std::string(kStatusFailed), step.error->message, step.error->code, step.error},
        "Deploy failed");
    deployments.push_back(deploying);
  }
  for (CheckEvent& e : step.events) c.Log(std::move(e.event), std::move(e.entry));
  if (step.error.has_value()) iteration_.Fail(*std::move(step.error));
  for (const SyncQueue::Sync& sync : syncs_.Cancel()) {
    ActionableErr e{StatusCode::kSyncUnknown, absl::StrCat("sync cancelled: ", kShuttingDown), {}};
    c.Log(FileSyncEvent{sync.file_count, sync.image, std::string(kStatusFailed), e.message, e.code,
                        e},
          absl::StrCat("File sync failed for ", sync.file_count, " files for ", sync.image));
    iteration_.Fail(std::move(e));
  }
  LogIterationEnd(c);
  c.Do(Cleanup{std::move(deployments)});
  c.Log(TerminationEvent{std::string(kStatusCompleted), std::nullopt}, "Dev loop shut down");
  lifecycle_ = Lifecycle::kStopped;
  return absl::OkStatus();
}

// ---- Printers ----

std::ostream& operator<<(std::ostream& os, Controller::Mode mode) {
  switch (mode) {
    case Controller::Mode::kNotStarted:
      return os << "not started";
    case Controller::Mode::kIdle:
      return os << "idle";
    case Controller::Mode::kBuilding:
      return os << "building";
    case Controller::Mode::kTesting:
      return os << "testing";
    case Controller::Mode::kSyncing:
      return os << "syncing";
    case Controller::Mode::kDeploying:
      return os << "deploying";
    case Controller::Mode::kStatusChecking:
      return os << "checking status";
    case Controller::Mode::kStopped:
      return os << "stopped";
  }
  return os << "Mode(" << static_cast<int>(mode) << ")";
}

namespace {
std::string T(absl::Time t) { return absl::FormatTime("%H:%M:%E3S", t, absl::UTCTimeZone()); }
}  // namespace

std::ostream& operator<<(std::ostream& os, const Input& input) {
  struct P {
    std::ostream& os;
    void operator()(const Start& i) { os << "Start{" << T(i.now) << "}"; }
    void operator()(const FilesChanged& i) {
      os << "FilesChanged{" << i.image << " [";
      for (const FileChange& f : i.files) os << f << " ";
      os << "]}";
    }
    void operator()(const TestDependenciesChanged& i) {
      os << "TestDependenciesChanged{" << i.image << "}";
    }
    void operator()(const ExecuteIntent& i) {
      os << "ExecuteIntent{build=" << i.build << " sync=" << i.sync << " deploy=" << i.deploy
         << "}";
    }
    void operator()(const SetAutoTrigger& i) {
      os << "SetAutoTrigger{" << i.phase << "=" << i.enabled << "}";
    }
    void operator()(const BuildSucceeded& i) {
      os << "BuildSucceeded{" << i.image << " " << i.tag << "}";
    }
    void operator()(const BuildFailed& i) {
      os << "BuildFailed{" << i.image << " " << i.code << " \"" << i.message << "\"}";
    }
    void operator()(const TestsSucceeded&) { os << "TestsSucceeded{}"; }
    void operator()(const TestsFailed& i) {
      os << "TestsFailed{" << i.image << " " << i.code << " \"" << i.message << "\"}";
    }
    void operator()(const SyncSucceeded& i) { os << "SyncSucceeded{" << i.image << "}"; }
    void operator()(const SyncFailed& i) { os << "SyncFailed{" << i.image << " " << i.code << "}"; }
    void operator()(const DeploySucceeded& i) {
      os << "DeploySucceeded{" << i.deploy_id << " [" << absl::StrJoin(i.resources, " ") << "]}";
    }
    void operator()(const DeployFailed& i) {
      os << "DeployFailed{" << i.deploy_id << " " << i.code << "}";
    }
    void operator()(const ResourceObserved& i) {
      os << "ResourceObserved{" << i.deploy_id << " " << i.observation.resource
         << " ready=" << i.observation.ready_replicas << "/" << i.observation.desired_replicas;
      if (i.observation.terminated) os << " exited=" << i.observation.exit_code;
      if (i.observation.restart_count > 0) os << " restarts=" << i.observation.restart_count;
      os << "}";
    }
    void operator()(const PortForwarded& i) { os << "PortForwarded{" << i.port.local_port << "}"; }
    void operator()(const DebuggingChanged& i) {
      os << "DebuggingChanged{" << i.container.status << " " << i.container.container_name << "}";
    }
    void operator()(const Tick& i) { os << "Tick{" << T(i.now) << "}"; }
    void operator()(const Shutdown& i) { os << "Shutdown{" << T(i.now) << "}"; }
  };
  std::visit(P{os}, input);
  return os;
}

std::ostream& operator<<(std::ostream& os, const Effect& effect) {
  struct P {
    std::ostream& os;
    void operator()(const BuildArtifacts& e) {
      os << "BuildArtifacts{" << absl::StrJoin(e.images, " ") << "}";
    }
    void operator()(const CancelBuilds& e) {
      os << "CancelBuilds{" << absl::StrJoin(e.images, " ") << "}";
    }
    void operator()(const RunTests& e) {
      os << "RunTests{" << absl::StrJoin(e.images, " ", absl::PairFormatter("=")) << "}";
    }
    void operator()(const CancelTests&) { os << "CancelTests{}"; }
    void operator()(const SyncFiles& e) {
      os << "SyncFiles{" << e.image << " " << e.tag << " deploy=" << e.deploy_id << " " << e.plan
         << "}";
    }
    void operator()(const Deploy& e) {
      os << "Deploy{" << e.deploy_id << " "
         << absl::StrJoin(e.images, " ", absl::PairFormatter("=")) << "}";
    }
    void operator()(const StopWorkload& e) { os << "StopWorkload{" << e.deploy_id << "}"; }
    void operator()(const StartStatusCheck& e) {
      os << "StartStatusCheck{" << e.deploy_id << " [" << absl::StrJoin(e.resources, " ")
         << "] until " << T(e.deadline) << "}";
    }
    void operator()(const ForwardPorts& e) { os << "ForwardPorts{" << e.deploy_id << "}"; }
    void operator()(const ScheduleTick& e) { os << "ScheduleTick{" << T(e.at) << "}"; }
    void operator()(const Cleanup& e) {
      os << "Cleanup{" << absl::StrJoin(e.deploy_ids, " ") << "}";
    }
  };
  std::visit(P{os}, effect);
  return os;
}

std::ostream& operator<<(std::ostream& os, const Output& output) {
  os << "Output{records=[";
  for (const Record& r : output.records) os << "\n  " << r;
  os << "] effects=[";
  for (const Effect& e : output.effects) os << "\n  " << e;
  return os << "]}";
}

std::ostream& operator<<(std::ostream& os, const PendingWork& pending) {
  os << "PendingWork{builds=[";
  for (const std::string& image : pending.builds) os << " " << image;
  os << " ] syncs=[";
  for (const auto& [image, files] : pending.syncs) {
    os << " " << image << ":";
    for (const FileChange& f : files) os << " " << f;
  }
  os << " ] deploy=" << pending.deploy << " tests=[";
  for (const std::string& image : pending.tests) os << " " << image;
  return os << " ]}";
}

}  // namespace devloop::domain
