// KubectlDeployer: the deployer and sync ports (infra/deploy/deployer.h) on a
// Kubernetes cluster, through the real kubectl binary.
//
// Its policies:
//  - Each deploy renders the manifests anew (raw YAML, `kubectl kustomize`,
//    `helm template`: whatever Options::manifests produces) with the built image
//    references and the run's labels (`app.kubernetes.io/managed-by=devloop`,
//    `dev.devloop.run-id=<run id>`) on every object and pod template, and
//    applies them with `kubectl apply -f -`. An apply that hits an immutable
//    field (a Job) deletes those objects and applies again.
//  - The same object in two deployments is one object: a redeploy updates it in
//    place (the cluster rolls it out), and stopping the older deployment
//    deletes only what the newer one no longer has.
//  - The status check follows every Deployment, StatefulSet and Pod applied,
//    as `kubectl rollout status` would, plus a diagnosis of their pods
//    (cluster_state.h). It, the pod watch and the forwards read the cluster
//    through one long-lived `kubectl proxy` (kube_api.h), falling back to
//    `kubectl get` when the proxy fails.
//  - Port forwards (resourceType pod, deployment, service) reach a ready pod
//    of the newest rollout behind a StableForwards listener: the local port
//    never changes, and the forward moves to a new pod as soon as one is ready
//    and accepts, before the old one goes away; such a move is reported
//    (ReportForwardMoves) with the new pod's name. Besides the configured ones,
//    Options::auto_forwards adds, after each deploy, the ports of the Services
//    and of the workloads' pods it applied (auto_forwards.h); one added in an
//    earlier deploy keeps its local port. A pod whose IP this machine
//    reaches (a node here, a flat network) is forwarded to straight; others
//    through one `kubectl port-forward --address 127.0.0.1 pod/<p> :<port>`.
//  - Logs: one `kubectl logs -f --timestamps` per container of every pod of
//    the run, picked up as pods appear (at each Observe); a follower that ends
//    while its pod lives is started again from the last line's time, so no line
//    is lost or printed twice.
//  - Sync: `kubectl exec -i <pod> -c <container> -- tar xmf - -C /` into every
//    running pod of the artifact (the image needs `tar`), `rm -rf` for deletes.
//    While ForwardPorts waits for a ready pod, Observe does not report the
//    deployment ready, so the port events land in the iteration they belong to.
//  - Cleanup deletes, by the run-id label only, every kind the run applied.
//  - A config reload keeps the run: the deployer of the old config hands what
//    it applied, its log followers and its port forwards to the deployer of
//    the new one (HandOver/TakeOver), which re-applies the new render under
//    the same run id -- an object that did not change stays as it is, and so
//    do its pods -- and then deletes only what the old config applied and the
//    new one no longer has. Forwards of the new config that the old one had
//    keep their local ports and the pods they reach; the others close (a
//    dropped portForward entry or mode at once, an automatic forward of an
//    object the new config no longer applies at its first ForwardPorts).
//  - `devloop debug` (Options::debug): the rendered manifests are rewritten so
//    that each artifact's container runs under its language's debugger
//    (debug_manifests.h). A container of a pod of the run that carries the
//    debug annotation is reported Started through the DebugSink once it runs,
//    and Terminated when it stops or its pod goes (or the run ends). With
//    forward_ports, each debug port of the containers of a Deployment,
//    StatefulSet, DaemonSet, ReplicaSet, Job or Pod (not a CronJob) is
//    forwarded like a --port-forward=pods one, to its newest ready pod, on
//    the port's own number when it is free, reported with its port name
//    ("dlv").
//
//   // The config changed: the new deployer (same run id) takes over.
//   next->TakeOver(deployer->HandOver());
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBECTL_DEPLOYER_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBECTL_DEPLOYER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "domain/config/config.h"
#include "infra/containerfs/container_process.h"
#include "infra/deploy/deployer.h"
#include "infra/deploy/kubectl/auto_forwards.h"
#include "infra/deploy/kubectl/cluster_state.h"
#include "infra/deploy/kubectl/debug_manifests.h"
#include "infra/deploy/kubectl/kube_api.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/deploy/kubectl/manifests.h"
#include "infra/deploy/kubectl/run_objects.h"
#include "infra/deploy/log_tail.h"
#include "infra/deploy/stable_forwards.h"
#include "infra/hooks/host_hooks.h"
#include "infra/portforward/port_forwarder.h"
#include "infra/process/process_runner.h"

namespace devloop::deploy::kubectl {

// Produces the manifests of one deploy for the images just built (artifact
// image -> reference): read files, run kustomize or helm. Called on the pool.
using ManifestProducer =
    std::function<absl::StatusOr<std::vector<ManifestSource>>(const domain::ImageTags& images)>;

class KubectlDeployer final : public Deployer, public Syncer, public ContainerExec {
 public:
  struct Options {
    std::string run_id;  // required
    // Extra labels on every object (the project label of `devloop run`).
    std::map<std::string, std::string> labels;
    KubectlOptions kubectl;
    std::string default_namespace;  // --namespace / deploy.kubectl.defaultNamespace
    std::vector<std::string> apply_flags;   // deploy.kubectl.flags.apply
    std::vector<std::string> delete_flags;  // deploy.kubectl.flags.delete
    ManifestProducer manifests;             // required
    // resourceType pod, deployment or service (statefulset too).
    std::vector<PortForwardSpec> port_forwards;
    // --port-forward=services / pods: forwards of every deployed Service's
    // ports / every deployed workload's container ports, besides (and not
    // twice with) `port_forwards`.
    AutoForwardModes auto_forwards;
    // Sync writes straight into the container's root (through /proc, as the
    // Docker adapter does) when its process runs on this machine (a node on
    // this machine: the test cluster, kind, minikube); kubectl exec otherwise.
    bool sync_on_this_node = true;
    // A forward goes straight to the pod's IP when this machine reaches it
    // (a node on this machine, a flat network); `kubectl port-forward`
    // otherwise. The first pod that cannot be reached turns it off for the run.
    bool forward_direct = true;
    // How long a forward waits for the app of a pod on this machine to listen
    // before it points there anyway (the app may still be starting).
    absl::Duration answer_wait = absl::Seconds(10);
    // Reads of the cluster (the status check's, the pod watch's, the
    // forwards') go through one long-lived `kubectl proxy` (kube_api.h), or
    // else each through a `kubectl get` of its own (also the fallback).
    bool api_proxy = true;
    // deploy.kubectl.hooks: before the apply (host commands; container
    // commands in what runs now) and after it (host; in the new containers).
    config::DeployHooks hooks;
    // Variables every host hook gets besides SKAFFOLD_RUN_ID,
    // SKAFFOLD_KUBE_CONTEXT and SKAFFOLD_NAMESPACES (SKAFFOLD_WORK_DIR, ...).
    std::map<std::string, std::string> hook_env;
    // Each line a host hook prints, prefixed "[before-deploy hook] ".
    std::function<void(absl::string_view line)> on_hook_output;
    // How long ForwardPorts waits for a ready pod behind a forward.
    absl::Duration forward_wait = absl::Minutes(2);
    LogSink on_log;
    // `devloop debug`. REQUIRES when enabled: image_config and support_image.
    struct Debug {
      bool enabled = false;
      std::map<std::string, std::string> runtime_types;  // artifact image -> runtimeType
      // --port-forward=debug: forward the debuggers' ports.
      bool forward_ports = false;
      // What a deployed reference runs by itself (entrypoint, cmd, env, dir).
      std::function<absl::StatusOr<ImageRunConfig>(const std::string& reference)> image_config;
      // The support image of "go", "python", "nodejs", where the cluster's
      // nodes find it (pushed or loaded as the artifacts are).
      std::function<absl::StatusOr<SupportImage>(const std::string& support)> support_image;
    };
    Debug debug;
  };

  // InvalidArgument for a port forward of resourceType container (Docker's)
  // or without a resourceName, or debug enabled without its image callbacks. `runner` must outlive the deployer.
  static absl::StatusOr<std::unique_ptr<KubectlDeployer>> Make(process::ProcessRunner* runner,
                                                               Options options);
  ~KubectlDeployer() override;

  void ReportDebugging(DebugSink sink) override;
  // A forward moves by itself when the pod it reaches is replaced (a rollout,
  // a deleted or crashed pod): its new PortEvent (the new pod's name, the same
  // local port) goes to `sink` once ForwardPorts has reported it.
  void ReportForwardMoves(PortSink sink) override;
  absl::StatusOr<std::vector<std::string>> Deploy(int64_t deploy_id,
                                                  const domain::ImageTags& images) override;
  absl::StatusOr<std::vector<domain::ResourceObservation>> Observe(int64_t deploy_id) override;
  std::vector<domain::PortEvent> ForwardPorts(int64_t deploy_id) override;
  // Calls `on_event` with the deployer's forwarding lock held, so that it and
  // the ReportForwardMoves sink see a forward's events in the order it moved:
  // it must not block or call the deployer.
  void StreamPortForwards(int64_t deploy_id,
                          const std::function<void(domain::PortEvent)>& on_event) override;
  absl::Status Stop(int64_t deploy_id) override;
  absl::Status Cleanup(bool remove) override;
  absl::Status Sync(int64_t deploy_id, const std::string& image,
                    const SyncRequest& request) override;
  // Runs the command with `kubectl exec` in every started container of the
  // deployment's pods that runs the artifact's reference.
  absl::Status Exec(int64_t deploy_id, const std::string& image,
                    const std::vector<std::string>& command,
                    const std::function<void(absl::string_view line)>& on_output) override;

  // The namespace objects without one go to.
  const std::string& default_namespace() const { return options_.default_namespace; }

  class Handover;

  // Ends this deployer for a config reload that keeps the run: like Cleanup,
  // Deploy then fails with DEPLOY_CANCELLED and a later Cleanup deletes
  // nothing; but what the run applied stays in the cluster, and its record,
  // the log followers and the listening port forwards go into the Handover.
  // Call once the loop that used the deployer has stopped without cleaning
  // up. Until the Handover is taken over, log lines go to this deployer's
  // sink: it must outlive the Handover.
  Handover HandOver();

  // Takes over what `handover` holds: the first Deploy that succeeds after
  // it deletes what the replaced deployer applied and this one's render no
  // longer has (by kind, namespace and name; everything else is re-applied
  // in place); Cleanup covers both. Its log followers go on into this
  // deployer's sink; a configured forward whose spec did not change, and an
  // automatic one (services, pods, debug) this deployer makes again, keeps
  // its local port, and its pod while that is the best one. The others close
  // their local ports: a configured one, or an automatic one of a mode this
  // deployer does not forward, here; an automatic one this deployer does not
  // make again, at its first ForwardPorts. InvalidArgument
  // if `handover` is another run's; Cancelled after Cleanup. REQUIRES:
  // before the first Deploy.
  absl::Status TakeOver(Handover handover);

 private:
  struct Applied {
    std::vector<ObjectRef> objects;    // namespaces filled in
    std::vector<Workload> workloads;   // the checked ones
    domain::ImageTags images;
    std::vector<DebugWorkload> debugged;  // under `devloop debug`; namespaces filled in
  };
  class Watched;  // a long-running kubectl and the thread that sees it end
  // One `kubectl logs -f` of one container.
  struct Follower {
    std::unique_ptr<Watched> watched;
    std::shared_ptr<absl::Mutex> mu;    // guards `last`, written by the log thread
    std::shared_ptr<std::string> last;  // sortable time of the last line printed
  };
  // What forward number i reaches: the pod's own address, or a `kubectl
  // port-forward` to it.
  struct Tunnel {
    std::string pod;             // namespace/name it reaches
    portforward::Target target;  // the pod's IP, or where kubectl listens
    std::unique_ptr<Watched> watched;  // the kubectl; null when direct
  };
  // A `kubectl get pods --watch` of one namespace and the thread reading it.
  struct NamespaceWatch {
    absl::Mutex mu;
    bool stop ABSL_GUARDED_BY(mu) = false;
    bool dirty ABSL_GUARDED_BY(mu) = false;
    std::thread thread;
  };
  // Forward number i: a configured one (the first port_forwards.size()) or
  // one Options::auto_forwards added.
  struct ForwardEntry {
    PortForwardSpec spec;
    bool report_as_pod = false;  // AutoForward::report_as_pod
    std::string port_name;       // a debug port's ("dlv"); empty for the others
  };
  // A forward of a replaced deployer's, until a forward of this one claims
  // it (Claim) or the first ForwardPorts drops it.
  struct Adoptable {
    StableForwards::Listening listening;
    std::optional<Tunnel> tunnel;
  };
  // A pod a port forward can reach.
  struct RunningPodRef {
    std::string ns;
    std::string name;
    std::string ip;  // the pod's IP, when it has one
    std::map<std::string, std::string> container_ids;  // running container -> runtime id
    std::map<std::string, int> named_ports;
    std::map<int, std::string> port_owner;  // container port -> container
    std::string first_container;
  };

  KubectlDeployer(process::ProcessRunner* runner, Options options);

  // Returns `ns`, or where objects without a namespace go: the configured
  // default, else the kubeconfig context's namespace, else "default".
  std::string Namespace(const std::string& ns) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns the run's workloads, ReplicaSets, pods and services in `ns`.
  // Shares one `kubectl get` among the callers that ask at the same time
  // (each gets a read that started after its call).
  absl::StatusOr<json::Json> ReadCluster(Phase phase, const std::string& ns)
      ABSL_LOCKS_EXCLUDED(read_mu_);
  absl::StatusOr<json::Json> ReadClusterOnce(Phase phase, const std::string& ns);
  // The same read through the API proxy, as one List of the five kinds; an
  // error when the proxy is off or failed (the caller then runs kubectl get).
  absl::StatusOr<json::Json> ReadClusterThroughApi(const std::string& ns);
  // The Unhealthy events of `ns` (readiness probes failing), or null.
  json::Json ReadUnhealthyEvents(const std::string& ns);
  // Starts log followers for started containers not yet followed (or whose
  // follower ended while the pod lives on).
  // Keeps `cluster` as the latest view of the pods in `ns` (for Sync).
  void FollowPods(const std::string& ns, const json::Json& cluster) ABSL_LOCKS_EXCLUDED(mu_);
  // Reports the debugging containers among the pods of `cluster` (all the
  // run's pods in `ns`) that started or stopped since the last call.
  void ReportDebuggers(const std::string& ns, const json::Json& cluster) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns the forwards of the debug ports of deployment `deploy_id`'s
  // workloads, adding those not made by an earlier one.
  std::vector<size_t> DebugForwardsOf(int64_t deploy_id) ABSL_LOCKS_EXCLUDED(mu_);
  // Starts the watch that keeps FollowPods current in `ns`.
  void StartWatch(const std::string& ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns forward number `index` (< forward_entries_.size()), a copy.
  ForwardEntry Forward(size_t index) ABSL_LOCKS_EXCLUDED(mu_);
  size_t ForwardCount() ABSL_LOCKS_EXCLUDED(mu_);
  // Returns the numbers of the forwards Options::auto_forwards adds for
  // deployment `deploy_id`, adding those not made by an earlier one.
  std::vector<size_t> AutoForwardsOf(int64_t deploy_id) ABSL_LOCKS_EXCLUDED(mu_);
  // Where PointForward reports the forward's PortEvent.
  enum class Report {
    kAlways,  // to the caller's `on_event` (ForwardPorts)
    // To the ReportForwardMoves sink, only when the forward was reported
    // before and its event changed (it moved to another pod).
    kWhenMoved,
  };
  // Points forward `index` at a ready pod of its target's newest rollout,
  // keeping the tunnel it has when that pod is still one, and reports the
  // event as `report` says. Returns the event.
  absl::StatusOr<domain::PortEvent> PointForward(
      size_t index, const json::Json& cluster, Report report,
      const std::function<void(domain::PortEvent)>& on_event = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_, forward_mu_);
  // PointForward's pointing, without the report.
  absl::StatusOr<domain::PortEvent> PointForwardLocked(size_t index, const json::Json& cluster)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(forward_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  // Moves the started forwards into `ns` onto the newest ready pods.
  void RetargetForwards(const std::string& ns, const json::Json& cluster);
  // Returns the pod's own address for `port` if a forward can go there
  // straight (Options::forward_direct); nullopt when it must go through
  // kubectl. A pod on this machine is first given up to answer_wait to
  // listen on `port`.
  std::optional<portforward::Target> DirectTarget(const RunningPodRef& pod, int port)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Starts `kubectl port-forward` to `pod`:`port`; returns it with the local
  // port kubectl listens on.
  absl::StatusOr<std::pair<std::unique_ptr<process::Process>, int>> StartTunnel(
      const RunningPodRef& pod, int port);
  // The pods `spec` can reach in `cluster`, best first, and the pod port
  // `spec.port` leads to (a Service's targetPort).
  absl::StatusOr<std::vector<RunningPodRef>> ForwardCandidates(const PortForwardSpec& spec,
                                                               const json::Json& cluster,
                                                               int* port);
  // Returns the process here of the container with runtime id
  // `container_id`, or nullopt when it runs elsewhere (remembered).
  std::optional<containerfs::ContainerProcess> ProcessHere(const std::string& container_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Where Sync and Exec act on `image` in live deployment `deploy_id`: the
  // reference its containers run and the namespaces of the deployment's
  // objects. FailedPrecondition when the deployment is not live or does not
  // deploy `image`.
  struct ImageTarget {
    std::string ref;
    std::set<std::string> namespaces;
  };
  absl::StatusOr<ImageTarget> TargetOf(int64_t deploy_id, const std::string& image)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Syncs into the container with runtime id `container_id` through its
  // root in /proc, if its process runs here. Errors: NotFound when it does not
  // (remembered), the file operation's otherwise.
  absl::Status SyncOnThisNode(const std::string& container_id, const SyncRequest& request);
  // Runs `hooks` (`when`: "before" or "after") for a deploy into
  // `namespaces`. A failing hook fails the deploy, with its output.
  absl::Status RunHooks(const std::vector<config::DeployHook>& hooks, const std::string& when,
                        const std::set<std::string>& namespaces, bool wait_for_pods);
  // Deletes `objects` by kind and name.
  absl::Status Delete(Phase phase, const std::vector<ObjectRef>& objects, bool wait);
  // Deletes what the replaced deployer applied that `applied` (a deploy's
  // objects, namespaces filled in) no longer holds; what cannot be deleted
  // now is tried again at the next deploy.
  void PruneTakenOver(const std::vector<ObjectRef>& applied) ABSL_LOCKS_EXCLUDED(mu_);
  // Makes the replaced deployer's forward `key` ("auto:..."/"debug:...")
  // forward number `index`, if it was one and its spec is `spec`.
  void Claim(const std::string& key, size_t index, const PortForwardSpec& spec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether this deployer's options make automatic forwards of the kind of
  // `key` ("auto:service/...", "auto:<kind>/...", "debug:..."), so that a
  // replaced deployer's forward of that key may be claimed.
  bool MakesForward(absl::string_view key) const;

  process::ProcessRunner* const runner_;
  const Options options_;
  const hooks::HostHooks host_hooks_;
  const KubectlCli kubectl_;
  KubeApi api_;
  LogTail tail_;
  StableForwards forwards_;

  // The reads of one namespace that ReadCluster shares.
  struct SharedRead {
    bool running = false;
    int64_t started = 0;   // reads begun
    int64_t finished = 0;  // the number of the last read done
    absl::StatusOr<json::Json> result = absl::UnknownError("not read yet");
    Phase phase = Phase::kDeploy;
  };
  absl::Mutex read_mu_;
  std::map<std::string, SharedRead> reads_ ABSL_GUARDED_BY(read_mu_);

  absl::Mutex forward_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // serializes PointForward
  // The PortEvent last reported of each forward, by number: a move is
  // reported when the event differs.
  std::map<size_t, domain::PortEvent> reported_ ABSL_GUARDED_BY(forward_mu_);
  absl::Mutex mu_;
  std::string context_namespace_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, Applied> deployments_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> kinds_ ABSL_GUARDED_BY(mu_);  // "deployment.apps", ...
  std::set<std::string> namespaces_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Follower> followers_ ABSL_GUARDED_BY(mu_);  // ns/pod/container
  std::map<size_t, Tunnel> tunnels_ ABSL_GUARDED_BY(mu_);
  // Every forward of the run by number; only ever grows, so a number stays.
  std::vector<ForwardEntry> forward_entries_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, size_t> auto_forward_numbers_ ABSL_GUARDED_BY(mu_);  // AutoForward::key
  // Debug forwards by "<kind>/<ns>/<workload>/<container>/<port name>".
  std::map<std::string, size_t> debug_forward_numbers_ ABSL_GUARDED_BY(mu_);
  DebugSink on_debug_ ABSL_GUARDED_BY(mu_);
  PortSink on_forward_moved_ ABSL_GUARDED_BY(mu_);
  // Containers reported Started and not yet Terminated, by ns/pod/container.
  std::map<std::string, domain::DebuggingContainerEvent> debugging_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<NamespaceWatch>> watches_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, json::Json> known_pods_ ABSL_GUARDED_BY(mu_);  // ns -> latest pods
  std::set<std::string> busybox_tools_ ABSL_GUARDED_BY(mu_);  // ns/pod/container
  std::set<int64_t> forwarding_ ABSL_GUARDED_BY(mu_);  // deployments ForwardPorts works on
  // Container id -> its process here, or nullopt when it does not run here.
  std::map<std::string, std::optional<containerfs::ContainerProcess>> processes_
      ABSL_GUARDED_BY(mu_);

  bool direct_unreachable_ ABSL_GUARDED_BY(mu_) = false;  // a pod's IP did not reach
  bool cleaned_up_ ABSL_GUARDED_BY(mu_) = false;
  bool handed_over_ ABSL_GUARDED_BY(mu_) = false;  // the run goes on in another deployer
  int deploying_ ABSL_GUARDED_BY(mu_) = 0;          // Deploy calls under way
  // What a replaced deployer applied, until a deploy of this one has deleted
  // what it no longer has.
  std::vector<ObjectRef> taken_over_ ABSL_GUARDED_BY(mu_);
  // The replaced deployer's automatic forwards, by key (see Claim).
  std::map<std::string, Adoptable> adoptable_ ABSL_GUARDED_BY(mu_);
  // Shared with the log followers; one for the whole run, moved from
  // deployer to deployer as config reloads hand the followers on.
  std::shared_ptr<LogRoute> route_ ABSL_GUARDED_BY(mu_);
};

// What a kubectl deployer applied and runs, on its way from the deployer of a
// replaced config to the one of the new config in the same run. Movable;
// dropping it stops following the logs and closes the forwards, and leaves
// the objects to the run's cleanup (they carry its run id).
class KubectlDeployer::Handover {
 public:
  Handover();
  Handover(Handover&&);
  Handover& operator=(Handover&&);
  ~Handover();
  // How many objects it holds.
  size_t objects() const { return objects_.size(); }

 private:
  friend class KubectlDeployer;
  // A forward: a configured one (empty key) or an automatic one.
  struct Forward {
    ForwardEntry entry;
    std::string key;  // "auto:<AutoForward::key>", "debug:<key>"; empty when configured
    Adoptable adoptable;
  };
  std::string run_id_;
  std::vector<ObjectRef> objects_;  // namespaces filled in
  std::set<std::string> kinds_;
  std::set<std::string> namespaces_;
  std::string context_namespace_;
  bool direct_unreachable_ = false;
  std::map<std::string, domain::DebuggingContainerEvent> debugging_;
  std::shared_ptr<LogRoute> route_;  // before the followers: they hold it
  std::map<std::string, Follower> followers_;
  std::vector<Forward> forwards_;
};


}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBECTL_DEPLOYER_H_
