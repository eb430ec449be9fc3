// The event hub: the dev loop's one event log, the State it folds into, and the
// subscribers that stream it. Both transports (infra/grpc, infra/http) read from here.
//
// One log. Every Record is appended (from any thread) to a domain::EventLog
// (domain/state/event_log.h): the records stay encoded in the domain's compact
// form (~80 bytes each) and are folded into the State by the domain reducer, so
// the State served here is the fold of the records streamed here, and a tool that
// links //domain/... alone replays the same records into the same State. Only
// LogEntry records are streamed; the others (PipelineStarted, TriggerChanged,
// PhasesReset) change the State but are not sent, as in Skaffold.
//
// Wire forms at the edge, encoded once. Subscribers read the log by index. A
// LogEntry is mapped to the two wire forms the transports send -- the JSON line
// `{"result":<LogEntry>}\n` and the protobuf bytes of proto.LogEntry -- when a
// subscriber first reads it, not when it is appended (a dev loop with no client
// encodes nothing), and outside the hub's lock. Subscribers racing for the same
// entry wait for the one that encodes it. The encoded Entry is kept in a window
// of `cache_entries` records that ends at the furthest record any subscriber has
// read, from which every subscriber that reads that index shares it
// (shared_ptr<const Entry>): fan-out copies pointers, never bytes, and each entry
// is encoded once however many subscribers read it, as long as they are within
// `cache_entries` records of the subscriber furthest ahead (however far all of
// them are behind the publisher). A subscriber further behind than that (one that
// subscribed late and replays the history, or a stalled one) gets such old
// entries encoded for it alone, so it never evicts what the subscribers ahead are
// about to read.
//
// Memory is bounded: the log (~80 bytes per record), plus the window (at most
// `cache_entries` entries, ~0.5 KB each for typical entries), plus the batches
// the transports hold while writing. The window also lets go of the entries every
// subscriber has read (checked once per 64 entries it takes in), so when the
// subscribers keep up it holds next to nothing; a subscriber that arrives later
// has them encoded again.
//
// Order. A new subscriber starts at index 0, so it gets the whole history and then
// live entries with no gap, no duplicate and no reordering: there is one log and
// one cursor per subscriber, not a replay buffer plus a live queue.
//
// Back-pressure. A subscriber holds a cursor and nothing else, so its memory does
// not grow however far it falls behind, and a slow subscriber never slows Append()
// or other subscribers (Append never waits for a reader, and never encodes for
// one). Nothing is ever dropped from a stream: a subscriber that is behind simply
// reads older entries later (re-encoded if they have left the window). The
// transports decide when a reader is stuck (no write progress for a stall timeout)
// and close that stream with an error; see infra/http and infra/grpc.
//
// Wake-ups. Read() returning kWait parks the subscriber; the next streamed Append
// (or Close) calls its on_ready callback once. Busy subscribers are not woken, so
// the cost of an Append is independent of the number of subscribers that are
// writing.
//
// Every record. A RecordReader (ReadRecords()) reads the whole log instead: the
// LogEntries and the control records the streams skip, including records
// appended after Close(), as domain Records, for a sink that keeps the log
// (the event-log file, event_log_file.h). It is woken as a subscriber is, by
// any Append.
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

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "api/skaffold.pb.h"
#include "domain/state/event_log.h"
#include "domain/state/state.h"
#include "infra/hub/stream.h"

namespace devloop::hub {

class Hub {
 public:
  // One streamed log entry in both wire forms (stream.h): its index counts
  // LogEntries only, from 0; json_line is {"result":<LogEntry>}\n, as
  // /v1/events sends it; proto_bytes is the serialized proto.LogEntry, as
  // Events sends it.
  using Entry = StreamEntry;
  using EntryPtr = StreamEntryPtr;

  // A consistent State snapshot and its wire forms, built once per State version.
  struct StateView {
    int64_t version = 0;  // number of records folded in
    domain::State state;
    proto::State message;
    std::string json;  // proto.State in the gateway's JSON format
  };

  using ReadResult = ::devloop::hub::ReadResult;

  struct Options {
    // The length, in records, of the window of encoded entries subscribers share
    // (it ends at the furthest record read). A subscriber further behind has
    // entries encoded for it alone.
    int64_t cache_entries = 16384;
  };

  class Subscriber final : public StreamSource, public std::enable_shared_from_this<Subscriber> {
   public:
    ~Subscriber() override;
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    // Appends up to `max_entries` entries from the cursor to `*out` and advances
    // the cursor past them. See ReadResult. Encodes the entries that are not
    // cached, outside the hub's lock.
    ReadResult Read(size_t max_entries, std::vector<EntryPtr>* out) override;

    // Stops on_ready calls: once Detach() returns, on_ready is not running and
    // will not run again. Called by the destructor; call it earlier when the
    // owner of the callback goes away before the subscriber does.
    // REQUIRES: not called from on_ready.
    void Detach() override;

    // The stream index (Entry::index) of the next entry this subscriber will read.
    int64_t cursor() const override;

   private:
    friend class Hub;
    Subscriber(Hub* hub, std::function<void()> on_ready)
        : hub_(hub), on_ready_(std::move(on_ready)) {}
    void Wake();

    Hub* const hub_;
    int64_t next_record_ ABSL_GUARDED_BY(hub_->mu_) = 0;  // index in the hub's EventLog
    bool parked_ ABSL_GUARDED_BY(hub_->mu_) = false;
    mutable absl::Mutex callback_mu_;
    std::function<void()> on_ready_ ABSL_GUARDED_BY(callback_mu_);
  };

  // Reads every record of the log in order, from the first; see "Every record"
  // above.
  class RecordReader : public std::enable_shared_from_this<RecordReader> {
   public:
    ~RecordReader();
    RecordReader(const RecordReader&) = delete;
    RecordReader& operator=(const RecordReader&) = delete;

    // Appends up to `max_records` records from the cursor to `*out`, advances
    // the cursor past them and returns how many. Returns 0 when the reader has
    // read every record so far; it is then parked, and on_ready is called once
    // when the next record is appended. Decodes the records under the hub's
    // lock (the log's compact form), so keep `max_records` modest.
    size_t Read(size_t max_records, std::vector<domain::Record>* out);

    // Stops on_ready calls, as Subscriber::Detach does.
    // REQUIRES: not called from on_ready.
    void Detach();

    // The log index of the next record this reader will read.
    int64_t cursor() const;

   private:
    friend class Hub;
    RecordReader(Hub* hub, std::function<void()> on_ready)
        : hub_(hub), on_ready_(std::move(on_ready)) {}
    void Wake();

    Hub* const hub_;
    int64_t next_record_ ABSL_GUARDED_BY(hub_->mu_) = 0;
    bool parked_ ABSL_GUARDED_BY(hub_->mu_) = false;
    mutable absl::Mutex callback_mu_;
    std::function<void()> on_ready_ ABSL_GUARDED_BY(callback_mu_);
  };

  Hub() : Hub(Options()) {}
  explicit Hub(Options options);
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Appends `record` to the log and folds it into the State; a LogEntry is also
  // streamed to subscribers. Records appended after Close() change the State but
  // are not streamed. Every record reaches the record readers.
  void Append(const domain::Record& record);

  // Returns the current State with its proto and JSON forms (cached per version).
  std::shared_ptr<const StateView> State() const;

  // The JSON of the State before any record: what a client that connects as
  // devloop starts is answered. Written out, so that answering needs no
  // descriptor pool (the JSON mapping is reflection's, and building
  // skaffold.proto's descriptors takes milliseconds); hub_test checks it
  // against the mapping.
  static constexpr absl::string_view kEmptyStateJson =
      R"({"buildState":{"artifacts":{},"autoTrigger":false,"statusCode":"OK"},)"
      R"("deployState":{"status":"","autoTrigger":false,"statusCode":"OK"},"forwardedPorts":{},)"
      R"("statusCheckState":{"status":"","resources":{},"statusCode":"OK"},)"
      R"("fileSyncState":{"status":"","autoTrigger":false},"debuggingContainers":[],)"
      R"("metadata":{"build":null,"deploy":null,"test":null,"additional":{}},)"
      R"("testState":{"status":"","statusCode":"OK"}})";

  // Returns a subscriber whose cursor is at the start of the log. `on_ready` is
  // called (from the appending thread) when a parked subscriber has something to
  // read; it must not block and must not call back into the hub under its own
  // locks -- post the read to the reader's executor instead. The hub must outlive
  // the subscriber.
  std::shared_ptr<Subscriber> Subscribe(std::function<void()> on_ready);

  // Returns a reader of every record, whose cursor is at the start of the log.
  // `on_ready` is called (from the appending thread) when the parked reader has
  // a record to read, under the same rules as Subscribe's. The hub must outlive
  // the reader.
  std::shared_ptr<RecordReader> ReadRecords(std::function<void()> on_ready);

  // Ends every stream: subscribers read what is left, then get kEnd. Idempotent.
  // Record readers are not ended: records appended later still reach them.
  void Close();

  bool closed() const;
  // Number of streamed entries so far.
  int64_t size() const;
  // Number of records in the log (streamed or not), i.e. the State's version.
  int64_t records() const;
  // How many times an entry was encoded to the wire forms so far: once per
  // streamed entry that was read in the window, plus once per read from behind it.
  int64_t entries_encoded() const { return entries_encoded_.load(std::memory_order_relaxed); }
  // How many encoded entries the shared window holds now (at most
  // Options::cache_entries): what the hub keeps besides the log, however far
  // behind any subscriber is.
  int64_t cached_entries() const;

 private:
  struct Cell;  // an Entry and what it is encoded from; see hub.cc

  // Returns the cell of the LogEntry at log index `record`, stream index `entry`:
  // from the window, or decoded from the log (and put in the window, moving it
  // forward if need be, unless the record is behind it).
  std::shared_ptr<Cell> CellFor(int64_t record, int64_t entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the window's cells before `record`.
  void TrimWindow(int64_t record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fills the cell's Entry unless another reader has. Called without mu_.
  void Encode(Cell* cell);
  // The log index the streams end at: the log's size, or its size at Close().
  int64_t StreamEnd() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unparks every parked subscriber and returns them, to Wake() once mu_ is
  // released (and to release, since a Subscriber's destructor takes mu_).
  std::vector<std::shared_ptr<Subscriber>> TakeParked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Wake(const std::vector<std::shared_ptr<Subscriber>>& subscribers);
  // The same for parked record readers.
  std::vector<std::shared_ptr<RecordReader>> TakeParkedReaders()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  domain::EventLog log_ ABSL_GUARDED_BY(mu_);
  // Log indices of the records that are not streamed (control records), in order;
  // few, so an entry's stream index is its log index minus those before it.
  std::vector<int64_t> unstreamed_ ABSL_GUARDED_BY(mu_);
  int64_t streamed_ ABSL_GUARDED_BY(mu_) = 0;
  // The window: cells of log indices [window_base_, window_base_ + size), null
  // where no subscriber has read the entry yet (or for a control record).
  std::deque<std::shared_ptr<Cell>> window_ ABSL_GUARDED_BY(mu_);
  int64_t window_base_ ABSL_GUARDED_BY(mu_) = 0;
  static constexpr int kTrimEvery = 64;  // cells put in the window between scans
  int64_t cells_since_trim_ ABSL_GUARDED_BY(mu_) = 0;
  // Every live subscriber, for the lowest cursor: the window need not go lower.
  absl::flat_hash_set<Subscriber*> subscribers_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> entries_encoded_{0};
  mutable std::shared_ptr<const StateView> view_ ABSL_GUARDED_BY(mu_);
  std::vector<std::weak_ptr<Subscriber>> parked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::weak_ptr<RecordReader>> parked_readers_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t closed_at_ ABSL_GUARDED_BY(mu_) = 0;  // log size at Close()
};

}  // namespace devloop::hub

#endif  // DEVLOOP_INFRA_HUB_HUB_H_
