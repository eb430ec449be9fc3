#include "infra/hub/hub.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "api/json.h"
#include "infra/apimap/apimap.h"

namespace devloop::hub {

Hub::Subscriber::~Subscriber() { Detach(); }

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
  return cursor_;
}

Hub::ReadResult Hub::Subscriber::Read(size_t max_entries, std::vector<EntryPtr>* out) {
  absl::MutexLock lock(&hub_->mu_);
  const int64_t available = static_cast<int64_t>(hub_->entries_.size()) - cursor_;
  if (available > 0 && max_entries > 0) {
    const int64_t n = std::min<int64_t>(available, static_cast<int64_t>(max_entries));
    auto begin = hub_->entries_.begin() + cursor_;
    out->insert(out->end(), begin, begin + n);
    cursor_ += n;
    return ReadResult::kData;
  }
  if (hub_->closed_) return ReadResult::kEnd;
  if (!parked_) {
    parked_ = true;
    hub_->parked_.push_back(weak_from_this());
  }
  return ReadResult::kWait;
}

void Hub::Append(domain::Record record) {
  // Serialize outside the lock: the wire forms do not depend on the position in
  // the log, and the lock then only orders entries and folds the State.
  std::shared_ptr<Entry> entry;
  if (const auto* log_entry = std::get_if<domain::LogEntry>(&record)) {
    const proto::LogEntry message = apimap::ToProto(*log_entry);
    entry = std::make_shared<Entry>();
    entry->json_line.reserve(256);
    entry->json_line.append("{\"result\":");
    api::AppendJson(message, &entry->json_line);
    entry->json_line.append("}\n");
    message.SerializeToString(&entry->proto_bytes);
  }

  std::vector<std::weak_ptr<Subscriber>> to_wake;
  {
    absl::MutexLock lock(&mu_);
    domain::Apply(record, &state_);
    ++version_;
    if (entry != nullptr && !closed_) {
      // The index is assigned under the lock, so it is the entry's log position.
      entry->index = static_cast<int64_t>(entries_.size());
      entries_.push_back(std::move(entry));
      to_wake.swap(parked_);
      for (const auto& weak : to_wake) {
        if (auto sub = weak.lock()) sub->parked_ = false;
      }
    }
  }
  for (const auto& weak : to_wake) {
    if (auto sub = weak.lock()) sub->Wake();
  }
}

std::shared_ptr<const Hub::StateView> Hub::State() const {
  absl::MutexLock lock(&mu_);
  if (view_ == nullptr || view_->version != version_) {
    auto view = std::make_shared<StateView>();
    view->version = version_;
    view->state = state_;
    view->message = apimap::ToProto(state_);
    api::AppendJson(view->message, &view->json);
    view_ = std::move(view);
  }
  return view_;
}

std::shared_ptr<Hub::Subscriber> Hub::Subscribe(std::function<void()> on_ready) {
  return std::shared_ptr<Subscriber>(new Subscriber(this, std::move(on_ready)));
}

void Hub::Close() {
  std::vector<std::weak_ptr<Subscriber>> to_wake;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    to_wake.swap(parked_);
    for (const auto& weak : to_wake) {
      if (auto sub = weak.lock()) sub->parked_ = false;
    }
  }
  for (const auto& weak : to_wake) {
    if (auto sub = weak.lock()) sub->Wake();
  }
}

bool Hub::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

int64_t Hub::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(entries_.size());
}

}  // namespace devloop::hub
