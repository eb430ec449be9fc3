// Cost of one controller decision.
//
//   bazel run -c opt //domain/pipeline:controller_benchmark
//
// BM_SyncIteration: one whole sync iteration (change -> SyncFiles -> result),
//   two Handle calls, for a pipeline of N artifacts.
// BM_BuildDeployIteration: change -> build -> deploy -> status check -> done,
//   four Handle calls (stability window 0, as before the window existed).
// BM_BuildDeployIterationWithWindow: the same with the default 1 s window,
//   five Handle calls (a second ready observation ends the check).
#include <string>

#include "benchmark/benchmark.h"
#include "domain/pipeline/controller.h"

namespace devloop::domain {
namespace {

Controller Running(int artifacts) {
  ControllerOptions o;
  for (int i = 0; i < artifacts; ++i) {
    o.artifacts.push_back(
        ArtifactSpec{"img" + std::to_string(i), {}, {{"static/**", "/srv", "static/"}}});
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

// One build-deploy-check iteration per loop: change, build, deploy, and the
// observations that end the check (one ready observation with a zero
// stability window; two, a window apart, with the default window of 1 s).
void BuildDeployIteration(benchmark::State& bench, absl::Duration window) {
  ControllerOptions o;
  o.artifacts = {ArtifactSpec{"web"}};
  o.status_check_options.stability_window = window;
  Controller c = *Controller::Make(o);
  absl::Time t = absl::FromUnixSeconds(1800000000);
  const ResourceObservation ready{.resource = "container/web", .ready_replicas = 1};
  auto observe_until_up = [&](int64_t id) {
    benchmark::DoNotOptimize(c.Handle(ResourceObserved{t, id, ready}));
    if (window > absl::ZeroDuration()) {
      t += window;
      benchmark::DoNotOptimize(c.Handle(ResourceObserved{t, id, ready}));
    }
  };
  (void)c.Handle(Start{t});
  (void)c.Handle(BuildSucceeded{t, "web", "web:0"});
  int64_t id = 1;
  (void)c.Handle(DeploySucceeded{t, id, {"container/web"}});
  observe_until_up(id);
  int n = 0;
  for (auto _ : bench) {
    ++id;
    t += absl::Seconds(1);
    benchmark::DoNotOptimize(c.Handle(FilesChanged{t, "web", {{"main.go"}}}));
    benchmark::DoNotOptimize(c.Handle(BuildSucceeded{t, "web", "web:" + std::to_string(++n)}));
    benchmark::DoNotOptimize(c.Handle(DeploySucceeded{t, id, {"container/web"}}));
    observe_until_up(id);
  }
  if (c.mode() != Controller::Mode::kIdle) bench.SkipWithError("the iteration did not end");
  bench.SetItemsProcessed(bench.iterations());
}

// Four Handle calls: the same work the benchmark measured before the window.
void BM_BuildDeployIteration(benchmark::State& bench) {
  BuildDeployIteration(bench, absl::ZeroDuration());
}
BENCHMARK(BM_BuildDeployIteration);

// Five Handle calls: the default 1 s stability window needs a second observation.
void BM_BuildDeployIterationWithWindow(benchmark::State& bench) {
  BuildDeployIteration(bench, absl::Seconds(1));
}
BENCHMARK(BM_BuildDeployIterationWithWindow);

}  // namespace
}  // namespace devloop::domain

BENCHMARK_MAIN();
