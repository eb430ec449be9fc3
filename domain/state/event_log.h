// The append-only event log of one dev loop and the State it folds into.
//
// Every Record the controller (or a custom event sent through Handle) produces
// is appended here; the log folds it into State with the same reducer a replay
// uses, so the State GetState returns and the log the Events stream replays can
// never disagree. Records are addressed by index from 0, so a hub can stream
// them to each subscriber by cursor. Records are stored encoded
// (record_codec.h): ~80 bytes for a typical record instead of ~400+ as a variant.
//
//   EventLog log;
//   log.Append(PipelineStarted{.artifacts = {"web"}});
//   int64_t i = log.Append(LogEntry{now, BuildEvent{...}, "Build started for artifact web"});
//   const State& s = log.state();
//   for (int64_t c = cursor; c < log.size(); ++c) Send(*log.At(c));
//
// Thread-compatible: the shell guards it (one writer, readers under the same lock).
#ifndef DEVLOOP_DOMAIN_STATE_EVENT_LOG_H_
#define DEVLOOP_DOMAIN_STATE_EVENT_LOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/state/state.h"

namespace devloop::domain {

class EventLog {
 public:
  EventLog() = default;
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;
  EventLog(EventLog&&) = default;
  EventLog& operator=(EventLog&&) = default;

  // Appends `record`, folds it into state() and returns its index.
  int64_t Append(const Record& record);

  // Returns the number of records appended so far.
  int64_t size() const { return static_cast<int64_t>(index_.size()); }

  // Returns record `index`; OutOfRange when there is no such record.
  absl::StatusOr<Record> At(int64_t index) const;

  // Returns record `index` if it is a LogEntry (what the Events stream sends),
  // std::nullopt for control records; OutOfRange when there is no such record.
  absl::StatusOr<std::optional<LogEntry>> EntryAt(int64_t index) const;

  // Returns the State every record so far folds into.
  const State& state() const { return state_; }

  // Returns the bytes the stored records occupy (encodings, their index and
  // unused room in the last chunk); what one more record costs on average is
  // bytes_retained() / size().
  int64_t bytes_retained() const;

 private:
  struct Location {
    uint32_t chunk;
    uint32_t offset;
    uint32_t length;
  };
  static constexpr size_t kChunkBytes = 1 << 20;

  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
    size_t used = 0;
  };

  std::vector<Chunk> chunks_;
  std::vector<Location> index_;
  std::string scratch_;
  State state_;
};

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_STATE_EVENT_LOG_H_
