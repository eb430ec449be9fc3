// What `sync.infer` needs from a Dockerfile: the COPY and ADD instructions of the
// stage that becomes the image, with their destinations made absolute by the
// WORKDIR in effect, and the stage's final WORKDIR.
//
//   absl::StatusOr<DockerfileInfo> info = ParseDockerfile(text, /*target=*/"");
//   // info->copies: {{"app/"}, "/srv/app/"}, ...
//
// The text is an input: reading the file is the caller's (infra's) job.
// Free functions: thread-compatible.
#ifndef DEVLOOP_DOMAIN_CONFIG_DOCKERFILE_H_
#define DEVLOOP_DOMAIN_CONFIG_DOCKERFILE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/config/config.h"

namespace devloop::config {

struct DockerfileInfo {
  // COPY/ADD of the image's stage, without those that copy from another stage or
  // image (--from), since those files do not come from the context.
  std::vector<DockerCopy> copies;
  // The stage's last WORKDIR, absolute; empty when the stage sets none (then the
  // base image decides it).
  std::string workdir;
  bool operator==(const DockerfileInfo&) const = default;
};

// Parses `text`. `target` picks the stage named by `FROM ... AS target`; empty
// means the last stage. Returns InvalidArgument ("line N: ...") when the text has
// no FROM, `target` names no stage, or a COPY/ADD has fewer than two arguments.
absl::StatusOr<DockerfileInfo> ParseDockerfile(absl::string_view text, absl::string_view target);

// Returns what a build from `text` reads from its context: the sources of the
// COPY and ADD instructions of every stage, as written (globs or directories,
// relative to the context), in order, each once -- without those copying from
// another stage or image (--from) and without ADD's URLs. `$NAME` and
// `${NAME}` are replaced by the ARG's value: `build_args`' if it names it, else
// the ARG's default, else "". InvalidArgument as ParseDockerfile (no FROM, a
// COPY/ADD without a destination).
absl::StatusOr<std::vector<std::string>> DockerfileSources(
    absl::string_view text, const std::map<std::string, std::string>& build_args);

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_DOCKERFILE_H_
