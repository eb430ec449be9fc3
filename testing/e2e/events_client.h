// Follows a dev loop through the Skaffold v1 gRPC API, as an IDE does: streams
// Events (replayed from the start, then live) into a list a test can wait on,
// and calls GetState and the control RPCs.
//
//   absl::StatusOr<std::unique_ptr<EventsClient>> c =
//       EventsClient::Connect("127.0.0.1:50051", absl::Seconds(5));
//   absl::StatusOr<proto::LogEntry> built = (*c)->WaitFor(
//       [](const proto::LogEntry& e) {
//         return e.event().has_buildevent() && e.event().buildevent().status() == "Complete";
//       },
//       absl::Seconds(30));
//
// Thread-safe: the stream is read on a thread the client owns.
#ifndef DEVLOOP_TESTING_E2E_EVENTS_CLIENT_H_
#define DEVLOOP_TESTING_E2E_EVENTS_CLIENT_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/skaffold.grpc.pb.h"
#include "api/skaffold.pb.h"
#include "grpcpp/grpcpp.h"

namespace devloop::e2e {

class EventsClient {
 public:
  using Predicate = std::function<bool(const proto::LogEntry&)>;

  // Connects to `target` ("127.0.0.1:PORT"), waiting up to `timeout` for the
  // server, and starts following Events. Returns Unavailable if it never answers.
  static absl::StatusOr<std::unique_ptr<EventsClient>> Connect(const std::string& target,
                                                               absl::Duration timeout);

  // Cancels the stream and joins the reader.
  ~EventsClient();

  EventsClient(const EventsClient&) = delete;
  EventsClient& operator=(const EventsClient&) = delete;

  // Returns every entry received so far, in order.
  std::vector<proto::LogEntry> Entries() const;

  // Returns the first entry at index >= `from` that satisfies `match`, waiting
  // for it up to `timeout`; sets *index to its position if `index` is given.
  // DeadlineExceeded (listing what did arrive) if none came; Unavailable if the
  // stream ended first.
  absl::StatusOr<proto::LogEntry> WaitFor(const Predicate& match, absl::Duration timeout,
                                          size_t from = 0, size_t* index = nullptr) const;

  // Returns how many entries have arrived.
  size_t size() const;

  // The stream's final status once it ended (OK while it is still open).
  absl::Status stream_status() const;

  // Unary calls, each with `timeout` as its deadline.
  absl::StatusOr<proto::State> GetState(absl::Duration timeout = absl::Seconds(5));
  absl::Status Execute(const proto::UserIntentRequest& request,
                       absl::Duration timeout = absl::Seconds(5));
  absl::Status AutoBuild(bool enabled, absl::Duration timeout = absl::Seconds(5));
  absl::Status AutoSync(bool enabled, absl::Duration timeout = absl::Seconds(5));
  absl::Status AutoDeploy(bool enabled, absl::Duration timeout = absl::Seconds(5));

 private:
  explicit EventsClient(std::shared_ptr<grpc::Channel> channel);
  void Read();

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::SkaffoldService::Stub> stub_;
  grpc::ClientContext stream_context_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::vector<proto::LogEntry> entries_;  // guarded by mu_
  bool ended_ = false;                    // guarded by mu_
  absl::Status stream_status_;            // guarded by mu_
  std::thread reader_;
};

// Predicates for WaitFor, matching the contract's status strings.
EventsClient::Predicate IsBuildEvent(const std::string& artifact, const std::string& status);
EventsClient::Predicate IsDeployEvent(const std::string& status);
EventsClient::Predicate IsFileSyncEvent(const std::string& status);
EventsClient::Predicate IsDevLoopEvent(int iteration, const std::string& status);

// Returns "kind status" per entry ("buildEvent Complete"), for messages and for
// comparing a sequence against the contract.
std::vector<std::string> Summaries(const std::vector<proto::LogEntry>& entries);

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_EVENTS_CLIENT_H_
