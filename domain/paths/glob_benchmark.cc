// How long matching a changed file against a sync rule's glob takes: compiled
// once (PlanSync's way), compiled per call (GlobMatch's way, as the fuzzer
// checks), and a pathological many-star pattern on a long path.
#include <string>

#include "benchmark/benchmark.h"
#include "domain/paths/glob.h"

namespace devloop::domain {
namespace {

constexpr char kPattern[] = "static/**/*.css";
constexpr char kPath[] = "static/css/deep/site.css";

void BM_GlobMatchCompiled(benchmark::State& state) {
  const Glob glob = *Glob::Compile(kPattern);
  for (auto _ : state) benchmark::DoNotOptimize(glob.Matches(kPath));
}
BENCHMARK(BM_GlobMatchCompiled);

void BM_GlobMatchOneOff(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(GlobMatch(kPattern, kPath));
}
BENCHMARK(BM_GlobMatchOneOff);

// Linear in pattern x path: a backtracking matcher would not finish this.
void BM_GlobManyStars(benchmark::State& state) {
  const Glob glob = *Glob::Compile("**/*a*a*a*a*a*a*a*a*b");
  const std::string path = "x/y/" + std::string(state.range(0), 'a');
  for (auto _ : state) benchmark::DoNotOptimize(glob.Matches(path));
}
BENCHMARK(BM_GlobManyStars)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace devloop::domain

BENCHMARK_MAIN();
