#include "domain/structuretest/check.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace devloop::structuretest {
namespace {

// The st_mode bits, spelled out here so the domain needs no <sys/stat.h>.
constexpr uint32_t kTypeMask = 0170000;
constexpr uint32_t kSocket = 0140000;
constexpr uint32_t kSymlink = 0120000;
constexpr uint32_t kBlockDevice = 0060000;
constexpr uint32_t kDirectory = 0040000;
constexpr uint32_t kCharDevice = 0020000;
constexpr uint32_t kFifo = 0010000;
constexpr uint32_t kSetuid = 04000;
constexpr uint32_t kSetgid = 02000;
constexpr uint32_t kSticky = 01000;

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// Shortens long output for a message; the whole of it is printed apart.
std::string Excerpt(absl::string_view text) {
  constexpr size_t kMax = 200;
  if (text.size() <= kMax) return Quoted(text);
  return absl::StrCat(Quoted(text.substr(0, kMax)), "...");
}

// Checks each expected regex matches `text` and no excluded one does.
void CheckRegexes(const std::vector<std::string>& expected,
                  const std::vector<std::string>& excluded, absl::string_view what,
                  absl::string_view text, const RegexSearch& search, TestResult* result) {
  for (const std::string& pattern : expected) {
    absl::StatusOr<bool> found = search(pattern, text);
    if (!found.ok()) {
      result->errors.push_back(
          absl::StrCat("invalid regex ", Quoted(pattern), ": ", found.status().message()));
    } else if (!*found) {
      result->errors.push_back(absl::StrCat("expected ", what, " to match ", Quoted(pattern),
                                            ", but it did not: ", Excerpt(text)));
    }
  }
  for (const std::string& pattern : excluded) {
    absl::StatusOr<bool> found = search(pattern, text);
    if (!found.ok()) {
      result->errors.push_back(
          absl::StrCat("invalid regex ", Quoted(pattern), ": ", found.status().message()));
    } else if (*found) {
      result->errors.push_back(absl::StrCat("excluded ", Quoted(pattern), " matched in ", what,
                                            ": ", Excerpt(text)));
    }
  }
}

TestResult Finish(TestResult result) {
  result.pass = result.errors.empty();
  return result;
}

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

std::string Expand(absl::string_view value, const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '$' || i + 1 == value.size()) {
      out += value[i];
      continue;
    }
    std::string name;
    size_t end = i + 1;
    if (value[end] == '{') {
      const size_t close = value.find('}', end);
      if (close == absl::string_view::npos) {
        out += value[i];
        continue;
      }
      name = std::string(value.substr(end + 1, close - end - 1));
      end = close + 1;
    } else {
      while (end < value.size() && IsNameChar(value[end])) ++end;
      name = std::string(value.substr(i + 1, end - i - 1));
      if (name.empty()) {
        out += value[i];
        continue;
      }
    }
    if (auto it = vars.find(name); it != vars.end()) out += it->second;
    i = end - 1;
  }
  return out;
}

std::map<std::string, std::string> EnvMap(const std::vector<std::string>& env) {
  std::map<std::string, std::string> vars;
  for (const std::string& e : env) {
    std::pair<std::string, std::string> kv = absl::StrSplit(e, absl::MaxSplits('=', 1));
    vars[kv.first] = kv.second;
  }
  return vars;
}

bool Contains(const std::vector<std::string>& list, absl::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// "8080" matches "8080/tcp"; "53/udp" only itself.
bool PortExposed(const std::vector<std::string>& exposed, absl::string_view port) {
  for (const std::string& e : exposed) {
    if (e == port) return true;
    if (!absl::StrContains(port, '/') && e == absl::StrCat(port, "/tcp")) return true;
  }
  return false;
}

std::string ListString(const std::vector<std::string>& list) {
  std::vector<std::string> quoted;
  for (const std::string& s : list) quoted.push_back(Quoted(s));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

// Checks `actual` equals `want`, or matches it as a regex when `is_regex`.
void CheckValue(const KeyValue& want, absl::string_view what, absl::string_view actual,
                const RegexSearch& search, TestResult* result) {
  if (!want.is_regex) {
    if (actual != want.value) {
      result->errors.push_back(absl::StrCat(what, " ", Quoted(want.key), " is ", Quoted(actual),
                                            ", expected ", Quoted(want.value)));
    }
    return;
  }
  absl::StatusOr<bool> found = search(want.value, actual);
  if (!found.ok()) {
    result->errors.push_back(
        absl::StrCat("invalid regex ", Quoted(want.value), ": ", found.status().message()));
  } else if (!*found) {
    result->errors.push_back(absl::StrCat(what, " ", Quoted(want.key), " is ", Quoted(actual),
                                          ", which does not match ", Quoted(want.value)));
  }
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const TestResult& result) {
  os << result.name << (result.pass ? ": PASS" : ": FAIL");
  for (const std::string& e : result.errors) os << "\n  " << e;
  return os;
}

std::string CommandTestName(const CommandTest& test) {
  return absl::StrCat("Command Test: ", test.name);
}
std::string FileExistenceTestName(const FileExistenceTest& test) {
  return absl::StrCat("File Existence Test: ", test.name);
}
std::string FileContentTestName(const FileContentTest& test) {
  return absl::StrCat("File Content Test: ", test.name);
}

TestResult DriverFailure(std::string name, absl::string_view why) {
  return TestResult{.name = std::move(name), .pass = false, .errors = {std::string(why)}};
}

TestResult CheckCommand(const CommandTest& test, const CommandOutcome& outcome,
                        const RegexSearch& search) {
  TestResult result{.name = CommandTestName(test), .outcome = outcome};
  if (outcome.exit_code != test.exit_code) {
    result.errors.push_back(absl::StrCat("exit code ", outcome.exit_code, ", expected ",
                                         test.exit_code));
  }
  CheckRegexes(test.expected_output, test.excluded_output, "stdout", outcome.stdout_text, search,
               &result);
  CheckRegexes(test.expected_error, test.excluded_error, "stderr", outcome.stderr_text, search,
               &result);
  return Finish(std::move(result));
}

TestResult CheckFileExistence(const FileExistenceTest& test,
                              const std::optional<FileFacts>& facts) {
  TestResult result{.name = FileExistenceTestName(test)};
  if (!test.should_exist) {
    if (facts.has_value()) {
      result.errors.push_back(absl::StrCat(Quoted(test.path), " exists but should not"));
    }
    return Finish(std::move(result));
  }
  if (!facts.has_value()) {
    result.errors.push_back(absl::StrCat(Quoted(test.path), " does not exist"));
    return Finish(std::move(result));
  }
  if (!test.permissions.empty()) {
    const std::string actual = FileModeString(facts->mode);
    if (actual != test.permissions) {
      result.errors.push_back(absl::StrCat(Quoted(test.path), " has permissions ", Quoted(actual),
                                           ", expected ", Quoted(test.permissions)));
    }
  }
  if (test.uid.has_value() && *test.uid != facts->uid) {
    result.errors.push_back(absl::StrCat(Quoted(test.path), " is owned by uid ", facts->uid,
                                         ", expected ", *test.uid));
  }
  if (test.gid.has_value() && *test.gid != facts->gid) {
    result.errors.push_back(absl::StrCat(Quoted(test.path), " belongs to gid ", facts->gid,
                                         ", expected ", *test.gid));
  }
  uint32_t bits = 0;
  const char* who = "";
  switch (test.executable_by) {
    case ExecutableBy::kUnchecked:
      break;
    case ExecutableBy::kOwner:
      bits = 0100, who = "its owner";
      break;
    case ExecutableBy::kGroup:
      bits = 0010, who = "its group";
      break;
    case ExecutableBy::kOther:
      bits = 0001, who = "others";
      break;
    case ExecutableBy::kAny:
      bits = 0111, who = "anyone";
      break;
  }
  if (bits != 0 && (facts->mode & bits) == 0) {
    result.errors.push_back(absl::StrCat(Quoted(test.path), " (", FileModeString(facts->mode),
                                         ") is not executable by ", who));
  }
  return Finish(std::move(result));
}

TestResult CheckFileContent(const FileContentTest& test,
                            const absl::StatusOr<std::string>& contents,
                            const RegexSearch& search) {
  TestResult result{.name = FileContentTestName(test)};
  if (!contents.ok()) {
    result.errors.push_back(
        absl::StrCat("cannot read ", Quoted(test.path), ": ", contents.status().message()));
    return Finish(std::move(result));
  }
  CheckRegexes(test.expected_contents, test.excluded_contents,
               absl::StrCat("the contents of ", test.path), *contents, search, &result);
  return Finish(std::move(result));
}

TestResult CheckMetadata(const MetadataTest& test, const ImageMetadata& image,
                         const RegexSearch& search) {
  TestResult result{.name = kMetadataTestName};
  const std::map<std::string, std::string> env = EnvMap(image.env);
  for (const KeyValue& want : test.env) {
    auto it = env.find(want.key);
    if (it == env.end()) {
      result.errors.push_back(absl::StrCat("env var ", Quoted(want.key), " is not set"));
    } else {
      CheckValue(want, "env var", it->second, search, &result);
    }
  }
  for (const std::string& key : test.unbound_env) {
    if (env.contains(key)) {
      result.errors.push_back(absl::StrCat("env var ", Quoted(key), " is set (to ",
                                           Quoted(env.at(key)), ") but should not be"));
    }
  }
  for (const KeyValue& want : test.labels) {
    auto it = image.labels.find(want.key);
    if (it == image.labels.end()) {
      result.errors.push_back(absl::StrCat("label ", Quoted(want.key), " is not set"));
    } else {
      CheckValue(want, "label", it->second, search, &result);
    }
  }
  for (const std::string& port : test.exposed_ports) {
    if (!PortExposed(image.exposed_ports, port)) {
      result.errors.push_back(absl::StrCat("port ", port, " is not exposed (exposed: ",
                                           ListString(image.exposed_ports), ")"));
    }
  }
  for (const std::string& port : test.unexposed_ports) {
    if (PortExposed(image.exposed_ports, port)) {
      result.errors.push_back(absl::StrCat("port ", port, " is exposed but should not be"));
    }
  }
  for (const std::string& volume : test.volumes) {
    if (!Contains(image.volumes, volume)) {
      result.errors.push_back(absl::StrCat("volume ", Quoted(volume), " is not declared (volumes: ",
                                           ListString(image.volumes), ")"));
    }
  }
  for (const std::string& volume : test.unmounted_volumes) {
    if (Contains(image.volumes, volume)) {
      result.errors.push_back(
          absl::StrCat("volume ", Quoted(volume), " is declared but should not be"));
    }
  }
  if (test.entrypoint.has_value() && *test.entrypoint != image.entrypoint) {
    result.errors.push_back(absl::StrCat("entrypoint is ", ListString(image.entrypoint),
                                         ", expected ", ListString(*test.entrypoint)));
  }
  if (test.cmd.has_value() && *test.cmd != image.cmd) {
    result.errors.push_back(absl::StrCat("cmd is ", ListString(image.cmd), ", expected ",
                                         ListString(*test.cmd)));
  }
  if (test.workdir.has_value() && *test.workdir != image.workdir) {
    result.errors.push_back(absl::StrCat("workdir is ", Quoted(image.workdir), ", expected ",
                                         Quoted(*test.workdir)));
  }
  if (test.user.has_value() && *test.user != image.user) {
    result.errors.push_back(
        absl::StrCat("user is ", Quoted(image.user), ", expected ", Quoted(*test.user)));
  }
  return Finish(std::move(result));
}

std::map<std::string, std::string> CommandEnv(const std::vector<std::string>& image_env,
                                              const std::vector<KeyValue>& global,
                                              const std::vector<KeyValue>& test) {
  std::map<std::string, std::string> seen = EnvMap(image_env);
  std::map<std::string, std::string> out;
  for (const std::vector<KeyValue>* list : {&global, &test}) {
    for (const KeyValue& kv : *list) {
      std::string value = Expand(kv.value, seen);
      seen[kv.key] = value;
      out[kv.key] = std::move(value);
    }
  }
  return out;
}

std::string FileModeString(uint32_t mode) {
  std::string out;
  switch (mode & kTypeMask) {
    case kDirectory:
      out += 'd';
      break;
    case kSymlink:
      out += 'L';
      break;
    case kBlockDevice:
      out += 'D';
      break;
    case kFifo:
      out += 'p';
      break;
    case kSocket:
      out += 'S';
      break;
    default:
      break;
  }
  if ((mode & kTypeMask) == kCharDevice) out += 'D';
  if (mode & kSetuid) out += 'u';
  if (mode & kSetgid) out += 'g';
  if ((mode & kTypeMask) == kCharDevice) out += 'c';
  if (mode & kSticky) out += 't';
  if (out.empty()) out += '-';
  static constexpr char kRwx[] = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) out += (mode & (0400u >> i)) ? kRwx[i] : '-';
  return out;
}

std::vector<std::string> FormatFileHeader(absl::string_view path) {
  const std::string title = absl::StrCat("====== Test file: ", path, " ======");
  const std::string rule(title.size(), '=');
  return {rule, title, rule};
}

std::vector<std::string> FormatResult(const TestResult& result) {
  std::vector<std::string> lines = {absl::StrCat("=== RUN: ", result.name),
                                    result.pass ? "--- PASS" : "--- FAIL"};
  if (result.pass) return lines;
  if (result.outcome.has_value()) {
    for (absl::string_view line : absl::StrSplit(result.outcome->stdout_text, '\n', absl::SkipEmpty())) {
      lines.push_back(absl::StrCat("stdout: ", line));
    }
    for (absl::string_view line : absl::StrSplit(result.outcome->stderr_text, '\n', absl::SkipEmpty())) {
      lines.push_back(absl::StrCat("stderr: ", line));
    }
  }
  for (const std::string& e : result.errors) lines.push_back(absl::StrCat("Error: ", e));
  return lines;
}

std::vector<std::string> FormatSummary(const std::vector<TestResult>& results) {
  int passes = 0;
  for (const TestResult& r : results) passes += r.pass ? 1 : 0;
  const int failures = static_cast<int>(results.size()) - passes;
  return {"",
          "=====================================",
          "============== RESULTS ==============",
          "=====================================",
          absl::StrCat("Passes:      ", passes),
          absl::StrCat("Failures:    ", failures),
          absl::StrCat("Total tests: ", results.size()),
          "",
          failures == 0 ? "PASS" : "FAIL"};
}

}  // namespace devloop::structuretest
