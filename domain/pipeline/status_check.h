// The status check of one deployment: each deployed resource goes Pending ->
// Succeeded / Failed as observations arrive, and the whole check ends Failed as
// soon as one resource fails, Succeeded when all succeed, or Failed with
// STATUSCHECK_DEADLINE_EXCEEDED when the deadline passes first.
//
// A resource succeeds only once it has stayed ready for its stability window
// (StatusCheckOptions::stability_window, or the resource's own minReadySeconds):
// its first ready observation at t starts the window, and a later ready
// observation at t + window or after ends it. A container that starts and then
// exits or restarts within the window fails the check, with its exit code and
// last log lines, instead of passing. An observation that is not ready restarts
// the window. Success needs that later observation: the shell observes every
// resource until the check ends (about every 0.5 s), so no timer is needed.
//
// The machine emits events with their log lines, not log records: a
// ResourceStatusCheckEvent only when a resource's status or message changes,
// exactly one final (Succeeded/Failed) event per resource, and one final
// StatusCheckEvent. When the check ends early (a failure, the deadline, a
// cancel) every resource still pending gets its final Failed event, so no
// resource is left hanging.
//
//   StatusCheck check({"container/web"}, now, StatusCheckOptions{});
//   std::vector<CheckEvent> out = check.Start();      // statusCheckEvent In Progress
//   out = *check.Observe({.resource = "container/web", .ready_replicas = 1}, now);
//   out = *check.Observe({.resource = "container/web", .ready_replicas = 1},
//                        now + absl::Seconds(1));    // stayed up: Succeeded
//   out = check.Tick(now);                            // deadline reached?
//   if (check.done()) ... check.succeeded() ... check.failure() ...
//
// Thread-compatible; deterministic (time comes in as values).
#ifndef DEVLOOP_DOMAIN_PIPELINE_STATUS_CHECK_H_
#define DEVLOOP_DOMAIN_PIPELINE_STATUS_CHECK_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/events/event.h"

namespace devloop::domain {

struct StatusCheckOptions {
  absl::Duration deadline = absl::Minutes(10);  // skaffold's statusCheckDeadlineSeconds
  int max_restarts = 3;                         // a container restarted this often is crash-looping
  // How long a resource must stay ready before it counts as up.
  absl::Duration stability_window = absl::Seconds(1);
  bool operator==(const StatusCheckOptions&) const = default;
};

enum class Health { kNone, kStarting, kHealthy, kUnhealthy };

// What the shell saw of one resource (a container or a Kubernetes workload).
struct ResourceObservation {
  std::string resource;  // "container/web", "deployment/web"
  int32_t ready_replicas = 0;
  int32_t desired_replicas = 1;
  // A container's waiting reason ("ContainerCreating", "ImagePullBackOff", ...),
  // or what a Kubernetes workload waits on: "Unschedulable" (the scheduler's
  // message), "Unhealthy" (a probe's event) or "ProgressDeadlineExceeded".
  std::string waiting_reason;
  std::string waiting_message;
  bool terminated = false;        // the container exited
  std::string terminated_reason;  // "Error", "Completed", "OOMKilled"
  int32_t exit_code = 0;          // of the exit, or of the last one before a restart
  int32_t restart_count = 0;
  Health health = Health::kNone;  // Docker HEALTHCHECK state, if any
  // The resource's last few log lines, oldest first; the shell fills them when
  // the container terminated or restarts.
  std::vector<std::string> last_log_lines;
  // Kubernetes minReadySeconds of the resource; when > 0 it replaces the
  // stability window for this resource.
  absl::Duration min_ready = absl::ZeroDuration();
  bool operator==(const ResourceObservation&) const = default;
};

enum class ResourceStatus { kPending, kSucceeded, kFailed };

// How one observation classifies on its own: the status, message and code it
// implies. (Ready classifies as Succeeded; StatusCheck adds the window.)
struct Classification {
  ResourceStatus status = ResourceStatus::kPending;
  std::string message;
  StatusCode code = StatusCode::kOk;
  bool operator==(const Classification&) const = default;
};

// Returns what `obs` says about its resource.
Classification Classify(const ResourceObservation& obs, const StatusCheckOptions& options);

// One event of the check with the log line that describes it.
struct CheckEvent {
  Event event;
  std::string entry;  // "Resource container/web status updated to Succeeded: ready"
  bool operator==(const CheckEvent&) const = default;
};

class StatusCheck {
 public:
  // A resource named twice is checked once.
  StatusCheck(std::vector<std::string> resources, absl::Time started, StatusCheckOptions options);

  // Returns the opening events: StatusCheckEvent In Progress and each resource
  // Pending (or, with no resources, an immediate StatusCheckEvent Succeeded).
  std::vector<CheckEvent> Start();

  // Folds an observation; returns the events it causes. InvalidArgument (and
  // nothing changes) for a resource not in this check. Observations before
  // Start or after the check ended are ignored; one at or past the deadline
  // ends the check as Tick would.
  absl::StatusOr<std::vector<CheckEvent>> Observe(const ResourceObservation& obs, absl::Time now);

  // Returns the events of reaching `now`: the deadline failure, if due.
  std::vector<CheckEvent> Tick(absl::Time now);

  // Ends the check as Failed, STATUSCHECK_USER_CANCELLED (shutdown, redeploy).
  std::vector<CheckEvent> Cancel(absl::string_view why);

  bool done() const { return done_; }
  bool succeeded() const { return done_ && !failure_.has_value(); }
  // What ended the check, once it failed.
  const std::optional<ActionableErr>& failure() const { return failure_; }
  absl::Time deadline() const { return deadline_; }
  // Returns the status of `resource` (Failed for one not in the check).
  ResourceStatus status(const std::string& resource) const;
  // Why `resource` has its status now (also while Pending, which sends no event
  // when only the reason changes); "" for an unknown resource.
  std::string message(const std::string& resource) const;

  bool operator==(const StatusCheck&) const = default;

 private:
  struct Resource {
    ResourceStatus status = ResourceStatus::kPending;
    std::string message;
    bool reported = false;                  // an event for it was sent
    std::optional<absl::Time> ready_since;  // start of the current ready streak
    absl::Duration window;                  // that streak's stability window
    int32_t restarts_when_ready = 0;
    bool operator==(const Resource&) const = default;
  };

  // Returns what `obs` at `now` means for `r`, with the window applied;
  // updates r's ready streak.
  Classification Judge(Resource& r, const ResourceObservation& obs, absl::Time now) const;
  std::vector<CheckEvent> FailRest(StatusCode code, absl::string_view why,
                                   absl::string_view message);
  void MaybeFinish(std::vector<CheckEvent>* out);

  std::vector<std::string> order_;
  std::map<std::string, Resource> resources_;
  absl::Time deadline_;
  StatusCheckOptions options_;
  bool started_ = false;
  bool done_ = false;
  std::optional<ActionableErr> failure_;
};

std::string ResourceStatusName(ResourceStatus s);
std::ostream& operator<<(std::ostream& os, ResourceStatus s);
std::ostream& operator<<(std::ostream& os, const Classification& c);
// Prints the fields that are set: {deployment/web 1/2 ready waiting "..." ...}.
std::ostream& operator<<(std::ostream& os, Health h);
std::ostream& operator<<(std::ostream& os, const ResourceObservation& o);
std::ostream& operator<<(std::ostream& os, const CheckEvent& e);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_STATUS_CHECK_H_
