// Checks for the soak against the real dev loop (api_soak --devloop=...): its
// entries carry no sequence number, so every subscriber is compared with one
// final full read of the event log instead. Each entry is reduced to its
// canonical JSON (the gateway's, api/json.h: what /v1/events sends inside
// {"result":...}, and what a gRPC LogEntry renders to), and a subscription to a
// chain of hashes: chain[i] covers entries 0..i in order, so equal chains mean
// the same entries in the same order, and one number per subscription is enough
// to check a prefix.
//
//   EntryChain final;
//   for (const std::string& json : final_read) final.Add(json);
//   absl::Status same = CheckSameLog(final, watcher.chain());         // watcher: all of it
//   absl::Status prefix = CheckPrefix(final, churn.size(), churn.last());  // churner: a prefix
//   LoopTally tally = TallyLog(entries);    // syncs, builds, failures in the final log
//   int synced = CountConsoleSyncs(devloop_output);
//
// EntryChain is thread-compatible; the functions are pure.
#ifndef DEVLOOP_TOOLS_BENCH_SOAK_LOG_CHECK_H_
#define DEVLOOP_TOOLS_BENCH_SOAK_LOG_CHECK_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "api/skaffold.pb.h"

namespace devloop::soak {

// Returns the chain hash of an entry whose canonical JSON is `entry`, following
// entries that hashed to `previous` (0 before the first). FNV-1a over
// `previous` and the bytes: deterministic across runs and transports.
uint64_t ChainHash(uint64_t previous, absl::string_view entry);

// Returns the canonical JSON of a /v1/events line ({"result":JSON}\n): JSON.
// Returns the line unchanged if it is not framed that way, so the comparison
// fails rather than the reader.
absl::string_view EventsLinePayload(absl::string_view line);

// The entries one subscription read, as chain hashes.
class EntryChain {
 public:
  void Add(absl::string_view canonical_json) {
    chain_.push_back(ChainHash(last(), canonical_json));
  }
  int64_t size() const { return static_cast<int64_t>(chain_.size()); }
  // The chain hash after the last entry; 0 when empty.
  uint64_t last() const { return chain_.empty() ? 0 : chain_.back(); }
  // REQUIRES: 0 <= i < size().
  uint64_t at(int64_t i) const { return chain_[i]; }

 private:
  std::vector<uint64_t> chain_;
};

// Returns OK if `seen` holds exactly the entries of `final`, in its order.
// Otherwise FailedPrecondition naming the first entry that differs, or how
// many entries are missing or extra.
absl::Status CheckSameLog(const EntryChain& final, const EntryChain& seen);

// Returns OK if a subscription that read `count` entries ending in chain hash
// `last` read the first `count` entries of `final`.
absl::Status CheckPrefix(const EntryChain& final, int64_t count, uint64_t last);

// What the dev loop did, counted from its event log.
struct LoopTally {
  int iterations_succeeded = 0;  // devLoopEvent Succeeded
  int iterations_failed = 0;     // devLoopEvent Failed
  int builds_complete = 0;       // buildEvent Complete
  int deploys_complete = 0;      // deployEvent Complete
  int syncs_started = 0;         // fileSyncEvent In Progress
  int syncs_succeeded = 0;       // fileSyncEvent Succeeded
  int failures = 0;              // any build, deploy, file sync or status check Failed
  std::string first_failure;     // its entry text
  bool operator==(const LoopTally&) const = default;
};
std::ostream& operator<<(std::ostream& os, const LoopTally& t);

// Counts, with the contract's status strings
// (/work/shared/api/skaffold-v1-contract.md, "Status strings").
LoopTally TallyLog(const std::vector<proto::LogEntry>& entries);

// Returns how many syncs devloop's console reported done ("Synced 1 file to
// [IMAGE] ..." lines, apps/console/console.cc).
int CountConsoleSyncs(absl::string_view console_output);

}  // namespace devloop::soak

#endif  // DEVLOOP_TOOLS_BENCH_SOAK_LOG_CHECK_H_
