// What the hub costs per event: appending, fanning out, and the memory it
// keeps.
//
//   bazel run -c opt //infra/hub:hub_benchmark
//
// BM_HubAppend: records appended per second with no subscriber (what a dev loop
//   pays when no client is connected).
// BM_HubFanOut/N: one entry appended, then read by N subscribers in turn (one
//   thread): entries per second through the hub, wire encoding included.
// BM_HubMemory/100000: 100,000 typical records appended and streamed to one
//   subscriber; heap bytes the hub still holds per record afterwards (glibc's
//   in-use count, so freed memory is not counted) and the RSS growth per
//   record.
#include <malloc.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "domain/events/event.h"
#include "domain/state/state.h"
#include "infra/hub/hub.h"

namespace devloop::hub {
namespace {

namespace d = ::devloop::domain;

// One build-deploy iteration of one artifact plus a sync, as the controller
// logs it.
std::vector<d::Record> TypicalRecords(int count) {
  std::vector<d::Record> records;
  records.reserve(count);
  records.push_back(d::PipelineStarted{.artifacts = {"app", "web"}});
  absl::Time t = absl::FromUnixSeconds(1800000000);
  for (int i = 0; static_cast<int>(records.size()) < count; ++i) {
    t += absl::Milliseconds(250);
    auto at = [&](d::Event e, std::string text) {
      records.push_back(d::LogEntry{t, std::move(e), std::move(text)});
    };
    const std::string tag = absl::StrCat("web:3f2a9c1e", i);
    at(d::DevLoopEvent{i, "In Progress"}, "Update initiated");
    at(d::BuildEvent{"web", "In Progress"}, "Build started for artifact web");
    at(d::BuildEvent{"web", "Complete"}, "Build completed for artifact web");
    at(d::DeployEvent{"In Progress"}, "Deploy started");
    at(d::DeployEvent{"Complete"}, "Deploy completed");
    at(d::StatusCheckEvent{"Succeeded", "all resources are ready", "",
                           d::StatusCode::kStatusCheckSuccess},
       "Status check succeeded");
    at(d::FileSyncEvent{1, tag, "Succeeded"}, "File sync succeeded for 1 files for " + tag);
    at(d::DevLoopEvent{i, "Succeeded"}, "Update succeeded");
  }
  records.resize(count);
  return records;
}

void BM_HubAppend(benchmark::State &bench) {
  const std::vector<d::Record> records = TypicalRecords(100000);
  auto hub = std::make_unique<Hub>();
  size_t i = 0;
  for (auto _ : bench) {
    hub->Append(records[i]);
    if (++i == records.size()) i = 1;
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_HubAppend);

void BM_HubFanOut(benchmark::State &bench) {
  const std::vector<d::Record> records = TypicalRecords(100000);
  Hub hub;
  std::vector<std::shared_ptr<Hub::Subscriber>> subs;
  for (int s = 0; s < bench.range(0); ++s) subs.push_back(hub.Subscribe([] {}));
  std::vector<Hub::EntryPtr> batch;
  size_t i = 1;
  int64_t bytes = 0;
  for (auto _ : bench) {
    hub.Append(records[i]);
    if (++i == records.size()) i = 1;
    for (const auto &sub : subs) {
      batch.clear();
      sub->Read(64, &batch);
      for (const auto &e : batch) bytes += static_cast<int64_t>(e->json_line.size());
    }
  }
  benchmark::DoNotOptimize(bytes);
  bench.SetItemsProcessed(bench.iterations());
  bench.counters["deliveries_per_second"] = benchmark::Counter(
      static_cast<double>(bench.iterations() * bench.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_HubFanOut)->Arg(1)->Arg(100);

int64_t HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

int64_t RssBytes() {
  long pages = 0, resident = 0;
  if (FILE *f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(resident) * 4096;
}

void BM_HubMemory(benchmark::State &bench) {
  const int count = static_cast<int>(bench.range(0));
  const std::vector<d::Record> records = TypicalRecords(count);
  for (auto _ : bench) {
    const int64_t heap_before = HeapInUse();
    const int64_t rss_before = RssBytes();
    auto hub = std::make_unique<Hub>();
    auto sub = hub->Subscribe([] {});
    std::vector<Hub::EntryPtr> batch;
    for (const d::Record &r : records) {
      hub->Append(r);
      batch.clear();
      sub->Read(64, &batch);
    }
    batch.clear();
    benchmark::DoNotOptimize(hub->State());
    const int64_t heap = HeapInUse() - heap_before;
    const int64_t rss = RssBytes() - rss_before;
    bench.counters["heap_bytes_per_event"] = static_cast<double>(heap) / count;
    bench.counters["rss_MiB_per_100k"] = static_cast<double>(rss) / (1 << 20) * 1e5 / count;
  }
  bench.SetItemsProcessed(bench.iterations() * count);
}
BENCHMARK(BM_HubMemory)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace devloop::hub

BENCHMARK_MAIN();
