// Maps changed absolute paths to the artifacts they concern, honouring each
// context's .dockerignore and the artifact's dependency and ignore globs.
// Shared by every Watcher implementation.
//
//   DEVLOOP_ASSIGN_OR_RETURN(ChangeMapper mapper, ChangeMapper::Create(options));
//   std::optional<ChangeSet> changes = mapper.Map({"/src/web/index.html"});
//
// Immutable after Create: thread-safe.
#ifndef DEVLOOP_INFRA_FS_CHANGE_MAPPER_H_
#define DEVLOOP_INFRA_FS_CHANGE_MAPPER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/paths/dockerignore.h"
#include "domain/paths/glob.h"
#include "infra/fs/watcher.h"

namespace devloop::fs {

class ChangeMapper {
 public:
  // Reads each context's .dockerignore and compiles the globs.
  // InvalidArgument naming the artifact for a bad glob or .dockerignore;
  // NotFound for a context that is not a directory.
  static absl::StatusOr<ChangeMapper> Create(const WatchOptions& options);

  // Returns the ChangeSet for `paths` (absolute, any order, duplicates fine),
  // or nullopt when none of them counts.
  std::optional<ChangeSet> Map(const std::vector<std::string>& paths, bool rescanned) const;

  // The directories to watch recursively (each context, cleaned, nested ones
  // dropped).
  std::vector<std::string> Roots() const;
  const std::string& config_file() const { return config_file_; }

 private:
  struct Artifact {
    std::string name;
    std::string context;  // cleaned absolute path
    std::vector<domain::Glob> dependencies;
    std::vector<domain::Glob> ignore;
    domain::DockerIgnore dockerignore;
  };
  std::vector<Artifact> artifacts_;
  std::string config_file_;
};

}  // namespace devloop::fs

#endif  // DEVLOOP_INFRA_FS_CHANGE_MAPPER_H_
