// What the dev loop needs to know about the pipeline, as small value types
// independent of skaffold.yaml's structs (the composition root maps config to
// these): each artifact's image name, the artifacts it `requires`, its manual
// sync rules and its inferred ones (sync.infer's globs and the Dockerfile's
// COPYs); a changed file, already mapped to its artifact; and the work that
// waits for a trigger.
//
//   ArtifactSpec web{.image = "web", .required = {"base"},
//                    .sync = {{.src = "static/**/*.css", .dest = "/app", .strip = "static/"}}};
//
// Value types: thread-compatible.
#ifndef DEVLOOP_DOMAIN_PIPELINE_SPEC_H_
#define DEVLOOP_DOMAIN_PIPELINE_SPEC_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace devloop::domain {

// One manual sync rule of skaffold.yaml: files matching the glob `src`
// (relative to the artifact's context) are copied under `dest` in the
// container, with the leading `strip` removed from their relative path.
struct SyncRule {
  std::string src;
  std::string dest;
  std::string strip;
  bool operator==(const SyncRule&) const = default;
};

// A COPY or ADD of the stage of the Dockerfile that becomes the image, for
// `sync.infer`: its sources as written (relative to the context; globs
// allowed) and its destination, absolute (the WORKDIR in effect applied).
struct InferredCopy {
  std::vector<std::string> srcs;
  std::string dest;
  bool operator==(const InferredCopy&) const = default;
};

struct ArtifactSpec {
  std::string image;                  // the artifact's name, as events name it
  std::vector<std::string> required;  // skaffold.yaml `requires`: images this one is built FROM
  std::vector<SyncRule> sync;         // manual sync rules
  std::vector<std::string> infer;     // sync.infer globs, relative to the context
  std::vector<InferredCopy> copies;   // where inferred files go (with `infer`)
  // skaffold.yaml `test` names this image: each build of it is tested before
  // it may deploy.
  bool tested = false;
  bool operator==(const ArtifactSpec&) const = default;
};

// One changed file of an artifact, relative to its context.
struct FileChange {
  std::string path;
  bool deleted = false;
  bool operator==(const FileChange&) const = default;
};

// The work that waits for its trigger: with an auto trigger off, changes
// accumulate here until an Execute intent (or the trigger turned back on)
// lets their phase run.
struct PendingWork {
  std::vector<std::string> builds;  // artifacts changed since their build began, in build order
  std::map<std::string, std::vector<FileChange>> syncs;  // per artifact, sorted by path
  bool deploy = false;  // newer images than those running
  // Tested artifacts whose test dependencies changed, to test again, sorted.
  std::vector<std::string> tests;
  bool empty() const { return builds.empty() && syncs.empty() && !deploy && tests.empty(); }
  bool operator==(const PendingWork&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const SyncRule& r) {
  return os << "SyncRule{" << r.src << " -> " << r.dest << " strip=" << r.strip << "}";
}
inline std::ostream& operator<<(std::ostream& os, const FileChange& c) {
  return os << (c.deleted ? "-" : "+") << c.path;
}

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_SPEC_H_
