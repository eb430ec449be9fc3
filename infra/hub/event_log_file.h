// Writes a dev loop's whole log to a file as it is appended: `devloop dev
// --event-log-file=FILE`. One JSON line per record, in log order
// (infra/apimap/record_line.h, api/event_log.proto): each LogEntry as the very
// line GET /v1/events sends for it, and the records that change the State
// without being streamed (the pipeline's shape, auto triggers toggled, phases
// reset) as devloopRecord lines, so `devloop replay FILE` folds the file into
// the State the API served.
//
// Append never waits for the disk. A thread of the writer's own reads the
// hub's records (Hub::ReadRecords) when the hub wakes it, encodes them outside
// the hub's lock and writes each batch with write(2): what was written is in
// the kernel at once, so a devloop that is killed leaves whole lines behind,
// up to the batch it was writing. A write error (a full disk) is logged once
// and stops the writing; Finish() returns it.
//
//   DEVLOOP_ASSIGN_OR_RETURN(std::unique_ptr<EventLogFile> file,
//                            EventLogFile::Open(path, &hub));
//   ... the dev loop appends records ...
//   absl::Status written = file->Finish();  // after the last Append
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_HUB_EVENT_LOG_FILE_H_
#define DEVLOOP_INFRA_HUB_EVENT_LOG_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "infra/hub/hub.h"

namespace devloop::hub {

class EventLogFile {
 public:
  // Creates or truncates `path` and starts writing `hub`'s records, from the
  // first. Returns the error of a path that cannot be written (no such
  // directory, no permission, a directory), naming the path. `hub` must
  // outlive the EventLogFile.
  static absl::StatusOr<std::unique_ptr<EventLogFile>> Open(const std::string& path, Hub* hub);

  // Calls Finish().
  ~EventLogFile();

  EventLogFile(const EventLogFile&) = delete;
  EventLogFile& operator=(const EventLogFile&) = delete;

  // Writes every record appended before the call that is not written yet,
  // stops the writer and closes the file. Returns the first error met writing
  // or closing, naming the path. Idempotent; records appended later are not
  // written.
  absl::Status Finish();

  // How many records are written so far.
  int64_t records_written() const;

  const std::string& path() const { return path_; }

 private:
  EventLogFile(std::string path, int fd, Hub* hub);

  // The writer thread: waits to be woken, then writes what the reader has.
  void Run();
  // Writes the records the reader has now; returns once it is parked.
  void WriteAvailable();
  void WriteAll(const std::string& bytes);

  static constexpr size_t kBatchRecords = 256;

  const std::string path_;
  const int fd_;
  std::shared_ptr<Hub::RecordReader> reader_;

  mutable absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = true;  // the first pass reads what is there
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  int64_t written_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex finish_mu_;  // one Finish() at a time
  std::thread writer_;
};

}  // namespace devloop::hub

#endif  // DEVLOOP_INFRA_HUB_EVENT_LOG_FILE_H_
