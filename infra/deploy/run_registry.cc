#include "infra/deploy/run_registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "infra/log/log.h"

namespace devloop::deploy {
namespace {

constexpr absl::string_view kSuffix = ".run";

absl::Status ErrnoError(int err, absl::string_view what, absl::string_view path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A run id names a file: letters, digits, '-' and '_' only.
bool ValidRunId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

// Creates `dir` and its missing parents (mode 0700: it names the user's runs).
absl::Status MakeDirs(const std::string& dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string path = dir.substr(0, slash);
    if (!path.empty() && ::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "cannot create directory", path);
    }
    if (slash == std::string::npos) return absl::OkStatus();
  }
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const RunOwner& owner) {
  return os << "RunOwner{host=" << owner.host << ", boot=" << owner.boot_id
            << ", pidns=" << owner.pid_namespace << ", pid=" << owner.pid
            << ", start=" << owner.start_ticks << "}";
}

std::ostream& operator<<(std::ostream& os, const RunRecord& record) {
  return os << "RunRecord{run=" << record.run_id << ", project=" << record.project
            << ", deployer=" << record.deployer << ", " << record.owner << "}";
}

std::ostream& operator<<(std::ostream& os, OwnerState state) {
  switch (state) {
    case OwnerState::kAlive:
      return os << "alive";
    case OwnerState::kDead:
      return os << "dead";
    case OwnerState::kUnknown:
      return os << "unknown";
  }
  return os << "?";
}

std::optional<uint64_t> ProcessStartTicks(int64_t pid) {
  if (pid <= 0) return std::nullopt;
  std::optional<std::string> stat = ReadSmallFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.has_value()) return std::nullopt;
  // "PID (COMMAND) STATE PPID ...": the command may hold spaces and ')', so
  // fields are counted after the last ')'. starttime is field 22; field 3 (the
  // state) is the first after it.
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(close + 1), ' ', absl::SkipEmpty());
  constexpr size_t kStartTimeIndex = 22 - 3;
  uint64_t ticks = 0;
  if (fields.size() <= kStartTimeIndex || !absl::SimpleAtoi(fields[kStartTimeIndex], &ticks)) {
    return std::nullopt;
  }
  // A zombie has exited: whatever it owned is no longer looked after.
  if (!fields.empty() && (fields[0] == "Z" || fields[0] == "X")) return std::nullopt;
  return ticks;
}

absl::StatusOr<RunOwner> CurrentOwner() {
  RunOwner owner;
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) return ErrnoError(errno, "gethostname", "");
  owner.host = host;
  std::optional<std::string> boot = ReadSmallFile("/proc/sys/kernel/random/boot_id");
  if (!boot.has_value()) {
    return absl::InternalError("cannot read /proc/sys/kernel/random/boot_id");
  }
  owner.boot_id = std::string(absl::StripAsciiWhitespace(*boot));
  char link[256] = {};
  ssize_t n = ::readlink("/proc/self/ns/pid", link, sizeof(link) - 1);
  if (n <= 0) return ErrnoError(errno, "cannot read", "/proc/self/ns/pid");
  owner.pid_namespace.assign(link, n);
  owner.pid = ::getpid();
  std::optional<uint64_t> start = ProcessStartTicks(owner.pid);
  if (!start.has_value()) {
    return absl::InternalError(absl::StrCat("cannot read /proc/", owner.pid, "/stat"));
  }
  owner.start_ticks = *start;
  return owner;
}

OwnerState JudgeOwner(const RunOwner& owner, const RunOwner& here,
                      std::optional<uint64_t> start_ticks_now) {
  if (owner.host != here.host) return OwnerState::kUnknown;
  // Another boot of this machine: every process of that boot is gone.
  if (owner.boot_id != here.boot_id) return OwnerState::kDead;
  // PIDs of another namespace (a sandbox, a container) mean nothing here.
  if (owner.pid_namespace != here.pid_namespace) return OwnerState::kUnknown;
  if (!start_ticks_now.has_value()) return OwnerState::kDead;
  // The PID was reused by a process that started later.
  if (*start_ticks_now != owner.start_ticks) return OwnerState::kDead;
  return OwnerState::kAlive;
}

OwnerState JudgeOwner(const RunOwner& owner) {
  absl::StatusOr<RunOwner> here = CurrentOwner();
  if (!here.ok()) return OwnerState::kUnknown;
  return JudgeOwner(owner, *here, ProcessStartTicks(owner.pid));
}

std::string FormatRunRecord(const RunRecord& r) {
  return absl::StrCat("run_id=", r.run_id, "\nproject=", r.project, "\ndeployer=", r.deployer,
                      r.kubeconfig.empty() ? "" : "\nkubeconfig=", r.kubeconfig,
                      r.kube_context.empty() ? "" : "\nkube_context=", r.kube_context,
                      "\nhost=", r.owner.host, "\nboot_id=", r.owner.boot_id,
                      "\npid_namespace=", r.owner.pid_namespace, "\npid=", r.owner.pid,
                      "\nstart_ticks=", r.owner.start_ticks, "\n");
}

absl::StatusOr<RunRecord> ParseRunRecord(absl::string_view text, absl::string_view source) {
  std::map<std::string, std::string> fields;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line_number, ": expected key=value, got \"", line, "\""));
    }
    fields[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  auto field = [&](const char* key) -> absl::StatusOr<std::string> {
    auto it = fields.find(key);
    if (it == fields.end() || it->second.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": no ", key));
    }
    return it->second;
  };
  RunRecord r;
  for (auto [key, out] : {std::pair<const char*, std::string*>{"run_id", &r.run_id},
                          {"project", &r.project},
                          {"deployer", &r.deployer},
                          {"host", &r.owner.host},
                          {"boot_id", &r.owner.boot_id},
                          {"pid_namespace", &r.owner.pid_namespace}}) {
    absl::StatusOr<std::string> v = field(key);
    if (!v.ok()) return v.status();
    *out = *std::move(v);
  }
  // Optional: a docker run has none, and older records lack them.
  r.kubeconfig = fields["kubeconfig"];
  r.kube_context = fields["kube_context"];
  if (!ValidRunId(r.run_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": run_id \"", r.run_id, "\" is not a run id"));
  }
  absl::StatusOr<std::string> pid = field("pid");
  if (!pid.ok()) return pid.status();
  if (!absl::SimpleAtoi(*pid, &r.owner.pid) || r.owner.pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": pid \"", *pid, "\" is not a PID"));
  }
  absl::StatusOr<std::string> start = field("start_ticks");
  if (!start.ok()) return start.status();
  if (!absl::SimpleAtoi(*start, &r.owner.start_ticks)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": start_ticks \"", *start, "\" is not a number"));
  }
  return r;
}

std::string RunRegistry::DefaultDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') {
    return absl::StrCat(xdg, "/devloop/runs");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    return absl::StrCat(home, "/.cache/devloop/runs");
  }
  return absl::StrCat("/tmp/devloop-runs-", ::getuid());
}

std::string RunRegistry::PathOf(const std::string& run_id) const {
  return absl::StrCat(dir_, "/", run_id, kSuffix);
}

absl::Status RunRegistry::Record(const RunRecord& record) const {
  if (!ValidRunId(record.run_id)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", record.run_id, "\" is not a run id"));
  }
  if (absl::Status made = MakeDirs(dir_); !made.ok()) return made;
  const std::string path = PathOf(record.run_id);
  const std::string temporary = absl::StrCat(path, ".tmp");
  const std::string text = FormatRunRecord(record);
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(errno, "cannot create", temporary);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      return ErrnoError(err, "cannot write", temporary);
    }
    written += n;
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temporary.c_str());
    return ErrnoError(err, "cannot write", temporary);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temporary.c_str());
    return ErrnoError(err, "cannot rename to", path);
  }
  return absl::OkStatus();
}

absl::Status RunRegistry::Forget(const std::string& run_id) const {
  if (!ValidRunId(run_id)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", run_id, "\" is not a run id"));
  }
  const std::string path = PathOf(run_id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError(errno, "cannot delete", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RunRecord>> RunRegistry::List() const {
  std::vector<RunRecord> records;
  DIR* dir = ::opendir(dir_.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return records;
    return ErrnoError(errno, "cannot read directory", dir_);
  }
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(dir)) {
    absl::string_view name = entry->d_name;
    if (absl::EndsWith(name, kSuffix)) names.emplace_back(name);
  }
  ::closedir(dir);
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir_, "/", name);
    std::optional<std::string> text = ReadSmallFile(path);
    if (!text.has_value()) continue;  // forgotten meanwhile
    absl::StatusOr<RunRecord> record = ParseRunRecord(*text, path);
    if (!record.ok()) {
      DEVLOOP_LOG(WARNING) << "skipping a run record: " << record.status().message();
      continue;
    }
    records.push_back(*std::move(record));
  }
  return records;
}

absl::StatusOr<std::vector<RunRecord>> RunRegistry::DeadRuns(const std::string& project) const {
  absl::StatusOr<std::vector<RunRecord>> all = List();
  if (!all.ok()) return all.status();
  absl::StatusOr<RunOwner> here = CurrentOwner();
  if (!here.ok()) return here.status();
  std::vector<RunRecord> dead;
  for (RunRecord& r : *all) {
    if (r.project != project) continue;
    if (JudgeOwner(r.owner, *here, ProcessStartTicks(r.owner.pid)) == OwnerState::kDead) {
      dead.push_back(std::move(r));
    }
  }
  return dead;
}

}  // namespace devloop::deploy
