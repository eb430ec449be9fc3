#include "infra/hub/event_log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "infra/apimap/record_line.h"
#include "infra/log/log.h"

namespace devloop::hub {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path, int error) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat("cannot ", what, " the event log ", path, ": ",
                                   std::strerror(error)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLogFile>> EventLogFile::Open(const std::string& path,
                                                                 Hub* hub) {
  if (path.empty()) return absl::InvalidArgumentError("the event log needs a file name");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("create", path, errno);
  return std::unique_ptr<EventLogFile>(new EventLogFile(path, fd, hub));
}

EventLogFile::EventLogFile(std::string path, int fd, Hub* hub)
    : path_(std::move(path)), fd_(fd) {
  reader_ = hub->ReadRecords([this] {
    absl::MutexLock lock(&mu_);
    wake_ = true;
  });
  writer_ = std::thread([this] { Run(); });
}

EventLogFile::~EventLogFile() { (void)Finish(); }

absl::Status EventLogFile::Finish() {
  absl::MutexLock finish_lock(&finish_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return error_;
    finishing_ = true;
  }
  writer_.join();
  reader_->Detach();
  absl::MutexLock lock(&mu_);
  finished_ = true;
  if (::close(fd_) != 0 && error_.ok()) error_ = ErrnoError("close", path_, errno);
  return error_;
}

int64_t EventLogFile::records_written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

void EventLogFile::Run() {
  while (true) {
    bool finishing = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](EventLogFile* f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(f->mu_) {
            return f->wake_ || f->finishing_;
          },
          this));
      wake_ = false;
      finishing = finishing_;
    }
    WriteAvailable();
    if (finishing) return;
  }
}

void EventLogFile::WriteAvailable() {
  std::vector<domain::Record> batch;
  std::string bytes;
  while (true) {
    batch.clear();
    const size_t n = reader_->Read(kBatchRecords, &batch);
    if (n == 0) return;  // parked: the next Append wakes the writer
    bytes.clear();
    for (const domain::Record& record : batch) apimap::AppendEventLogLine(record, &bytes);
    WriteAll(bytes);
    absl::MutexLock lock(&mu_);
    if (error_.ok()) written_ += static_cast<int64_t>(n);
  }
}

void EventLogFile::WriteAll(const std::string& bytes) {
  {
    absl::MutexLock lock(&mu_);
    if (!error_.ok()) return;  // a file that missed a batch would replay wrong
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status error = ErrnoError("write", path_, errno);
      DEVLOOP_LOG(WARNING) << error.message() << "; the rest of the session is not recorded";
      absl::MutexLock lock(&mu_);
      error_ = std::move(error);
      return;
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace devloop::hub
