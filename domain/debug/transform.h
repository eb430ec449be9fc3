// What `devloop debug` does to one container so that a language debugger
// listens in it, with Skaffold's `debug` semantics: find the container's
// language runtime, then rewrite its command line and environment so the
// runtime starts under (or with) its debugger, on a port no other container
// of the pod declares.
//
// The input is the container as it will run: the image's configuration with
// the manifest's command, args and env already laid over it. The output is
// the whole new command line and the environment variables to set; the shell
// writes them back to the manifest (or `docker run` options), mounts the
// runtime's support files at /dbg/<support>, and records the ports in the
// pod's debug annotation (domain/debug/annotation.h).
//
//   ContainerSpec web{.name = "web", .artifact = "app",
//                     .entrypoint = {"node", "server.js"},
//                     .env = {{"NODE_VERSION", "20"}}};
//   absl::StatusOr<DebugTransform> t = TransformContainer(web, {});
//   // t->entrypoint == {"node", "--inspect=0.0.0.0:9229", "server.js"}
//   // t->ports == {{"devtools", 9229}}, t->support == "nodejs"
//
// Free functions over values: thread-compatible and deterministic.
#ifndef DEVLOOP_DOMAIN_DEBUG_TRANSFORM_H_
#define DEVLOOP_DOMAIN_DEBUG_TRANSFORM_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::debug {

// The language runtimes Skaffold knows. kNetCore is detected (so a .NET
// container is not mistaken for another runtime) but never transformed.
enum class Runtime { kGo, kNodeJs, kPython, kJvm, kNetCore };

// Returns the runtime's id as Skaffold spells it in `runtimeType`, the debug
// annotation and DebuggingContainerEvent.runtime: "go", "nodejs", "python",
// "jvm", "netcore".
absl::string_view RuntimeName(Runtime runtime);
std::ostream& operator<<(std::ostream& os, Runtime runtime);

// Parses an artifact's `runtimeType`. Returns InvalidArgument naming the
// accepted ids for anything else.
absl::StatusOr<Runtime> ParseRuntime(absl::string_view id);

// One container as it will run.
struct ContainerSpec {
  std::string name;      // unique within its pod
  std::string artifact;  // the artifact's image name in skaffold.yaml
  std::vector<std::string> entrypoint;  // Docker ENTRYPOINT / k8s command
  std::vector<std::string> args;        // Docker CMD / k8s args
  std::map<std::string, std::string> env;
  std::string working_dir;
  std::vector<uint32_t> ports;  // container ports the manifest declares
  // The artifact's `runtimeType`; empty means detect from env and command.
  std::string runtime_type;

  bool operator==(const ContainerSpec&) const = default;
};
std::ostream& operator<<(std::ostream& os, const ContainerSpec& spec);

// A runtime and why it was chosen ("env GOTRACEBACK", "command node",
// "runtimeType go"), for the log line that explains a debug session.
struct Detection {
  Runtime runtime;
  std::string reason;

  bool operator==(const Detection&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Detection& detection);

// Finds the container's runtime, checking Go, JVM, .NET, Node.js and Python
// in that order (Skaffold's order) after unwrapping a `/bin/sh -c "<line>"`
// command line into the words of <line>:
//   go      env GODEBUG, GOGC, GOMAXPROCS, GOTRACEBACK or KO_DATA_PATH, or the
//           command is dlv
//   jvm     env JAVA_TOOL_OPTIONS or JAVA_VERSION, or the command is java
//   netcore env ASPNETCORE_URLS, DOTNET_RUNNING_IN_CONTAINER or
//           DOTNET_SYSTEM_GLOBALIZATION_INVARIANT, or the command is dotnet
//   nodejs  env NODE_VERSION, NODEJS_VERSION or NODE_ENV, or the command is
//           node, nodemon or npm
//   python  env PYTHON_VERSION, PYTHONPATH, PYTHONUNBUFFERED, ... (the
//           interpreter's PYTHON* variables), or the command is python,
//           python2 or python3
// "The command" is the entrypoint's first word (a path ending in /name
// counts), or the args' first word when the entrypoint is empty or a known
// launcher that just runs its args (docker-entrypoint.sh).
// A non-empty `runtime_type` wins over detection.
// Returns NotFound saying what was looked at when nothing matches, and
// InvalidArgument for an unknown `runtime_type`.
absl::StatusOr<Detection> DetectRuntime(const ContainerSpec& spec);

// A debug port, named by its protocol as Skaffold names them: "dlv",
// "devtools", "dap", "jdwp".
struct DebugPort {
  std::string name;
  uint32_t port = 0;

  bool operator==(const DebugPort&) const = default;
};
std::ostream& operator<<(std::ostream& os, const DebugPort& port);

// The container rewritten for debugging.
struct DebugTransform {
  Runtime runtime = Runtime::kGo;
  std::vector<std::string> entrypoint;  // the whole new entrypoint
  std::vector<std::string> args;        // the whole new args
  // Variables to set, replacing any value the container had; the rest of the
  // container's environment stays as it was.
  std::map<std::string, std::string> env;
  std::vector<DebugPort> ports;
  // The runtime whose support files (from Skaffold's debug-support images)
  // must be mounted at /dbg/<support>: "go" (Delve), "nodejs" (a node
  // wrapper), "python" (the debugpy launcher); empty for none (the JVM has
  // its agent built in, and a command that already starts a debugger needs
  // nothing).
  std::string support;
  std::string working_dir;  // the container's, for the IDE's source mapping

  bool operator==(const DebugTransform&) const = default;
};
std::ostream& operator<<(std::ostream& os, const DebugTransform& t);

// Default ports, as Skaffold picks them.
inline constexpr uint32_t kDlvPort = 56268;
inline constexpr uint32_t kDevtoolsPort = 9229;
inline constexpr uint32_t kDebugpyPort = 5678;
inline constexpr uint32_t kJdwpPort = 5005;

// Where the support images put their files in the container.
inline constexpr absl::string_view kDlvPath = "/dbg/go/bin/dlv";
inline constexpr absl::string_view kNodeWrapperDir = "/dbg/nodejs/bin";
inline constexpr absl::string_view kPythonLauncherPath = "/dbg/python/launcher";

// Returns the port nearest `desired` that is not in `used`: the first free
// one counting up from `desired`, else counting down. Ports below 1024 and
// above 65535 are never given: such a `desired` starts the search at 1024.
// REQUIRES: `used` leaves some port in [1024, 65535) free.
uint32_t AllocatePort(uint32_t desired, const absl::flat_hash_set<uint32_t>& used);

// Detects the runtime (DetectRuntime) and rewrites the container for it:
//   go      entrypoint (or args, when the entrypoint is empty or a launcher)
//           becomes `/dbg/go/bin/dlv exec --headless --continue
//           --accept-multiclient --listen=:<port> --api-version=2 <binary>
//           -- <binary's args>`; port "dlv", support "go".
//   nodejs  `--inspect=0.0.0.0:<port>` goes after node/nodemon, or as
//           `--node-options=--inspect=...` into an npm command line (before
//           its "--"), or else into NODE_OPTIONS; PATH gets /dbg/nodejs/bin
//           in front; port "devtools", support "nodejs".
//   python  the python command line (or, with only PYTHON* env to go on, the
//           entrypoint) is prefixed with `/dbg/python/launcher --mode debugpy
//           --port <port> --`; the launcher starts debugpy listening on
//           0.0.0.0:<port> without waiting for a client; port "dap",
//           support "python".
//   jvm     JAVA_TOOL_OPTIONS gets `-agentlib:jdwp=transport=dt_socket,
//           server=y,address=*:<port>,suspend=n,quiet=y` appended (a bare
//           <port> for JAVA_VERSION 8 or older: since JDK 9 a bare port
//           listens on loopback only, out of reach of Docker's published
//           ports); port "jdwp".
// A command line that already starts the debugger (dlv, --inspect,
// -m debugpy, -agentlib:jdwp / -Xrunjdwp) is left alone and its port is
// reported. A `/bin/sh -c "<line>"` (or /bin/bash) command line is
// rewritten inside <line>, which is then quoted back into one word; a <line>
// that does not split into words (an open quote) is treated as the command.
// Ports come from AllocatePort(default, used_ports ∪ spec.ports).
// Returns the DetectRuntime errors; Unimplemented for netcore;
// FailedPrecondition when the runtime needs a command line to rewrite and
// there is none (go with no command, python whose command is not python and
// with no PYTHON* env). Every message names the container.
absl::StatusOr<DebugTransform> TransformContainer(
    const ContainerSpec& spec, const absl::flat_hash_set<uint32_t>& used_ports);

// One container of a pod, transformed or skipped with the reason.
struct ContainerOutcome {
  std::string container;
  absl::StatusOr<DebugTransform> transform;

  bool operator==(const ContainerOutcome& o) const {
    return container == o.container && transform.status() == o.transform.status() &&
           (!transform.ok() || *transform == *o.transform);
  }
};
std::ostream& operator<<(std::ostream& os, const ContainerOutcome& outcome);

// Transforms every container of a pod in order, each one's debug ports
// taken from those no container declares and no earlier container was
// given. A container that cannot be debugged is reported, not fatal, as in
// Skaffold (the pod runs; that container just has no debugger).
std::vector<ContainerOutcome> TransformPod(const std::vector<ContainerSpec>& containers);

}  // namespace devloop::debug

#endif  // DEVLOOP_DOMAIN_DEBUG_TRANSFORM_H_
