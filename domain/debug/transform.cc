#include "domain/debug/transform.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace devloop::debug {
namespace {

using Words = std::vector<std::string>;

constexpr absl::string_view kGoEnv[] = {"GODEBUG", "GOGC", "GOMAXPROCS", "GOTRACEBACK",
                                        "KO_DATA_PATH"};
constexpr absl::string_view kJvmEnv[] = {"JAVA_TOOL_OPTIONS", "JAVA_VERSION"};
constexpr absl::string_view kNetCoreEnv[] = {"ASPNETCORE_URLS", "DOTNET_RUNNING_IN_CONTAINER",
                                             "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"};
constexpr absl::string_view kNodeEnv[] = {"NODE_VERSION", "NODEJS_VERSION", "NODE_ENV"};
constexpr absl::string_view kPythonEnv[] = {
    "PYTHON_VERSION",   "PYTHONVERBOSE",    "PYTHONINSPECT",  "PYTHONOPTIMIZE",
    "PYTHONUSERSITE",   "PYTHONUNBUFFERED", "PYTHONPATH",     "PYTHONUSERBASE",
    "PYTHONWARNINGS",   "PYTHONHOME",       "PYTHONCASEOK",   "PYTHONIOENCODING",
    "PYTHONHASHSEED",   "PYTHONDONTWRITEBYTECODE"};

// Entrypoints that only run the image's CMD, so the CMD is the command.
constexpr absl::string_view kEntrypointLaunchers[] = {"docker-entrypoint.sh"};

template <size_t N>
std::optional<std::string> FirstSetVariable(const std::map<std::string, std::string>& env,
                                            const absl::string_view (&names)[N]) {
  for (absl::string_view name : names) {
    if (env.contains(std::string(name))) return std::string(name);
  }
  return std::nullopt;
}

// True when `words` starts with one of `names`, bare or as the last element
// of a path.
bool Launches(const Words& words, const std::vector<absl::string_view>& names) {
  if (words.empty()) return false;
  for (absl::string_view name : names) {
    if (words[0] == name || absl::EndsWith(words[0], absl::StrCat("/", name))) return true;
  }
  return false;
}

bool IsEntrypointLauncher(const Words& entrypoint) {
  if (entrypoint.size() != 1) return false;
  for (absl::string_view launcher : kEntrypointLaunchers) {
    if (entrypoint[0] == launcher) return true;
  }
  return false;
}

// The entrypoint is the command unless it is empty or a launcher of the args.
bool EntrypointIsCommand(const ContainerSpec& spec) {
  return !spec.entrypoint.empty() && !IsEntrypointLauncher(spec.entrypoint);
}

const Words& CommandWords(const ContainerSpec& spec) {
  return EntrypointIsCommand(spec) ? spec.entrypoint : spec.args;
}

// ---- sh -c --------------------------------------------------------------

// Splits a POSIX shell line into words: blanks separate, '...' is literal,
// "..." keeps blanks and honours \" \\ \$ \`, a backslash elsewhere quotes
// the next character. Expansions ($X, globs) are left as written. Returns
// nullopt for an unterminated quote or a trailing backslash.
std::optional<Words> ShellSplit(absl::string_view line) {
  Words words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == line.size()) return std::nullopt;
      if (line[i] != '\n') word += line[i];
    } else if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      if (end == absl::string_view::npos) return std::nullopt;
      absl::StrAppend(&word, line.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i == line.size()) return std::nullopt;
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() &&
            absl::string_view("\"\\$`").find(line[i + 1]) != absl::string_view::npos) {
          ++i;
        }
        word += line[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

// Joins words back into a line for `sh -c`. Words with blanks or quotes are
// double-quoted; '$' is left bare so the shell still expands variables, as
// it did in the line the words came from.
std::string ShellJoin(const Words& words) {
  std::string line;
  for (const std::string& w : words) {
    if (!line.empty()) line += ' ';
    if (!w.empty() && w.find_first_of(" \t\r\n\"\\'") == std::string::npos) {
      line += w;
      continue;
    }
    line += '"';
    for (char c : w) {
      if (c == '"' || c == '\\') line += '\\';
      line += c;
    }
    line += '"';
  }
  return line;
}

bool IsShDashC(const std::string& cmd, const std::string& arg) {
  return (cmd == "/bin/sh" || cmd == "/bin/bash") && arg == "-c";
}

// Where a `sh -c` line sits in the container's command line.
enum class ShellForm {
  kNone,
  kLineInArgs,        // entrypoint [sh, -c], args [line, $0, $1...]
  kLineInEntrypoint,  // entrypoint [sh, -c, line, $0...], args [...]
  kShellInArgs,       // entrypoint empty or a launcher, args [sh, -c, line, $0...]
};

struct Unwrapped {
  ContainerSpec view;  // the line's words as the entrypoint, no args
  ShellForm form = ShellForm::kNone;
};

Unwrapped Unwrap(const ContainerSpec& spec) {
  Unwrapped out{spec, ShellForm::kNone};
  const std::string* line = nullptr;
  ShellForm form = ShellForm::kNone;
  if (spec.entrypoint.size() == 2 && !spec.args.empty() &&
      IsShDashC(spec.entrypoint[0], spec.entrypoint[1])) {
    line = &spec.args[0];
    form = ShellForm::kLineInArgs;
  } else if (spec.entrypoint.size() > 2 && IsShDashC(spec.entrypoint[0], spec.entrypoint[1])) {
    line = &spec.entrypoint[2];
    form = ShellForm::kLineInEntrypoint;
  } else if (!EntrypointIsCommand(spec) && spec.args.size() > 2 &&
             IsShDashC(spec.args[0], spec.args[1])) {
    line = &spec.args[2];
    form = ShellForm::kShellInArgs;
  }
  if (line == nullptr) return out;
  std::optional<Words> words = ShellSplit(*line);
  if (!words.has_value() || words->empty()) return out;
  out.view.entrypoint = *std::move(words);
  out.view.args.clear();
  out.form = form;
  return out;
}

// Puts a rewritten line back where Unwrap found it.
void Rewrap(const ContainerSpec& original, ShellForm form, DebugTransform& t) {
  Words line = t.entrypoint;
  line.insert(line.end(), t.args.begin(), t.args.end());
  t.entrypoint = original.entrypoint;
  t.args = original.args;
  switch (form) {
    case ShellForm::kNone:
      return;
    case ShellForm::kLineInArgs:
      t.args[0] = ShellJoin(line);
      return;
    case ShellForm::kLineInEntrypoint:
      t.entrypoint[2] = ShellJoin(line);
      return;
    case ShellForm::kShellInArgs:
      t.args[2] = ShellJoin(line);
      return;
  }
}

// ---- ports -------------------------------------------------------------

// Parses "[host:]port" as the debuggers write their listen address.
std::optional<uint32_t> ParseAddressPort(absl::string_view address) {
  size_t colon = address.rfind(':');
  if (colon != absl::string_view::npos) address.remove_prefix(colon + 1);
  uint32_t port = 0;
  if (!absl::SimpleAtoi(address, &port) || port == 0 || port > 65535) return std::nullopt;
  return port;
}

absl::Status NoPort(const ContainerSpec& spec, absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat("container \"", spec.name, "\" already starts ", what,
                   " but without a port devloop can read; give it a TCP port or drop it "
                   "so devloop debug adds its own"));
}

// ---- runtimes ----------------------------------------------------------

struct Context {
  const ContainerSpec& spec;  // the unwrapped view
  const absl::flat_hash_set<uint32_t>& used;
};

DebugTransform Start(const Context& c, Runtime runtime) {
  DebugTransform t;
  t.runtime = runtime;
  t.entrypoint = c.spec.entrypoint;
  t.args = c.spec.args;
  t.working_dir = c.spec.working_dir;
  return t;
}

// Inserts "--" after the program so the rest are its args, not Delve's.
Words DlvCommandLine(uint32_t port, Words program, bool more_follow) {
  Words out = {std::string(kDlvPath), "exec",           "--headless",
               "--continue",          "--accept-multiclient",
               absl::StrCat("--listen=:", port),        "--api-version=2"};
  out.push_back(program[0]);
  if (program.size() > 1 || more_follow) out.push_back("--");
  out.insert(out.end(), program.begin() + 1, program.end());
  return out;
}

absl::StatusOr<DebugTransform> TransformGo(const Context& c) {
  const ContainerSpec& s = c.spec;
  DebugTransform t = Start(c, Runtime::kGo);
  for (const Words* words : {&s.entrypoint, &s.args}) {
    if (!Launches(*words, {"dlv"})) continue;
    std::optional<uint32_t> port;
    for (const std::string& w : *words) {
      if (w == "--") break;
      if (absl::StartsWith(w, "--listen=")) port = ParseAddressPort(w.substr(9));
    }
    if (!port.has_value()) return NoPort(s, "dlv");
    t.ports = {{"dlv", *port}};
    return t;
  }
  uint32_t port = AllocatePort(kDlvPort, c.used);
  if (EntrypointIsCommand(s)) {
    t.entrypoint = DlvCommandLine(port, s.entrypoint, !s.args.empty());
  } else if (!s.args.empty()) {
    t.args = DlvCommandLine(port, s.args, false);
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("container \"", s.name,
                     "\" has no command line for dlv to run; give the image an ENTRYPOINT or "
                     "CMD naming the Go binary"));
  }
  t.ports = {{"dlv", port}};
  t.support = "go";
  return t;
}

// Parses --inspect[=[host:]port] and --inspect-brk[=...]; port 9229 when
// none is given.
std::optional<uint32_t> InspectPort(absl::string_view word) {
  for (absl::string_view flag : {"--inspect-brk", "--inspect"}) {
    if (word == flag) return kDevtoolsPort;
    if (absl::StartsWith(word, absl::StrCat(flag, "="))) {
      return ParseAddressPort(word.substr(flag.size() + 1));
    }
  }
  return std::nullopt;
}

absl::StatusOr<DebugTransform> TransformNode(const Context& c) {
  const ContainerSpec& s = c.spec;
  DebugTransform t = Start(c, Runtime::kNodeJs);
  std::optional<uint32_t> port;
  Words candidates = s.entrypoint;
  candidates.insert(candidates.end(), s.args.begin(), s.args.end());
  if (auto it = s.env.find("NODE_OPTIONS"); it != s.env.end()) {
    for (absl::string_view w : absl::StrSplit(it->second, ' ', absl::SkipEmpty())) {
      candidates.emplace_back(w);
    }
  }
  for (const std::string& w : candidates) {
    if ((port = InspectPort(w)).has_value()) break;
  }
  if (!port.has_value()) {
    port = AllocatePort(kDevtoolsPort, c.used);
    std::string inspect = absl::StrCat("--inspect=0.0.0.0:", *port);
    bool args_are_command = !EntrypointIsCommand(s);
    if (Launches(s.entrypoint, {"node", "nodemon"})) {
      t.entrypoint.insert(t.entrypoint.begin() + 1, inspect);
    } else if (Launches(s.entrypoint, {"npm"})) {
      // npm passes --node-options to the node it starts; before "--", after
      // which the words belong to the script.
      auto dash = std::find(t.entrypoint.begin() + 1, t.entrypoint.end(), "--");
      t.entrypoint.insert(dash, absl::StrCat("--node-options=", inspect));
    } else if (args_are_command && Launches(s.args, {"node", "nodemon"})) {
      t.args.insert(t.args.begin() + 1, inspect);
    } else if (args_are_command && Launches(s.args, {"npm"})) {
      auto dash = std::find(t.args.begin() + 1, t.args.end(), "--");
      t.args.insert(dash, absl::StrCat("--node-options=", inspect));
    } else if (auto it = s.env.find("NODE_OPTIONS"); it != s.env.end()) {
      t.env["NODE_OPTIONS"] = absl::StrCat(it->second, " ", inspect);
    } else {
      t.env["NODE_OPTIONS"] = inspect;
    }
  }
  // The wrapper in /dbg/nodejs/bin passes --inspect on to the node a script
  // starts (npm, nodemon), so it must come first on PATH.
  auto path = s.env.find("PATH");
  t.env["PATH"] = path == s.env.end() ? std::string(kNodeWrapperDir)
                                      : absl::StrCat(kNodeWrapperDir, ":", path->second);
  t.ports = {{"devtools", *port}};
  t.support = "nodejs";
  return t;
}

bool LoadsModule(const Words& words, absl::string_view module) {
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == absl::StrCat("-m", module)) return true;
    if (words[i] == "-m" && i + 1 < words.size() && words[i + 1] == module) return true;
  }
  return false;
}

// The port of a command line that already runs `python -m debugpy --listen
// [host:]port`, if any.
std::optional<uint32_t> DebugpyPort(const Words& words) {
  if (!LoadsModule(words, "debugpy")) return std::nullopt;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] == "--listen") return ParseAddressPort(words[i + 1]);
  }
  return std::nullopt;
}

absl::StatusOr<DebugTransform> TransformPython(const Context& c) {
  const ContainerSpec& s = c.spec;
  DebugTransform t = Start(c, Runtime::kPython);
  for (const Words* words : {&s.entrypoint, &s.args}) {
    if (std::optional<uint32_t> port = DebugpyPort(*words)) {
      t.ports = {{"dap", *port}};
      return t;
    }
  }
  uint32_t port = AllocatePort(kDebugpyPort, c.used);
  Words launcher = {std::string(kPythonLauncherPath), "--mode", "debugpy", "--port",
                    absl::StrCat(port), "--"};
  auto prefixed = [&launcher](const Words& words) {
    Words out = launcher;
    out.insert(out.end(), words.begin(), words.end());
    return out;
  };
  const std::vector<absl::string_view> kPython = {"python", "python2", "python3"};
  if (Launches(s.entrypoint, kPython)) {
    t.entrypoint = prefixed(s.entrypoint);
  } else if (!EntrypointIsCommand(s) && Launches(s.args, kPython)) {
    t.args = prefixed(s.args);
  } else if (FirstSetVariable(s.env, kPythonEnv).has_value()) {
    // The launcher runs whatever follows "--", here the image's own command.
    t.entrypoint = prefixed(s.entrypoint);
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("container \"", s.name,
                     "\" does not appear to run python (its command is not python, python2 "
                     "or python3 and no PYTHON* variable is set), so devloop debug cannot "
                     "start debugpy in it"));
  }
  t.ports = {{"dap", port}};
  t.support = "python";
  return t;
}

// The port of a -agentlib:jdwp=... or -Xrunjdwp:... option; 0 when it has
// no address.
std::optional<uint32_t> JdwpPort(absl::string_view word) {
  absl::string_view options;
  if (absl::StartsWith(word, "-agentlib:jdwp=")) {
    options = word.substr(15);
  } else if (absl::StartsWith(word, "-Xrunjdwp:")) {
    options = word.substr(10);
  } else {
    return std::nullopt;
  }
  for (absl::string_view option : absl::StrSplit(options, ',')) {
    if (absl::StartsWith(option, "address=")) {
      return ParseAddressPort(option.substr(8)).value_or(0);
    }
  }
  return 0;
}

// The JDWP agent's address for `port`. Since JDK 9 a bare port listens on
// loopback only, which Docker's published ports cannot reach (they arrive on
// the container's own interface): "*:<port>" listens on every interface. JDK 8
// and older take a bare port as every interface, and may not know "*".
std::string JdwpAddress(const ContainerSpec& s, uint32_t port) {
  auto version = s.env.find("JAVA_VERSION");
  if (version != s.env.end()) {
    absl::string_view v = version->second;
    absl::ConsumePrefix(&v, "jdk");
    absl::ConsumePrefix(&v, "-");
    absl::ConsumePrefix(&v, "1.");  // 1.8.0_392
    size_t digits = 0;
    while (digits < v.size() && absl::ascii_isdigit(v[digits])) ++digits;
    int major = 0;
    if (absl::SimpleAtoi(v.substr(0, digits), &major) && major > 0 && major < 9) {
      return absl::StrCat(port);
    }
  }
  return absl::StrCat("*:", port);
}

absl::StatusOr<DebugTransform> TransformJvm(const Context& c) {
  const ContainerSpec& s = c.spec;
  DebugTransform t = Start(c, Runtime::kJvm);
  Words candidates = s.entrypoint;
  candidates.insert(candidates.end(), s.args.begin(), s.args.end());
  auto options = s.env.find("JAVA_TOOL_OPTIONS");
  if (options != s.env.end()) {
    for (absl::string_view w : absl::StrSplit(options->second, ' ', absl::SkipEmpty())) {
      candidates.emplace_back(w);
    }
  }
  for (const std::string& w : candidates) {
    if (std::optional<uint32_t> port = JdwpPort(w)) {
      if (*port == 0) return NoPort(s, "the JDWP agent");
      t.ports = {{"jdwp", *port}};
      return t;
    }
  }
  uint32_t port = AllocatePort(kJdwpPort, c.used);
  std::string agent = absl::StrCat("-agentlib:jdwp=transport=dt_socket,server=y,address=",
                                   JdwpAddress(s, port), ",suspend=n,quiet=y");
  t.env["JAVA_TOOL_OPTIONS"] =
      options == s.env.end() ? agent : absl::StrCat(options->second, " ", agent);
  t.ports = {{"jdwp", port}};
  return t;
}

absl::StatusOr<Detection> Detect(const ContainerSpec& view) {
  if (!view.runtime_type.empty()) {
    absl::StatusOr<Runtime> runtime = ParseRuntime(view.runtime_type);
    if (!runtime.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("container \"", view.name, "\" (artifact \"",
                                                     view.artifact, "\"): ",
                                                     runtime.status().message()));
    }
    return Detection{*runtime, absl::StrCat("runtimeType ", view.runtime_type)};
  }
  const Words& command = CommandWords(view);
  struct Rule {
    Runtime runtime;
    std::optional<std::string> env;
    std::vector<absl::string_view> commands;
  };
  const Rule rules[] = {
      {Runtime::kGo, FirstSetVariable(view.env, kGoEnv), {"dlv"}},
      {Runtime::kJvm, FirstSetVariable(view.env, kJvmEnv), {"java"}},
      {Runtime::kNetCore, FirstSetVariable(view.env, kNetCoreEnv), {"dotnet"}},
      {Runtime::kNodeJs, FirstSetVariable(view.env, kNodeEnv), {"node", "nodemon", "npm"}},
      {Runtime::kPython, FirstSetVariable(view.env, kPythonEnv), {"python", "python2", "python3"}},
  };
  for (const Rule& rule : rules) {
    if (rule.env.has_value()) return Detection{rule.runtime, absl::StrCat("env ", *rule.env)};
    if (Launches(command, rule.commands)) {
      return Detection{rule.runtime, absl::StrCat("command ", command[0])};
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "container \"", view.name, "\" (artifact \"", view.artifact,
      "\"): cannot tell its language runtime: no Go, JVM, .NET, Node.js or Python variable "
      "in its environment, and its command ",
      command.empty() ? "is empty" : absl::StrCat("\"", command[0], "\""),
      " is none of dlv, java, dotnet, node, nodemon, npm, python; set the artifact's "
      "runtimeType (go, nodejs, python, jvm) to debug it"));
}

template <typename T>
std::ostream& PrintList(std::ostream& os, const std::vector<T>& items) {
  os << "[";
  for (size_t i = 0; i < items.size(); ++i) os << (i ? ", " : "") << items[i];
  return os << "]";
}

std::ostream& PrintEnv(std::ostream& os, const std::map<std::string, std::string>& env) {
  os << "{";
  bool first = true;
  for (const auto& [k, v] : env) {
    os << (first ? "" : ", ") << k << "=" << v;
    first = false;
  }
  return os << "}";
}

}  // namespace

absl::string_view RuntimeName(Runtime runtime) {
  switch (runtime) {
    case Runtime::kGo:
      return "go";
    case Runtime::kNodeJs:
      return "nodejs";
    case Runtime::kPython:
      return "python";
    case Runtime::kJvm:
      return "jvm";
    case Runtime::kNetCore:
      return "netcore";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, Runtime runtime) { return os << RuntimeName(runtime); }

absl::StatusOr<Runtime> ParseRuntime(absl::string_view id) {
  for (Runtime r : {Runtime::kGo, Runtime::kNodeJs, Runtime::kPython, Runtime::kJvm,
                    Runtime::kNetCore}) {
    if (id == RuntimeName(r)) return r;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown runtimeType \"", id, "\"; expected one of go, nodejs, python, jvm, netcore"));
}

std::ostream& operator<<(std::ostream& os, const ContainerSpec& s) {
  os << "ContainerSpec{name=" << s.name << ", artifact=" << s.artifact << ", entrypoint=";
  PrintList(os, s.entrypoint) << ", args=";
  PrintList(os, s.args) << ", env=";
  PrintEnv(os, s.env) << ", working_dir=" << s.working_dir << ", ports=";
  PrintList(os, s.ports) << ", runtime_type=" << s.runtime_type << "}";
  return os;
}

std::ostream& operator<<(std::ostream& os, const Detection& d) {
  return os << "Detection{" << d.runtime << ", " << d.reason << "}";
}

std::ostream& operator<<(std::ostream& os, const DebugPort& p) {
  return os << p.name << ":" << p.port;
}

std::ostream& operator<<(std::ostream& os, const DebugTransform& t) {
  os << "DebugTransform{" << t.runtime << ", entrypoint=";
  PrintList(os, t.entrypoint) << ", args=";
  PrintList(os, t.args) << ", env=";
  PrintEnv(os, t.env) << ", ports=";
  PrintList(os, t.ports) << ", support=" << t.support << ", working_dir=" << t.working_dir
                         << "}";
  return os;
}

std::ostream& operator<<(std::ostream& os, const ContainerOutcome& o) {
  os << "ContainerOutcome{" << o.container << ", ";
  if (o.transform.ok()) return os << *o.transform << "}";
  return os << o.transform.status() << "}";
}

absl::StatusOr<Detection> DetectRuntime(const ContainerSpec& spec) {
  return Detect(Unwrap(spec).view);
}

uint32_t AllocatePort(uint32_t desired, const absl::flat_hash_set<uint32_t>& used) {
  constexpr uint32_t kMin = 1024, kMax = 65535;
  if (desired < kMin || desired > kMax) desired = kMin;
  for (uint32_t port = desired; port < kMax; ++port) {
    if (!used.contains(port)) return port;
  }
  for (uint32_t port = desired; port > kMin; --port) {
    if (!used.contains(port)) return port;
  }
  return desired;  // REQUIRES says this cannot happen; a clash beats a crash.
}

absl::StatusOr<DebugTransform> TransformContainer(
    const ContainerSpec& spec, const absl::flat_hash_set<uint32_t>& used_ports) {
  Unwrapped unwrapped = Unwrap(spec);
  absl::StatusOr<Detection> detection = Detect(unwrapped.view);
  if (!detection.ok()) return detection.status();
  absl::flat_hash_set<uint32_t> used = used_ports;
  used.insert(spec.ports.begin(), spec.ports.end());
  Context context{unwrapped.view, used};
  absl::StatusOr<DebugTransform> t;
  switch (detection->runtime) {
    case Runtime::kGo:
      t = TransformGo(context);
      break;
    case Runtime::kNodeJs:
      t = TransformNode(context);
      break;
    case Runtime::kPython:
      t = TransformPython(context);
      break;
    case Runtime::kJvm:
      t = TransformJvm(context);
      break;
    case Runtime::kNetCore:
      return absl::UnimplementedError(absl::StrCat(
          "container \"", spec.name, "\" runs .NET (", detection->reason,
          "); devloop debug does not support netcore (Skaffold's vsdbg serves VS Code only)"));
  }
  if (!t.ok()) return t;
  if (unwrapped.form != ShellForm::kNone &&
      (t->entrypoint != unwrapped.view.entrypoint || t->args != unwrapped.view.args)) {
    Rewrap(spec, unwrapped.form, *t);
  } else if (unwrapped.form != ShellForm::kNone) {
    t->entrypoint = spec.entrypoint;
    t->args = spec.args;
  }
  return t;
}

std::vector<ContainerOutcome> TransformPod(const std::vector<ContainerSpec>& containers) {
  absl::flat_hash_set<uint32_t> used;
  for (const ContainerSpec& c : containers) used.insert(c.ports.begin(), c.ports.end());
  std::vector<ContainerOutcome> outcomes;
  for (const ContainerSpec& c : containers) {
    absl::StatusOr<DebugTransform> t = TransformContainer(c, used);
    if (t.ok()) {
      for (const DebugPort& p : t->ports) used.insert(p.port);
    }
    outcomes.push_back({c.name, std::move(t)});
  }
  return outcomes;
}

}  // namespace devloop::debug
