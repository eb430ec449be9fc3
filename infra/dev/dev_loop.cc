#include "infra/dev/dev_loop.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/events/status_payload.h"
#include "infra/log/log.h"

namespace devloop::dev {
namespace {

bool IsFinalStatusCheck(const domain::Record& record) {
  const auto* entry = std::get_if<domain::LogEntry>(&record);
  if (entry == nullptr) return false;
  const auto* check = std::get_if<domain::StatusCheckEvent>(&entry->event);
  return check != nullptr &&
         (check->status == domain::kStatusSucceeded || check->status == domain::kStatusFailed);
}

// A relative destination is relative to the image's working directory;
// devloop's images run from "/" unless their Dockerfile says otherwise.
std::string Absolute(const std::string& path) {
  return absl::StartsWith(path, "/") ? path : absl::StrCat("/", path);
}

absl::Status ShuttingDown() { return absl::UnavailableError("devloop is shutting down"); }

}  // namespace

absl::StatusOr<std::shared_ptr<DevLoop>> DevLoop::Make(DevLoopOptions options,
                                                       DevLoopPorts ports) {
  if (ports.builder == nullptr || ports.deployer == nullptr || ports.syncer == nullptr ||
      ports.hub == nullptr || ports.executor == nullptr || ports.pool == nullptr) {
    return absl::InvalidArgumentError(
        "DevLoop needs a builder, deployer, syncer, hub, executor and pool");
  }
  for (const build::ArtifactBuildSpec& a : options.artifacts) {
    if (a.spec.tested && ports.tester == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("artifact ", a.spec.image, " has tests but the DevLoop has no tester"));
    }
  }
  domain::ControllerOptions c;
  for (const build::ArtifactBuildSpec& a : options.artifacts) c.artifacts.push_back(a.spec);
  c.auto_build = options.auto_build;
  c.auto_sync = options.auto_sync;
  c.auto_deploy = options.auto_deploy;
  c.status_check = options.status_check;
  c.status_check_options.deadline = options.status_check_deadline;
  c.metadata = options.metadata;
  c.start_entry = options.start_entry;
  absl::StatusOr<domain::Controller> controller = domain::Controller::Make(std::move(c));
  if (!controller.ok()) return controller.status();
  return std::shared_ptr<DevLoop>(new DevLoop(std::move(options), ports, *std::move(controller)));
}

DevLoop::DevLoop(DevLoopOptions options, DevLoopPorts ports, domain::Controller controller)
    : options_(std::move(options)), ports_(ports), controller_(std::move(controller)) {}

absl::Time DevLoop::Now() const { return ports_.executor->clock()->Now(); }

// ---- The way in: everything becomes a task on the runner. ----

void DevLoop::Post(std::function<void(DevLoop&)> fn) {
  std::weak_ptr<DevLoop> weak = weak_from_this();
  ports_.executor->Post([weak, fn = std::move(fn)] {
    if (std::shared_ptr<DevLoop> loop = weak.lock()) fn(*loop);
  });
}

void DevLoop::PostInput(domain::Input input) {
  Post([input = std::move(input)](DevLoop& loop) {
    absl::Status s = loop.Feed(input);
    if (!s.ok()) DEVLOOP_VLOG(1) << "controller refused " << input << ": " << s;
  });
}

template <typename T, typename Work, typename ToInput>
void DevLoop::RunBlocking(Work work, ToInput to_input, std::function<T(absl::Status)> refused) {
  std::weak_ptr<DevLoop> weak = weak_from_this();
  absl::Status submitted = ports_.pool->Submit(
      [weak, executor = ports_.executor, work = std::move(work), to_input]() mutable {
        T result = work();
        executor->Post([weak, to_input, result = std::move(result)]() mutable {
          std::shared_ptr<DevLoop> loop = weak.lock();
          if (loop == nullptr) return;
          absl::Status s = loop->Feed(to_input(*loop, std::move(result)));
          if (!s.ok()) DEVLOOP_VLOG(1) << "controller refused a result: " << s;
        });
      });
  if (!submitted.ok()) {
    // Still an input of its own, after the effect that asked for the work.
    Post([to_input, result = refused(submitted)](DevLoop& loop) mutable {
      (void)loop.Feed(to_input(loop, std::move(result)));
    });
  }
}

void DevLoop::Start() {
  ports_.deployer->ReportDebugging(
      [weak = weak_from_this(), executor = ports_.executor](domain::DebuggingContainerEvent e) {
        executor->Post([weak, e = std::move(e)]() mutable {
          if (std::shared_ptr<DevLoop> loop = weak.lock()) {
            (void)loop->Feed(domain::DebuggingChanged{loop->Now(), std::move(e)});
          }
        });
      });
  // A forward that followed its workload to a new pod is reported again, as
  // the forwards of a ForwardPorts effect are, so that the event log and the
  // State name the pod its local port reaches now.
  ports_.deployer->ReportForwardMoves(
      [weak = weak_from_this(), executor = ports_.executor](domain::PortEvent port) {
        executor->Post([weak, port = std::move(port)]() mutable {
          if (std::shared_ptr<DevLoop> loop = weak.lock()) {
            (void)loop->Feed(domain::PortForwarded{loop->Now(), std::move(port)});
          }
        });
      });
  ports_.deployer->Prepare();  // e.g. the Docker network, made while the first build runs
  PostInput(domain::Start{Now()});
}

void DevLoop::FilesChanged(const std::string& image, std::vector<domain::FileChange> files) {
  Post([image, files = std::move(files)](DevLoop& loop) mutable {
    absl::Status s = loop.Feed(domain::FilesChanged{loop.Now(), image, std::move(files)});
    if (!s.ok()) DEVLOOP_LOG(WARNING) << "file change for " << image << ": " << s;
  });
}

void DevLoop::TestDependenciesChanged(const std::string& image) {
  Post([image](DevLoop& loop) {
    absl::Status s = loop.Feed(domain::TestDependenciesChanged{loop.Now(), image});
    if (!s.ok()) DEVLOOP_LOG(WARNING) << "test dependency change for " << image << ": " << s;
  });
}

template <typename Result>
void DevLoop::Answer(std::function<Result(DevLoop&)> fn, absl::AnyInvocable<void(Result)> done) {
  // Shared: if the runner refuses the task, the answer still has to be given.
  auto answer = std::make_shared<absl::AnyInvocable<void(Result)>>(std::move(done));
  std::weak_ptr<DevLoop> weak = weak_from_this();
  if (!ports_.executor->Post([weak, fn = std::move(fn), answer] {
        std::shared_ptr<DevLoop> loop = weak.lock();
        (*answer)(loop == nullptr ? ShuttingDown() : fn(*loop));
      })) {
    (*answer)(ShuttingDown());
  }
}

void DevLoop::Execute(const control::Intent& intent, Done done) {
  Answer<absl::Status>(
      [intent](DevLoop& loop) {
        return loop.Feed(
            domain::ExecuteIntent{loop.Now(), intent.build, intent.sync, intent.deploy});
      },
      std::move(done));
}

void DevLoop::SetAutoTrigger(domain::Phase phase, bool enabled, Done done) {
  Answer<absl::Status>(
      [phase, enabled](DevLoop& loop) {
        return loop.Feed(domain::SetAutoTrigger{loop.Now(), phase, enabled});
      },
      std::move(done));
}

void DevLoop::Pending(PendingDone done) {
  Answer<absl::StatusOr<domain::PendingWork>>(
      [](DevLoop& loop) -> absl::StatusOr<domain::PendingWork> {
        return loop.controller_.pending();
      },
      std::move(done));
}

void DevLoop::Handle(const domain::Event& event, Done done) {
  if (std::holds_alternative<domain::NoEvent>(event)) {
    return done(absl::InvalidArgumentError(
        "Event has no event set: give one of metaEvent, buildEvent, deployEvent, portEvent, "
        "statusCheckEvent, resourceStatusCheckEvent, fileSyncEvent, debuggingContainerEvent, "
        "devLoopEvent, terminationEvent, TestEvent"));
  }
  // Through the runner, so a custom event takes its place in the one order.
  Answer<absl::Status>(
      [event](DevLoop& loop) {
        if (loop.ports_.hub->closed()) return ShuttingDown();
        loop.ports_.hub->Append(domain::LogEntry{loop.Now(), event, ""});
        return absl::OkStatus();
      },
      std::move(done));
}

void DevLoop::Record(domain::LogEntry entry) {
  Post([entry = std::move(entry)](DevLoop& loop) mutable {
    if (!loop.ports_.hub->closed()) loop.ports_.hub->Append(std::move(entry));
  });
}

void DevLoop::ReplacedSoon(bool run_goes_on) {
  run_goes_on_ = run_goes_on;
  replaced_ = true;
}

void DevLoop::RequestStop() {
  Post([](DevLoop& loop) {
    if (loop.stop_requested_) return;
    loop.stop_requested_ = true;
    // Never started: there is nothing to clean up.
    if (!loop.Feed(domain::Shutdown{loop.Now()}).ok()) loop.MarkStopped();
  });
}

absl::Status DevLoop::Stop(absl::Duration timeout) {
  RequestStop();
  if (!WaitStopped(timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("cleanup did not finish within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

bool DevLoop::WaitStopped(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return stopped_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                              [&] { return stopped_; });
}

bool DevLoop::stopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_;
}

void DevLoop::MarkStopped() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  stopped_cv_.notify_all();
}

// ---- The controller's answer, recorded and carried out. ----

absl::Status DevLoop::Feed(const domain::Input& input) {
  absl::StatusOr<domain::Output> out = controller_.Handle(input);
  if (!out.ok()) return out.status();
  for (domain::Record& record : out->records) {
    if (IsFinalStatusCheck(record)) polling_.reset();
    const domain::LogEntry* entry = std::get_if<domain::LogEntry>(&record);
    if (entry != nullptr && replaced_ &&
        std::holds_alternative<domain::TerminationEvent>(entry->event)) {
      continue;  // the session goes on with the loop that replaces this one
    }
    if (entry != nullptr && options_.on_entry) {
      ports_.hub->Append(record);
      options_.on_entry(*entry);
    } else {
      ports_.hub->Append(std::move(record));
    }
  }
  for (const domain::Effect& effect : out->effects) Perform(effect);
  return absl::OkStatus();
}

void DevLoop::Perform(const domain::Effect& effect) {
  DEVLOOP_VLOG(1) << "effect " << effect;
  std::visit([this](const auto& e) { Run(e); }, effect);
}

const build::ArtifactBuildSpec* DevLoop::Artifact(const std::string& image) const {
  for (const build::ArtifactBuildSpec& a : options_.artifacts) {
    if (a.spec.image == image) return &a;
  }
  return nullptr;
}

void DevLoop::Run(const domain::BuildArtifacts& effect) {
  for (const std::string& image : effect.images) {
    build::BuildRequest request{.image = image};
    if (const build::ArtifactBuildSpec* spec = Artifact(image)) {
      for (const std::string& required : spec->spec.required) {
        auto it = built_.find(required);
        if (it != built_.end()) request.required[required] = it->second;
      }
    }
    if (options_.on_build_output) {
      request.on_output = [sink = options_.on_build_output, image](absl::string_view line) {
        sink(image, line);
      };
    }
    using Result = absl::StatusOr<std::string>;
    RunBlocking<Result>(
        [builder = ports_.builder, request = std::move(request)] {
          return builder->Build(request);
        },
        [image](DevLoop& loop, Result ref) -> domain::Input {
          if (ref.ok()) {
            loop.built_[image] = *ref;
            return domain::BuildSucceeded{loop.Now(), image, *ref};
          }
          return domain::BuildFailed{
              loop.Now(), image,
              domain::StatusCodeOr(ref.status(), domain::StatusCode::kBuildUnknown),
              std::string(ref.status().message())};
        },
        [](absl::Status refused) -> Result { return refused; });
  }
}

void DevLoop::Run(const domain::CancelBuilds& effect) {
  for (const std::string& image : effect.images) ports_.builder->Cancel(image);
}

void DevLoop::Run(const domain::RunTests& effect) {
  // One job tests the images in turn; the first failure ends it.
  std::vector<tester::TestRequest> requests;
  for (const auto& [image, reference] : effect.images) {
    tester::TestRequest request{.image = image, .reference = reference};
    if (options_.on_test_output) {
      request.on_output = [sink = options_.on_test_output, image = image](absl::string_view line) {
        sink(image, line);
      };
    }
    requests.push_back(std::move(request));
  }
  struct Result {
    std::string image;  // the failed one
    absl::Status status;
  };
  RunBlocking<Result>(
      [tester = ports_.tester, requests = std::move(requests)] {
        for (const tester::TestRequest& r : requests) {
          absl::Status s = tester->Test(r);
          if (!s.ok()) return Result{r.image, s};
        }
        return Result{"", absl::OkStatus()};
      },
      [](DevLoop& loop, Result result) -> domain::Input {
        if (result.status.ok()) return domain::TestsSucceeded{loop.Now()};
        return domain::TestsFailed{
            loop.Now(), result.image,
            domain::StatusCodeOr(result.status, domain::StatusCode::kTestUnknown),
            std::string(result.status.message())};
      },
      [](absl::Status refused) { return Result{"", refused}; });
}

void DevLoop::Run(const domain::CancelTests&) {
  if (ports_.tester != nullptr) ports_.tester->Cancel();
}

void DevLoop::Run(const domain::SyncFiles& effect) {
  deploy::SyncRequest request;
  const build::ArtifactBuildSpec* spec = Artifact(effect.image);
  const std::string context = spec != nullptr ? spec->context_dir : "";
  for (const domain::CopyOp& op : effect.plan.copies) {
    request.copies.push_back({absl::StrCat(context, "/", op.src), Absolute(op.dest)});
  }
  for (const std::string& d : effect.plan.deletes) request.deletes.push_back(Absolute(d));
  request.reference = effect.tag;
  for (const std::string& d : effect.plan.deleted) {
    request.deleted_host_paths.push_back(absl::StrCat(context, "/", d));
  }
  const std::string image = effect.image;
  RunBlocking<absl::Status>(
      [syncer = ports_.syncer, id = effect.deploy_id, image, request = std::move(request)] {
        return syncer->Sync(id, image, request);
      },
      [image](DevLoop& loop, absl::Status s) -> domain::Input {
        if (s.ok()) return domain::SyncSucceeded{loop.Now(), image};
        std::string message(s.message());
        if (s.code() == absl::StatusCode::kUnimplemented) {
          message += " (the image cannot delete files: the next change rebuilds it)";
        }
        return domain::SyncFailed{loop.Now(), image,
                                  domain::StatusCodeOr(s, domain::StatusCode::kSyncUnknown),
                                  message};
      },
      [](absl::Status refused) { return refused; });
}

void DevLoop::Run(const domain::Deploy& effect) {
  using Result = absl::StatusOr<std::vector<std::string>>;
  const int64_t id = effect.deploy_id;
  RunBlocking<Result>(
      [deployer = ports_.deployer, id, images = effect.images] {
        return deployer->Deploy(id, images);
      },
      [id](DevLoop& loop, Result resources) -> domain::Input {
        if (resources.ok()) return domain::DeploySucceeded{loop.Now(), id, *std::move(resources)};
        return domain::DeployFailed{
            loop.Now(), id,
            domain::StatusCodeOr(resources.status(), domain::StatusCode::kDeployUnknown),
            std::string(resources.status().message())};
      },
      [](absl::Status refused) -> Result { return refused; });
}

void DevLoop::Run(const domain::StopWorkload& effect) {
  // In the background: the new deployment is already serving, and nothing
  // waits for the old one to go.
  (void)ports_.pool->Submit([deployer = ports_.deployer, id = effect.deploy_id] {
    absl::Status s = deployer->Stop(id);
    if (!s.ok()) DEVLOOP_LOG(WARNING) << "stopping deployment " << id << ": " << s;
  });
}

void DevLoop::Run(const domain::StartStatusCheck& effect) {
  polling_ = effect.deploy_id;
  polled_resources_ = effect.resources;
  Poll(effect.deploy_id);
}

void DevLoop::Poll(int64_t deploy_id) {
  if (polling_ != deploy_id) return;
  using Result = absl::StatusOr<std::vector<domain::ResourceObservation>>;
  std::weak_ptr<DevLoop> weak = weak_from_this();
  absl::Status submitted = ports_.pool->Submit(
      [weak, executor = ports_.executor, deployer = ports_.deployer, deploy_id] {
        Result seen = deployer->Observe(deploy_id);
        executor->Post([weak, deploy_id, seen = std::move(seen)]() mutable {
          std::shared_ptr<DevLoop> loop = weak.lock();
          if (loop == nullptr || loop->polling_ != deploy_id) return;
          if (seen.ok()) {
            for (domain::ResourceObservation& obs : *seen) {
              if (loop->polling_ != deploy_id) break;  // the check ended
              (void)loop->Feed(domain::ResourceObserved{loop->Now(), deploy_id, std::move(obs)});
            }
          } else {
            // The engine or cluster did not answer. Nothing is known of the
            // resources, so each is pending, saying why (in the State, and in
            // the deadline's failure should it come to that); the next poll
            // asks again, and a resource that was ready starts its stability
            // window afresh once the answers are back.
            DEVLOOP_LOG(WARNING) << "status check: " << seen.status();
            for (const std::string& resource : loop->polled_resources_) {
              if (loop->polling_ != deploy_id) break;  // the check ended
              domain::ResourceObservation unknown;
              unknown.resource = resource;
              unknown.waiting_reason = "StatusUnavailable";
              unknown.waiting_message = std::string(seen.status().message());
              (void)loop->Feed(
                  domain::ResourceObserved{loop->Now(), deploy_id, std::move(unknown)});
            }
          }
          if (loop->polling_ != deploy_id) return;
          loop->ports_.executor->PostAfter(loop->options_.status_poll_interval, [weak, deploy_id] {
            if (std::shared_ptr<DevLoop> l = weak.lock()) l->Poll(deploy_id);
          });
        });
      });
  if (!submitted.ok()) {
    ports_.executor->PostAfter(options_.status_poll_interval, [weak, deploy_id] {
      if (std::shared_ptr<DevLoop> l = weak.lock()) l->Poll(deploy_id);
    });
  }
}

void DevLoop::Run(const domain::ForwardPorts& effect) {
  if (!options_.port_forward) return;
  std::weak_ptr<DevLoop> weak = weak_from_this();
  (void)ports_.pool->Submit(
      [weak, executor = ports_.executor, deployer = ports_.deployer, id = effect.deploy_id] {
        // Each forward is reported as it comes up: one that waits for its
        // app does not hold back a debugger's.
        deployer->StreamPortForwards(id, [&weak, &executor](domain::PortEvent port) {
          executor->Post([weak, port = std::move(port)]() mutable {
            if (std::shared_ptr<DevLoop> loop = weak.lock()) {
              (void)loop->Feed(domain::PortForwarded{loop->Now(), std::move(port)});
            }
          });
        });
      });
}

void DevLoop::Run(const domain::ScheduleTick& effect) {
  std::weak_ptr<DevLoop> weak = weak_from_this();
  ports_.executor->PostAt(effect.at, [weak] {
    if (std::shared_ptr<DevLoop> loop = weak.lock()) (void)loop->Feed(domain::Tick{loop->Now()});
  });
}

void DevLoop::Run(const domain::Cleanup&) {
  polling_.reset();
  if (run_goes_on_) {
    // The next loop takes over what runs and what was built; the run's last
    // loop cleans it all up.
    MarkStopped();
    return;
  }
  std::weak_ptr<DevLoop> weak = weak_from_this();
  absl::Status submitted = ports_.pool->Submit(
      [weak, deployer = ports_.deployer, builder = ports_.builder, remove = options_.cleanup] {
        absl::Status s = deployer->Cleanup(remove);
        if (!s.ok()) DEVLOOP_LOG(WARNING) << "cleanup: " << s;
        if (remove) {
          s = builder->Cleanup();
          if (!s.ok()) DEVLOOP_LOG(WARNING) << "cleanup of images: " << s;
        }
        if (std::shared_ptr<DevLoop> loop = weak.lock()) loop->MarkStopped();
      });
  if (!submitted.ok()) MarkStopped();
}

}  // namespace devloop::dev
