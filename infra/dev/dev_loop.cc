#include "infra/dev/dev_loop.h"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "infra/dev/image_builder.h"
#include "infra/docker/docker_status.h"
#include "infra/log/log.h"

namespace devloop::dev {
namespace {

std::string RandomRunId() {
  std::random_device rd;
  return absl::StrFormat("%08x", rd());
}

// Docker names allow [a-zA-Z0-9_.-]; image names may hold '/' and ':'.
std::string ContainerSafe(absl::string_view s) {
  std::string out;
  for (char c : s) out.push_back(absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-' ? c : '-');
  return out;
}

bool IsFinalStatusCheck(const domain::Record& record) {
  const auto* entry = std::get_if<domain::LogEntry>(&record);
  if (entry == nullptr) return false;
  const auto* check = std::get_if<domain::StatusCheckEvent>(&entry->event);
  return check != nullptr &&
         (check->status == domain::kStatusSucceeded || check->status == domain::kStatusFailed);
}

}  // namespace

struct DevLoop::Shared {
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;  // cleanup finished
  bool alive = true;     // false once the DevLoop is being destroyed (executor-only)
};

std::string ShortImageName(const std::string& image) {
  std::string name = image;
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  const size_t colon = name.find(':');
  if (colon != std::string::npos) name = name.substr(0, colon);
  const size_t at = name.find('@');
  if (at != std::string::npos) name = name.substr(0, at);
  return name;
}

domain::ResourceObservation ObserveContainer(const std::string& resource,
                                             const docker::ContainerState& state) {
  domain::ResourceObservation obs;
  obs.resource = resource;
  obs.desired_replicas = 1;
  obs.restart_count = state.restart_count;
  if (state.health == "starting") obs.health = domain::Health::kStarting;
  if (state.health == "healthy") obs.health = domain::Health::kHealthy;
  if (state.health == "unhealthy") obs.health = domain::Health::kUnhealthy;
  switch (state.status) {
    case docker::ContainerStatus::kRunning:
      obs.ready_replicas =
          (state.health.empty() || state.health == "healthy") ? 1 : 0;
      break;
    case docker::ContainerStatus::kCreated:
      obs.waiting_reason = "ContainerCreating";
      break;
    case docker::ContainerStatus::kRestarting:
      obs.waiting_reason = "CrashLoopBackOff";
      obs.waiting_message = absl::StrCat("restarting after exit code ", state.exit_code);
      break;
    case docker::ContainerStatus::kExited:
    case docker::ContainerStatus::kDead:
      obs.terminated = true;
      obs.exit_code = state.exit_code;
      obs.terminated_reason = state.oom_killed ? "OOMKilled"
                              : state.exit_code == 0 ? "Completed"
                                                     : "Error";
      break;
    case docker::ContainerStatus::kPaused:
    case docker::ContainerStatus::kRemoving:
    case docker::ContainerStatus::kUnknown:
      obs.waiting_reason = "Unknown";
      obs.waiting_message = absl::StrFormat("container is %s", absl::FormatStreamed(state.status));
      break;
  }
  if (!state.error.empty()) {
    obs.waiting_reason = "RunContainerError";
    obs.waiting_message = state.error;
  }
  return obs;
}

absl::StatusOr<std::unique_ptr<DevLoop>> DevLoop::Make(DevLoopOptions options,
                                                       DevLoopPorts ports) {
  if (ports.docker == nullptr || ports.hub == nullptr || ports.executor == nullptr ||
      ports.pool == nullptr) {
    return absl::InvalidArgumentError("DevLoop needs docker, hub, executor and pool");
  }
  if (options.run_id.empty()) options.run_id = RandomRunId();
  domain::ControllerOptions c;
  for (const ArtifactBuildSpec& a : options.artifacts) c.artifacts.push_back(a.spec);
  c.auto_build = options.auto_build;
  c.auto_sync = options.auto_sync;
  c.auto_deploy = options.auto_deploy;
  c.status_check = options.status_check;
  c.status_check_options.deadline = options.status_check_deadline;
  c.metadata = options.metadata;
  c.start_entry = options.start_entry;
  for (const PortForwardSpec& f : options.port_forwards) {
    bool found = false;
    for (const ArtifactBuildSpec& a : options.artifacts) {
      found |= a.spec.image == f.resource_name || ShortImageName(a.spec.image) == f.resource_name;
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          "portForward names resourceName \"", f.resource_name,
          "\", which is not the image of any artifact (resourceType container forwards an "
          "artifact's container)"));
    }
  }
  absl::StatusOr<domain::Controller> controller = domain::Controller::Make(std::move(c));
  if (!controller.ok()) return controller.status();
  return std::unique_ptr<DevLoop>(
      new DevLoop(std::move(options), ports, *std::move(controller)));
}

DevLoop::DevLoop(DevLoopOptions options, DevLoopPorts ports, domain::Controller controller)
    : options_(std::move(options)),
      ports_(ports),
      shared_(std::make_shared<Shared>()),
      controller_(std::move(controller)),
      network_(absl::StrCat("devloop-", options_.run_id)) {}

DevLoop::~DevLoop() {
  (void)Stop(absl::Seconds(20));
  // No executor task may touch this object after it is gone.
  auto shared = shared_;
  (void)RunOnExecutor([shared] {
    shared->alive = false;
    return absl::OkStatus();
  });
}

absl::Time DevLoop::Now() { return ports_.executor->clock()->Now(); }

absl::Status DevLoop::RunOnExecutor(std::function<absl::Status()> fn) {
  if (ports_.executor->IsCurrent()) return fn();
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> result = promise->get_future();
  if (!ports_.executor->Post([fn = std::move(fn), promise]() { promise->set_value(fn()); })) {
    return absl::UnavailableError("devloop is shutting down");
  }
  return result.get();
}

absl::Status DevLoop::Start() {
  return RunOnExecutor([this] { return Feed(domain::Start{Now()}); });
}

void DevLoop::FilesChanged(const std::string& image, std::vector<domain::FileChange> files) {
  auto shared = shared_;
  ports_.executor->Post([this, shared, image, files = std::move(files)]() mutable {
    if (!shared->alive) return;
    absl::Status s = Feed(domain::FilesChanged{Now(), image, std::move(files)});
    if (!s.ok()) DEVLOOP_LOG(WARNING) << "file change for " << image << ": " << s;
  });
}

void DevLoop::AnswerOnExecutor(absl::AnyInvocable<absl::Status()> fn, Done done) {
  auto shared = shared_;
  auto answer = std::make_shared<Done>(std::move(done));
  const bool posted = ports_.executor->Post([shared, fn = std::move(fn), answer]() mutable {
    // A task queued after the destructor's may not touch the loop.
    (*answer)(shared->alive ? fn() : absl::UnavailableError("devloop is shutting down"));
  });
  if (!posted) (*answer)(absl::UnavailableError("devloop is shutting down"));
}

void DevLoop::Execute(const control::Intent& intent, Done done) {
  AnswerOnExecutor(
      [this, intent] {
        return Feed(domain::ExecuteIntent{Now(), intent.build, intent.sync, intent.deploy});
      },
      std::move(done));
}

void DevLoop::SetAutoTrigger(domain::Phase phase, bool enabled, Done done) {
  AnswerOnExecutor(
      [this, phase, enabled] {
        return Feed(domain::SetAutoTrigger{Now(), phase, enabled});
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
  // Through the executor, so a custom event takes its place in the one order.
  AnswerOnExecutor(
      [this, event] {
        if (ports_.hub->closed()) return absl::UnavailableError("devloop is shutting down");
        ports_.hub->Append(domain::LogEntry{Now(), event, ""});
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status DevLoop::Stop(absl::Duration timeout) {
  absl::Status s = RunOnExecutor([this] {
    if (stopped_) return absl::OkStatus();
    stopped_ = true;
    absl::Status fed = Feed(domain::Shutdown{Now()});
    if (!fed.ok()) {
      // Never started: there is nothing to clean up.
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->stopped = true;
      shared_->cv.notify_all();
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (!WaitStopped(timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("cleanup did not finish within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

bool DevLoop::WaitStopped(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(shared_->mu);
  return shared_->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                              [&] { return shared_->stopped; });
}

absl::Status DevLoop::Feed(const domain::Input& input) {
  absl::StatusOr<domain::Output> out = controller_.Handle(input);
  if (!out.ok()) {
    DEVLOOP_VLOG(1) << "controller refused " << input << ": " << out.status();
    return out.status();
  }
  bool check_over = false;
  for (domain::Record& record : out->records) {
    check_over |= IsFinalStatusCheck(record);
    if (options_.on_entry) {
      if (const auto* entry = std::get_if<domain::LogEntry>(&record)) {
        ports_.hub->Append(record);
        options_.on_entry(*entry);
        continue;
      }
    }
    ports_.hub->Append(std::move(record));
  }
  if (check_over) {
    for (auto& [id, d] : deployments_) d.polling = false;
  }
  for (const domain::Effect& effect : out->effects) Perform(effect);
  return absl::OkStatus();
}

void DevLoop::Perform(const domain::Effect& effect) {
  DEVLOOP_VLOG(1) << "effect " << effect;
  std::visit(
      [this](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, domain::BuildArtifacts>) {
          for (const std::string& image : e.images) DoBuild(image);
        } else if constexpr (std::is_same_v<T, domain::CancelBuilds>) {
          for (const std::string& image : e.images) {
            auto it = building_.find(image);
            if (it != building_.end()) it->second->Cancel();
          }
        } else if constexpr (std::is_same_v<T, domain::SyncFiles>) {
          DoSync(e);
        } else if constexpr (std::is_same_v<T, domain::Deploy>) {
          DoDeploy(e);
        } else if constexpr (std::is_same_v<T, domain::StopWorkload>) {
          DoStop(e.deploy_id);
        } else if constexpr (std::is_same_v<T, domain::StartStatusCheck>) {
          DoStatusCheck(e);
        } else if constexpr (std::is_same_v<T, domain::ForwardPorts>) {
          DoForwardPorts(e.deploy_id);
        } else if constexpr (std::is_same_v<T, domain::ScheduleTick>) {
          auto shared = shared_;
          ports_.executor->PostAt(e.at, [this, shared] {
            if (shared->alive) (void)Feed(domain::Tick{Now()});
          });
        } else if constexpr (std::is_same_v<T, domain::Cleanup>) {
          DoCleanup(e);
        }
      },
      effect);
}

const ArtifactBuildSpec* DevLoop::Artifact(const std::string& image) const {
  for (const ArtifactBuildSpec& a : options_.artifacts) {
    if (a.spec.image == image) return &a;
  }
  return nullptr;
}

void DevLoop::DoBuild(const std::string& image) {
  auto shared = shared_;
  if (auto pre = options_.prebuilt.find(image); pre != options_.prebuilt.end()) {
    // Posted, so the result arrives after the effect that asked for it.
    const std::string ref = pre->second;
    ports_.executor->Post([this, shared, image, ref] {
      if (shared->alive) (void)Feed(domain::BuildSucceeded{Now(), image, ref});
    });
    return;
  }
  const ArtifactBuildSpec* spec = Artifact(image);
  auto cancellation = std::make_shared<docker::Cancellation>();
  building_[image] = cancellation;
  ImageBuildSpec build{.image = image,
                       .context_dir = spec->context_dir,
                       .dockerfile = spec->dockerfile,
                       .build_args = spec->build_args,
                       .require_aliases = spec->require_aliases,
                       .target = spec->target,
                       .no_cache = spec->no_cache};
  std::map<std::string, std::string> required;  // image -> id (or the reference deployed)
  for (const auto& [req, alias] : spec->require_aliases) {
    auto it = built_.find(req);
    if (it != built_.end()) required[req] = RunnableImage(it->second);
  }
  ImageBuildOptions build_options{.tagger = options_.tagger.get(),
                                  .cache = options_.cache_artifacts,
                                  .labels = options_.labels,
                                  .cancellation = cancellation.get()};
  build_options.labels[kRunIdLabel] = options_.run_id;
  if (options_.on_build_output) {
    auto sink = options_.on_build_output;
    build_options.on_output = [sink, image](absl::string_view line) { sink(image, line); };
  }
  docker::Docker* docker = ports_.docker;
  auto tagger = options_.tagger;  // kept alive for the job
  absl::Status submitted = runtime::RunBlocking<absl::StatusOr<std::string>>(
      ports_.pool, ports_.executor,
      [docker, build = std::move(build), required = std::move(required),
       build_options = std::move(build_options), tagger,
       cancellation]() -> absl::StatusOr<std::string> {
        absl::StatusOr<BuiltImage> built = BuildImage(docker, build, required, build_options);
        if (!built.ok()) return built.status();
        // Unique per image even when the tag is not ("latest").
        return built->DeployReference();
      },
      [this, shared, image](absl::StatusOr<std::string> ref) {
        if (!shared->alive) return;
        building_.erase(image);
        if (ref.ok()) {
          built_[image] = *ref;
          (void)Feed(domain::BuildSucceeded{Now(), image, *ref});
        } else {
          domain::StatusCode code = docker::DockerStatusCode(ref.status());
          if (code == domain::StatusCode::kOk) code = domain::StatusCode::kBuildUnknown;
          (void)Feed(domain::BuildFailed{Now(), image, code, std::string(ref.status().message())});
        }
      });
  if (!submitted.ok()) {
    building_.erase(image);
    (void)Feed(domain::BuildFailed{Now(), image, domain::StatusCode::kBuildUnknown,
                                   std::string(submitted.message())});
  }
}

void DevLoop::DoDeploy(const domain::Deploy& deploy) {
  struct Plan {
    std::string image, ref, alias;
    std::vector<int> ports;
    std::string running;  // a live container already running `ref`, to carry over
  };
  std::vector<Plan> plans;
  for (const auto& [image, ref] : deploy.images) {
    Plan p{image, ref, ShortImageName(image), {}, ""};
    for (const PortForwardSpec& f : options_.port_forwards) {
      if (f.resource_name == image || f.resource_name == p.alias) p.ports.push_back(f.port);
    }
    for (const auto& [id, d] : deployments_) {
      for (const Container& c : d.containers) {
        if (c.image == image && c.ref == ref) p.running = c.id;
      }
    }
    plans.push_back(std::move(p));
  }
  const bool need_network = !network_ready_;
  const std::string network = network_;
  const std::string run_id = options_.run_id;
  const std::map<std::string, std::string> extra_labels = options_.labels;
  const int64_t id = deploy.deploy_id;
  docker::Docker* docker = ports_.docker;
  auto on_log = options_.on_app_log;
  auto shared = shared_;
  using Result = absl::StatusOr<std::vector<Container>>;
  absl::Status submitted = runtime::RunBlocking<std::shared_ptr<Result>>(
      ports_.pool, ports_.executor,
      [=]() -> std::shared_ptr<Result> {
        auto fail = [&](absl::Status s, std::vector<Container>& made) {
          for (Container& c : made) {
            c.logs.reset();
            (void)docker->Remove(c.id, /*force=*/true);
          }
          return std::make_shared<Result>(std::move(s));
        };
        // Carried-over containers are returned with an empty `ref`, and are
        // never removed here: they belong to the live deployment.
        std::vector<Container> carried;
        std::vector<Container> made;
        if (need_network) {
          std::map<std::string, std::string> net_labels = extra_labels;
          net_labels[kRunIdLabel] = run_id;
          absl::StatusOr<std::string> net = docker->CreateNetwork(network, net_labels);
          if (!net.ok() && net.status().code() != absl::StatusCode::kAlreadyExists) {
            return fail(net.status(), made);
          }
        }
        for (const Plan& p : plans) {
          if (!p.running.empty()) {
            absl::StatusOr<docker::ContainerState> state = docker->Inspect(p.running);
            if (state.ok() && state->status == docker::ContainerStatus::kRunning) {
              carried.push_back(Container{p.running, p.image, "", p.alias, {}, nullptr});
              continue;
            }
            // Not running any more (it crashed, or was removed): start afresh.
          }
          docker::RunRequest run;
          run.image = RunnableImage(p.ref);  // the id of an image we built
          run.name = ContainerSafe(absl::StrCat(p.alias, "-", run_id, "-", id));
          run.labels = extra_labels;
          run.labels[kRunIdLabel] = run_id;
          run.labels[kDeployIdLabel] = absl::StrCat(id);
          // The engine runs the id; this says which IMAGE:TAG that is.
          run.labels[kImageLabel] = DisplayReference(p.ref);
          for (int port : p.ports) run.ports.push_back({.container_port = port});
          run.network = network;
          run.network_aliases = {p.alias};
          absl::StatusOr<std::string> cid = docker->Run(run);
          if (!cid.ok()) return fail(cid.status(), made);
          Container c{*cid, p.image, p.ref, p.alias, {}, nullptr};
          made.push_back(std::move(c));
          absl::StatusOr<docker::ContainerState> state = docker->Inspect(*cid);
          if (!state.ok()) return fail(state.status(), made);
          for (const docker::PortMapping& m : state->ports) {
            made.back().published[m.container_port] = m.host_port;
          }
          if (on_log) {
            const std::string alias = p.alias;
            absl::StatusOr<std::unique_ptr<docker::LogFollower>> logs = docker->FollowLogs(
                *cid, [on_log, alias](docker::LogStream, absl::string_view line) {
                  on_log(alias, line);
                });
            if (logs.ok()) made.back().logs = *std::move(logs);
          }
        }
        for (Container& c : carried) made.push_back(std::move(c));
        return std::make_shared<Result>(std::move(made));
      },
      [this, shared, id](std::shared_ptr<Result> result) {
        if (!shared->alive) return;
        if (!result->ok()) {
          domain::StatusCode code = docker::DockerStatusCode(result->status());
          (void)Feed(domain::DeployFailed{Now(), id, domain::StatusCode::kDeployUnknown,
                                          absl::StrCat(result->status().message(),
                                                       code == domain::StatusCode::kOk
                                                           ? ""
                                                           : absl::StrCat(" (", domain::StatusCodeName(code), ")"))});
          return;
        }
        network_ready_ = true;
        std::vector<std::string> resources;
        Deployment& d = deployments_[id];
        std::vector<std::string> lost;
        for (Container& c : **result) {
          resources.push_back(absl::StrCat("container/", c.alias));
          if (!c.ref.empty()) {
            d.containers.push_back(std::move(c));
            continue;
          }
          // Carried over: move it (ports, log follower) out of the deployment
          // it ran in, so stopping that one leaves it running.
          bool moved = false;
          for (auto& [old_id, old] : deployments_) {
            if (old_id == id || moved) continue;
            auto it = std::find_if(old.containers.begin(), old.containers.end(),
                                   [&](const Container& o) { return o.id == c.id; });
            if (it == old.containers.end()) continue;
            d.containers.push_back(std::move(*it));
            old.containers.erase(it);
            moved = true;
          }
          if (!moved) lost.push_back(c.alias);
        }
        if (!lost.empty()) {
          // Its deployment was stopped meanwhile; what did start is removed by
          // the StopWorkload the controller sends for a failed deploy.
          (void)Feed(domain::DeployFailed{
              Now(), id, domain::StatusCode::kDeployUnknown,
              absl::StrCat("container ", absl::StrJoin(lost, ", "),
                           " stopped while the deploy was carrying it over; save again to "
                           "redeploy")});
          return;
        }
        (void)Feed(domain::DeploySucceeded{Now(), id, std::move(resources)});
      });
  if (!submitted.ok()) {
    (void)Feed(domain::DeployFailed{Now(), id, domain::StatusCode::kDeployUnknown,
                                    std::string(submitted.message())});
  }
}

void DevLoop::DoStop(int64_t deploy_id) {
  auto it = deployments_.find(deploy_id);
  if (it == deployments_.end()) return;
  auto containers = std::make_shared<std::vector<Container>>(std::move(it->second.containers));
  deployments_.erase(it);
  docker::Docker* docker = ports_.docker;
  const absl::Duration grace = options_.stop_grace;
  // In the background: the new deployment is already serving.
  (void)ports_.pool->Submit([docker, containers, grace] {
    for (Container& c : *containers) {
      if (c.logs) c.logs->Stop();
      (void)docker->Stop(c.id, grace);
      (void)docker->Remove(c.id, /*force=*/true);
    }
  });
}

void DevLoop::DoSync(const domain::SyncFiles& sync) {
  const ArtifactBuildSpec* spec = Artifact(sync.image);
  std::string container;
  auto it = deployments_.find(sync.deploy_id);
  if (it != deployments_.end()) {
    for (const Container& c : it->second.containers) {
      if (c.image == sync.image) container = c.id;
    }
  }
  if (container.empty() || spec == nullptr) {
    (void)Feed(domain::SyncFailed{Now(), sync.image, domain::StatusCode::kSyncUnknown,
                                  absl::StrCat("no running container for ", sync.image)});
    return;
  }
  std::vector<docker::FileCopy> copies;
  for (const domain::CopyOp& op : sync.plan.copies) {
    // A relative dest is relative to the image's working directory; devloop's
    // images run from "/" unless their Dockerfile says otherwise.
    std::string dest = absl::StartsWith(op.dest, "/") ? op.dest : absl::StrCat("/", op.dest);
    copies.push_back({absl::StrCat(spec->context_dir, "/", op.src), dest});
  }
  std::vector<std::string> deletes;
  for (const std::string& d : sync.plan.deletes) {
    deletes.push_back(absl::StartsWith(d, "/") ? d : absl::StrCat("/", d));
  }
  docker::Docker* docker = ports_.docker;
  auto shared = shared_;
  const std::string image = sync.image;
  absl::Status submitted = runtime::RunBlocking<absl::Status>(
      ports_.pool, ports_.executor,
      [docker, container, copies, deletes]() -> absl::Status {
        if (!copies.empty()) {
          absl::Status s = docker->CopyInto(container, copies);
          if (!s.ok()) return s;
        }
        if (!deletes.empty()) return docker->DeleteIn(container, deletes);
        return absl::OkStatus();
      },
      [this, shared, image](absl::Status s) {
        if (!shared->alive) return;
        if (s.ok()) {
          (void)Feed(domain::SyncSucceeded{Now(), image});
        } else {
          std::string message(s.message());
          if (s.code() == absl::StatusCode::kUnimplemented) {
            message += " (the image cannot delete files: the next change rebuilds it)";
          }
          (void)Feed(domain::SyncFailed{Now(), image, domain::StatusCode::kSyncUnknown, message});
        }
      });
  if (!submitted.ok()) {
    (void)Feed(domain::SyncFailed{Now(), image, domain::StatusCode::kSyncUnknown,
                                  std::string(submitted.message())});
  }
}

void DevLoop::DoStatusCheck(const domain::StartStatusCheck& check) {
  for (auto& [id, d] : deployments_) d.polling = (id == check.deploy_id);
  Poll(check.deploy_id);
}

void DevLoop::Poll(int64_t deploy_id) {
  auto it = deployments_.find(deploy_id);
  if (it == deployments_.end() || !it->second.polling) return;
  std::vector<std::pair<std::string, std::string>> targets;  // resource, container id
  for (const Container& c : it->second.containers) {
    targets.emplace_back(absl::StrCat("container/", c.alias), c.id);
  }
  docker::Docker* docker = ports_.docker;
  auto shared = shared_;
  (void)runtime::RunBlocking<std::vector<domain::ResourceObservation>>(
      ports_.pool, ports_.executor,
      [docker, targets] {
        std::vector<domain::ResourceObservation> out;
        for (const auto& [resource, id] : targets) {
          absl::StatusOr<docker::ContainerState> state = docker->Inspect(id);
          if (state.ok()) {
            out.push_back(ObserveContainer(resource, *state));
          } else {
            domain::ResourceObservation obs;
            obs.resource = resource;
            obs.terminated = true;
            obs.exit_code = -1;
            obs.terminated_reason = std::string(state.status().message());
            out.push_back(std::move(obs));
          }
        }
        return out;
      },
      [this, shared, deploy_id](std::vector<domain::ResourceObservation> observations) {
        if (!shared->alive) return;
        auto it = deployments_.find(deploy_id);
        if (it == deployments_.end() || !it->second.polling) return;
        for (domain::ResourceObservation& obs : observations) {
          (void)Feed(domain::ResourceObserved{Now(), deploy_id, std::move(obs)});
        }
        ports_.executor->PostAfter(options_.status_poll_interval, [this, shared, deploy_id] {
          if (shared->alive) Poll(deploy_id);
        });
      });
}

void DevLoop::DoForwardPorts(int64_t deploy_id) {
  if (!options_.port_forward) return;
  auto it = deployments_.find(deploy_id);
  if (it == deployments_.end()) return;
  for (size_t i = 0; i < options_.port_forwards.size(); ++i) {
    const PortForwardSpec& f = options_.port_forwards[i];
    const Container* target = nullptr;
    for (const Container& c : it->second.containers) {
      if (f.resource_name == c.image || f.resource_name == c.alias) target = &c;
    }
    if (target == nullptr) continue;
    auto published = target->published.find(f.port);
    if (published == target->published.end()) {
      DEVLOOP_LOG(WARNING) << "port forward: container " << target->alias << " does not publish port "
                           << f.port;
      continue;
    }
    portforward::Target to{"127.0.0.1", published->second};
    auto& fwd = forwarders_[static_cast<int>(i)];
    if (fwd) {
      absl::Status s = fwd->SetTarget(to);
      if (!s.ok()) DEVLOOP_LOG(WARNING) << "port forward: " << s;
    } else {
      absl::StatusOr<std::unique_ptr<portforward::PortForwarder>> started =
          portforward::PortForwarder::Start({.bind_address = f.address, .local_port = f.local_port},
                                            to);
      if (!started.ok()) {
        DEVLOOP_LOG(WARNING) << "port forward for " << f.resource_name << ": " << started.status();
        continue;
      }
      fwd = *std::move(started);
      if (f.local_port != 0 && fwd->local_port() != f.local_port) {
        DEVLOOP_LOG(WARNING) << "port " << f.local_port << " for " << f.resource_name
                             << " already in use: using " << fwd->local_port() << " instead";
      }
    }
    domain::PortEvent port;
    port.local_port = fwd->local_port();
    port.remote_port = f.port;
    port.container_name = target->alias;
    port.resource_type = "container";
    port.resource_name = f.resource_name;
    port.address = fwd->bind_address();
    (void)Feed(domain::PortForwarded{Now(), std::move(port)});
  }
}

void DevLoop::DoCleanup(const domain::Cleanup& cleanup) {
  for (auto& [id, d] : deployments_) d.polling = false;
  forwarders_.clear();  // closes the local ports
  auto containers = std::make_shared<std::vector<Container>>();
  for (auto& [id, d] : deployments_) {
    for (Container& c : d.containers) containers->push_back(std::move(c));
  }
  deployments_.clear();
  docker::Docker* docker = ports_.docker;
  const bool remove = options_.cleanup;
  const std::string run_id = options_.run_id;
  const std::string network = network_;
  const bool had_network = network_ready_;
  auto shared = shared_;
  auto finish = [shared] {
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->stopped = true;
    shared->cv.notify_all();
  };
  absl::Status submitted = ports_.pool->Submit([=] {
    for (Container& c : *containers) {
      if (c.logs) c.logs->Stop();
    }
    if (remove) {
      // Everything this run made, found by its label (also what an interrupted
      // deploy left behind), and nothing else.
      for (Container& c : *containers) (void)docker->Remove(c.id, /*force=*/true);
      absl::StatusOr<std::vector<docker::ContainerSummary>> left =
          docker->ListContainers(kRunIdLabel, run_id);
      if (left.ok()) {
        for (const docker::ContainerSummary& c : *left) (void)docker->Remove(c.id, true);
      }
      if (had_network) (void)docker->RemoveNetwork(network);
      absl::StatusOr<std::vector<std::string>> nets = docker->ListNetworks(kRunIdLabel, run_id);
      if (nets.ok()) {
        for (const std::string& n : *nets) (void)docker->RemoveNetwork(n);
      }
      absl::StatusOr<std::vector<std::string>> images = docker->ListImages(kRunIdLabel, run_id);
      if (images.ok()) {
        for (const std::string& i : *images) (void)docker->RemoveImage(i, /*force=*/true);
      }
    }
    finish();
  });
  if (!submitted.ok()) finish();
}

}  // namespace devloop::dev
