#include "domain/config/errors.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace devloop::config {

std::string FormatError(const ConfigError& error) {
  if (error.pos.line <= 0) {
    if (error.pos.file.empty()) return error.message;
    return absl::StrCat(error.pos.file, ": ", error.message);
  }
  return absl::StrCat(error.pos.file, ":", error.pos.line, ":", error.pos.column, ": ",
                      error.message);
}

std::ostream& operator<<(std::ostream& os, const ConfigError& error) {
  return os << FormatError(error);
}

absl::Status ErrorsToStatus(const std::vector<ConfigError>& errors) {
  if (errors.empty()) return absl::OkStatus();
  std::vector<std::string> lines;
  lines.reserve(errors.size());
  for (const ConfigError& e : errors) lines.push_back(FormatError(e));
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

int EditDistance(absl::string_view a, absl::string_view b) {
  // Optimal string alignment: Levenshtein plus swaps of adjacent characters,
  // the commonest typo ("biuld").
  std::vector<std::vector<int>> d(a.size() + 1, std::vector<int>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string ClosestName(absl::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  int best_distance = 0;
  for (const std::string& c : candidates) {
    const int d = EditDistance(name, c);
    const int allowed = std::max<int>(1, std::max(name.size(), c.size()) / 3);
    if (d > allowed) continue;
    if (best.empty() || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace devloop::config
