// Cost of one controller decision.
//
//   bazel run -c opt //domain/pipeline:controller_benchmark
//
// BM_SyncIteration: one whole sync iteration (change -> SyncFiles -> result),
//   two Handle calls, for a pipeline of N artifacts.
// BM_BuildDeployIteration: change -> build -> deploy -> status check -> done,
//   four Handle calls.
#include <string>

#include "benchmark/benchmark.h"
#include "domain/pipeline/controller.h"

namespace devloop::domain {
namespace {

Controller Running(int artifacts) {
  ControllerOptions o;
  for (int i = 0; i < artifacts; ++i) {
    o.artifacts.push_back(ArtifactSpec{"img" + std::to_string(i), {}, {{"static/**", "/srv", "static/"}}});
  }
  o.status_check = false;
  Controller c = *Controller::Make(o);
  absl::Time t = absl::FromUnixSeconds(1800000000);
  (void)c.Handle(Start{t});
  for (int i = 0; i < artifacts; ++i) {
    (void)c.Handle(BuildSucceeded{t, "img" + std::to_string(i), "img:" + std::to_string(i)});
  }
  (void)c.Handle(DeploySucceeded{t, 1, {}});
  return c;
}

void BM_SyncIteration(benchmark::State& bench) {
  Controller c = Running(static_cast<int>(bench.range(0)));
  absl::Time t = absl::FromUnixSeconds(1800000100);
  for (auto _ : bench) {
    benchmark::DoNotOptimize(c.Handle(FilesChanged{t, "img0", {{"static/css/site.css"}}}));
    benchmark::DoNotOptimize(c.Handle(SyncSucceeded{t, "img0"}));
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_SyncIteration)->Arg(1)->Arg(10);

void BM_BuildDeployIteration(benchmark::State& bench) {
  ControllerOptions o;
  o.artifacts = {ArtifactSpec{"web"}};
  Controller c = *Controller::Make(o);
  absl::Time t = absl::FromUnixSeconds(1800000000);
  (void)c.Handle(Start{t});
  (void)c.Handle(BuildSucceeded{t, "web", "web:0"});
  int64_t id = 1;
  (void)c.Handle(DeploySucceeded{t, id, {"container/web"}});
  (void)c.Handle(ResourceObserved{t, id, {.resource = "container/web", .ready_replicas = 1}});
  int n = 0;
  for (auto _ : bench) {
    ++id;
    benchmark::DoNotOptimize(c.Handle(FilesChanged{t, "web", {{"main.go"}}}));
    benchmark::DoNotOptimize(c.Handle(BuildSucceeded{t, "web", "web:" + std::to_string(++n)}));
    benchmark::DoNotOptimize(c.Handle(DeploySucceeded{t, id, {"container/web"}}));
    benchmark::DoNotOptimize(
        c.Handle(ResourceObserved{t, id, {.resource = "container/web", .ready_replicas = 1}}));
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_BuildDeployIteration);

}  // namespace
}  // namespace devloop::domain

BENCHMARK_MAIN();
