#include "domain/state/event_log.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "domain/state/record_codec.h"

namespace devloop::domain {

int64_t EventLog::Append(const Record& record) {
  scratch_.clear();
  EncodeRecord(record, &scratch_);
  // Records never span chunks, and chunks never move, so appending never
  // copies what is already stored (a growing std::string would, and would
  // briefly need twice the memory).
  if (chunks_.empty() || chunks_.back().capacity - chunks_.back().used < scratch_.size()) {
    Chunk chunk;
    chunk.capacity = std::max(kChunkBytes, scratch_.size());
    // Not zeroed: a page is touched only once records reach it. Zeroing
    // faulted in all 256 pages of the first chunk at the session's first record.
    chunk.data = std::make_unique_for_overwrite<char[]>(chunk.capacity);
    chunks_.push_back(std::move(chunk));
  }
  Chunk& chunk = chunks_.back();
  std::memcpy(chunk.data.get() + chunk.used, scratch_.data(), scratch_.size());
  index_.push_back(Location{static_cast<uint32_t>(chunks_.size() - 1),
                            static_cast<uint32_t>(chunk.used),
                            static_cast<uint32_t>(scratch_.size())});
  chunk.used += scratch_.size();
  Apply(record, &state_);
  return size() - 1;
}

absl::StatusOr<Record> EventLog::At(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat("event log has no record ", index, " (it holds ", size(), ")"));
  }
  const Location& at = index_[index];
  return DecodeRecord(absl::string_view(chunks_[at.chunk].data.get() + at.offset, at.length));
}

absl::StatusOr<std::optional<LogEntry>> EventLog::EntryAt(int64_t index) const {
  absl::StatusOr<Record> record = At(index);
  if (!record.ok()) return record.status();
  if (LogEntry* entry = std::get_if<LogEntry>(&*record)) return std::move(*entry);
  return std::optional<LogEntry>();
}

int64_t EventLog::bytes_retained() const {
  int64_t bytes = static_cast<int64_t>(index_.capacity() * sizeof(Location) +
                                       chunks_.capacity() * sizeof(Chunk));
  for (const Chunk& c : chunks_) bytes += static_cast<int64_t>(c.capacity);
  return bytes;
}

}  // namespace devloop::domain
