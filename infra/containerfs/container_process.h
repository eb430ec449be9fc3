// Finds a running container's root file system from this machine: through
// /proc/<pid>/root of the container's main process, with State.Pid from the
// Engine's inspect (EngineApiDocker's fast local copy path), or found by the
// container's id among the processes here (a Kubernetes node on this machine:
// the kubectl deployer's fast sync path).
//
//   absl::StatusOr<ContainerProcess> p = IdentifyContainerProcess(state.pid, state.id);
//   absl::StatusOr<RootFs> root = OpenContainerRoot(*p);   // later: same process?
//
// A PID from the Engine names a process in the Engine's PID namespace, which
// need not be ours (devloop in a container, a remote engine behind a local
// socket, a Bazel sandbox). So the process is accepted only if its cgroup
// path names the container's full id, and it is identified by its start time
// from then on: a restarted container, or a reused PID, does not match.
//
// Thread-safe: functions over /proc.
#ifndef DEVLOOP_INFRA_CONTAINERFS_CONTAINER_PROCESS_H_
#define DEVLOOP_INFRA_CONTAINERFS_CONTAINER_PROCESS_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infra/containerfs/root_fs.h"

namespace devloop::containerfs {

struct ContainerProcess {
  int pid = 0;
  // Clock ticks since boot (field 22 of /proc/<pid>/stat): with the PID, it
  // names one process for the machine's uptime.
  uint64_t start_time = 0;
  // The container's root user as seen from here (its user-namespace mapping).
  Owner root_owner;
};

// Checks that `pid`, as visible here, is the main process of the container
// with full id `container_id`. FailedPrecondition (saying why) if no such
// process is visible or it belongs to something else; InvalidArgument for a
// PID <= 0 or an id that is not 64 hex digits.
absl::StatusOr<ContainerProcess> IdentifyContainerProcess(int pid,
                                                          absl::string_view container_id);

// Finds the process of container `container_id` (64 hex digits: Docker's and
// containerd's ids) among the processes visible here, by the cgroup path that
// names the id, and identifies it as IdentifyContainerProcess does (the
// lowest PID: the container's first process). NotFound when no visible process
// is in that container (it runs on another machine, or not at all).
absl::StatusOr<ContainerProcess> FindContainerProcess(absl::string_view container_id);

// Opens the root of `process`. FailedPrecondition if that process is gone
// (its PID is free or names another process now); PermissionDenied if this
// process may not look into it.
absl::StatusOr<RootFs> OpenContainerRoot(const ContainerProcess& process);

// Returns whether a socket in the network namespace of `process` listens on
// TCP `port` (IPv4 or IPv6), from /proc/<pid>/net/tcp{,6}: an app that has
// started serving, whatever routes lead to it. FailedPrecondition if that
// process is gone.
absl::StatusOr<bool> ListensOn(const ContainerProcess& process, int port);

// Exposed for tests: the ports in state LISTEN in the text of /proc/net/tcp
// or /proc/net/tcp6.
std::set<int> ParseListeningPorts(absl::string_view proc_net_tcp);

// Exposed for tests: the start time from the text of /proc/<pid>/stat
// (whose command name may hold spaces and parentheses).
absl::StatusOr<uint64_t> ParseStartTime(absl::string_view stat);
// Exposed for tests: the outside id mapped to inside id 0 by the text of
// /proc/<pid>/uid_map or gid_map. FailedPrecondition if 0 is not mapped.
absl::StatusOr<uint32_t> ParseRootMapping(absl::string_view id_map);

}  // namespace devloop::containerfs

#endif  // DEVLOOP_INFRA_CONTAINERFS_CONTAINER_PROCESS_H_
