#include "infra/hub/hub.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include "api/json.h"
#include "infra/apimap/apimap.h"
#include "infra/apimap/record_line.h"

namespace devloop::hub {

// A streamed entry and what it is encoded from. The first reader of an index that
// is not in the window decodes the record from the log (under the hub's lock)
// into a new cell and puts it in the window; the first reader to call Encode on the cell fills its
// Entry while any other reader of the cell waits for it (on the cell's state, not the hub's lock);
// every reader hands the cell out as its Entry.
//
// The state is a hand-rolled once-flag: a per-cell absl::Mutex costs more than
// the rest of a read in Debian's Abseil (which tracks every Mutex for deadlock
// detection), and std::call_once makes a futex syscall every time it runs.
struct Hub::Cell : Entry {
  enum Encoding : int { kNew, kEncoding, kEncodingWithWaiters, kReady };
  std::atomic<int> state{kNew};
  // Set before the cell is shared; dropped once encoded. Held by pointer so that a
  // cached cell is the Entry and a few words, not the Entry and a dead LogEntry.
  std::unique_ptr<domain::LogEntry> record;
};

namespace {

void EncodeEntry(const domain::LogEntry& log_entry, Hub::Entry* entry) {
  const proto::LogEntry message = apimap::ToProto(log_entry);
  entry->json_line.reserve(256);
  apimap::AppendEventsLine(message, &entry->json_line);
  message.SerializeToString(&entry->proto_bytes);
}

}  // namespace

Hub::Subscriber::~Subscriber() {
  Detach();
  absl::MutexLock lock(&hub_->mu_);
  hub_->subscribers_.erase(this);
}

void Hub::Subscriber::Detach() {
  absl::MutexLock lock(&callback_mu_);
  on_ready_ = nullptr;
}

void Hub::Subscriber::Wake() {
  absl::MutexLock lock(&callback_mu_);
  if (on_ready_) on_ready_();
}

int64_t Hub::Subscriber::cursor() const {
  absl::MutexLock lock(&hub_->mu_);
  const auto& skipped = hub_->unstreamed_;
  return next_record_ -
         (std::lower_bound(skipped.begin(), skipped.end(), next_record_) - skipped.begin());
}

Hub::ReadResult Hub::Subscriber::Read(size_t max_entries, std::vector<EntryPtr>* out) {
  const size_t first = out->size();
  {
    absl::MutexLock lock(&hub_->mu_);
    const int64_t end = hub_->StreamEnd();
    const std::vector<int64_t>& skipped = hub_->unstreamed_;
    auto next_skipped = std::lower_bound(skipped.begin(), skipped.end(), next_record_);
    size_t taken = 0;
    while (next_record_ < end && taken < max_entries) {
      if (next_skipped != skipped.end() && *next_skipped == next_record_) {
        ++next_skipped;
        ++next_record_;
        continue;
      }
      const int64_t entry_index = next_record_ - (next_skipped - skipped.begin());
      out->push_back(hub_->CellFor(next_record_, entry_index));
      ++next_record_;
      ++taken;
    }
    if (taken == 0) {
      if (hub_->closed_ && next_record_ >= end) return ReadResult::kEnd;
      if (!parked_) {
        parked_ = true;
        hub_->parked_.push_back(weak_from_this());
      }
      return ReadResult::kWait;
    }
  }
  // Every entry handed out above is a Cell (CellFor made it); fill the ones no
  // reader has yet, before this reader or any other looks at their bytes.
  for (size_t i = first; i < out->size(); ++i) {
    hub_->Encode(const_cast<Cell*>(static_cast<const Cell*>((*out)[i].get())));
  }
  return ReadResult::kData;
}

Hub::RecordReader::~RecordReader() { Detach(); }

void Hub::RecordReader::Detach() {
  absl::MutexLock lock(&callback_mu_);
  on_ready_ = nullptr;
}

void Hub::RecordReader::Wake() {
  absl::MutexLock lock(&callback_mu_);
  if (on_ready_) on_ready_();
}

int64_t Hub::RecordReader::cursor() const {
  absl::MutexLock lock(&hub_->mu_);
  return next_record_;
}

size_t Hub::RecordReader::Read(size_t max_records, std::vector<domain::Record>* out) {
  absl::MutexLock lock(&hub_->mu_);
  size_t taken = 0;
  for (; taken < max_records && next_record_ < hub_->log_.size(); ++taken) {
    // The log decodes what it encoded, and the index is below its size.
    absl::StatusOr<domain::Record> record = hub_->log_.At(next_record_++);
    if (record.ok()) out->push_back(*std::move(record));
  }
  if (taken == 0 && !parked_) {
    parked_ = true;
    hub_->parked_readers_.push_back(weak_from_this());
  }
  return taken;
}

Hub::Hub(Options options) : options_(std::move(options)) {}

std::shared_ptr<Hub::Cell> Hub::CellFor(int64_t record, int64_t entry) {
  const int64_t offset = record - window_base_;
  if (offset >= 0 && offset < static_cast<int64_t>(window_.size()) && window_[offset] != nullptr) {
    return window_[offset];
  }
  auto cell = std::make_shared<Cell>();
  cell->index = entry;
  absl::StatusOr<std::optional<domain::LogEntry>> decoded = log_.EntryAt(record);
  // The log decodes what it encoded, and control records are never read here; an
  // entry that somehow fails is streamed empty rather than taking the hub down.
  if (decoded.ok() && decoded->has_value()) {
    cell->record = std::make_unique<domain::LogEntry>(std::move(**decoded));
  }
  // The window ends after the furthest record any subscriber has read (with this
  // one), wherever the log's end is: subscribers that all lag the publisher still
  // share. A record further back than the window's length is encoded for this
  // reader alone; caching it would evict what the readers ahead share.
  const int64_t window_length = std::max<int64_t>(options_.cache_entries, 1);
  const int64_t window_end = window_base_ + static_cast<int64_t>(window_.size());
  const int64_t lowest = std::max(window_end, record + 1) - window_length;
  if (record < lowest) return cell;

  if (window_.empty() || record >= window_end + window_length) {
    window_.clear();  // nothing in it would be kept
    window_base_ = record;
  }
  for (; record < window_base_; --window_base_) window_.push_front(nullptr);
  while (record >= window_base_ + static_cast<int64_t>(window_.size())) window_.push_back(nullptr);
  window_[record - window_base_] = cell;
  // Now and then (the scan is over every subscriber), also let go of what every
  // subscriber has read. This reader's cursor is still at `record`, so the new
  // cell stays.
  int64_t keep_from = lowest;
  if (++cells_since_trim_ >= kTrimEvery) {
    cells_since_trim_ = 0;
    int64_t lowest_cursor = log_.size();
    for (const Subscriber* sub : subscribers_) {
      lowest_cursor = std::min(lowest_cursor, sub->next_record_);
    }
    keep_from = std::max(keep_from, lowest_cursor);
  }
  TrimWindow(keep_from);
  return cell;
}

void Hub::TrimWindow(int64_t record) {
  while (!window_.empty() && window_base_ < record) {
    window_.pop_front();
    ++window_base_;
  }
}

void Hub::Encode(Cell* cell) {
  int state = cell->state.load(std::memory_order_acquire);
  if (state == Cell::kReady) return;
  if (state == Cell::kNew &&
      cell->state.compare_exchange_strong(state, Cell::kEncoding, std::memory_order_acq_rel)) {
    if (cell->record != nullptr) EncodeEntry(*cell->record, cell);
    cell->record.reset();
    entries_encoded_.fetch_add(1, std::memory_order_relaxed);
    if (cell->state.exchange(Cell::kReady, std::memory_order_acq_rel) ==
        Cell::kEncodingWithWaiters) {
      cell->state.notify_all();
    }
    return;
  }
  // Another reader is encoding it: say we wait, then wait until it is ready.
  while (state != Cell::kReady) {
    if (state == Cell::kEncoding &&
        !cell->state.compare_exchange_weak(state, Cell::kEncodingWithWaiters,
                                           std::memory_order_acq_rel)) {
      continue;  // `state` was reloaded
    }
    cell->state.wait(Cell::kEncodingWithWaiters, std::memory_order_acquire);
    state = cell->state.load(std::memory_order_acquire);
  }
}

int64_t Hub::StreamEnd() const { return closed_ ? closed_at_ : log_.size(); }

void Hub::Append(const domain::Record& record) {
  std::vector<std::shared_ptr<Subscriber>> to_wake;
  std::vector<std::shared_ptr<RecordReader>> readers_to_wake;
  {
    absl::MutexLock lock(&mu_);
    const int64_t index = log_.Append(record);
    if (!parked_readers_.empty()) readers_to_wake = TakeParkedReaders();
    if (!closed_) {
      if (std::holds_alternative<domain::LogEntry>(record)) {
        ++streamed_;
        to_wake = TakeParked();
      } else {
        unstreamed_.push_back(index);
      }
    }
  }
  Wake(to_wake);
  for (const auto& reader : readers_to_wake) reader->Wake();
}

std::vector<std::shared_ptr<Hub::RecordReader>> Hub::TakeParkedReaders() {
  std::vector<std::shared_ptr<RecordReader>> taken;
  for (const auto& weak : parked_readers_) {
    if (auto reader = weak.lock()) {
      reader->parked_ = false;
      taken.push_back(std::move(reader));
    }
  }
  parked_readers_.clear();
  return taken;
}

std::vector<std::shared_ptr<Hub::Subscriber>> Hub::TakeParked() {
  std::vector<std::shared_ptr<Subscriber>> taken;
  taken.reserve(parked_.size());
  for (const auto& weak : parked_) {
    if (auto sub = weak.lock()) {
      sub->parked_ = false;
      taken.push_back(std::move(sub));
    }
  }
  parked_.clear();
  return taken;
}

void Hub::Wake(const std::vector<std::shared_ptr<Subscriber>>& subscribers) {
  for (const auto& sub : subscribers) sub->Wake();
}

std::shared_ptr<const Hub::StateView> Hub::State() const {
  absl::MutexLock lock(&mu_);
  if (view_ == nullptr || view_->version != log_.size()) {
    auto view = std::make_shared<StateView>();
    view->version = log_.size();
    view->state = log_.state();
    view->message = apimap::ToProto(view->state);
    if (view->version == 0) {
      view->json = std::string(kEmptyStateJson);
    } else {
      api::AppendJson(view->message, &view->json);
    }
    view_ = std::move(view);
  }
  return view_;
}

std::shared_ptr<Hub::Subscriber> Hub::Subscribe(std::function<void()> on_ready) {
  std::shared_ptr<Subscriber> sub(new Subscriber(this, std::move(on_ready)));
  absl::MutexLock lock(&mu_);
  subscribers_.insert(sub.get());
  return sub;
}

std::shared_ptr<Hub::RecordReader> Hub::ReadRecords(std::function<void()> on_ready) {
  return std::shared_ptr<RecordReader>(new RecordReader(this, std::move(on_ready)));
}

void Hub::Close() {
  std::vector<std::shared_ptr<Subscriber>> to_wake;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    closed_at_ = log_.size();
    to_wake = TakeParked();
  }
  Wake(to_wake);
}

bool Hub::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

int64_t Hub::size() const {
  absl::MutexLock lock(&mu_);
  return streamed_;
}

int64_t Hub::cached_entries() const {
  absl::MutexLock lock(&mu_);
  return std::count_if(window_.begin(), window_.end(),
                       [](const std::shared_ptr<Cell>& cell) { return cell != nullptr; });
}

int64_t Hub::records() const {
  absl::MutexLock lock(&mu_);
  return log_.size();
}

}  // namespace devloop::hub
