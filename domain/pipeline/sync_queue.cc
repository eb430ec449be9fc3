#include "domain/pipeline/sync_queue.h"

#include <ostream>

#include "absl/strings/str_cat.h"

namespace devloop::domain {

void SyncQueue::Queue(const std::string& image, const std::vector<FileChange>& files) {
  if (files.empty()) return;
  std::map<std::string, bool>& paths = queued_[image];
  for (const FileChange& f : files) paths[f.path] = f.deleted;
}

void SyncQueue::Drop(const std::string& image) { queued_.erase(image); }

std::map<std::string, std::vector<FileChange>> SyncQueue::Queued() const {
  std::map<std::string, std::vector<FileChange>> out;
  for (const auto& [image, paths] : queued_) {
    std::vector<FileChange>& files = out[image];
    for (const auto& [path, deleted] : paths) files.push_back(FileChange{path, deleted});
  }
  return out;
}

std::map<std::string, std::vector<FileChange>> SyncQueue::TakeQueued() {
  std::map<std::string, std::vector<FileChange>> out = Queued();
  queued_.clear();
  return out;
}

void SyncQueue::Started(const std::string& image, Sync sync) {
  running_.emplace(image, std::move(sync));
}

absl::Status SyncQueue::CheckResult(const std::string& image) const {
  if (running_.count(image) > 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("sync result for artifact ", image, ", which is not syncing"));
}

std::optional<SyncQueue::Sync> SyncQueue::Finish(const std::string& image) {
  auto it = running_.find(image);
  if (it == running_.end()) return std::nullopt;
  Sync done = std::move(it->second);
  running_.erase(it);
  return done;
}

std::vector<SyncQueue::Sync> SyncQueue::Cancel() {
  std::vector<Sync> out;
  for (auto& [image, sync] : running_) out.push_back(std::move(sync));
  running_.clear();
  return out;
}

std::ostream& operator<<(std::ostream& os, const SyncQueue::Sync& s) {
  return os << "Sync{" << s.image << " files=" << s.file_count << "}";
}

}  // namespace devloop::domain
