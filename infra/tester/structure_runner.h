// StructureRunner: devloop's own runner for container-structure-test files
// (schemaVersion "2.0.0", the docker driver), used for skaffold.yaml
// `test[].structureTests` when the container-structure-test CLI is not
// installed. It runs against an image present in the local Docker Engine:
//
//   - commandTests: each in fresh containers of the image: every `setup`
//     command in its own container, committed as the image the next step
//     runs in; then the command (the image's ENTRYPOINT replaced by it), whose
//     stdout, stderr and exit code are checked; then each `teardown` command.
//     globalEnvVars and the test's envVars are set, $VAR expanded.
//   - fileExistenceTests, fileContentTests: read through the Engine's archive
//     endpoint from a created, never started, container, so they work on
//     images FROM scratch without a shell. Symlinks are followed.
//   - metadataTest: against the image's config.
//
// It prints what the CLI prints (`=== RUN: ...`, `--- PASS` / `--- FAIL` with
// the reasons, the RESULTS summary). Every container and committed image it
// makes carries `labels` and is removed before Run returns, whatever the
// outcome. Regexes are RE2, matched anywhere in the text.
//
//   StructureRunner runner(&docker, {.labels = {{"dev.devloop.run-id", run_id}}});
//   absl::Status s = runner.Run("web:3f2a", {"/src/cst/web.yaml"},
//                               [](absl::string_view line) { Print(line); });
//
// Thread-safe: Cancel may be called from any thread while Run runs; one Run
// at a time per runner.
#ifndef DEVLOOP_INFRA_TESTER_STRUCTURE_RUNNER_H_
#define DEVLOOP_INFRA_TESTER_STRUCTURE_RUNNER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "domain/structuretest/check.h"
#include "domain/structuretest/spec.h"
#include "infra/docker/docker.h"

namespace devloop::tester {

struct StructureRunnerOptions {
  // Put on every container and image the runner makes.
  std::map<std::string, std::string> labels;
};

class StructureRunner {
 public:
  // `docker` is not owned and must outlive the runner.
  StructureRunner(docker::Docker* docker, StructureRunnerOptions options);

  // Runs every test of `files` (paths on this machine; shown as given)
  // against `image`, writing the report to `on_output` (may be empty) line by
  // line. Returns OK when every test passed; Aborted naming the failing tests;
  // InvalidArgument, before anything runs, when a file cannot be read or is
  // not a valid test file (naming file:line); NotFound without the image;
  // Cancelled after Cancel; a Docker error when the engine fails.
  absl::Status Run(const std::string& image, const std::vector<std::string>& files,
                   const std::function<void(absl::string_view)>& on_output);

  // Makes Run stop soon with Cancelled (its containers are still removed).
  void Cancel();

 private:
  // Runs `argv` in a new container of `image` and waits for it to end.
  // When `committed` is not null, commits the ended container and sets it to
  // the new image's id.
  absl::StatusOr<structuretest::CommandOutcome> Execute(
      const std::string& image, const std::vector<std::string>& argv,
      const std::map<std::string, std::string>& env, std::string* committed);
  structuretest::TestResult CommandTest(const structuretest::CommandTest& test,
                                        const std::string& image,
                                        const std::vector<structuretest::KeyValue>& global_env,
                                        const std::vector<std::string>& image_env);
  // Reads `path` in `container`, following symlinks. NotFound when absent.
  absl::StatusOr<docker::PathEntry> Resolve(const std::string& container, std::string path);
  bool cancelled();

  docker::Docker* const docker_;
  const StructureRunnerOptions options_;

  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  docker::LogFollower* follower_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// Answers whether RE2 `pattern` matches somewhere in `text`.
absl::StatusOr<bool> Re2Search(absl::string_view pattern, absl::string_view text);

}  // namespace devloop::tester

#endif  // DEVLOOP_INFRA_TESTER_STRUCTURE_RUNNER_H_
