// Benchmarks of the adapters that need real files, processes and the Docker
// Engine, with percentiles (Google Benchmark reports means). Each mode prints
// one result block; docs/BENCHMARKS.md records them.
//
//   adapters_bench latency      # file change (an in-place write, closed) -> callback
//   adapters_bench idle_cpu     # CPU while watching 100,000 idle files
//   adapters_bench hash         # context hashing vs sha256sum on the same files
//   adapters_bench copy         # CopyInto of one small file, direct and through the Engine,
//                               # vs docker exec tar (needs Docker; run as root, unsandboxed)
//   adapters_bench smoke        # a tiny run of each non-Docker mode, for the smoke test
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/fs/context_hash.h"
#include "infra/fs/inotify_watcher.h"
#include "infra/process/posix_process_runner.h"

namespace devloop {
namespace {

std::string TempDir(const char* what) {
  std::string tmpl = absl::StrCat("/tmp/devloop-bench-", what, "-XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) {
    perror("mkdtemp");
    exit(1);
  }
  return tmpl;
}

void PrintPercentiles(const char* what, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double p) { return us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))]; };
  absl::PrintF("%s: n=%d p50=%.0f us p90=%.0f us p99=%.0f us max=%.0f us\n", what, us.size(),
               at(0.5), at(0.9), at(0.99), us.back());
}

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int Latency(int iterations) {
  std::string dir = TempDir("latency");
  absl::Mutex mu;
  absl::Time arrived = absl::InfinitePast();
  int count = 0;
  auto watcher = fs::MakeInotifyWatcher(
      {.artifacts = {{.name = "a", .context_dir = dir}}});
  if (!watcher.ok() || !(*watcher)->Start([&](const fs::ChangeSet&) {
        absl::MutexLock lock(&mu);
        arrived = absl::Now();
        ++count;
      }).ok()) {
    absl::PrintF("cannot start the watcher\n");
    return 1;
  }
  std::vector<double> over;
  for (int i = 0; i < iterations; ++i) {
    absl::Time written = absl::Now();
    std::ofstream(dir + "/file.txt") << i;
    absl::MutexLock lock(&mu);
    int want = i + 1;
    auto done = [&] { return count >= want; };
    mu.Await(absl::Condition(&done));
    over.push_back(absl::ToDoubleMicroseconds(arrived - written));
  }
  (*watcher)->Stop();
  // A closed file settles its batch: the watcher reports it after
  // WatchOptions::settled_delay, not the quiet period.
  PrintPercentiles("change->callback", over);
  std::filesystem::remove_all(dir);
  return 0;
}

int IdleCpu(int files, absl::Duration idle) {
  std::string dir = TempDir("idle");
  for (int d = 0; d < files / 100; ++d) {
    std::string sub = absl::StrCat(dir, "/d", d);
    mkdir(sub.c_str(), 0755);
    for (int f = 0; f < 100; ++f) std::ofstream(absl::StrCat(sub, "/f", f, ".txt")) << f;
  }
  absl::Time start = absl::Now();
  double cpu0 = CpuSeconds();
  auto watcher = fs::MakeInotifyWatcher({.artifacts = {{.name = "a", .context_dir = dir}}});
  if (!watcher.ok() || !(*watcher)->Start([](const fs::ChangeSet&) {}).ok()) {
    absl::PrintF("cannot start the watcher\n");
    return 1;
  }
  absl::PrintF("start (watch %d dirs, %d files): %.0f ms wall, %.0f ms CPU\n", files / 100 + 1,
               files, absl::ToDoubleMilliseconds(absl::Now() - start), (CpuSeconds() - cpu0) * 1e3);
  double cpu1 = CpuSeconds();
  absl::SleepFor(idle);
  double cpu2 = CpuSeconds();
  absl::PrintF("idle %s: %.3f ms CPU (%.4f%% of one core)\n", absl::FormatDuration(idle),
               (cpu2 - cpu1) * 1e3, (cpu2 - cpu1) / absl::ToDoubleSeconds(idle) * 100);
  (*watcher)->Stop();
  std::filesystem::remove_all(dir);
  return 0;
}

int Hash(int files, int file_kib) {
  std::string dir = TempDir("hash");
  std::string content(file_kib * 1024, 'x');
  for (int i = 0; i < files; ++i) {
    content[i % content.size()] = 'a' + i % 26;
    std::string sub = absl::StrCat(dir, "/d", i / 100);
    mkdir(sub.c_str(), 0755);
    std::ofstream(absl::StrCat(sub, "/f", i)) << content;
  }
  double mib = files * file_kib / 1024.0;
  // Warm the page cache for both contenders.
  (void)fs::HashBuildContext(dir);
  absl::Time t0 = absl::Now();
  absl::StatusOr<std::string> digest = fs::HashBuildContext(dir);
  absl::Duration ours = absl::Now() - t0;
  process::PosixProcessRunner runner;
  t0 = absl::Now();
  auto exit = runner.Run({.argv = {"sh", "-c",
                                   absl::StrCat("cd ", dir,
                                                " && find . -type f | sort | xargs sha256sum "
                                                "> /dev/null")}});
  absl::Duration theirs = absl::Now() - t0;
  absl::PrintF("%d files, %.0f MiB: HashBuildContext %.0f ms (%.0f MiB/s); "
               "find|sort|xargs sha256sum %.0f ms (%.0f MiB/s)%s\n",
               files, mib, absl::ToDoubleMilliseconds(ours), mib / absl::ToDoubleSeconds(ours),
               absl::ToDoubleMilliseconds(theirs), mib / absl::ToDoubleSeconds(theirs),
               digest.ok() && exit.ok() && exit->success() ? "" : " (FAILED)");
  std::filesystem::remove_all(dir);
  return 0;
}

int Copy(int iterations) {
  auto docker = docker::EngineApiDocker::Create({});
  if (!docker.ok()) return 1;
  std::string ctx = TempDir("copy");
  std::filesystem::copy_file("/bin/busybox", ctx + "/busybox");
  std::ofstream(ctx + "/Dockerfile")
      << "FROM scratch\nCOPY busybox /bin/busybox\nCMD [\"/bin/busybox\",\"sleep\",\"1000\"]\n";
  std::string token = absl::StrFormat("%d-%d", getpid(), static_cast<int>(absl::ToUnixSeconds(absl::Now())));
  std::map<std::string, std::string> labels = {{"dev.devloop.test", token}};
  std::string tag = absl::StrCat("devloop-bench-copy-", token, ":dev");
  auto built = (*docker)->Build({.context_dir = ctx, .tags = {tag}, .labels = labels});
  if (!built.ok()) {
    absl::PrintF("build: %s\n", built.status().ToString());
    return 1;
  }
  auto id = (*docker)->Run({.image = tag, .name = absl::StrCat("devloop-bench-copy-", token),
                            .labels = labels});
  int rc = 0;
  if (id.ok()) {
    std::string file = ctx + "/index.html";
    std::ofstream(file) << "<h1>hello</h1>\n";
    // Times `iterations` copies by one adapter; fails unless `direct` says
    // truthfully which path every copy took.
    auto time_copies = [&](const char* what, docker::EngineApiDockerOptions options,
                           bool direct) {
      auto adapter = docker::EngineApiDocker::Create(options);
      std::vector<double> us;
      for (int i = 0; i < iterations && rc == 0 && adapter.ok(); ++i) {
        absl::Time t0 = absl::Now();
        absl::Status s = (*adapter)->CopyInto(*id, {{file, "/www/index.html"}});
        us.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
        if (!s.ok()) {
          absl::PrintF("%s: %s\n", what, s.ToString());
          rc = 1;
        }
      }
      if (!adapter.ok() || rc != 0) return;
      docker::DirectFilesStats stats = (*adapter)->direct_files_stats();
      if ((stats.files_copied == iterations) != direct || stats.fallbacks != 0) {
        absl::PrintF("%s: expected %s path, got %d direct copies, %d fallbacks (%s)\n", what,
                     direct ? "the direct" : "the Engine's", stats.files_copied, stats.fallbacks,
                     stats.last_fallback_reason);
        rc = 1;
        return;
      }
      PrintPercentiles(what, us);
    };
    using docker::DirectFiles;
    time_copies("CopyInto, direct through /proc/<pid>/root (default options)", {}, true);
    time_copies("CopyInto, direct, PID cache off (inspect on every call)",
                {.pid_cache_ttl = absl::ZeroDuration()}, true);
    time_copies("CopyInto, Engine archive endpoint (direct_files = kOff)",
                {.direct_files = DirectFiles::kOff}, false);
    process::PosixProcessRunner runner;
    std::vector<double> theirs;
    std::string tar;
    for (int i = 0; i < iterations && rc == 0; ++i) {
      // Skaffold's way: tar on the host, `docker exec -i … tar x` in the container.
      absl::Time t0 = absl::Now();
      auto exit = runner.Run(
          {.argv = {"sh", "-c",
                    absl::StrCat("tar -C ", ctx, " -cf - index.html | docker exec -i ", *id,
                                 " /bin/busybox tar -x -C / -f -")}});
      theirs.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
      if (!exit.ok() || !exit->success()) {
        absl::PrintF("docker exec tar failed\n");
        rc = 1;
      }
    }
    if (rc == 0) PrintPercentiles("tar | docker exec -i tar -x (Skaffold's way)", theirs);
    (void)(*docker)->Remove(*id, true);
  }
  (void)(*docker)->RemoveImage(tag, true);
  std::filesystem::remove_all(ctx);
  return rc;
}

}  // namespace
}  // namespace devloop

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "smoke";
  if (mode == "latency") return devloop::Latency(500);
  if (mode == "idle_cpu") return devloop::IdleCpu(100000, absl::Seconds(10));
  if (mode == "hash") return devloop::Hash(2000, 128);
  if (mode == "copy") return devloop::Copy(200);
  if (mode == "smoke") {
    return devloop::Latency(3) | devloop::IdleCpu(200, absl::Milliseconds(10)) |
           devloop::Hash(10, 1);
  }
  absl::PrintF("unknown mode %s; one of latency idle_cpu hash copy smoke\n", mode);
  return 2;
}
