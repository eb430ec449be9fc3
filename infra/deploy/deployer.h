// The deployer port: what the dev loop needs from wherever workloads run (the
// local Docker Engine today, a Kubernetes cluster next), in the domain's terms.
//
// The dev loop's shell calls every method on its blocking pool and posts the
// outcome back to the controller as an input (DeploySucceeded/DeployFailed,
// ResourceObserved, PortForwarded, SyncSucceeded/SyncFailed); a deployer never
// calls into the loop. Deployments are numbered by the controller
// (`deploy_id`); a redeploy starts the new one beside the live one, and the
// controller stops the old one once the new one is up.
//
//   absl::StatusOr<std::vector<std::string>> resources =
//       deployer->Deploy(2, {{"web", "web:v2@sha256:..."}});   // {"container/web"}
//   absl::StatusOr<std::vector<domain::ResourceObservation>> seen = deployer->Observe(2);
//   std::vector<domain::PortEvent> ports = deployer->ForwardPorts(2);  // same local ports
//   deployer->Stop(1);                       // the deployment 2 replaced
//   syncer->Sync(2, "web", {.copies = {{"/src/web/index.html", "/www/index.html"}}});
//   deployer->Cleanup(/*remove=*/true);       // Ctrl-C: everything with the run id
//
// Failure contract: errors carry the Skaffold status code of the failure as a
// payload (domain/events/status_payload.h): DEPLOY_CLUSTER_CONNECTION_ERR when
// the engine or cluster cannot be reached, DEPLOY_CANCELLED when the deployer was
// cleaned up meanwhile, a deployer-specific code otherwise; an error without a
// code is DEPLOY_UNKNOWN (SYNC_UNKNOWN for Sync).
//
// Implementations are thread-safe: Deploy, Observe, ForwardPorts, Stop and Sync
// of different deployments may run at the same time.
#ifndef DEVLOOP_INFRA_DEPLOY_DEPLOYER_H_
#define DEVLOOP_INFRA_DEPLOY_DEPLOYER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/events/event.h"
#include "domain/pipeline/deploy_machine.h"
#include "domain/pipeline/status_check.h"

namespace devloop::deploy {

// A portForward entry of the config.
struct PortForwardSpec {
  std::string resource_type = "container";  // container, pod, deployment, service
  std::string resource_name;                // for a container: the artifact's image
  std::string namespace_name;               // Kubernetes only
  int port = 0;                             // in the workload
  int local_port = 0;                       // 0: pick one
  std::string address = "127.0.0.1";
  bool operator==(const PortForwardSpec&) const = default;
};

// Where a line an application printed comes from.
struct LogSource {
  std::string name;  // what the console prefixes it with (the container's short name)
  std::string pod;   // the pod it runs in, on Kubernetes; empty on Docker
  bool operator==(const LogSource&) const = default;
};

// Receives one line an application printed. Called from the deployer's log
// threads; must not block.
using LogSink = std::function<void(const LogSource& source, absl::string_view line)>;

// Receives a container that started (status Started) or stopped (Terminated)
// running under its language's debugger. Called from the deployer's threads;
// must not block.
using DebugSink = std::function<void(domain::DebuggingContainerEvent container)>;

// Receives the PortEvent of a forward that moved by itself between two
// ForwardPorts calls: its pod was replaced (a rollout, a deleted or crashed
// pod) and it now reaches another one, on the same local port. Called from
// the deployer's threads, in the order the forwards moved; must not block.
using PortSink = std::function<void(domain::PortEvent port)>;

class Deployer {
 public:
  virtual ~Deployer() = default;

  // Called once as the loop starts, before Prepare: where a deployer that
  // runs workloads under debuggers (`devloop debug`) reports them. Others
  // ignore it.
  virtual void ReportDebugging(DebugSink sink) {}

  // Called once as the loop starts, before Prepare: where a deployer whose
  // forwards follow their workload's pods on their own reports each move, so
  // that the API names the pod a local port reaches now. Only a forward
  // already reported by ForwardPorts is reported again, and only when its
  // PortEvent changed. Deployers whose forwards never move ignore it.
  virtual void ReportForwardMoves(PortSink sink) {}

  // Called once as the loop starts, before its first build: a deployer may
  // begin making, in the background, what every deploy needs, so that the
  // first Deploy does not wait for it after the build. Returns at once; never
  // required (Deploy makes whatever is still missing) and never an error (one
  // that persists is Deploy's to report).
  virtual void Prepare() {}

  // Starts deployment `deploy_id` running `images` (artifact image -> the
  // reference its build returned), beside the deployments already live, and
  // follows its logs. Returns the resources it created or updated, named as the
  // API names them ("container/web", "deployment/web"), for the status check.
  // On error nothing of `deploy_id` is left running.
  virtual absl::StatusOr<std::vector<std::string>> Deploy(int64_t deploy_id,
                                                          const domain::ImageTags& images) = 0;

  // Returns what each resource of deployment `deploy_id` looks like now. A
  // resource that is gone is reported terminated. Errors: the engine or cluster
  // cannot be asked (the check retries at its next poll).
  virtual absl::StatusOr<std::vector<domain::ResourceObservation>> Observe(int64_t deploy_id) = 0;

  // Points every configured port forward at deployment `deploy_id`, starting
  // those not yet running. A forward keeps its local port across deployments and
  // never refuses a connection while it switches. Returns one PortEvent per
  // forward now pointing at `deploy_id`; forwards that cannot be set up are
  // logged and left out.
  virtual std::vector<domain::PortEvent> ForwardPorts(int64_t deploy_id) = 0;

  // ForwardPorts, passing each PortEvent to `on_event` (on the calling
  // thread) as soon as its forward points at `deploy_id`, so that a forward
  // still waiting for its app does not hold back the others'; returns when
  // every forward is done. By default, ForwardPorts' events once it returns.
  virtual void StreamPortForwards(int64_t deploy_id,
                                  const std::function<void(domain::PortEvent)>& on_event) {
    for (domain::PortEvent& e : ForwardPorts(deploy_id)) on_event(std::move(e));
  }

  // Removes deployment `deploy_id` (replaced, or failed half-way), leaving what a
  // later deployment carried over from it. OK if it is already gone.
  virtual absl::Status Stop(int64_t deploy_id) = 0;

  // Ends the run: closes the port forwards, stops following logs and, when
  // `remove`, removes everything that carries this run's id (also what an
  // interrupted Deploy left behind) and nothing else.
  virtual absl::Status Cleanup(bool remove) = 0;
};

// File sync into what runs. Paths are absolute: host files on this machine,
// destinations in the workload's filesystem.
struct SyncRequest {
  struct Copy {
    std::string host_path;
    std::string dest;
    bool operator==(const Copy&) const = default;
  };
  std::vector<Copy> copies;
  std::vector<std::string> deletes;
  // For sync hooks: the reference deployed, and the deleted files on this
  // machine (absolute; `deletes` holds where they were in the workload).
  std::string reference;
  std::vector<std::string> deleted_host_paths;
  bool operator==(const SyncRequest&) const = default;
};

class Syncer {
 public:
  virtual ~Syncer() = default;

  // Copies and deletes files in what runs artifact `image` in deployment
  // `deploy_id`. FailedPrecondition when nothing of it runs; Unimplemented when
  // the workload cannot delete files (the next change should rebuild instead).
  virtual absl::Status Sync(int64_t deploy_id, const std::string& image,
                            const SyncRequest& request) = 0;
};

// Runs commands in what runs an artifact: the `container` sync hooks.
class ContainerExec {
 public:
  virtual ~ContainerExec() = default;

  // Runs `command` in every running container of artifact `image` in
  // deployment `deploy_id`, one after another, passing each line it prints to
  // `on_output` (on the calling thread). FailedPrecondition when nothing of the
  // artifact runs; Aborted, naming the container, the exit code and the last
  // lines printed, when the command fails in one (the rest are not run).
  virtual absl::Status Exec(int64_t deploy_id, const std::string& image,
                            const std::vector<std::string>& command,
                            const std::function<void(absl::string_view line)>& on_output) = 0;
};

}  // namespace devloop::deploy

#endif  // DEVLOOP_INFRA_DEPLOY_DEPLOYER_H_
