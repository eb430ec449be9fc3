#include "infra/containerfs/container_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace devloop::containerfs {
namespace {

absl::Status ProcError(int err, absl::string_view what, int pid) {
  std::string message = absl::StrCat("cannot read ", what, " of process ", pid, ": ",
                                     strerror(err));
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::FailedPreconditionError(message);
}

// Reads a small /proc file relative to `proc_fd`.
absl::StatusOr<std::string> ReadProcFile(int proc_fd, const char* name, int pid) {
  int fd = openat(proc_fd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ProcError(errno, name, pid);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ProcError(err, name, pid);
    }
    if (n == 0) break;
    text.append(buf, n);
  }
  close(fd);
  return text;
}

// Opens /proc/<pid>. The descriptor stays bound to that process: once it
// exits, reads through it fail even if the PID is reused.
absl::StatusOr<int> OpenProc(int pid) {
  int fd = open(absl::StrCat("/proc/", pid).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no process ", pid, " is visible here: the Docker Engine runs in another PID "
          "namespace or on another machine, or the container stopped"));
    }
    return ProcError(errno, "/proc entry", pid);
  }
  return fd;
}

absl::StatusOr<uint64_t> ReadStartTime(int proc_fd, int pid) {
  absl::StatusOr<std::string> stat = ReadProcFile(proc_fd, "stat", pid);
  if (!stat.ok()) return stat.status();
  return ParseStartTime(*stat);
}

bool IsFullContainerId(absl::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

}  // namespace

std::set<int> ParseListeningPorts(absl::string_view proc_net_tcp) {
  // "  sl  local_address rem_address   st ..." then one socket a line:
  // "   0: 00000000:1F90 00000000:0000 0A ..." (0A is LISTEN).
  std::set<int> ports;
  for (absl::string_view line : absl::StrSplit(proc_net_tcp, '\n')) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 4 || fields[3] != "0A") continue;
    size_t colon = fields[1].rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos ||
        !absl::SimpleHexAtoi(fields[1].substr(colon + 1), &port)) {
      continue;
    }
    ports.insert(port);
  }
  return ports;
}

absl::StatusOr<bool> ListensOn(const ContainerProcess& process, int port) {
  absl::StatusOr<int> proc_fd = OpenProc(process.pid);
  if (!proc_fd.ok()) return proc_fd.status();
  absl::StatusOr<uint64_t> start = ReadStartTime(*proc_fd, process.pid);
  bool listens = false;
  if (start.ok() && *start == process.start_time) {
    for (const char* table : {"net/tcp", "net/tcp6"}) {
      absl::StatusOr<std::string> text = ReadProcFile(*proc_fd, table, process.pid);
      if (text.ok() && ParseListeningPorts(*text).count(port)) listens = true;
    }
  }
  close(*proc_fd);
  if (!start.ok()) return start.status();
  if (*start != process.start_time) {
    return absl::FailedPreconditionError(
        absl::StrCat("process ", process.pid, " is not the container's process any more"));
  }
  return listens;
}

absl::StatusOr<uint64_t> ParseStartTime(absl::string_view stat) {
  // "pid (comm) state ppid ...": comm may contain anything, so fields are
  // counted from the last ')'. starttime is field 22; field 3 follows ')'.
  size_t close_paren = stat.rfind(')');
  if (close_paren == absl::string_view::npos) {
    return absl::InvalidArgumentError("/proc stat text has no command name");
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(stat.substr(close_paren + 1), ' ', absl::SkipEmpty());
  constexpr size_t kStartTimeIndex = 22 - 3;
  uint64_t start_time = 0;
  if (fields.size() <= kStartTimeIndex || !absl::SimpleAtoi(fields[kStartTimeIndex], &start_time)) {
    return absl::InvalidArgumentError("/proc stat text has no start time (field 22)");
  }
  return start_time;
}

absl::StatusOr<uint32_t> ParseRootMapping(absl::string_view id_map) {
  for (absl::string_view line : absl::StrSplit(id_map, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint32_t inside = 0, outside = 0, count = 0;
    if (f.size() != 3 || !absl::SimpleAtoi(f[0], &inside) || !absl::SimpleAtoi(f[1], &outside) ||
        !absl::SimpleAtoi(f[2], &count)) {
      return absl::InvalidArgumentError(absl::StrCat("malformed id map line '", line, "'"));
    }
    if (inside == 0 && count > 0) return outside;
  }
  return absl::FailedPreconditionError("the container's user namespace does not map root");
}

absl::StatusOr<ContainerProcess> IdentifyContainerProcess(int pid,
                                                          absl::string_view container_id) {
  if (pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("process id ", pid, " is not a process"));
  }
  if (!IsFullContainerId(container_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", container_id, "' is not a full container id (64 hex digits)"));
  }
  absl::StatusOr<int> proc_fd = OpenProc(pid);
  if (!proc_fd.ok()) return proc_fd.status();
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{*proc_fd};

  absl::StatusOr<std::string> cgroup = ReadProcFile(*proc_fd, "cgroup", pid);
  if (!cgroup.ok()) return cgroup.status();
  // Docker names the container's cgroup after its full id, with the cgroupfs
  // driver (/docker/<id>) as with systemd's (docker-<id>.scope).
  if (!absl::StrContains(*cgroup, container_id)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "process ", pid, " visible here is not in container ", container_id.substr(0, 12),
        "'s cgroup: the Docker Engine's PID namespace is not ours"));
  }
  ContainerProcess process{.pid = pid};
  absl::StatusOr<uint64_t> start_time = ReadStartTime(*proc_fd, pid);
  if (!start_time.ok()) return start_time.status();
  process.start_time = *start_time;
  absl::StatusOr<std::string> uid_map = ReadProcFile(*proc_fd, "uid_map", pid);
  if (!uid_map.ok()) return uid_map.status();
  absl::StatusOr<std::string> gid_map = ReadProcFile(*proc_fd, "gid_map", pid);
  if (!gid_map.ok()) return gid_map.status();
  absl::StatusOr<uint32_t> uid = ParseRootMapping(*uid_map);
  if (!uid.ok()) return uid.status();
  absl::StatusOr<uint32_t> gid = ParseRootMapping(*gid_map);
  if (!gid.ok()) return gid.status();
  process.root_owner = {.uid = *uid, .gid = *gid};
  return process;
}

absl::StatusOr<ContainerProcess> FindContainerProcess(absl::string_view container_id) {
  if (!IsFullContainerId(container_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", container_id, "' is not a full container id (64 hex digits)"));
  }
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return absl::InternalError(absl::StrCat("/proc: ", strerror(errno)));
  int lowest = 0;
  while (struct dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid) || pid <= 0) continue;
    if (lowest != 0 && pid > lowest) continue;
    absl::StatusOr<int> proc_fd = OpenProc(pid);
    if (!proc_fd.ok()) continue;  // gone meanwhile
    absl::StatusOr<std::string> cgroup = ReadProcFile(*proc_fd, "cgroup", pid);
    close(*proc_fd);
    if (cgroup.ok() && absl::StrContains(*cgroup, container_id)) lowest = pid;
  }
  closedir(proc);
  if (lowest == 0) {
    return absl::NotFoundError(absl::StrCat("no process of container ",
                                            container_id.substr(0, 12), " runs on this machine"));
  }
  return IdentifyContainerProcess(lowest, container_id);
}

absl::StatusOr<RootFs> OpenContainerRoot(const ContainerProcess& process) {
  absl::StatusOr<int> proc_fd = OpenProc(process.pid);
  if (!proc_fd.ok()) return proc_fd.status();
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{*proc_fd};
  // Through the same /proc descriptor as the root below, so the start time
  // checked is that of the process whose root we open.
  absl::StatusOr<uint64_t> start_time = ReadStartTime(*proc_fd, process.pid);
  if (!start_time.ok()) return start_time.status();
  if (*start_time != process.start_time) {
    return absl::FailedPreconditionError(absl::StrCat(
        "process ", process.pid, " is not the one identified before (the container restarted)"));
  }
  int root_fd = openat(*proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return ProcError(errno, "root", process.pid);
  return RootFs(root_fd, process.root_owner);
}

}  // namespace devloop::containerfs
