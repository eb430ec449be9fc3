// The deploy phase: Not Started -> In Progress -> Complete / Failed. It deploys
// only images whose builds completed, never while a build runs, and remembers
// what is deployed so a failed deploy leaves the last good deployment in place
// and a deploy is due only when a newer build exists.
//
//   DeployMachine deploy;
//   DEVLOOP_ASSIGN_OR_RETURN(int64_t id, deploy.Start({{"web", "web:abc"}}, /*build_running=*/false));
//   DEVLOOP_RETURN_IF_ERROR(deploy.Complete(id));
//   deploy.Due({{"web", "web:abc"}});  // false: that is what runs
//
// Thread-compatible.
#ifndef DEVLOOP_DOMAIN_PIPELINE_DEPLOY_MACHINE_H_
#define DEVLOOP_DOMAIN_PIPELINE_DEPLOY_MACHINE_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/events/event.h"

namespace devloop::domain {

enum class DeployStatus { kNotStarted, kInProgress, kComplete, kFailed };

// image -> tag of the image to run.
using ImageTags = std::map<std::string, std::string>;

class DeployMachine {
 public:
  // Starts deploying `images` and returns the new deployment's id (from 1).
  // FailedPrecondition while a deploy or a build runs, or if an image has no
  // built tag.
  absl::StatusOr<int64_t> Start(const ImageTags& images, bool build_running);

  // In Progress -> Complete; `id` must be the running deploy's.
  absl::Status Complete(int64_t id);

  // In Progress -> Failed; the previous deployment stays the live one.
  absl::Status Fail(int64_t id, StatusCode code);

  // Back to Not Started (an Execute intent), unless running.
  void Reset();

  // Returns whether deploying `newest` would change what runs: it differs from
  // the live deployment and from the last attempt that failed (so a failing
  // deploy is not retried in a loop; a newer build or an intent retries it).
  bool Due(const ImageTags& newest) const;

  // Forgets the failed attempt, so Due() retries it (a deploy intent).
  void ForgetFailure() { failed_images_.clear(); }

  DeployStatus status() const { return status_; }
  int64_t running_id() const { return status_ == DeployStatus::kInProgress ? current_id_ : 0; }
  // The live deployment: its id (0: none) and images.
  int64_t live_id() const { return live_id_; }
  const ImageTags& live_images() const { return live_images_; }
  StatusCode error_code() const { return error_code_; }

  bool operator==(const DeployMachine&) const = default;

 private:
  absl::Status RequireRunning(int64_t id, absl::string_view what) const;

  DeployStatus status_ = DeployStatus::kNotStarted;
  int64_t next_id_ = 1;
  int64_t current_id_ = 0;
  ImageTags current_images_;
  int64_t live_id_ = 0;
  ImageTags live_images_;
  ImageTags failed_images_;
  StatusCode error_code_ = StatusCode::kOk;
};

std::string DeployStatusName(DeployStatus s);
std::ostream& operator<<(std::ostream& os, DeployStatus s);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_DEPLOY_MACHINE_H_
