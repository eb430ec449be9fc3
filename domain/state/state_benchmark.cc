// Reducer throughput and event log footprint.
//
//   bazel run -c opt //domain/state:state_benchmark
//
// BM_Reduce: records folded into State per second (items_per_second).
// BM_EventLogAppend: appends per second, and bytes retained per record.
// BM_EventLogMillion: one log of 1,000,000 typical records: bytes per record
//   and total MiB retained (the target is < 200 MB).
// BM_EventLogRead: records decoded per second when streaming by cursor.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "domain/state/event_log.h"
#include "domain/state/state.h"

namespace devloop::domain {
namespace {

// One dev-loop iteration of two artifacts, as the controller logs it: the mix
// a running devloop produces (plus a sync iteration).
std::vector<Record> TypicalIteration(int iteration, absl::Time t) {
  auto at = [&](Event e, std::string entry) { return Record(LogEntry{t, std::move(e), std::move(entry)}); };
  const std::string tag = "web:3f2a9c1e" + std::to_string(iteration);
  return {
      at(DevLoopEvent{iteration, "In Progress"}, "Update initiated"),
      at(BuildEvent{"app", "In Progress"}, "Build started for artifact app"),
      at(BuildEvent{"web", "In Progress"}, "Build started for artifact web"),
      at(BuildEvent{"app", "Complete"}, "Build completed for artifact app"),
      at(BuildEvent{"web", "Complete"}, "Build completed for artifact web"),
      at(DeployEvent{"In Progress"}, "Deploy started"),
      at(DeployEvent{"Complete"}, "Deploy completed"),
      at(StatusCheckEvent{"In Progress"}, "Status check started"),
      at(ResourceStatusCheckEvent{"container/web", "Pending", "waiting for status"},
         "Resource container/web status updated to Pending: waiting for status"),
      at(ResourceStatusCheckEvent{"container/web", "Succeeded", "ready", "", StatusCode::kStatusCheckSuccess},
         "Resource container/web status updated to Succeeded: ready"),
      at(StatusCheckEvent{"Succeeded", "all resources are ready", "", StatusCode::kStatusCheckSuccess},
         "Status check succeeded"),
      at(PortEvent{.local_port = 9000, .remote_port = 8080, .container_name = "web",
                   .resource_type = "container", .resource_name = "web", .address = "127.0.0.1"},
         "Forwarding container web to local port 9000"),
      at(DevLoopEvent{iteration, "Succeeded"}, "Update succeeded"),
      at(DevLoopEvent{iteration + 1, "In Progress"}, "Update initiated"),
      at(FileSyncEvent{1, tag, "In Progress"}, "File sync started for 1 files for " + tag),
      at(FileSyncEvent{1, tag, "Succeeded"}, "File sync succeeded for 1 files for " + tag),
      at(DevLoopEvent{iteration + 1, "Succeeded"}, "Update succeeded"),
  };
}

std::vector<Record> TypicalLog(int count) {
  std::vector<Record> records;
  records.reserve(count + 32);
  records.push_back(PipelineStarted{.artifacts = {"app", "web"}});
  absl::Time t = absl::FromUnixSeconds(1800000000);
  for (int i = 0; static_cast<int>(records.size()) < count; i += 2) {
    t += absl::Milliseconds(250);
    for (Record& r : TypicalIteration(i, t)) records.push_back(std::move(r));
  }
  records.resize(count);
  return records;
}

void BM_Reduce(benchmark::State& bench) {
  const std::vector<Record> records = TypicalLog(100000);
  State state;
  size_t i = 0;
  for (auto _ : bench) {
    Apply(records[i], &state);
    if (++i == records.size()) i = 1;  // skip PipelineStarted after the first pass
  }
  benchmark::DoNotOptimize(state);
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_Reduce);

void BM_EventLogAppend(benchmark::State& bench) {
  const std::vector<Record> records = TypicalLog(100000);
  EventLog log;
  size_t i = 0;
  for (auto _ : bench) {
    log.Append(records[i]);
    if (++i == records.size()) i = 1;
  }
  bench.SetItemsProcessed(bench.iterations());
  bench.counters["bytes_per_event"] =
      static_cast<double>(log.bytes_retained()) / static_cast<double>(log.size());
}
BENCHMARK(BM_EventLogAppend);

void BM_EventLogMillion(benchmark::State& bench) {
  const int kCount = static_cast<int>(bench.range(0));
  const std::vector<Record> records = TypicalLog(kCount);
  for (auto _ : bench) {
    EventLog log;
    for (const Record& r : records) log.Append(r);
    bench.counters["bytes_per_event"] =
        static_cast<double>(log.bytes_retained()) / static_cast<double>(log.size());
    bench.counters["total_MiB"] = static_cast<double>(log.bytes_retained()) / (1 << 20);
    benchmark::DoNotOptimize(log);
  }
  bench.SetItemsProcessed(bench.iterations() * kCount);
}
BENCHMARK(BM_EventLogMillion)->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_EventLogRead(benchmark::State& bench) {
  const std::vector<Record> records = TypicalLog(100000);
  EventLog log;
  for (const Record& r : records) log.Append(r);
  int64_t i = 0;
  for (auto _ : bench) {
    benchmark::DoNotOptimize(log.At(i));
    if (++i == log.size()) i = 0;
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_EventLogRead);

}  // namespace
}  // namespace devloop::domain

BENCHMARK_MAIN();
