// Reads a container-structure-test file (YAML or JSON, schemaVersion "2.0.0")
// into domain/structuretest's TestFile, for devloop's built-in runner
// (structure_runner.h). Every problem is reported with its place, in the
// format of skaffold.yaml errors:
//
//   cst/web.yaml:7:5: unknown field "expectedOuput" in commandTests[0] (did you mean "expectedOutput"?)
//
//   absl::StatusOr<structuretest::TestFile> file =
//       ParseStructureTestFile(text, "cst/web.yaml");  // InvalidArgument, one line per error
//   absl::Status args = CheckStructureTestArgs({"--driver=docker"});
//
// Not read (an error naming the field): licenseTests and containerRunOptions.
//
// Thread-safe: pure functions.
#ifndef DEVLOOP_INFRA_TESTER_STRUCTURE_TEST_FILE_H_
#define DEVLOOP_INFRA_TESTER_STRUCTURE_TEST_FILE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/structuretest/spec.h"

namespace devloop::tester {

// Parses `text`, the contents of the file `file` (as shown in errors).
// InvalidArgument listing every error ("file:line:column: message").
absl::StatusOr<structuretest::TestFile> ParseStructureTestFile(const std::string& text,
                                                              const std::string& file);

// Checks skaffold.yaml's structureTestsArgs are ones the built-in runner
// honours: the docker driver (`--driver=docker`, `--driver docker`, `-d
// docker`) and `--no-color`. InvalidArgument naming the first other one.
absl::Status CheckStructureTestArgs(const std::vector<std::string>& args);

}  // namespace devloop::tester

#endif  // DEVLOOP_INFRA_TESTER_STRUCTURE_TEST_FILE_H_
