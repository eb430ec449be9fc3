// The judgement of container-structure-test: what a driver observed in an
// image (a command's output and exit code, a file's mode and owner, a file's
// contents, the image's config) against a test of spec.h, as a pass or a
// failure with its reasons; and the report, in the text format of the
// container-structure-test CLI (`=== RUN: ...`, `--- PASS` / `--- FAIL`, the
// RESULTS summary). No I/O: the driver lives in infra/tester.
//
//   RegexSearch search = ...;  // RE2 in infra; regexes match anywhere in the text
//   TestResult r = CheckCommand(test, {.stdout_text = "hi\n", .exit_code = 0}, search);
//   for (const std::string& line : FormatResult(r)) Print(line);
//
// Free functions over values: thread-compatible.
#ifndef DEVLOOP_DOMAIN_STRUCTURETEST_CHECK_H_
#define DEVLOOP_DOMAIN_STRUCTURETEST_CHECK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/structuretest/spec.h"

namespace devloop::structuretest {

// Returns whether `pattern` matches somewhere in `text`; InvalidArgument when
// the pattern is not a valid regex.
using RegexSearch =
    std::function<absl::StatusOr<bool>(absl::string_view pattern, absl::string_view text)>;

struct CommandOutcome {
  std::string stdout_text;
  std::string stderr_text;
  int exit_code = 0;
};

// What a driver found at a path (symlinks followed).
struct FileFacts {
  uint32_t mode = 0;  // st_mode: type and permission bits
  int64_t uid = 0;
  int64_t gid = 0;
};

// An image's config, as the metadata test sees it.
struct ImageMetadata {
  std::vector<std::string> env;  // "KEY=value"
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;  // "8080/tcp"
  std::vector<std::string> volumes;        // "/data"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string workdir;
  std::string user;
};

struct TestResult {
  std::string name;  // "Command Test: hello", "Metadata Test"
  bool pass = true;
  std::vector<std::string> errors;  // why it failed, one reason each
  // A command test's output, shown when it fails.
  std::optional<CommandOutcome> outcome;
  bool operator==(const TestResult& o) const {
    return name == o.name && pass == o.pass && errors == o.errors;
  }
};
std::ostream& operator<<(std::ostream& os, const TestResult& result);

// The names the CLI gives each kind of test in its report.
std::string CommandTestName(const CommandTest& test);
std::string FileExistenceTestName(const FileExistenceTest& test);
std::string FileContentTestName(const FileContentTest& test);
inline constexpr char kMetadataTestName[] = "Metadata Test";

// Returns a failed result for a test the driver could not carry out.
TestResult DriverFailure(std::string name, absl::string_view why);

TestResult CheckCommand(const CommandTest& test, const CommandOutcome& outcome,
                        const RegexSearch& search);
// `facts` is nullopt when nothing exists at the path.
TestResult CheckFileExistence(const FileExistenceTest& test, const std::optional<FileFacts>& facts);
// `contents` is the file's bytes, or why they could not be read (NotFound
// when there is no such file).
TestResult CheckFileContent(const FileContentTest& test,
                            const absl::StatusOr<std::string>& contents,
                            const RegexSearch& search);
TestResult CheckMetadata(const MetadataTest& test, const ImageMetadata& image,
                         const RegexSearch& search);

// Returns the variables a command test's container gets: `global` then
// `test`, each value with $NAME / ${NAME} expanded against the image's env
// ("KEY=value") and the variables set before it (unknown names expand to "").
std::map<std::string, std::string> CommandEnv(const std::vector<std::string>& image_env,
                                              const std::vector<KeyValue>& global,
                                              const std::vector<KeyValue>& test);

// Returns `mode` (st_mode) as Go's os.FileMode prints it, which is what
// `permissions` is compared with: "-rw-r--r--", "drwxr-xr-x", "Lrwxrwxrwx",
// "urwxr-xr-x" (setuid), "dtrwxrwxrwx" (sticky directory).
std::string FileModeString(uint32_t mode);

// The report, line by line (no newlines).
std::vector<std::string> FormatFileHeader(absl::string_view path);
std::vector<std::string> FormatResult(const TestResult& result);
std::vector<std::string> FormatSummary(const std::vector<TestResult>& results);

}  // namespace devloop::structuretest

#endif  // DEVLOOP_DOMAIN_STRUCTURETEST_CHECK_H_
