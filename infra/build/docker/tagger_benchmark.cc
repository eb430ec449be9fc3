// What computing a tag costs per build, per policy: it runs before every
// image's tag is applied, so it sits on the save-to-running path. gitCommit
// runs git (2-3 processes) in a small real repository; inputDigest hashes a
// 50-file context.
#include <stdlib.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "infra/build/docker/image_builder.h"
#include "infra/build/tagger.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::build {
namespace {

const std::string& Repo() {
  static const std::string* dir = [] {
    char tmpl[] = "/tmp/devloop-tagger-bench-XXXXXX";
    auto* d = new std::string(::mkdtemp(tmpl));
    std::ofstream(*d + "/Dockerfile") << "FROM scratch\nCOPY . /app\n";
    for (int i = 0; i < 50; ++i) {
      std::ofstream(absl::StrCat(*d, "/f", i, ".txt")) << std::string(4096, 'a' + i % 26);
    }
    (void)std::system(absl::StrCat(
                          "cd ", *d,
                          " && git init -q . && git add -A && git -c user.name=b "
                          "-c user.email=b@example.com -c commit.gpgsign=false commit -qm b "
                          "&& git tag v1")
                          .c_str());
    return d;
  }();
  return *dir;
}

void Run(benchmark::State& state, config::TagPolicy policy) {
  process::PosixProcessRunner runner;
  std::unique_ptr<Tagger> tagger =
      *Tagger::Make({.policy = std::move(policy), .runner = &runner, .env = {{"USER", "ana"}}});
  for (auto _ : state) {
    absl::StatusOr<std::string> tag = tagger->Tag("web", Repo());
    if (!tag.ok()) state.SkipWithError(std::string(tag.status().message()).c_str());
    benchmark::DoNotOptimize(tag);
  }
}

void BM_Sha256(benchmark::State& s) { Run(s, config::Sha256Tagger{}); }
void BM_EnvTemplate(benchmark::State& s) {
  Run(s, config::EnvTemplateTagger{"{{.IMAGE_NAME}}-{{.USER}}"});
}
void BM_DateTime(benchmark::State& s) { Run(s, config::DateTimeTagger{}); }
void BM_InputDigest50Files(benchmark::State& s) { Run(s, config::InputDigestTagger{}); }
void BM_GitCommitTags(benchmark::State& s) { Run(s, config::GitCommitTagger{}); }
void BM_GitCommitShaIgnoreChanges(benchmark::State& s) {
  Run(s, config::GitCommitTagger{.variant = config::GitCommitVariant::kCommitSha,
                                 .ignore_changes = true});
}
void BM_CacheKey50Files(benchmark::State& s) {
  ArtifactBuildSpec spec{.spec = {.image = "web"}, .context_dir = Repo()};
  for (auto _ : s) benchmark::DoNotOptimize(InputDigest(spec, {}));
}

BENCHMARK(BM_Sha256);
BENCHMARK(BM_EnvTemplate);
BENCHMARK(BM_DateTime);
BENCHMARK(BM_InputDigest50Files)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GitCommitTags)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GitCommitShaIgnoreChanges)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CacheKey50Files)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace devloop::build

BENCHMARK_MAIN();
