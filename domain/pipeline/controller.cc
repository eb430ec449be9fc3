#include "domain/pipeline/controller.h"

#include <algorithm>
#include <sstream>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

absl::Status NotNow(absl::string_view what, Controller::Mode mode) {
  std::ostringstream os;
  os << mode;
  return absl::FailedPreconditionError(absl::StrCat(what, " while the dev loop is ", os.str()));
}

// The status check's events, with their entry texts.
std::string EntryFor(const Event& e) {
  if (const auto* sc = std::get_if<StatusCheckEvent>(&e)) {
    if (sc->status == kStatusInProgress) return "Status check started";
    if (sc->status == kStatusSucceeded) return "Status check succeeded";
    return "Status check failed";
  }
  if (const auto* r = std::get_if<ResourceStatusCheckEvent>(&e)) {
    return absl::StrCat("Resource ", r->resource, " status updated to ", r->status,
                        r->message.empty() ? "" : absl::StrCat(": ", r->message));
  }
  return "";
}

}  // namespace

absl::StatusOr<Controller> Controller::Make(ControllerOptions options) {
  Controller c;
  absl::StatusOr<BuildGraph> graph = BuildGraph::Make(options.artifacts);
  if (!graph.ok()) return graph.status();
  c.graph_ = *std::move(graph);
  for (const ArtifactSpec& a : options.artifacts) {
    // Reject malformed sync globs now, not on the first change.
    absl::StatusOr<SyncDecision> probe = PlanSync(a, {});
    if (!probe.ok()) return probe.status();
    c.specs_[a.image] = a;
    c.builds_.emplace(a.image, ArtifactBuild(a.image));
  }
  c.auto_build_ = options.auto_build;
  c.auto_sync_ = options.auto_sync;
  c.auto_deploy_ = options.auto_deploy;
  c.options_ = std::move(options);
  return c;
}

bool Controller::auto_trigger(Phase phase) const {
  switch (phase) {
    case Phase::kBuild:
      return auto_build_;
    case Phase::kSync:
      return auto_sync_;
    case Phase::kDeploy:
      return auto_deploy_;
  }
  return false;
}

absl::StatusOr<Output> Controller::Handle(const Input& input) {
  // Every handler may fail half-way; the copy makes "an error changes nothing"
  // hold without each handler validating everything up front.
  Controller before = *this;
  Ctx c{InputTime(input), {}};
  absl::Status status = std::visit(
      [&](const auto& in) -> absl::Status {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, Start>) {
          return OnStart(c);
        } else if constexpr (std::is_same_v<T, FilesChanged>) {
          return OnFilesChanged(c, in);
        } else if constexpr (std::is_same_v<T, ExecuteIntent>) {
          return OnIntent(c, in);
        } else if constexpr (std::is_same_v<T, SetAutoTrigger>) {
          return OnTrigger(c, in);
        } else if constexpr (std::is_same_v<T, BuildSucceeded>) {
          return OnBuildSucceeded(c, in);
        } else if constexpr (std::is_same_v<T, BuildFailed>) {
          return OnBuildFailed(c, in);
        } else if constexpr (std::is_same_v<T, SyncSucceeded>) {
          return OnSyncResult(c, in.image, std::nullopt);
        } else if constexpr (std::is_same_v<T, SyncFailed>) {
          return OnSyncResult(c, in.image, in);
        } else if constexpr (std::is_same_v<T, DeploySucceeded>) {
          return OnDeploySucceeded(c, in);
        } else if constexpr (std::is_same_v<T, DeployFailed>) {
          return OnDeployFailed(c, in);
        } else if constexpr (std::is_same_v<T, ResourceObserved>) {
          return OnObserved(c, in);
        } else if constexpr (std::is_same_v<T, PortForwarded>) {
          if (mode_ == Mode::kNotStarted || mode_ == Mode::kStopped) return absl::OkStatus();
          c.Log(in.port, absl::StrCat("Forwarding container ", in.port.container_name,
                                      " to local port ", in.port.local_port));
          return absl::OkStatus();
        } else if constexpr (std::is_same_v<T, Tick>) {
          return OnTick(c);
        } else {
          static_assert(std::is_same_v<T, Shutdown>);
          return OnShutdown(c);
        }
      },
      input);
  if (!status.ok()) {
    *this = std::move(before);
    return status;
  }
  return std::move(c.out);
}

// ---- Start and iterations ----

absl::Status Controller::OnStart(Ctx& c) {
  if (mode_ != Mode::kNotStarted) return NotNow("Start", mode_);
  PipelineStarted started;
  started.artifacts = graph_->order();
  started.auto_build = auto_build_;
  started.auto_sync = auto_sync_;
  started.auto_deploy = auto_deploy_;
  started.metadata = options_.metadata;
  c.out.records.push_back(std::move(started));
  c.Log(MetaEvent{options_.start_entry, options_.metadata}, options_.start_entry);
  mode_ = Mode::kIdle;
  OpenIteration(c);
  std::set<std::string> all(graph_->order().begin(), graph_->order().end());
  if (all.empty()) {
    initial_ = false;
    CloseIteration(c, std::nullopt);
    return absl::OkStatus();
  }
  StartBuilds(c, all);
  return absl::OkStatus();
}

void Controller::OpenIteration(Ctx& c) {
  ++iteration_;
  iteration_open_ = true;
  iteration_error_.reset();
  c.Log(DevLoopEvent{iteration_, std::string(kStatusInProgress), std::nullopt},
        "Update initiated");
}

void Controller::CloseIteration(Ctx& c, std::optional<ActionableErr> err) {
  if (!iteration_open_) return;
  iteration_open_ = false;
  initial_ = false;
  mode_ = Mode::kIdle;
  const bool ok = !err.has_value();
  c.Log(DevLoopEvent{iteration_, std::string(ok ? kStatusSucceeded : kStatusFailed),
                     std::move(err)},
        ok ? "Update succeeded" : "Update failed");
  Advance(c);
}

// Starts the next piece of queued work, if its trigger (or an intent) allows.
void Controller::Advance(Ctx& c) {
  if (mode_ != Mode::kIdle) return;
  bool can_sync = !pending_sync_.empty() && (auto_sync_ || sync_grant_);
  if (can_sync) {
    sync_grant_ = false;
    OpenIteration(c);
    StartSyncs(c);
    return;
  }
  std::set<std::string> to_build;
  for (const auto& [image, b] : builds_) {
    if ((b.dirty() && (auto_build_ || build_grant_)) || (b.stale() && build_grant_)) {
      to_build.insert(image);
    }
  }
  if (!to_build.empty()) {
    build_grant_ = false;
    OpenIteration(c);
    StartBuilds(c, to_build);
    return;
  }
  if ((auto_deploy_ || deploy_grant_) && deploy_.Due(NewestTags())) {
    deploy_grant_ = false;
    OpenIteration(c);
    StartDeploy(c);
  }
}

bool Controller::quiescent() const {
  if (!pending_sync_.empty()) return false;
  for (const auto& [image, b] : builds_) {
    if (b.dirty()) return false;
  }
  return !deploy_.Due(NewestTags());
}

ImageTags Controller::NewestTags() const {
  ImageTags tags;
  for (const auto& [image, b] : builds_) tags[image] = b.tag();
  return tags;
}

// ---- Builds ----

void Controller::StartBuilds(Ctx& c, const std::set<std::string>& candidates) {
  mode_ = Mode::kBuilding;
  batch_ = graph_->WithDependents(candidates);
  batch_done_.clear();
  batch_failed_ = false;
  for (const std::string& image : batch_) {
    builds_.at(image).MarkChanged();
    // A rebuild takes in every pending change: queued syncs are covered by it.
    pending_sync_.erase(image);
  }
  StartReadyBuilds(c);
}

void Controller::StartReadyBuilds(Ctx& c) {
  if (batch_failed_) return;
  BuildArtifacts effect;
  for (const std::string& image : graph_->Ready(batch_, batch_done_)) {
    if (in_flight_builds_.count(image) > 0) continue;
    // Start() cannot fail here: only batch members not in flight get here.
    (void)builds_.at(image).Start();
    in_flight_builds_.insert(image);
    c.Log(BuildEvent{image, std::string(kStatusInProgress)},
          absl::StrCat("Build started for artifact ", image));
    effect.images.push_back(image);
  }
  if (!effect.images.empty()) c.Do(std::move(effect));
}

absl::Status Controller::OnBuildSucceeded(Ctx& c, const BuildSucceeded& in) {
  if (mode_ == Mode::kStopped) return absl::OkStatus();
  if (in_flight_builds_.count(in.image) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("build result for artifact ", in.image, ", which is not building"));
  }
  if (in.tag.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("build result for artifact ", in.image, " has no image tag"));
  }
  absl::Status s = builds_.at(in.image).Complete(in.tag);
  if (!s.ok()) return s;
  in_flight_builds_.erase(in.image);
  batch_done_.insert(in.image);
  c.Log(BuildEvent{in.image, std::string(kStatusComplete)},
        absl::StrCat("Build completed for artifact ", in.image));
  StartReadyBuilds(c);
  if (in_flight_builds_.empty()) FinishBuildBatch(c);
  return absl::OkStatus();
}

absl::Status Controller::OnBuildFailed(Ctx& c, const BuildFailed& in) {
  if (mode_ == Mode::kStopped) return absl::OkStatus();
  if (in_flight_builds_.count(in.image) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("build failure for artifact ", in.image, ", which is not building"));
  }
  ArtifactBuild& b = builds_.at(in.image);
  absl::Status s = b.Fail(in.code, in.message);
  if (!s.ok()) return s;
  in_flight_builds_.erase(in.image);
  batch_failed_ = true;
  ActionableErr err{b.error_code(), in.message, {}};
  if (!iteration_error_.has_value()) iteration_error_ = err;
  c.Log(BuildEvent{in.image, std::string(kStatusFailed), in.message, b.error_code(), err},
        absl::StrCat("Build failed for artifact ", in.image));
  if (in_flight_builds_.empty()) FinishBuildBatch(c);
  return absl::OkStatus();
}

void Controller::FinishBuildBatch(Ctx& c) {
  if (batch_failed_) {
    // Members that never started (their requirement failed) wait for an intent
    // or their next change; marking them dirty again would loop on the failure.
    for (const std::string& image : batch_) {
      if (batch_done_.count(image) == 0 && builds_.at(image).status() != BuildStatus::kFailed) {
        builds_.at(image).Block();
      }
    }
    batch_.clear();
    CloseIteration(c, iteration_error_);
    return;
  }
  batch_.clear();
  if ((initial_ || auto_deploy_ || deploy_grant_) && deploy_.Due(NewestTags())) {
    if (!initial_ && !auto_deploy_) deploy_grant_ = false;
    StartDeploy(c);
    return;
  }
  CloseIteration(c, std::nullopt);
}

// ---- Deploy and status check ----

bool Controller::StartDeploy(Ctx& c) {
  absl::StatusOr<int64_t> id = deploy_.Start(NewestTags(), !in_flight_builds_.empty());
  if (!id.ok()) return false;  // callers check Due() and that no build runs
  mode_ = Mode::kDeploying;
  if (check_.has_value() && !check_->done()) {
    // The live deployment's check ends: what it checks is being replaced.
    StatusCheckEvents(c, check_->Cancel("a new deployment replaces this one"));
  }
  c.Log(DeployEvent{std::string(kStatusInProgress)}, "Deploy started");
  c.Do(Deploy{*id, NewestTags()});
  return true;
}

absl::Status Controller::OnDeploySucceeded(Ctx& c, const DeploySucceeded& in) {
  if (mode_ == Mode::kStopped) return absl::OkStatus();
  const int64_t previous = deploy_.live_id();
  absl::Status s = deploy_.Complete(in.deploy_id);
  if (!s.ok()) return s;
  c.Log(DeployEvent{std::string(kStatusComplete)}, "Deploy completed");
  if (previous != 0) c.Do(StopWorkload{previous});
  c.Do(ForwardPorts{in.deploy_id});
  if (!options_.status_check) {
    CloseIteration(c, std::nullopt);
    return absl::OkStatus();
  }
  mode_ = Mode::kStatusChecking;
  check_.emplace(in.resources, c.now, options_.status_check_options);
  check_deploy_id_ = in.deploy_id;
  c.Do(StartStatusCheck{in.deploy_id, in.resources, check_->deadline()});
  c.Do(ScheduleTick{check_->deadline()});
  StatusCheckEvents(c, check_->Start());
  return absl::OkStatus();
}

absl::Status Controller::OnDeployFailed(Ctx& c, const DeployFailed& in) {
  if (mode_ == Mode::kStopped) return absl::OkStatus();
  absl::Status s = deploy_.Fail(in.deploy_id, in.code);
  if (!s.ok()) return s;
  ActionableErr err{deploy_.error_code(), in.message, {}};
  c.Log(DeployEvent{std::string(kStatusFailed), in.message, deploy_.error_code(), err},
        "Deploy failed");
  c.Do(StopWorkload{in.deploy_id});
  CloseIteration(c, err);
  return absl::OkStatus();
}

void Controller::StatusCheckEvents(Ctx& c, std::vector<Event> events) {
  for (Event& e : events) {
    std::string entry = EntryFor(e);
    c.Log(std::move(e), std::move(entry));
  }
  if (mode_ == Mode::kStatusChecking && check_.has_value() && check_->done()) {
    std::optional<ActionableErr> err;
    if (!check_->succeeded()) {
      // The failure's code and message are on the final StatusCheckEvent.
      for (auto it = c.out.records.rbegin(); it != c.out.records.rend(); ++it) {
        const auto* entry = std::get_if<LogEntry>(&*it);
        const auto* sc = entry ? std::get_if<StatusCheckEvent>(&entry->event) : nullptr;
        if (sc != nullptr && sc->status == kStatusFailed) {
          err = ActionableErr{sc->err_code, sc->message, {}};
          break;
        }
      }
      if (!err.has_value()) err = ActionableErr{StatusCode::kStatusCheckUnknown, "failed", {}};
    }
    CloseIteration(c, std::move(err));
  }
}

absl::Status Controller::OnObserved(Ctx& c, const ResourceObserved& in) {
  if (mode_ == Mode::kStopped) return absl::OkStatus();
  // Observations race with the end of their check: late ones are dropped.
  if (!check_.has_value() || in.deploy_id != check_deploy_id_ || check_->done()) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Event>> events = check_->Observe(in.observation, c.now);
  if (!events.ok()) return events.status();
  StatusCheckEvents(c, *std::move(events));
  return absl::OkStatus();
}

absl::Status Controller::OnTick(Ctx& c) {
  if (mode_ == Mode::kStopped || !check_.has_value()) return absl::OkStatus();
  StatusCheckEvents(c, check_->Tick(c.now));
  return absl::OkStatus();
}

// ---- Sync ----

bool Controller::CanSync(const std::string& image) const {
  const ArtifactBuild& b = builds_.at(image);
  if (b.status() == BuildStatus::kInProgress || b.dirty() || b.stale()) return false;
  if (deploy_.live_id() == 0) return false;
  auto live = deploy_.live_images().find(image);
  // Syncing into a container that a pending deploy will replace would be lost.
  return live != deploy_.live_images().end() && live->second == b.tag() &&
         !specs_.at(image).sync.empty();
}

void Controller::MarkForRebuild(const std::string& image) {
  builds_.at(image).MarkChanged();
  pending_sync_.erase(image);
}

absl::Status Controller::OnFilesChanged(Ctx& c, const FilesChanged& in) {
  if (mode_ == Mode::kNotStarted || mode_ == Mode::kStopped) return NotNow("a file change", mode_);
  auto spec = specs_.find(in.image);
  if (spec == specs_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("file change for unknown artifact ", in.image));
  }
  if (in.files.empty()) return absl::OkStatus();
  // Validate the paths whatever the route, so bad input is an error either way.
  absl::StatusOr<SyncDecision> decision = PlanSync(spec->second, in.files);
  if (!decision.ok()) return decision.status();
  if (!decision->needs_rebuild && CanSync(in.image)) {
    // Queued until sync may run (now, after a running sync, or on an intent).
    std::vector<FileChange>& queued = pending_sync_[in.image];
    queued.insert(queued.end(), in.files.begin(), in.files.end());
  } else {
    MarkForRebuild(in.image);
  }
  Advance(c);
  return absl::OkStatus();
}

void Controller::StartSyncs(Ctx& c) {
  mode_ = Mode::kSyncing;
  for (auto& [image, files] : pending_sync_) {
    // The last change of a path wins (saved, then deleted: delete).
    std::map<std::string, FileChange> latest;
    for (const FileChange& f : files) latest[CleanPath(f.path)] = FileChange{CleanPath(f.path), f.deleted};
    std::vector<FileChange> merged;
    for (auto& [path, f] : latest) merged.push_back(f);
    // Planned before (CanSync and a syncable decision), so this succeeds.
    SyncDecision d = *PlanSync(specs_.at(image), merged);
    const std::string tag = deploy_.live_images().at(image);
    // Events name the image as users know it: IMAGE:TAG, without the digest
    // the shell may add to tell builds under one tag apart.
    const std::string shown = WithoutDigest(tag);
    running_syncs_[image] = RunningSync{shown, d.plan.file_count, merged};
    c.Log(FileSyncEvent{d.plan.file_count, shown, std::string(kStatusInProgress)},
          absl::StrCat("File sync started for ", d.plan.file_count, " files for ", shown));
    c.Do(SyncFiles{image, tag, deploy_.live_id(), std::move(d.plan)});
  }
  pending_sync_.clear();
}

absl::Status Controller::OnSyncResult(Ctx& c, const std::string& image,
                                      std::optional<SyncFailed> failure) {
  if (mode_ == Mode::kStopped) return absl::OkStatus();
  auto it = running_syncs_.find(image);
  if (it == running_syncs_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("sync result for artifact ", image, ", which is not syncing"));
  }
  RunningSync done = std::move(it->second);
  running_syncs_.erase(it);
  const std::string files = absl::StrCat(done.file_count, " files for ", done.tag);
  if (failure.has_value()) {
    const StatusCode code =
        failure->code == StatusCode::kOk ? StatusCode::kSyncUnknown : failure->code;
    ActionableErr err{code, failure->message, {}};
    c.Log(FileSyncEvent{done.file_count, done.tag, std::string(kStatusFailed), failure->message,
                        code, err},
          absl::StrCat("File sync failed for ", files));
    // The container may hold half the change: a rebuild brings it back in step,
    // and the change is not lost.
    MarkForRebuild(image);
    if (!iteration_error_.has_value()) iteration_error_ = err;
  } else {
    c.Log(FileSyncEvent{done.file_count, done.tag, std::string(kStatusSucceeded)},
          absl::StrCat("File sync succeeded for ", files));
  }
  if (running_syncs_.empty()) CloseIteration(c, iteration_error_);
  return absl::OkStatus();
}

// ---- Control ----

absl::Status Controller::OnIntent(Ctx& c, const ExecuteIntent& in) {
  if (mode_ == Mode::kNotStarted || mode_ == Mode::kStopped) return NotNow("Execute", mode_);
  PhasesReset reset;
  // A phase that is running now keeps its status; the others start again from
  // "Not Started", as the Control API documents.
  reset.build = in.build && mode_ != Mode::kBuilding;
  reset.sync = in.sync && mode_ != Mode::kSyncing;
  reset.deploy = in.deploy && mode_ != Mode::kDeploying && mode_ != Mode::kStatusChecking;
  if (reset.build || reset.sync || reset.deploy) {
    c.out.records.push_back(reset);
    if (reset.build) {
      for (auto& [image, b] : builds_) b.Reset();
    }
    if (reset.deploy) deploy_.Reset();
  }
  if (in.build) build_grant_ = true;
  if (in.sync) sync_grant_ = true;
  if (in.deploy) {
    deploy_grant_ = true;
    deploy_.ForgetFailure();
  }
  Advance(c);
  return absl::OkStatus();
}

absl::Status Controller::OnTrigger(Ctx& c, const SetAutoTrigger& in) {
  if (mode_ == Mode::kNotStarted || mode_ == Mode::kStopped) return NotNow("a trigger change", mode_);
  bool* flag = nullptr;
  switch (in.phase) {
    case Phase::kBuild:
      flag = &auto_build_;
      break;
    case Phase::kSync:
      flag = &auto_sync_;
      break;
    case Phase::kDeploy:
      flag = &auto_deploy_;
      break;
  }
  if (*flag == in.enabled) {
    return absl::AlreadyExistsError(absl::StrCat("auto ", PhaseName(in.phase),
                                                 " is already set to ",
                                                 in.enabled ? "true" : "false"));
  }
  *flag = in.enabled;
  c.out.records.push_back(TriggerChanged{in.phase, in.enabled});
  Advance(c);
  return absl::OkStatus();
}

absl::Status Controller::OnShutdown(Ctx& c) {
  if (mode_ == Mode::kStopped) return NotNow("Shutdown", mode_);
  std::optional<ActionableErr> err;
  if (!in_flight_builds_.empty()) {
    CancelBuilds cancel;
    for (const std::string& image : in_flight_builds_) {
      ArtifactBuild& b = builds_.at(image);
      (void)b.Cancel();
      ActionableErr e{StatusCode::kBuildCancelled, "build cancelled: devloop is shutting down", {}};
      c.Log(BuildEvent{image, std::string(kStatusFailed), e.message, StatusCode::kBuildCancelled, e},
            absl::StrCat("Build failed for artifact ", image));
      cancel.images.push_back(image);
      if (!err.has_value()) err = e;
    }
    in_flight_builds_.clear();
    c.Do(std::move(cancel));
  }
  std::vector<int64_t> deployments;
  if (deploy_.running_id() != 0) {
    const int64_t id = deploy_.running_id();
    (void)deploy_.Fail(id, StatusCode::kDeployCancelled);
    ActionableErr e{StatusCode::kDeployCancelled, "deploy cancelled: devloop is shutting down", {}};
    c.Log(DeployEvent{std::string(kStatusFailed), e.message, StatusCode::kDeployCancelled, e},
          "Deploy failed");
    deployments.push_back(id);
    if (!err.has_value()) err = e;
  }
  if (check_.has_value() && !check_->done()) {
    std::vector<Event> events = check_->Cancel("devloop is shutting down");
    for (Event& e : events) {
      std::string entry = EntryFor(e);
      c.Log(std::move(e), std::move(entry));
    }
    if (!err.has_value()) {
      err = ActionableErr{StatusCode::kStatusCheckUserCancelled, "status check cancelled", {}};
    }
  }
  for (auto& [image, sync] : running_syncs_) {
    ActionableErr e{StatusCode::kSyncUnknown, "sync cancelled: devloop is shutting down", {}};
    c.Log(FileSyncEvent{sync.file_count, sync.tag, std::string(kStatusFailed), e.message,
                        StatusCode::kSyncUnknown, e},
          absl::StrCat("File sync failed for ", sync.file_count, " files for ", sync.tag));
    if (!err.has_value()) err = e;
  }
  running_syncs_.clear();
  if (iteration_open_) {
    iteration_open_ = false;
    c.Log(DevLoopEvent{iteration_, std::string(kStatusFailed), err}, "Update failed");
  }
  if (deploy_.live_id() != 0) deployments.insert(deployments.begin(), deploy_.live_id());
  c.Do(Cleanup{deployments});
  c.Log(TerminationEvent{std::string(kStatusCompleted), std::nullopt}, "Dev loop shut down");
  mode_ = Mode::kStopped;
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
    void operator()(const ExecuteIntent& i) {
      os << "ExecuteIntent{build=" << i.build << " sync=" << i.sync << " deploy=" << i.deploy << "}";
    }
    void operator()(const SetAutoTrigger& i) {
      os << "SetAutoTrigger{" << i.phase << "=" << i.enabled << "}";
    }
    void operator()(const BuildSucceeded& i) { os << "BuildSucceeded{" << i.image << " " << i.tag << "}"; }
    void operator()(const BuildFailed& i) {
      os << "BuildFailed{" << i.image << " " << i.code << " \"" << i.message << "\"}";
    }
    void operator()(const SyncSucceeded& i) { os << "SyncSucceeded{" << i.image << "}"; }
    void operator()(const SyncFailed& i) { os << "SyncFailed{" << i.image << " " << i.code << "}"; }
    void operator()(const DeploySucceeded& i) {
      os << "DeploySucceeded{" << i.deploy_id << " [" << absl::StrJoin(i.resources, " ") << "]}";
    }
    void operator()(const DeployFailed& i) { os << "DeployFailed{" << i.deploy_id << " " << i.code << "}"; }
    void operator()(const ResourceObserved& i) {
      os << "ResourceObserved{" << i.deploy_id << " " << i.observation.resource << " ready="
         << i.observation.ready_replicas << "/" << i.observation.desired_replicas << "}";
    }
    void operator()(const PortForwarded& i) { os << "PortForwarded{" << i.port.local_port << "}"; }
    void operator()(const Tick& i) { os << "Tick{" << T(i.now) << "}"; }
    void operator()(const Shutdown& i) { os << "Shutdown{" << T(i.now) << "}"; }
  };
  std::visit(P{os}, input);
  return os;
}

std::ostream& operator<<(std::ostream& os, const Effect& effect) {
  struct P {
    std::ostream& os;
    void operator()(const BuildArtifacts& e) { os << "BuildArtifacts{" << absl::StrJoin(e.images, " ") << "}"; }
    void operator()(const CancelBuilds& e) { os << "CancelBuilds{" << absl::StrJoin(e.images, " ") << "}"; }
    void operator()(const SyncFiles& e) {
      os << "SyncFiles{" << e.image << " " << e.tag << " deploy=" << e.deploy_id << " " << e.plan << "}";
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
    void operator()(const Cleanup& e) { os << "Cleanup{" << absl::StrJoin(e.deploy_ids, " ") << "}"; }
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

}  // namespace devloop::domain
