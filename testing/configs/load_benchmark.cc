// How long reading a config takes: devloop reads skaffold.yaml at start and again
// when it changes, so this is on the path from save to running code.
#include <string>

#include "benchmark/benchmark.h"
#include "infra/config/loader.h"
#include "infra/config/to_yaml.h"
#include "testing/configs/in_memory_config_files.h"

namespace devloop::config {
namespace {

// A microservices-style config with `n` artifacts, each with sync rules and a
// profile patch, like a larger real project.
std::string ConfigText(int n) {
  std::string yaml = "apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  artifacts:\n";
  for (int i = 0; i < n; ++i) {
    yaml += "  - image: svc" + std::to_string(i) + "\n    context: svc\n    docker:\n"
            "      buildArgs: {USER: \"{{.USER}}\"}\n    sync:\n      manual:\n"
            "      - {src: \"src/**/*.js\", dest: /app, strip: src/}\n";
  }
  yaml += "manifests:\n  rawYaml: [k8s/*.yaml]\nprofiles:\n- name: prod\n  patches:\n"
          "  - {op: replace, path: /build/artifacts/0/docker/buildArgs/USER, value: ci}\n";
  return yaml;
}

void BM_LoadConfigs(benchmark::State& state) {
  InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml", ConfigText(static_cast<int>(state.range(0))));
  files.Add("/p/svc/Dockerfile", "FROM scratch\n");
  LoadOptions options{.working_directory = "/p", .profiles = {"prod"}, .env = {{"USER", "ana"}}};
  for (auto _ : state) {
    absl::StatusOr<std::vector<Config>> configs = LoadConfigs(options, files);
    if (!configs.ok()) state.SkipWithError(std::string(configs.status().message()).c_str());
    benchmark::DoNotOptimize(configs);
  }
}
BENCHMARK(BM_LoadConfigs)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);

void BM_ToYaml(benchmark::State& state) {
  InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml", ConfigText(static_cast<int>(state.range(0))));
  files.Add("/p/svc/Dockerfile", "FROM scratch\n");
  absl::StatusOr<std::vector<Config>> configs =
      LoadConfigs({.working_directory = "/p"}, files);
  for (auto _ : state) benchmark::DoNotOptimize(ToYaml(*configs));
}
BENCHMARK(BM_ToYaml)->Arg(10)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace devloop::config

BENCHMARK_MAIN();
