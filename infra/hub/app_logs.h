// AppLogs: the lines the user's application writes, for the v2 API's
// ApplicationLogs stream (api/skaffold_v2.proto), as the console prints them.
//
// Unlike the event log (hub.h), which keeps every record, this keeps only the
// most recent `keep_lines` lines: an application may log without end, and a
// dev loop runs for hours. A new reader starts at the oldest line kept, then
// follows live. A reader that falls more than `keep_lines` behind (it stopped
// reading) skips to the oldest line kept: it never holds memory, and never
// slows Append or the other readers. Within what it reads, lines come once and
// in order.
//
// Each line is encoded once, when appended, into both wire forms
// (`{"result":<Event>}\n` and the bytes of proto.v2.Event).
//
//   AppLogs logs;
//   logs.Append({.time = now, .container_name = "web", .prefix = "[web]", .message = "GET /"});
//   auto reader = logs.Subscribe([&] { executor.Post(read_more); });
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_HUB_APP_LOGS_H_
#define DEVLOOP_INFRA_HUB_APP_LOGS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "infra/hub/stream.h"

namespace devloop::hub {

class AppLogs {
 public:
  struct Line {
    absl::Time time;
    std::string container_name;  // the container (Docker) or container in the pod
    std::string pod_name;        // empty on Docker
    std::string prefix;          // "[web]"
    std::string message;         // without its newline
    std::string rich_message;    // as the console prints it (colour codes included)
  };

  struct Options {
    size_t keep_lines = 10'000;
  };

  class Reader final : public StreamSource, public std::enable_shared_from_this<Reader> {
   public:
    ~Reader() override;
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    ReadResult Read(size_t max_entries, std::vector<StreamEntryPtr>* out) override;
    void Detach() override;
    int64_t cursor() const override;

   private:
    friend class AppLogs;
    Reader(AppLogs* logs, std::function<void()> on_ready)
        : logs_(logs), on_ready_(std::move(on_ready)) {}
    void Wake();

    AppLogs* const logs_;
    int64_t next_ ABSL_GUARDED_BY(logs_->mu_) = 0;
    bool parked_ ABSL_GUARDED_BY(logs_->mu_) = false;
    mutable absl::Mutex callback_mu_;
    std::function<void()> on_ready_ ABSL_GUARDED_BY(callback_mu_);
  };

  AppLogs() : AppLogs(Options()) {}
  explicit AppLogs(Options options);
  AppLogs(const AppLogs&) = delete;
  AppLogs& operator=(const AppLogs&) = delete;

  void Append(const Line& line);

  // A reader at the oldest line kept. `on_ready` is called (from the appending
  // thread) once when a parked reader has something to read; it must not block
  // or call back into this object.
  std::shared_ptr<Reader> Subscribe(std::function<void()> on_ready);

  // Ends every stream once its reader has read what is kept; later lines are
  // dropped.
  void Close();

  // Lines appended so far, and how many of them are no longer kept.
  int64_t appended() const;
  int64_t forgotten() const;

 private:
  const Options options_;
  mutable absl::Mutex mu_;
  std::deque<StreamEntryPtr> kept_ ABSL_GUARDED_BY(mu_);
  int64_t first_ ABSL_GUARDED_BY(mu_) = 0;  // index of kept_.front()
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<Reader*> parked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace devloop::hub

#endif  // DEVLOOP_INFRA_HUB_APP_LOGS_H_
