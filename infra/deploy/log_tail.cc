#include "infra/deploy/log_tail.h"

namespace devloop::deploy {

void LogTail::Add(const std::string& key, const LogSource& source, absl::string_view line) {
  {
    absl::MutexLock lock(&mu_);
    std::deque<std::string>& kept = lines_[key];
    kept.emplace_back(line);
    while (kept.size() > keep_) kept.pop_front();
  }
  if (sink_) sink_(source, line);
}

std::vector<std::string> LogTail::Last(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = lines_.find(key);
  if (it == lines_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void LogTail::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  lines_.erase(key);
}

}  // namespace devloop::deploy
