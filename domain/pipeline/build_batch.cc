#include "domain/pipeline/build_batch.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace devloop::domain {

BuildBatch::Progress BuildBatch::Start(std::set<std::string> members, const BuildGraph& graph) {
  if (state_ != State::kIdle) return Progress{};
  if (members.empty()) return Progress{{}, Outcome::kCompleted, {}};
  state_ = State::kRunning;
  members_ = std::move(members);
  done_.clear();
  failed_.clear();
  in_flight_.clear();
  return Next(&graph);
}

absl::Status BuildBatch::CheckResult(const std::string& image) const {
  if (in_flight_.count(image) > 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("build result for artifact ", image, ", which is not building"));
}

BuildBatch::Progress BuildBatch::Complete(const std::string& image, const BuildGraph& graph) {
  if (in_flight_.erase(image) == 0) return Progress{};
  done_.insert(image);
  return Next(&graph);
}

BuildBatch::Progress BuildBatch::Fail(const std::string& image) {
  if (in_flight_.erase(image) == 0) return Progress{};
  failed_.insert(image);
  state_ = State::kFailing;
  return Next(nullptr);
}

std::vector<std::string> BuildBatch::Cancel() {
  std::vector<std::string> cancelled(in_flight_.begin(), in_flight_.end());
  *this = BuildBatch();
  return cancelled;
}

BuildBatch::Progress BuildBatch::Next(const BuildGraph* graph) {
  Progress p;
  if (state_ == State::kRunning && graph != nullptr) {
    for (const std::string& image : graph->Ready(members_, done_)) {
      if (in_flight_.insert(image).second) p.start.push_back(image);
    }
  }
  if (!in_flight_.empty()) return p;
  // Nothing in flight and nothing startable: the batch is over.
  p.outcome = state_ == State::kFailing ? Outcome::kFailed : Outcome::kCompleted;
  if (p.outcome == Outcome::kFailed) {
    for (const std::string& image : members_) {
      if (done_.count(image) == 0 && failed_.count(image) == 0) p.blocked.push_back(image);
    }
  }
  *this = BuildBatch();
  return p;
}

std::ostream& operator<<(std::ostream& os, BuildBatch::State s) {
  switch (s) {
    case BuildBatch::State::kIdle:
      return os << "idle";
    case BuildBatch::State::kRunning:
      return os << "running";
    case BuildBatch::State::kFailing:
      return os << "failing";
  }
  return os << "State(" << static_cast<int>(s) << ")";
}

std::ostream& operator<<(std::ostream& os, BuildBatch::Outcome o) {
  switch (o) {
    case BuildBatch::Outcome::kRunning:
      return os << "running";
    case BuildBatch::Outcome::kCompleted:
      return os << "completed";
    case BuildBatch::Outcome::kFailed:
      return os << "failed";
  }
  return os << "Outcome(" << static_cast<int>(o) << ")";
}

std::ostream& operator<<(std::ostream& os, const BuildBatch::Progress& p) {
  return os << "Progress{start=[" << absl::StrJoin(p.start, " ") << "] " << p.outcome
            << " blocked=[" << absl::StrJoin(p.blocked, " ") << "]}";
}

}  // namespace devloop::domain
