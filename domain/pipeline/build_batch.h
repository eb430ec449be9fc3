// The batch of builds one iteration runs: the artifacts that changed and every
// artifact that requires them, each started once the members it requires have
// completed. The batch ends when its last build in flight reports: completed
// if every member completed, failed as soon as one fails (members not started
// then never start, and are reported as blocked; builds in flight run to their
// result).
//
//   Idle --Start--> Running --(last member completes)--> Idle, kCompleted
//                      \--Fail--> Failing --(last in flight reports)--> Idle, kFailed
//
//   BuildBatch batch;
//   BuildBatch::Progress p = batch.Start(graph.WithDependents({"base"}), graph);
//   // p.start == {"base"}: build it
//   DEVLOOP_RETURN_IF_ERROR(batch.CheckResult("base"));
//   p = batch.Complete("base", graph);  // p.start == {"app"}: base's dependent
//
// Thread-compatible.
#ifndef DEVLOOP_DOMAIN_PIPELINE_BUILD_BATCH_H_
#define DEVLOOP_DOMAIN_PIPELINE_BUILD_BATCH_H_

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "domain/pipeline/build_machine.h"

namespace devloop::domain {

class BuildBatch {
 public:
  enum class State { kIdle, kRunning, kFailing };
  enum class Outcome { kRunning, kCompleted, kFailed };

  // What a step of the batch leads to.
  struct Progress {
    std::vector<std::string> start;  // build these now, in build order
    Outcome outcome = Outcome::kRunning;
    std::vector<std::string> blocked;  // when failed: members that never started
    bool operator==(const Progress&) const = default;
  };

  // Idle -> Running with `members`; returns the members to build now (those
  // whose requirements are not in the batch). Ignored unless idle; an empty
  // batch completes at once.
  Progress Start(std::set<std::string> members, const BuildGraph& graph);

  // OK if a result for `image` fits: FailedPrecondition unless it builds now.
  absl::Status CheckResult(const std::string& image) const;

  // `image` completed: returns the members that may build now, or the end of
  // the batch. Ignored unless CheckResult(image) is OK.
  Progress Complete(const std::string& image, const BuildGraph& graph);

  // `image` failed: no member starts any more; the batch ends with the last
  // build in flight. Ignored unless CheckResult(image) is OK.
  Progress Fail(const std::string& image);

  // Ends the batch at once (shutdown): returns the builds in flight to cancel.
  std::vector<std::string> Cancel();

  State state() const { return state_; }
  bool running() const { return state_ != State::kIdle; }
  const std::set<std::string>& in_flight() const { return in_flight_; }

  bool operator==(const BuildBatch&) const = default;

 private:
  // The progress after a result: more to build, or the end of the batch.
  Progress Next(const BuildGraph* graph);

  State state_ = State::kIdle;
  std::set<std::string> members_;
  std::set<std::string> done_;
  std::set<std::string> failed_;
  std::set<std::string> in_flight_;
};

std::ostream& operator<<(std::ostream& os, BuildBatch::State s);
std::ostream& operator<<(std::ostream& os, BuildBatch::Outcome o);
std::ostream& operator<<(std::ostream& os, const BuildBatch::Progress& p);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_BUILD_BATCH_H_
