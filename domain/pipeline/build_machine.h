// The build of one artifact, and the order artifacts build in.
//
// ArtifactBuild: Not Started -> In Progress -> Complete / Failed, and again. A
// change that arrives while a build runs is queued, not lost: the artifact stays
// dirty, and exactly one rebuild follows however many changes arrived. A
// cancelled build ends Failed with BUILD_CANCELLED. The newest successful tag is
// kept apart from the status, so a failed rebuild never loses the last good image.
//
//   ArtifactBuild b("web");
//   b.MarkChanged();
//   DEVLOOP_RETURN_IF_ERROR(b.Start());
//   b.MarkChanged();                        // queued: b.dirty() stays true
//   DEVLOOP_RETURN_IF_ERROR(b.Complete("web:abc"));
//   b.dirty();                              // true: one rebuild is due
//
// BuildGraph orders artifacts by `requires` (those an artifact is built FROM
// come first) and finds what a change makes stale.
//
// Thread-compatible.
#ifndef DEVLOOP_DOMAIN_PIPELINE_BUILD_MACHINE_H_
#define DEVLOOP_DOMAIN_PIPELINE_BUILD_MACHINE_H_

#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/events/event.h"
#include "domain/pipeline/spec.h"

namespace devloop::domain {

enum class BuildStatus { kNotStarted, kInProgress, kComplete, kFailed };

class ArtifactBuild {
 public:
  explicit ArtifactBuild(std::string image) : image_(std::move(image)) {}

  // Records that the artifact's sources changed (or a dependency was rebuilt).
  void MarkChanged() { dirty_ = true; }

  // Not Started/Complete/Failed -> In Progress; the pending change is taken
  // into this build. FailedPrecondition while a build runs.
  absl::Status Start();

  // In Progress -> Complete with `tag` as the newest image.
  absl::Status Complete(std::string tag);

  // In Progress -> Failed with `code`; the artifact still needs a build.
  absl::Status Fail(StatusCode code, std::string message);

  // In Progress -> Failed with BUILD_CANCELLED.
  absl::Status Cancel();

  // Leaves the pending change unbuilt because a dependency failed: the artifact
  // is stale (an intent or the next change rebuilds it) but not dirty, so a
  // failing dependency does not start builds in a loop.
  void Block() {
    dirty_ = false;
    stale_ = true;
  }

  // Back to Not Started (an Execute intent resets the phase), unless running.
  void Reset();

  const std::string& image() const { return image_; }
  BuildStatus status() const { return status_; }
  // Changes not yet taken into a build.
  bool dirty() const { return dirty_; }
  // No image matches the sources: the last build failed or was cancelled.
  bool stale() const { return stale_; }
  // The newest image built successfully; "" before the first.
  const std::string& tag() const { return tag_; }
  StatusCode error_code() const { return error_code_; }
  const std::string& error_message() const { return error_message_; }

  bool operator==(const ArtifactBuild&) const = default;

 private:
  absl::Status RequireInProgress(absl::string_view what) const;

  std::string image_;
  BuildStatus status_ = BuildStatus::kNotStarted;
  bool dirty_ = false;
  bool stale_ = true;  // nothing built yet
  std::string tag_;
  StatusCode error_code_ = StatusCode::kOk;
  std::string error_message_;
};

class BuildGraph {
 public:
  // Checks that every `requires` names a known artifact and that there is no
  // cycle; InvalidArgument naming the artifacts otherwise.
  static absl::StatusOr<BuildGraph> Make(const std::vector<ArtifactSpec>& artifacts);

  // Every artifact, dependencies before dependents (ties in declaration order).
  const std::vector<std::string>& order() const { return order_; }

  // Returns `images` plus every artifact that requires one of them, directly or not.
  std::set<std::string> WithDependents(const std::set<std::string>& images) const;

  // Returns the members of `batch` whose requirements inside `batch` are all in
  // `done`, in build order: what may build now.
  std::vector<std::string> Ready(const std::set<std::string>& batch,
                                 const std::set<std::string>& done) const;

  const std::vector<std::string>& Requirements(const std::string& image) const;

  bool operator==(const BuildGraph&) const = default;

 private:
  std::vector<std::string> order_;
  std::map<std::string, std::vector<std::string>> required_;
};

std::string BuildStatusName(BuildStatus s);
std::ostream& operator<<(std::ostream& os, BuildStatus s);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_BUILD_MACHINE_H_
