// Who owns a run's objects, written down so that a later run can tell a dead
// run's leftovers from a live run's objects.
//
// A `devloop dev` that removes what it created on exit records itself, before
// it creates anything, in a small state file of its own: its run id, its
// project and its owner process (host, boot, PID namespace, PID and the
// process's start time). A clean exit deletes the file. A run that cannot
// clean up (SIGKILL, a crash, a forced exit, a cleanup the engine refused)
// leaves it, and the next run of the same project finds it, judges the owner
// dead and removes the objects that carry the dead run's id label.
//
// Why a state file and not only labels: the Docker port lists networks and
// images without their labels, and a run killed during its first build has
// made only images; the file knows every run that may have left something,
// whatever it had made. The objects themselves are still found by their
// `dev.devloop.run-id` label (labels.h). The files live outside the project
// (in ~/.cache/devloop/runs, or $XDG_CACHE_HOME/devloop/runs), where the file
// watcher never sees them and `git status` stays clean.
//
// An owner is dead when, on the same host and boot, no process has its PID, or
// the process with its PID started at another time (the PID was reused). On
// another host, another boot's PID namespace, or a PID namespace we cannot see
// into, it cannot be judged and is left alone: a live run is never touched.
//
//   RunRegistry registry(RunRegistry::DefaultDir());
//   DEVLOOP_ASSIGN_OR_RETURN(RunOwner me, CurrentOwner());
//   DEVLOOP_RETURN_IF_ERROR(registry.Record({.run_id = id, .project = p, .owner = me}));
//   DEVLOOP_ASSIGN_OR_RETURN(std::vector<RunRecord> dead, registry.DeadRuns(p));
//   ... remove their objects ...; registry.Forget(id);
//
// Thread-safe (free functions; RunRegistry holds only its directory).
#ifndef DEVLOOP_INFRA_DEPLOY_RUN_REGISTRY_H_
#define DEVLOOP_INFRA_DEPLOY_RUN_REGISTRY_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::deploy {

// A process, named so that it can be recognized later and elsewhere.
struct RunOwner {
  std::string host;           // gethostname()
  std::string boot_id;        // /proc/sys/kernel/random/boot_id
  std::string pid_namespace;  // /proc/self/ns/pid's link: "pid:[4026531836]"
  int64_t pid = 0;
  // Field 22 of /proc/PID/stat: clock ticks from boot to the process's start.
  uint64_t start_ticks = 0;
  bool operator==(const RunOwner&) const = default;
};
std::ostream& operator<<(std::ostream& os, const RunOwner& owner);

// One run that removes its objects on exit.
struct RunRecord {
  std::string run_id;   // the dev.devloop.run-id label value
  std::string project;  // the project id (a hash of the config's path)
  std::string deployer;  // "docker" or "kubectl": where its workloads ran
  // The cluster a kubectl run deployed to, as its kubectl was told (empty:
  // the kubeconfig's default, KUBECONFIG or ~/.kube/config).
  std::string kubeconfig;
  std::string kube_context;
  RunOwner owner;
  bool operator==(const RunRecord&) const = default;
};
std::ostream& operator<<(std::ostream& os, const RunRecord& record);

// Returns the calling process as a RunOwner. Internal if /proc cannot be read.
absl::StatusOr<RunOwner> CurrentOwner();

// Returns the start time (field 22 of /proc/`pid`/stat) of process `pid` in the
// caller's PID namespace, or nullopt if no such process exists.
std::optional<uint64_t> ProcessStartTicks(int64_t pid);

enum class OwnerState {
  kAlive,     // the owner still runs: its objects are not to be touched
  kDead,      // it is gone (or its PID belongs to another process now)
  kUnknown,   // another host or PID namespace: it cannot be judged from here
};
std::ostream& operator<<(std::ostream& os, OwnerState state);

// Judges `owner` as seen by `here` (the current process), given the start
// time of the process that now has owner.pid in here's PID namespace (nullopt:
// none). Pure: the decision without the /proc reads.
OwnerState JudgeOwner(const RunOwner& owner, const RunOwner& here,
                      std::optional<uint64_t> start_ticks_now);

// JudgeOwner with the current process and /proc.
OwnerState JudgeOwner(const RunOwner& owner);

// Returns the file text of `record`: one "key=value" line per field.
std::string FormatRunRecord(const RunRecord& record);

// Parses FormatRunRecord's text. InvalidArgument naming `source` and the bad
// or missing field.
absl::StatusOr<RunRecord> ParseRunRecord(absl::string_view text, absl::string_view source);

// The state files, one per run ("<run id>.run"), in one directory.
class RunRegistry {
 public:
  explicit RunRegistry(std::string dir) : dir_(std::move(dir)) {}

  // $XDG_CACHE_HOME/devloop/runs, else $HOME/.cache/devloop/runs, else
  // /tmp/devloop-runs-UID.
  static std::string DefaultDir();

  const std::string& dir() const { return dir_; }

  // Writes `record`'s file (creating the directory), atomically: a reader
  // never sees half a record. Returns an error saying which path failed.
  absl::Status Record(const RunRecord& record) const;

  // Deletes run `run_id`'s file. OK if there is none.
  absl::Status Forget(const std::string& run_id) const;

  // Returns every record in the directory (none if it does not exist). A file
  // that does not parse is skipped (another program's, or half-written by an
  // older devloop) and does not fail the others.
  absl::StatusOr<std::vector<RunRecord>> List() const;

  // Returns the records of `project` whose owner is dead (JudgeOwner).
  absl::StatusOr<std::vector<RunRecord>> DeadRuns(const std::string& project) const;

 private:
  std::string PathOf(const std::string& run_id) const;

  const std::string dir_;
};

}  // namespace devloop::deploy

#endif  // DEVLOOP_INFRA_DEPLOY_RUN_REGISTRY_H_
