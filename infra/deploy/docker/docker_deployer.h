// DockerDeployer: the deployer and sync ports (infra/deploy/deployer.h) on the
// local Docker Engine, one container per artifact.
//
// Its policies:
//  - One bridge network per run (`devloop-<run id>`); every container joins it
//    with the artifact's short image name as its network alias, so services reach
//    each other by name (`http://leeroy-app:8080`).
//  - Everything created carries `dev.devloop.run-id=<run id>` (labels.h), so
//    cleanup removes exactly what this run made and nothing else.
//  - A redeploy starts the new containers beside the old ones; the controller
//    then points the port forwards at them and only then stops the old ones, so
//    a forwarded local port never changes and never refuses a connection. A
//    running container whose image reference did not change is carried over into
//    the new deployment, not restarted: rebuilding one service leaves the others,
//    and the files synced into them, alone.
//  - Stopping a deployment gives its containers `stop_grace` (1 s) after SIGTERM
//    before SIGKILL: a PID 1 that ignores SIGTERM (a shell, busybox httpd) costs
//    at most that.
//  - Container ports are published on 127.0.0.1 with an engine-chosen host port;
//    portForward's localPort is a StableForwards listener in front of it.
//  - Images are run by id; the IMAGE:TAG they are is the `dev.devloop.image` label.
//  - A config reload keeps the run: the deployer of the old config hands what
//    runs (containers, log followers, network, listening port forwards) to the
//    deployer of the new one, whose first deploy carries every container whose
//    reference and published ports did not change and then removes the rest.
//
//   DEVLOOP_ASSIGN_OR_RETURN(std::unique_ptr<DockerDeployer> deployer,
//       DockerDeployer::Make(&docker, {.run_id = run_id, .port_forwards = forwards,
//                                      .on_log = sink}, {"web"}));
//
//   // The config changed: the new deployer (same run id) takes over.
//   next->TakeOver(deployer->HandOver());
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_DOCKER_DOCKER_DEPLOYER_H_
#define DEVLOOP_INFRA_DEPLOY_DOCKER_DOCKER_DEPLOYER_H_

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "infra/deploy/deployer.h"
#include "infra/deploy/log_tail.h"
#include "infra/deploy/stable_forwards.h"
#include "infra/docker/docker.h"

namespace devloop::deploy {

class DockerDeployer final : public Deployer, public Syncer, public ContainerExec {
  struct Container;
  class DebugWatch;

 public:
  struct Options {
    std::string run_id;  // required
    // Extra labels on every container and network (the project label of
    // `devloop run`, which `devloop delete` looks for).
    std::map<std::string, std::string> labels;
    // resourceType container only; resourceName is an artifact's image or its
    // short name.
    std::vector<PortForwardSpec> port_forwards;
    absl::Duration stop_grace = absl::Seconds(1);
    // How long ForwardPorts waits for a new container's app to answer on its
    // published port before pointing the forward at it: until then the
    // engine's proxy takes connections and closes them unanswered. Zero: no
    // wait (a fake engine publishes nothing).
    absl::Duration answer_wait = absl::Seconds(10);
    // Application log lines, prefixed by the container's short name.
    LogSink on_log;
    // `devloop debug`: each artifact's container runs under its language's
    // debugger (domain/debug/transform.h), the debugger's files mounted
    // read-only at /dbg/<runtime> from a volume of the run filled from the
    // local image `<support_image_prefix><runtime>`, its debug ports
    // published (and, with `forward_ports`, forwarded to stable local ports,
    // the container's port number when it is free). A container whose runtime
    // cannot be found runs as it is, with a warning.
    struct Debug {
      bool enabled = false;
      std::map<std::string, std::string> runtime_types;  // artifact image -> runtimeType
      std::string support_image_prefix = "devloop-debug-support:";
      bool forward_ports = false;
    };
    Debug debug;
  };

  // Returns InvalidArgument for a port forward that is not of resourceType
  // container or names no artifact in `artifact_images`. `docker` must outlive
  // the deployer.
  static absl::StatusOr<std::unique_ptr<DockerDeployer>> Make(
      docker::Docker* docker, Options options, const std::vector<std::string>& artifact_images);

  ~DockerDeployer() override;

  // Creates the run's network on a thread of its own (the Engine takes ~150 ms),
  // so that the first Deploy finds it made while the build ran.
  void ReportDebugging(DebugSink sink) override;
  void Prepare() override;
  absl::StatusOr<std::vector<std::string>> Deploy(int64_t deploy_id,
                                                  const domain::ImageTags& images) override;
  absl::StatusOr<std::vector<domain::ResourceObservation>> Observe(int64_t deploy_id) override;
  std::vector<domain::PortEvent> ForwardPorts(int64_t deploy_id) override;
  // The debuggers' forwards first: they do not wait for their port to answer.
  void StreamPortForwards(int64_t deploy_id,
                          const std::function<void(domain::PortEvent)>& on_event) override;
  absl::Status Stop(int64_t deploy_id) override;
  absl::Status Cleanup(bool remove) override;
  absl::Status Sync(int64_t deploy_id, const std::string& image,
                    const SyncRequest& request) override;
  // Runs the command in the container of `image` with the Engine's exec.
  absl::Status Exec(int64_t deploy_id, const std::string& image,
                    const std::vector<std::string>& command,
                    const std::function<void(absl::string_view line)>& on_output) override;

  const std::string& network() const { return network_; }

  // What runs, on its way from the deployer of a replaced config to the one
  // of the new config in the same run. Movable; dropping it stops following
  // the containers' logs and closes the forwards, and leaves the containers
  // to the run's cleanup (they carry its run id).
  class Handover {
   public:
    Handover() = default;
    Handover(Handover&&) = default;
    Handover& operator=(Handover&&) = default;
    ~Handover();
    // How many containers it holds.
    size_t containers() const { return containers_.size(); }

   private:
    friend class DockerDeployer;
    std::string run_id_;
    int64_t last_deploy_ = 0;
    bool network_ready_ = false;
    std::vector<Container> containers_;
    std::vector<StableForwards::Listening> forwards_;
  };

  // Ends this deployer for a config reload that keeps the run: like Cleanup,
  // Deploy then fails with DEPLOY_CANCELLED and a later Cleanup does nothing;
  // but the containers of the newest deployment keep running, followed, with
  // the network and the listening forwards, in the Handover. Removes the
  // containers of older deployments (a redeploy's not yet stopped). Call once
  // the loop that used the deployer has stopped without cleaning up. Until
  // the Handover is taken over, the log lines go to this deployer's sink: it
  // must outlive the Handover.
  Handover HandOver();

  // Takes over what `handover` holds: its containers are the deployment the
  // first Deploy carries from -- an artifact whose reference and published
  // ports did not change keeps its container -- and once that deploy is in,
  // what it did not carry is removed (a removed or changed artifact's). A
  // forward whose spec did not change keeps its local port. Deployments are
  // numbered on from the handover's, so container names stay unique in the
  // run. InvalidArgument if `handover` is another run's; Cancelled after
  // Cleanup. REQUIRES: before the first Deploy.
  absl::Status TakeOver(Handover handover);

 private:
  struct Container {
    std::string id;
    std::string image;  // the artifact's image name
    std::string ref;    // the reference it runs ("web:3f2a...@sha256:...")
    std::string alias;  // short name on the network
    std::map<int, int> published;  // container port -> host port on 127.0.0.1
    // Shared with a status check that waits for a dead container's last lines.
    std::shared_ptr<docker::LogFollower> logs;
    // Where `logs` sends lines: the tail of the deployer that runs it now.
    std::shared_ptr<LogRoute> route;
    // Under `devloop debug`: the container as a debugging one (status
    // Started); empty when it runs without a debugger.
    std::optional<domain::DebuggingContainerEvent> debugging;
    // Reports `debugging` once the debugger listens (null when reported at once).
    std::shared_ptr<DebugWatch> debug_watch;
  };

  // The key in deployments_ of the containers taken over (the controller
  // numbers deployments from 1).
  static constexpr int64_t kTakenOver = -1;

  DockerDeployer(docker::Docker* docker, Options options);

  // Starts one container of deployment `deploy_id`; on error nothing of it is left.
  absl::StatusOr<Container> Start(int64_t deploy_id, const std::string& image,
                                  const std::string& ref);
  // Records `made` and the `carried` containers (ids of live ones running the
  // same reference) as deployment `deploy_id`; on error records nothing.
  absl::Status Adopt(int64_t deploy_id, const std::vector<std::string>& carried,
                           std::vector<Container>& made);
  // Creates the run's network; OK if it exists.
  absl::Status MakeNetwork();
  // Rewrites `run` (of artifact `image`) to start under its runtime's
  // debugger; returns the container as a debugging one, or nullopt when it
  // cannot be debugged, and adds to `askable` the debug ports whose debugger
  // may be asked whether it is up. Errors: the image cannot be inspected, the
  // support files cannot be mounted.
  absl::StatusOr<std::optional<domain::DebuggingContainerEvent>> RewriteForDebug(
      const std::string& image, docker::RunRequest& run, std::set<std::string>* askable);
  // Returns the run's volume holding the files of debugger support `support`
  // ("go", "python", "nodejs"), filling it from its image the first time.
  absl::StatusOr<std::string> SupportVolume(const std::string& support);
  // Reports `c` (whose process is `pid`) as a debugging container once its
  // debugger listens and, for the ports in `askable`, answers a question
  // (debugger_ready.h).
  void ReportStarted(Container& c, int pid, const std::set<std::string>& askable);
  // Whether `c` was reported as a debugging container.
  static bool Reported(const Container& c);
  // Reports that `c` no longer runs under its debugger.
  void ReportGone(const Container& c);
  // Where debugging containers are reported now (ReportDebugging's sink).
  DebugSink debug_sink();
  // Stops following the logs of `containers` and removes them (after `grace`).
  void Remove(std::vector<Container>& containers, absl::Duration grace);
  // Whether `c` publishes every port the forwards of its artifact need.
  bool Publishes(const Container& c) const;
  // Removes what is left of the taken-over containers (not carried).
  void RetireTakenOver();

  docker::Docker* const docker_;
  const Options options_;
  const std::string network_;
  LogTail tail_;
  StableForwards forwards_;

  absl::Mutex support_mu_;  // held while a support volume is filled
  std::set<std::string> support_volumes_ ABSL_GUARDED_BY(support_mu_);  // filled ones

  absl::Mutex mu_;
  DebugSink on_debug_ ABSL_GUARDED_BY(mu_);
  // Debug forwards: artifact image + "/" + port name -> forward index in forwards_.
  std::map<std::string, int> debug_forwards_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, std::vector<Container>> deployments_ ABSL_GUARDED_BY(mu_);
  bool network_ready_ ABSL_GUARDED_BY(mu_) = false;
  bool cleaned_up_ ABSL_GUARDED_BY(mu_) = false;
  // The network Prepare is making (invalid: Prepare was not called); waited
  // for by Deploy and Cleanup.
  std::shared_future<absl::Status> network_made_ ABSL_GUARDED_BY(mu_);
  bool handed_over_ ABSL_GUARDED_BY(mu_) = false;
  // Deployment `deploy_id` is the run's number deploy_base_ + deploy_id (in
  // container names and the deploy-id label); the highest number used so far.
  int64_t deploy_base_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_deploy_ ABSL_GUARDED_BY(mu_) = 0;
};

// Returns true once something answers through 127.0.0.1:`host_port` (a
// connection the engine's proxy keeps open, or greets on), false after `wait`.
bool WaitAnswering(int host_port, absl::Duration wait);

// Returns the short name of an image reference: "gcr.io/x/leeroy-web:tag" ->
// "leeroy-web".
std::string ShortImageName(const std::string& image);

// Maps what the engine says of a container to a status check observation.
domain::ResourceObservation ObserveContainer(const std::string& resource,
                                             const docker::ContainerState& state);

// Returns `status` with the deploy status code its Docker failure implies:
// DEPLOY_CLUSTER_CONNECTION_ERR when the engine cannot be reached, else
// DEPLOY_UNKNOWN with the engine's code named in the message.
absl::Status DeployError(absl::Status status);

// Returns `status` with SYNC_UNKNOWN (the contract's one code for a failed
// sync) when it carries an engine's code, which the message then names
// ("... (BUILD_DOCKER_DAEMON_NOT_RUNNING)"): a fileSyncEvent never carries a
// build phase's code. A status without a code is returned as it is.
absl::Status SyncError(absl::Status status);

}  // namespace devloop::deploy

#endif  // DEVLOOP_INFRA_DEPLOY_DOCKER_DOCKER_DEPLOYER_H_
