#include "infra/tester/local_tester.h"

#include <glob.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/events/status_payload.h"
#include "domain/paths/path.h"
#include "infra/tester/structure_test_file.h"

namespace devloop::tester {
namespace {

absl::Status Failed(std::string message) {
  return domain::WithStatusCode(absl::AbortedError(std::move(message)),
                                domain::StatusCode::kTestUnknown);
}

absl::Status Cancelled() { return absl::CancelledError("tests cancelled"); }

// "web:v1@sha256:..." -> "web:v1": the digest devloop appends tells its own
// builds apart; tools address the image by its tag.
std::string WithoutDigest(const std::string& reference) {
  const size_t at = reference.find('@');
  return at == std::string::npos ? reference : reference.substr(0, at);
}

// Returns the files `pattern` (relative to `dir`) matches, sorted.
std::vector<std::string> Glob(const std::string& dir, const std::string& pattern) {
  const std::string full = domain::ResolvePath(dir, pattern);
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(full.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return out;
}

}  // namespace

LocalTester::LocalTester(process::ProcessRunner* runner, LocalTesterOptions options)
    : runner_(runner), options_(std::move(options)) {}

void LocalTester::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  for (process::Process* p : running_) p->Cancel();
  for (StructureRunner* r : runners_) r->Cancel();
}

absl::Status LocalTester::Test(const TestRequest& request) {
  int64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = generation_;
  }
  std::vector<const ImageTests*> mine;
  for (const ImageTests& t : options_.tests) {
    if (t.image == request.image) mine.push_back(&t);
  }
  if (mine.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no tests for artifact ", request.image));
  }
  const std::string image = WithoutDigest(request.reference);
  for (const ImageTests* tests : mine) {
    for (const CustomTestCommand& custom : tests->custom) {
      process::ProcessSpec spec;
      spec.argv = {"sh", "-c", custom.command};
      spec.env = {{"IMAGE", image}};
      spec.working_dir = tests->working_dir;
      spec.timeout = custom.timeout;
      spec.on_stdout = request.on_output;
      spec.on_stderr = request.on_output;
      absl::Status s =
          RunOne(generation, absl::StrCat("custom test \"", custom.command, "\""), spec);
      if (!s.ok()) return s;
    }
    if (!tests->structure_tests.empty()) {
      absl::Status s = StructureTests(generation, *tests, image, request);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status LocalTester::StructureTests(int64_t generation, const ImageTests& tests,
                                         const std::string& image, const TestRequest& request) {
  std::vector<std::string> files;
  for (const std::string& pattern : tests.structure_tests) {
    std::vector<std::string> matched = Glob(tests.working_dir, pattern);
    if (matched.empty()) {
      return Failed(absl::StrCat("structure tests of ", tests.image, ": \"", pattern,
                                 "\" matches no file in ", tests.working_dir));
    }
    files.insert(files.end(), matched.begin(), matched.end());
  }
  if (options_.structure_test_binary.empty()) {
    return BuiltInStructureTests(generation, tests, files, image, request);
  }
  process::ProcessSpec spec;
  spec.argv = {options_.structure_test_binary, "test", "--image", image};
  for (const std::string& f : files) {
    spec.argv.push_back("--config");
    spec.argv.push_back(f);
  }
  spec.argv.insert(spec.argv.end(), tests.structure_tests_args.begin(),
                   tests.structure_tests_args.end());
  spec.working_dir = tests.working_dir;
  spec.on_stdout = request.on_output;
  spec.on_stderr = request.on_output;
  return RunOne(generation,
                absl::StrCat("structure tests (", absl::StrJoin(tests.structure_tests, ", "), ")"),
                spec);
}

absl::Status LocalTester::BuiltInStructureTests(int64_t generation, const ImageTests& tests,
                                                const std::vector<std::string>& files,
                                                const std::string& image,
                                                const TestRequest& request) {
  const std::string what =
      absl::StrCat("structure tests (", absl::StrJoin(tests.structure_tests, ", "), ")");
  if (options_.docker == nullptr) {
    return Failed(absl::StrCat(what, ": container-structure-test is not installed, and devloop's "
                               "built-in runner needs the Docker Engine"));
  }
  if (absl::Status args = CheckStructureTestArgs(tests.structure_tests_args); !args.ok()) {
    return Failed(absl::StrCat(what, " of ", tests.image, ": ", args.message()));
  }
  StructureRunner runner(options_.docker, {.labels = options_.container_labels});
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation != generation_) return Cancelled();
    runners_.insert(&runner);
  }
  const absl::Status s = runner.Run(image, files, request.on_output);
  {
    std::lock_guard<std::mutex> lock(mu_);
    runners_.erase(&runner);
  }
  if (s.ok()) return s;
  if (s.code() == absl::StatusCode::kCancelled) return Cancelled();
  return Failed(absl::StrCat(what, " failed (devloop's built-in runner; container-structure-test "
                             "is not installed): ", s.message()));
}

absl::Status LocalTester::RunOne(int64_t generation, const std::string& what,
                                 const process::ProcessSpec& spec) {
  absl::StatusOr<std::unique_ptr<process::Process>> started;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation != generation_) return Cancelled();
    started = runner_->Start(spec);
    if (started.ok()) running_.insert(started->get());
  }
  if (!started.ok()) {
    if (started.status().code() == absl::StatusCode::kNotFound &&
        spec.argv[0] == options_.structure_test_binary) {
      return Failed(absl::StrCat(what, ": ", spec.argv[0],
                                 " is not installed (build it with tools/cst/build.sh, which "
                                 "links it into ~/.cache/devloop/bin, or put it on PATH; "
                                 "without it devloop runs its built-in runner)"));
    }
    return Failed(absl::StrCat(what, " did not start: ", started.status().message()));
  }
  const process::ExitStatus exit = (*started)->Wait();
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(started->get());
  }
  if (exit.cancelled) return Cancelled();
  if (exit.timed_out) {
    return Failed(absl::StrCat(what, " timed out after ", absl::FormatDuration(spec.timeout)));
  }
  if (exit.exit_code != 0) {
    return Failed(exit.signal != 0
                      ? absl::StrCat(what, " was killed by signal ", exit.signal)
                      : absl::StrCat(what, " failed with exit code ", exit.exit_code));
  }
  return absl::OkStatus();
}

}  // namespace devloop::tester
