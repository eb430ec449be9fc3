// The event hub: the one log of a dev loop, its folded State, and the subscribers
// that stream it. Both transports (infra/grpc, infra/http) read from here.
//
// Every Record is appended here (from any thread). A LogEntry record is serialized
// once, at append time, into the two wire forms the transports send -- the JSON
// line `{"result":<LogEntry>}\n` and the protobuf bytes of proto.LogEntry -- and
// shared (shared_ptr<const Entry>) by every subscriber: fan-out copies pointers,
// never bytes. Other records (PipelineStarted, TriggerChanged, PhasesReset) change
// the State but are not streamed, as in Skaffold.
//
// Subscribers read the shared log through a cursor. A new subscriber starts at
// index 0, so it gets the whole history and then live entries with no gap, no
// duplicate and no reordering: there is one log and one cursor, not a replay
// buffer plus a live queue.
//
// Back-pressure. A subscriber holds a cursor and nothing else, so its memory does
// not grow however far it falls behind, and a slow subscriber never slows Append()
// or other subscribers (Append never waits for a reader). Nothing is ever dropped
// from a stream: a subscriber that is behind simply reads older entries later. The
// transports decide when a reader is stuck (no write progress for a stall timeout)
// and close that stream with an error; see infra/http and infra/grpc.
//
// Wake-ups. Read() returning kWait parks the subscriber; the next Append (or
// Close) calls its on_ready callback once. Busy subscribers are not woken, so the
// cost of an Append is independent of the number of subscribers that are writing.
//
//   Hub hub;
//   hub.Append(domain::PipelineStarted{});
//   auto sub = hub.Subscribe([&] { executor.Post(read_more); });
//   std::vector<Hub::EntryPtr> batch;
//   while (sub->Read(256, &batch) == Hub::ReadResult::kData) Send(batch);
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_HUB_HUB_H_
#define DEVLOOP_INFRA_HUB_HUB_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "api/skaffold.pb.h"
#include "domain/state/state.h"

namespace devloop::hub {

class Hub {
 public:
  // One streamed log entry in both wire forms. Immutable once published.
  struct Entry {
    int64_t index = 0;        // position in the stream, from 0
    std::string json_line;    // {"result":<LogEntry>}\n, as /v1/events sends it
    std::string proto_bytes;  // serialized proto.LogEntry, as Events sends it
  };
  using EntryPtr = std::shared_ptr<const Entry>;

  // A consistent State snapshot and its wire forms, built once per State version.
  struct StateView {
    int64_t version = 0;  // number of records folded in
    domain::State state;
    proto::State message;
    std::string json;  // proto.State in the gateway's JSON format
  };

  enum class ReadResult {
    kData,  // entries were appended to *out
    kWait,  // nothing new; on_ready will be called once when there is
    kEnd,   // the hub is closed and this subscriber has read everything
  };

  class Subscriber : public std::enable_shared_from_this<Subscriber> {
   public:
    ~Subscriber();
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    // Appends up to `max_entries` entries from the cursor to `*out` and advances
    // the cursor past them. See ReadResult.
    ReadResult Read(size_t max_entries, std::vector<EntryPtr>* out);

    // Stops on_ready calls: once Detach() returns, on_ready is not running and
    // will not run again. Called by the destructor; call it earlier when the
    // owner of the callback goes away before the subscriber does.
    // REQUIRES: not called from on_ready.
    void Detach();

    // The index of the next entry this subscriber will read.
    int64_t cursor() const;

   private:
    friend class Hub;
    Subscriber(Hub* hub, std::function<void()> on_ready)
        : hub_(hub), on_ready_(std::move(on_ready)) {}
    void Wake();

    Hub* const hub_;
    int64_t cursor_ ABSL_GUARDED_BY(hub_->mu_) = 0;
    bool parked_ ABSL_GUARDED_BY(hub_->mu_) = false;
    mutable absl::Mutex callback_mu_;
    std::function<void()> on_ready_ ABSL_GUARDED_BY(callback_mu_);
  };

  Hub() = default;
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Folds `record` into the State; a LogEntry is also streamed to subscribers.
  // Records appended after Close() change the State but are not streamed.
  void Append(domain::Record record);

  // Returns the current State with its proto and JSON forms (cached per version).
  std::shared_ptr<const StateView> State() const;

  // Returns a subscriber whose cursor is at the start of the log. `on_ready` is
  // called (from the appending thread) when a parked subscriber has something to
  // read; it must not block and must not call back into the hub under its own
  // locks -- post the read to the reader's executor instead. The hub must outlive
  // the subscriber.
  std::shared_ptr<Subscriber> Subscribe(std::function<void()> on_ready);

  // Ends every stream: subscribers read what is left, then get kEnd. Idempotent.
  void Close();

  bool closed() const;
  // Number of streamed entries so far.
  int64_t size() const;

 private:
  mutable absl::Mutex mu_;
  std::deque<EntryPtr> entries_ ABSL_GUARDED_BY(mu_);
  domain::State state_ ABSL_GUARDED_BY(mu_);
  int64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  mutable std::shared_ptr<const StateView> view_ ABSL_GUARDED_BY(mu_);
  std::vector<std::weak_ptr<Subscriber>> parked_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace devloop::hub

#endif  // DEVLOOP_INFRA_HUB_HUB_H_
