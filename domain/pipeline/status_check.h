// The status check of one deployment: each deployed resource goes Pending ->
// Succeeded / Failed as observations arrive, and the whole check ends Failed as
// soon as one resource fails, Succeeded when all succeed, or Failed with
// STATUSCHECK_DEADLINE_EXCEEDED when the deadline passes first.
//
// The machine emits events, not log lines: a ResourceStatusCheckEvent only when
// a resource's status or message changes, exactly one final (Succeeded/Failed)
// event per resource, and one final StatusCheckEvent. When the check ends early
// (a failure, the deadline, a cancel) every resource still pending gets its
// final Failed event, so no resource is left hanging.
//
//   StatusCheck check({"container/web"}, now, StatusCheckOptions{});
//   std::vector<Event> out = check.Start();                     // statusCheckEvent In Progress
//   out = check.Observe(ResourceObservation{.resource = "container/web",
//                                           .ready_replicas = 1, .desired_replicas = 1}, now);
//   out = check.Tick(now);                                      // deadline reached?
//   if (check.done()) ... check.succeeded() ...
//
// Thread-compatible; deterministic (time comes in as values).
#ifndef DEVLOOP_DOMAIN_PIPELINE_STATUS_CHECK_H_
#define DEVLOOP_DOMAIN_PIPELINE_STATUS_CHECK_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/events/event.h"

namespace devloop::domain {

struct StatusCheckOptions {
  absl::Duration deadline = absl::Minutes(10);  // skaffold's statusCheckDeadlineSeconds
  int max_restarts = 3;  // a container restarted this often is crash-looping
};

enum class Health { kNone, kStarting, kHealthy, kUnhealthy };

// What the shell saw of one resource (a container or a Kubernetes workload).
struct ResourceObservation {
  std::string resource;  // "container/web", "deployment/web"
  int32_t ready_replicas = 0;
  int32_t desired_replicas = 1;
  std::string waiting_reason;     // "ContainerCreating", "ImagePullBackOff", ...
  std::string waiting_message;
  bool terminated = false;        // the container exited
  std::string terminated_reason;  // "Error", "Completed", "OOMKilled"
  int32_t exit_code = 0;
  int32_t restart_count = 0;
  Health health = Health::kNone;  // Docker HEALTHCHECK state, if any
  std::vector<std::string> last_log_lines;
  bool operator==(const ResourceObservation&) const = default;
};

enum class ResourceStatus { kPending, kSucceeded, kFailed };

// How one observation classifies: the status, message and code it implies.
struct Classification {
  ResourceStatus status = ResourceStatus::kPending;
  std::string message;
  StatusCode code = StatusCode::kOk;
  bool operator==(const Classification&) const = default;
};

// Returns what `obs` says about its resource.
Classification Classify(const ResourceObservation& obs, const StatusCheckOptions& options);

class StatusCheck {
 public:
  // REQUIRES: resource names are unique.
  StatusCheck(std::vector<std::string> resources, absl::Time started,
              StatusCheckOptions options);

  // Returns the opening events: StatusCheckEvent In Progress and each resource
  // Pending (or, with no resources, an immediate StatusCheckEvent Succeeded).
  std::vector<Event> Start();

  // Folds an observation; returns the events it causes. InvalidArgument for a
  // resource not in this check. Observations after the check ended are ignored.
  absl::StatusOr<std::vector<Event>> Observe(const ResourceObservation& obs, absl::Time now);

  // Returns the events of reaching `now`: the deadline failure, if due.
  std::vector<Event> Tick(absl::Time now);

  // Ends the check as Failed, STATUSCHECK_USER_CANCELLED (shutdown, redeploy).
  std::vector<Event> Cancel(absl::string_view why);

  bool done() const { return done_; }
  bool succeeded() const { return done_ && succeeded_; }
  absl::Time deadline() const { return deadline_; }
  const std::map<std::string, ResourceStatus>& resources() const { return status_; }

 private:
  std::vector<Event> FailRest(StatusCode code, absl::string_view why, absl::string_view message);
  void MaybeFinish(std::vector<Event>* out);

  std::vector<std::string> order_;
  std::map<std::string, ResourceStatus> status_;
  std::map<std::string, std::string> message_;
  absl::Time deadline_;
  StatusCheckOptions options_;
  bool started_ = false;
  bool done_ = false;
  bool succeeded_ = false;
};

std::string ResourceStatusName(ResourceStatus s);
std::ostream& operator<<(std::ostream& os, ResourceStatus s);
std::ostream& operator<<(std::ostream& os, const Classification& c);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_STATUS_CHECK_H_
