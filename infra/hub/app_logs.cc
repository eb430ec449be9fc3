#include "infra/hub/app_logs.h"

#include <algorithm>
#include <utility>

#include "api/json.h"
#include "api/skaffold_v2.pb.h"

namespace devloop::hub {
namespace {

// The line in both wire forms; its index is set when it is appended.
std::shared_ptr<StreamEntry> Encode(const AppLogs::Line& line) {
  proto::v2::Event event;
  const int64_t nanos = absl::ToUnixNanos(line.time);
  event.mutable_timestamp()->set_seconds(nanos / 1'000'000'000);
  event.mutable_timestamp()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  proto::v2::ApplicationLogEvent* log = event.mutable_applicationlogevent();
  log->set_containername(line.container_name);
  log->set_podname(line.pod_name);
  log->set_prefix(line.prefix);
  log->set_message(line.message);
  log->set_richformattedmessage(line.rich_message);
  auto entry = std::make_shared<StreamEntry>();
  entry->json_line.append("{\"result\":");
  api::AppendJson(event, &entry->json_line);
  entry->json_line.append("}\n");
  event.SerializeToString(&entry->proto_bytes);
  return entry;
}

}  // namespace

AppLogs::Reader::~Reader() {
  Detach();
  absl::MutexLock lock(&logs_->mu_);
  logs_->parked_.erase(this);
}

void AppLogs::Reader::Detach() {
  absl::MutexLock lock(&callback_mu_);
  on_ready_ = nullptr;
}

void AppLogs::Reader::Wake() {
  absl::MutexLock lock(&callback_mu_);
  if (on_ready_) on_ready_();
}

int64_t AppLogs::Reader::cursor() const {
  absl::MutexLock lock(&logs_->mu_);
  return next_;
}

ReadResult AppLogs::Reader::Read(size_t max_entries, std::vector<StreamEntryPtr>* out) {
  absl::MutexLock lock(&logs_->mu_);
  if (next_ < logs_->first_) next_ = logs_->first_;  // fell behind what is kept
  const int64_t end = logs_->first_ + static_cast<int64_t>(logs_->kept_.size());
  if (next_ >= end) {
    if (logs_->closed_) return ReadResult::kEnd;
    if (!parked_) {
      parked_ = true;
      logs_->parked_.insert(this);
    }
    return ReadResult::kWait;
  }
  const int64_t take = std::min<int64_t>(end - next_, static_cast<int64_t>(max_entries));
  for (int64_t i = 0; i < take; ++i) {
    out->push_back(logs_->kept_[static_cast<size_t>(next_ - logs_->first_ + i)]);
  }
  next_ += take;
  return ReadResult::kData;
}

AppLogs::AppLogs(Options options) : options_(options) {}

std::shared_ptr<AppLogs::Reader> AppLogs::Subscribe(std::function<void()> on_ready) {
  std::shared_ptr<Reader> reader(new Reader(this, std::move(on_ready)));
  absl::MutexLock lock(&mu_);
  reader->next_ = first_;
  return reader;
}

void AppLogs::Append(const Line& line) {
  std::shared_ptr<StreamEntry> entry = Encode(line);  // outside the lock
  std::vector<std::shared_ptr<Reader>> to_wake;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    entry->index = first_ + static_cast<int64_t>(kept_.size());
    kept_.push_back(std::move(entry));
    while (kept_.size() > options_.keep_lines) {
      kept_.pop_front();
      ++first_;
    }
    to_wake.reserve(parked_.size());
    for (Reader* r : parked_) {
      r->parked_ = false;
      // A reader being destroyed waits for mu_ in its destructor: it is still
      // alive here, but may not be owned any more.
      if (std::shared_ptr<Reader> alive = r->weak_from_this().lock()) to_wake.push_back(alive);
    }
    parked_.clear();
  }
  for (const auto& r : to_wake) r->Wake();
}

void AppLogs::Close() {
  std::vector<std::shared_ptr<Reader>> to_wake;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    for (Reader* r : parked_) {
      r->parked_ = false;
      if (std::shared_ptr<Reader> alive = r->weak_from_this().lock()) to_wake.push_back(alive);
    }
    parked_.clear();
  }
  for (const auto& r : to_wake) r->Wake();
}

int64_t AppLogs::appended() const {
  absl::MutexLock lock(&mu_);
  return first_ + static_cast<int64_t>(kept_.size());
}

int64_t AppLogs::forgotten() const {
  absl::MutexLock lock(&mu_);
  return first_;
}

}  // namespace devloop::hub
