#include "tools/bench/soak/log_check.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace devloop::soak {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t Fnv1a(uint64_t h, absl::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

}  // namespace

uint64_t ChainHash(uint64_t previous, absl::string_view entry) {
  const uint64_t h = Fnv1a(
      kFnvOffset, absl::string_view(reinterpret_cast<const char*>(&previous), sizeof(previous)));
  return Fnv1a(h, entry);
}

absl::string_view EventsLinePayload(absl::string_view line) {
  absl::string_view payload = line;
  absl::ConsumeSuffix(&payload, "\n");
  absl::ConsumeSuffix(&payload, "\r");
  if (!absl::ConsumePrefix(&payload, "{\"result\":") || !absl::ConsumeSuffix(&payload, "}")) {
    return line;
  }
  return payload;
}

absl::Status CheckSameLog(const EntryChain& final, const EntryChain& seen) {
  const int64_t common = std::min(final.size(), seen.size());
  for (int64_t i = 0; i < common; ++i) {
    if (final.at(i) != seen.at(i)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "entry ", i, " differs from the final log's (", seen.size(), " read, ", final.size(),
          " in the final log): lost, duplicated, reordered or altered from there on"));
    }
  }
  if (seen.size() < final.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("read ", seen.size(), " entries, the final log holds ", final.size(),
                     ": the last ", final.size() - seen.size(), " are missing"));
  }
  if (seen.size() > final.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("read ", seen.size(), " entries, the final log holds only ", final.size(),
                     ": entries arrived after the final read (the loop was not idle)"));
  }
  return absl::OkStatus();
}

absl::Status CheckPrefix(const EntryChain& final, int64_t count, uint64_t last) {
  if (count == 0) return absl::OkStatus();
  if (count > final.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("read ", count, " entries, more than the final log's ", final.size()));
  }
  if (final.at(count - 1) != last) {
    return absl::FailedPreconditionError(
        absl::StrCat("its ", count, " entries are not the final log's first ", count,
                     ": an entry was lost, duplicated, reordered or altered"));
  }
  return absl::OkStatus();
}

std::ostream& operator<<(std::ostream& os, const LoopTally& t) {
  return os << "LoopTally{iterations " << t.iterations_succeeded << " succeeded, "
            << t.iterations_failed << " failed; builds " << t.builds_complete << ", deploys "
            << t.deploys_complete << ", syncs " << t.syncs_started << " started, "
            << t.syncs_succeeded << " succeeded; failures " << t.failures << " \""
            << t.first_failure << "\"}";
}

LoopTally TallyLog(const std::vector<proto::LogEntry>& entries) {
  LoopTally t;
  for (const proto::LogEntry& entry : entries) {
    const proto::Event& e = entry.event();
    std::string status;
    if (e.has_devloopevent()) {
      if (e.devloopevent().status() == "Succeeded") ++t.iterations_succeeded;
      if (e.devloopevent().status() == "Failed") ++t.iterations_failed;
      continue;
    }
    if (e.has_buildevent()) {
      status = e.buildevent().status();
      if (status == "Complete") ++t.builds_complete;
    } else if (e.has_deployevent()) {
      status = e.deployevent().status();
      if (status == "Complete") ++t.deploys_complete;
    } else if (e.has_filesyncevent()) {
      status = e.filesyncevent().status();
      if (status == "In Progress") ++t.syncs_started;
      if (status == "Succeeded") ++t.syncs_succeeded;
    } else if (e.has_statuscheckevent()) {
      status = e.statuscheckevent().status();
    } else if (e.has_resourcestatuscheckevent()) {
      status = e.resourcestatuscheckevent().status();
    }
    if (status == "Failed") {
      if (t.failures == 0) t.first_failure = entry.entry();
      ++t.failures;
    }
  }
  return t;
}

int CountConsoleSyncs(absl::string_view console_output) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(console_output, '\n')) {
    // On a terminal the line starts with a colour: ESC [ ... m.
    while (absl::ConsumePrefix(&line, "\x1b[")) {
      const size_t m = line.find('m');
      if (m == absl::string_view::npos) break;
      line.remove_prefix(m + 1);
    }
    if (absl::StartsWith(line, "Synced ")) ++n;
  }
  return n;
}

}  // namespace devloop::soak
