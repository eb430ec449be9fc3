// A container-structure-test file (schemaVersion "2.0.0") as plain values: the
// tests one file asks of an image. infra/tester/structure_test_file.h reads the
// YAML into it; check.h judges what a driver observed against it.
//
//   TestFile file{.path = "cst/web.yaml"};
//   file.command_tests.push_back({.name = "hello", .command = "/bin/echo",
//                                 .args = {"hi"}, .expected_output = {"^hi$"}});
//   file.metadata = MetadataTest{.workdir = "/app"};
//
// Value types: thread-compatible.
#ifndef DEVLOOP_DOMAIN_STRUCTURETEST_SPEC_H_
#define DEVLOOP_DOMAIN_STRUCTURETEST_SPEC_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace devloop::structuretest {

// `key: value`; `is_regex` makes value a regex (metadata env and labels only).
struct KeyValue {
  std::string key;
  std::string value;
  bool is_regex = false;
  bool operator==(const KeyValue&) const = default;
};
std::ostream& operator<<(std::ostream& os, const KeyValue& kv);

struct CommandTest {
  std::string name;
  // Each runs in a container of the image so far, which then becomes the
  // image the next step (and the command) runs in.
  std::vector<std::vector<std::string>> setup;
  std::vector<std::vector<std::string>> teardown;
  std::string command;
  std::vector<std::string> args;
  std::vector<KeyValue> env_vars;
  std::vector<std::string> expected_output;  // regexes on stdout
  std::vector<std::string> excluded_output;
  std::vector<std::string> expected_error;   // regexes on stderr
  std::vector<std::string> excluded_error;
  int exit_code = 0;
  bool operator==(const CommandTest&) const = default;
};

enum class ExecutableBy { kUnchecked, kOwner, kGroup, kOther, kAny };

struct FileExistenceTest {
  std::string name;
  std::string path;
  bool should_exist = true;
  std::string permissions;  // "" = unchecked; else like Go's FileMode ("-rw-r--r--", "drwxr-xr-x")
  std::optional<int64_t> uid;
  std::optional<int64_t> gid;
  ExecutableBy executable_by = ExecutableBy::kUnchecked;
  bool operator==(const FileExistenceTest&) const = default;
};

struct FileContentTest {
  std::string name;
  std::string path;
  std::vector<std::string> expected_contents;  // regexes
  std::vector<std::string> excluded_contents;
  bool operator==(const FileContentTest&) const = default;
};

// Every field is optional: an absent one is not checked.
struct MetadataTest {
  std::vector<KeyValue> env;
  std::vector<std::string> unbound_env;  // keys that must not be set
  std::vector<KeyValue> labels;
  std::vector<std::string> exposed_ports;    // "8080" or "8080/tcp"
  std::vector<std::string> unexposed_ports;
  std::vector<std::string> volumes;
  std::vector<std::string> unmounted_volumes;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::optional<std::string> workdir;
  std::optional<std::string> user;
  bool operator==(const MetadataTest&) const = default;
};

struct TestFile {
  std::string path;  // as shown in output and errors
  std::vector<KeyValue> global_env_vars;
  std::vector<CommandTest> command_tests;
  std::vector<FileExistenceTest> file_existence_tests;
  std::vector<FileContentTest> file_content_tests;
  std::optional<MetadataTest> metadata;
  bool operator==(const TestFile&) const = default;
};

}  // namespace devloop::structuretest

#endif  // DEVLOOP_DOMAIN_STRUCTURETEST_SPEC_H_
