// LocalTester: runs skaffold.yaml `test` on this machine, as Skaffold does.
//
//   - test[].custom[]: `sh -c COMMAND` in the test's context directory with the
//     environment of devloop plus IMAGE (the built reference, without the
//     digest devloop may append), within timeoutSeconds when one is set. A
//     non-zero exit fails the test.
//   - test[].structureTests: with every file the globs match (relative to the
//     test's context), `container-structure-test test --image IMAGE --config
//     FILE... ARGS...` when `structure_test_binary` names the CLI; when it is
//     "" (the CLI is not installed), devloop's built-in runner
//     (structure_runner.h: the docker driver, through `docker`, its
//     containers labelled with `container_labels`), which prints the CLI's
//     report to the same place. Without either, the test fails saying so.
//
//   LocalTester tester(&runner, {.tests = {{.image = "web", .working_dir = "/src",
//                                           .custom = {{.command = "go test ./..."}}}}});
//   absl::Status s = tester.Test({.image = "web", .reference = "web:3f2a"});
//
// Thread-safe: Test may run on several threads (one process or runner
// each); Cancel stops every running test.
#ifndef DEVLOOP_INFRA_TESTER_LOCAL_TESTER_H_
#define DEVLOOP_INFRA_TESTER_LOCAL_TESTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "infra/docker/docker.h"
#include "infra/process/process_runner.h"
#include "infra/tester/structure_runner.h"
#include "infra/tester/tester.h"

namespace devloop::tester {

struct CustomTestCommand {
  std::string command;  // run with `sh -c`
  absl::Duration timeout = absl::InfiniteDuration();
};

// The tests of one image.
struct ImageTests {
  std::string image;
  std::string working_dir;  // absolute: the test's context
  std::vector<CustomTestCommand> custom;
  std::vector<std::string> structure_tests;  // globs relative to working_dir
  std::vector<std::string> structure_tests_args;
};

struct LocalTesterOptions {
  std::vector<ImageTests> tests;
  // The container-structure-test CLI; "" runs the built-in runner instead.
  std::string structure_test_binary = "container-structure-test";
  // For the built-in runner; not owned, must outlive the tester. May be null
  // when structure_test_binary is set.
  docker::Docker* docker = nullptr;
  std::map<std::string, std::string> container_labels;
};

class LocalTester : public Tester {
 public:
  // `runner` is not owned and must outlive the tester.
  LocalTester(process::ProcessRunner* runner, LocalTesterOptions options);

  absl::Status Test(const TestRequest& request) override;
  void Cancel() override;

 private:
  // Runs one test process; `what` names it in errors ("custom test \"make\"").
  absl::Status RunOne(int64_t generation, const std::string& what,
                      const process::ProcessSpec& spec);
  absl::Status StructureTests(int64_t generation, const ImageTests& tests,
                              const std::string& image, const TestRequest& request);
  absl::Status BuiltInStructureTests(int64_t generation, const ImageTests& tests,
                                     const std::vector<std::string>& files,
                                     const std::string& image, const TestRequest& request);

  process::ProcessRunner* const runner_;
  const LocalTesterOptions options_;

  std::mutex mu_;
  std::set<process::Process*> running_;  // guarded by mu_
  std::set<StructureRunner*> runners_;    // guarded by mu_
  // Bumped by Cancel: a Test that began under an older value stops.
  int64_t generation_ = 0;  // guarded by mu_
};

}  // namespace devloop::tester

#endif  // DEVLOOP_INFRA_TESTER_LOCAL_TESTER_H_
