// What a debugged container tells the outside: the pod annotation Skaffold
// writes (`debug.cloud.google.com/config`, read by IDEs such as Cloud Code)
// and the fields of the API's DebuggingContainerEvent, which the shell maps
// to the proto (api/skaffold.proto) and to State.debuggingContainers.
//
//   ContainerDebugConfig web = DebugConfigFor(spec, *transform);
//   std::string value = EncodeDebugConfig({{"web", web}});
//   // {"web":{"artifact":"app","runtime":"nodejs","workingDir":"/app",
//   //         "ports":{"devtools":9229}}}
//   DebuggingContainer started = MakeDebuggingContainer(
//       DebugStatus::kStarted, "web-5f7c", "default", "web", web);
//
// Free functions over values: thread-compatible.
#ifndef DEVLOOP_DOMAIN_DEBUG_ANNOTATION_H_
#define DEVLOOP_DOMAIN_DEBUG_ANNOTATION_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/debug/transform.h"

namespace devloop::debug {

// The annotation's name on a pod (or pod template).
inline constexpr absl::string_view kDebugConfigAnnotation = "debug.cloud.google.com/config";

// One container's entry in the annotation. Empty fields are left out of the
// JSON, as Skaffold leaves them out.
struct ContainerDebugConfig {
  std::string artifact;     // the artifact's image name in skaffold.yaml
  std::string runtime;      // "go", "nodejs", "python", "jvm"
  std::string working_dir;  // the image's working directory; may be empty
  std::map<std::string, uint32_t> ports;  // debug port by protocol name

  bool operator==(const ContainerDebugConfig&) const = default;
};
std::ostream& operator<<(std::ostream& os, const ContainerDebugConfig& c);

// Returns the annotation entry for `spec` debugged as `transform` says.
ContainerDebugConfig DebugConfigFor(const ContainerSpec& spec, const DebugTransform& transform);

// Returns the annotation's value: one JSON object keyed by container name,
// each value an object with "artifact", "runtime", "workingDir" and "ports"
// in that order, keys of maps sorted, strings escaped as Go's encoding/json
// escapes them (so the bytes match what Skaffold writes for the same pod).
std::string EncodeDebugConfig(const std::map<std::string, ContainerDebugConfig>& by_container);

// Parses an annotation value back (as EncodeDebugConfig writes it, or as
// Skaffold or a user wrote it on a pod), so the shell can tell which
// containers of a running pod are debuggable. Unknown fields are ignored;
// ports must be integers in [1, 65535]. Returns InvalidArgument naming the
// byte offset for anything that is not such a JSON object.
absl::StatusOr<std::map<std::string, ContainerDebugConfig>> ParseDebugConfig(
    absl::string_view json);

// DebuggingContainerEvent.status: the debugger's container came up or went.
enum class DebugStatus { kStarted, kTerminated };

// Returns "Started" or "Terminated", as Skaffold fills the status field.
absl::string_view DebugStatusName(DebugStatus status);
std::ostream& operator<<(std::ostream& os, DebugStatus status);

// The fields of DebuggingContainerEvent (and of each entry of
// State.debuggingContainers), one to one.
struct DebuggingContainer {
  DebugStatus status = DebugStatus::kStarted;
  std::string pod_name;
  std::string container_name;
  std::string namespace_name;  // the proto's `namespace`
  std::string artifact;
  std::string runtime;
  std::string working_dir;
  std::map<std::string, uint32_t> debug_ports;

  bool operator==(const DebuggingContainer&) const = default;
};
std::ostream& operator<<(std::ostream& os, const DebuggingContainer& c);

// Returns the event for container `container` of pod `pod` in `namespace_name`,
// described by its annotation entry `config`.
DebuggingContainer MakeDebuggingContainer(DebugStatus status, absl::string_view pod,
                                          absl::string_view namespace_name,
                                          absl::string_view container,
                                          const ContainerDebugConfig& config);

}  // namespace devloop::debug

#endif  // DEVLOOP_DOMAIN_DEBUG_ANNOTATION_H_
