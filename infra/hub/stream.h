// What the transports stream from: the hub's event log (hub.h) or the
// application's log lines (app_logs.h). Both hand out entries already encoded
// in the two wire forms, read by a cursor, and wake a parked reader once.
//
//   std::shared_ptr<StreamSource> source = hub.Subscribe(on_ready);  // or app_logs.Subscribe
//   std::vector<StreamEntryPtr> batch;
//   while (source->Read(64, &batch) == ReadResult::kData) Send(batch);
//
// Implementations are thread-safe.
#ifndef DEVLOOP_INFRA_HUB_STREAM_H_
#define DEVLOOP_INFRA_HUB_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace devloop::hub {

// One streamed entry in both wire forms. Immutable once a reader has it.
struct StreamEntry {
  int64_t index = 0;        // position in its stream, from 0
  std::string json_line;    // {"result":<message>}\n, as the HTTP gateway streams it
  std::string proto_bytes;  // the serialized message, as the gRPC stream sends it
};
using StreamEntryPtr = std::shared_ptr<const StreamEntry>;

enum class ReadResult {
  kData,  // entries were appended to *out
  kWait,  // nothing new; on_ready will be called once when there is
  kEnd,   // the source is closed and this reader has read everything
};

class StreamSource {
 public:
  virtual ~StreamSource() = default;

  // Appends up to `max_entries` entries from the cursor to `*out` and advances
  // the cursor past them. See ReadResult.
  virtual ReadResult Read(size_t max_entries, std::vector<StreamEntryPtr>* out) = 0;

  // Stops on_ready calls: once Detach() returns, on_ready is not running and
  // will not run again. REQUIRES: not called from on_ready.
  virtual void Detach() = 0;

  // The index of the next entry this reader will read.
  virtual int64_t cursor() const = 0;
};

}  // namespace devloop::hub

#endif  // DEVLOOP_INFRA_HUB_STREAM_H_
