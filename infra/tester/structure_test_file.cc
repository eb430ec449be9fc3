#include "infra/tester/structure_test_file.h"

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/config/errors.h"
#include "infra/config/yaml_util.h"

namespace devloop::tester {
namespace {

using config::ConfigError;
using config::internal::Child;
using config::internal::Describe;
using config::internal::Refused;
using config::internal::Walker;
using structuretest::CommandTest;
using structuretest::ExecutableBy;
using structuretest::FileContentTest;
using structuretest::FileExistenceTest;
using structuretest::KeyValue;
using structuretest::MetadataTest;
using structuretest::TestFile;

constexpr char kUnsupportedHint[] =
    "is not supported by devloop's built-in structure-test runner (install the "
    "container-structure-test CLI, which devloop then uses instead)";

constexpr char kUnsupportedSection[] =
    "devloop's built-in structure-test runner does not support it (install the "
    "container-structure-test CLI, which devloop then uses instead)";

std::string Item(const std::string& list, size_t i) { return absl::StrCat(list, "[", i, "]"); }

class Reader {
 public:
  Reader(std::string file, std::vector<ConfigError>* errors) : w_(std::move(file), errors) {}

  void Document(const YAML::Node& doc, TestFile* out) {
    if (!w_.Fields(doc, "",
                   {"schemaVersion", "globalEnvVars", "commandTests", "fileExistenceTests",
                    "fileContentTests", "metadataTest"},
                   {{"licenseTests", kUnsupportedSection},
                    {"containerRunOptions", kUnsupportedSection}})) {
      return;
    }
    std::string version;
    if (!w_.String(doc, "schemaVersion", "", &version)) {
      w_.Missing(doc, "schemaVersion", "");
    } else if (version != "2.0.0") {
      w_.Error(Child(doc, "schemaVersion"),
               absl::StrCat("schemaVersion \"", version,
                            "\" is not supported (devloop reads \"2.0.0\")"));
    }
    EnvList(doc, "globalEnvVars", "", /*allow_regex=*/false, &out->global_env_vars);
    Each(doc, "commandTests", [&](const YAML::Node& n, const std::string& path) {
      out->command_tests.push_back(Command(n, path));
    });
    Each(doc, "fileExistenceTests", [&](const YAML::Node& n, const std::string& path) {
      out->file_existence_tests.push_back(Existence(n, path));
    });
    Each(doc, "fileContentTests", [&](const YAML::Node& n, const std::string& path) {
      out->file_content_tests.push_back(Content(n, path));
    });
    if (YAML::Node m = Child(doc, "metadataTest"); m.IsDefined() && !m.IsNull()) {
      out->metadata = Metadata(m, "metadataTest");
    }
  }

 private:
  // Calls `f` for each item of the list at map[key].
  template <typename F>
  void Each(const YAML::Node& map, const std::string& key, F f) {
    YAML::Node v = Child(map, key);
    if (!v.IsDefined() || v.IsNull()) return;
    if (!v.IsSequence()) {
      w_.Error(v, absl::StrCat(key, ": expected a list, got ", Describe(v)));
      return;
    }
    size_t i = 0;
    for (const YAML::Node& item : v) f(item, Item(key, i++));
  }

  void Required(const YAML::Node& map, const std::string& key, const std::string& path,
                std::string* out) {
    if (!w_.String(map, key, path, out) || out->empty()) w_.Missing(map, key, path);
  }

  void EnvList(const YAML::Node& map, const std::string& key, const std::string& parent,
               bool allow_regex, std::vector<KeyValue>* out) {
    const std::string path = config::internal::Sub(parent, key);
    YAML::Node v = Child(map, key);
    if (!v.IsDefined() || v.IsNull()) return;
    if (!v.IsSequence()) {
      w_.Error(v, absl::StrCat(path, ": expected a list of {key, value}, got ", Describe(v)));
      return;
    }
    size_t i = 0;
    for (const YAML::Node& item : v) {
      const std::string p = Item(path, i++);
      std::vector<std::string> known = {"key", "value"};
      if (allow_regex) known.push_back("isRegex");
      if (!w_.Fields(item, p, known, {})) continue;
      KeyValue kv;
      Required(item, "key", p, &kv.key);
      w_.String(item, "value", p, &kv.value);
      if (allow_regex) w_.Bool(item, "isRegex", p, &kv.is_regex);
      out->push_back(std::move(kv));
    }
  }

  void CommandList(const YAML::Node& map, const std::string& key, const std::string& parent,
                   std::vector<std::vector<std::string>>* out) {
    const std::string path = config::internal::Sub(parent, key);
    YAML::Node v = Child(map, key);
    if (!v.IsDefined() || v.IsNull()) return;
    if (!v.IsSequence()) {
      w_.Error(v, absl::StrCat(path, ": expected a list of commands (each a list of strings), got ",
                               Describe(v)));
      return;
    }
    size_t i = 0;
    for (const YAML::Node& item : v) {
      const std::string p = Item(path, i++);
      if (!item.IsSequence() || item.size() == 0) {
        w_.Error(item, absl::StrCat(p, ": expected a command as a non-empty list of strings, got ",
                                    Describe(item)));
        continue;
      }
      std::vector<std::string> argv;
      size_t j = 0;
      for (const YAML::Node& word : item) {
        if (std::optional<std::string> s = w_.Scalar(word, Item(p, j++))) argv.push_back(*s);
      }
      out->push_back(std::move(argv));
    }
  }

  CommandTest Command(const YAML::Node& n, const std::string& path) {
    CommandTest t;
    if (!w_.Fields(n, path,
                   {"name", "setup", "teardown", "command", "args", "envVars", "expectedOutput",
                    "excludedOutput", "expectedError", "excludedError", "exitCode"},
                   {})) {
      return t;
    }
    Required(n, "name", path, &t.name);
    CommandList(n, "setup", path, &t.setup);
    CommandList(n, "teardown", path, &t.teardown);
    Required(n, "command", path, &t.command);
    w_.StringList(n, "args", path, &t.args);
    EnvList(n, "envVars", path, /*allow_regex=*/false, &t.env_vars);
    w_.StringList(n, "expectedOutput", path, &t.expected_output);
    w_.StringList(n, "excludedOutput", path, &t.excluded_output);
    w_.StringList(n, "expectedError", path, &t.expected_error);
    w_.StringList(n, "excludedError", path, &t.excluded_error);
    w_.Int(n, "exitCode", path, &t.exit_code);
    return t;
  }

  FileExistenceTest Existence(const YAML::Node& n, const std::string& path) {
    FileExistenceTest t;
    if (!w_.Fields(n, path,
                   {"name", "path", "shouldExist", "permissions", "uid", "gid", "isExecutableBy"},
                   {})) {
      return t;
    }
    Required(n, "name", path, &t.name);
    Required(n, "path", path, &t.path);
    w_.Bool(n, "shouldExist", path, &t.should_exist);
    w_.String(n, "permissions", path, &t.permissions);
    std::optional<int> id;
    if (w_.OptInt(n, "uid", path, &id) && id.has_value()) t.uid = *id;
    id.reset();
    if (w_.OptInt(n, "gid", path, &id) && id.has_value()) t.gid = *id;
    std::string by;
    if (w_.String(n, "isExecutableBy", path, &by)) {
      if (by == "owner") {
        t.executable_by = ExecutableBy::kOwner;
      } else if (by == "group") {
        t.executable_by = ExecutableBy::kGroup;
      } else if (by == "other") {
        t.executable_by = ExecutableBy::kOther;
      } else if (by == "any") {
        t.executable_by = ExecutableBy::kAny;
      } else {
        w_.Error(Child(n, "isExecutableBy"),
                 absl::StrCat(path, ".isExecutableBy: expected owner, group, other or any, got \"",
                              by, "\""));
      }
    }
    return t;
  }

  FileContentTest Content(const YAML::Node& n, const std::string& path) {
    FileContentTest t;
    if (!w_.Fields(n, path, {"name", "path", "expectedContents", "excludedContents"}, {})) return t;
    Required(n, "name", path, &t.name);
    Required(n, "path", path, &t.path);
    w_.StringList(n, "expectedContents", path, &t.expected_contents);
    w_.StringList(n, "excludedContents", path, &t.excluded_contents);
    return t;
  }

  MetadataTest Metadata(const YAML::Node& n, const std::string& path) {
    MetadataTest t;
    if (!w_.Fields(n, path,
                   {"env", "envVars", "unboundEnvVars", "labels", "exposedPorts", "unexposedPorts",
                    "volumes", "unmountedVolumes", "entrypoint", "cmd", "workdir", "user"},
                   {})) {
      return t;
    }
    // `env` is the older spelling of `envVars`; both are read.
    EnvList(n, "env", path, /*allow_regex=*/true, &t.env);
    EnvList(n, "envVars", path, /*allow_regex=*/true, &t.env);
    std::vector<KeyValue> unbound;
    EnvList(n, "unboundEnvVars", path, /*allow_regex=*/false, &unbound);
    for (const KeyValue& kv : unbound) t.unbound_env.push_back(kv.key);
    EnvList(n, "labels", path, /*allow_regex=*/true, &t.labels);
    w_.StringList(n, "exposedPorts", path, &t.exposed_ports);
    w_.StringList(n, "unexposedPorts", path, &t.unexposed_ports);
    w_.StringList(n, "volumes", path, &t.volumes);
    w_.StringList(n, "unmountedVolumes", path, &t.unmounted_volumes);
    std::vector<std::string> list;
    if (w_.StringList(n, "entrypoint", path, &list)) t.entrypoint = list;
    list.clear();
    if (w_.StringList(n, "cmd", path, &list)) t.cmd = list;
    std::string s;
    if (w_.String(n, "workdir", path, &s)) t.workdir = s;
    s.clear();
    if (w_.String(n, "user", path, &s)) t.user = s;
    return t;
  }

  Walker w_;
};

}  // namespace

absl::StatusOr<TestFile> ParseStructureTestFile(const std::string& text, const std::string& file) {
  std::vector<ConfigError> errors;
  std::optional<std::vector<YAML::Node>> docs =
      config::internal::LoadDocuments(text, file, &errors);
  if (!docs.has_value()) return config::ErrorsToStatus(errors);
  if (docs->size() != 1) {
    errors.push_back({{file, 0, 0},
                      absl::StrCat("expected one YAML document, found ", docs->size())});
    return config::ErrorsToStatus(errors);
  }
  TestFile out{.path = file};
  Reader(file, &errors).Document((*docs)[0], &out);
  if (!errors.empty()) return config::ErrorsToStatus(errors);
  return out;
}

absl::Status CheckStructureTestArgs(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string driver;
    if (absl::StartsWith(a, "--driver=")) {
      driver = a.substr(9);
    } else if (a == "--driver" || a == "-d") {
      if (i + 1 == args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("structureTestsArgs: ", a, " needs a value"));
      }
      driver = args[++i];
    } else if (a == "--no-color") {
      continue;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("structureTestsArgs: \"", a, "\" ", kUnsupportedHint));
    }
    if (driver != "docker") {
      return absl::InvalidArgumentError(
          absl::StrCat("structureTestsArgs: the ", driver,
                       " driver is not supported by devloop's built-in structure-test runner, "
                       "which runs the docker driver only (install the container-structure-test "
                       "CLI, which devloop then uses instead)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace devloop::tester
