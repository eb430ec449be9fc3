// Tagger: computes the tag a built image gets from skaffold.yaml's
// build.tagPolicy (or --tag, which overrides it), with Skaffold's semantics:
//
//   gitCommit     `git describe --tags --always` (Tags, the default),
//                 `git rev-parse [--short] HEAD` (CommitSha, AbbrevCommitSha),
//                 `git rev-parse [--short] HEAD:./` (TreeSha, AbbrevTreeSha: the
//                 tree of the artifact's context); "-dirty" when
//                 `git status --porcelain -- .` in the context lists anything
//                 (unless ignoreChanges); `prefix` in front. Outside a git
//                 repository (or before the first commit) the tag is "latest",
//                 with a warning, so a project copied out of git still runs.
//   sha256        "latest" (Skaffold's meaning: the image is told apart by its id).
//   inputDigest   the hex SHA-256 of the build context (fs::HashBuildContext).
//   envTemplate   the template evaluated over the environment plus IMAGE_NAME.
//   dateTime      the current time in a Go layout ("2006-01-02_15-04-05.999_MST")
//                 and time zone ("Local", "UTC" or an IANA name).
//
// Every tag is checked to be a valid Docker tag ([A-Za-z0-9_.-], at most 128,
// not starting with '.' or '-'); a policy that produces something else is an
// InvalidArgument naming the policy and the value.
//
//   DEVLOOP_ASSIGN_OR_RETURN(std::unique_ptr<Tagger> tagger,
//       Tagger::Make({.policy = config.build.tag_policy, .runner = &runner}));
//   DEVLOOP_ASSIGN_OR_RETURN(std::string tag, tagger->Tag("web", "/src/web"));  // "v1.2-dirty"
//   std::string ref = TaggedReference("gcr.io/x/web", tag);  // "gcr.io/x/web:v1.2-dirty"
//
// Thread-safe: Tag is const and may run concurrently (the runner and the clock
// are thread-safe).
#ifndef DEVLOOP_INFRA_BUILD_TAGGER_H_
#define DEVLOOP_INFRA_BUILD_TAGGER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/config/config.h"
#include "domain/config/template.h"
#include "infra/clock/clock.h"
#include "infra/process/process_runner.h"

namespace devloop::build {

struct TaggerOptions {
  config::TagPolicy policy = config::GitCommitTagger{};
  // --tag: when non-empty, every image gets this tag and `policy` is unused.
  std::string override_tag;
  // Runs git for gitCommit. Not owned; must outlive the Tagger. Required for
  // gitCommit (without --tag).
  process::ProcessRunner* runner = nullptr;
  // "Now" for dateTime. Not owned; RealClock() when null.
  clock::Clock* clock = nullptr;
  // envTemplate's variables (usually the process environment); IMAGE_NAME is
  // added per image.
  std::map<std::string, std::string> env;
  // How long one git command may take.
  absl::Duration git_timeout = absl::Seconds(10);
  // devloop's config files (absolute): left out of the content digest that
  // inputDigest (and gitCommit outside git) tags by, as they are no build input.
  std::vector<std::string> config_files;
};

class Tagger {
 public:
  // Returns InvalidArgument for an envTemplate that does not parse, a dateTime
  // time zone that does not exist, an invalid --tag, or gitCommit without a
  // runner.
  static absl::StatusOr<std::unique_ptr<Tagger>> Make(TaggerOptions options);

  // Returns the tag (without "image:") for artifact `image` whose build
  // context is `context_dir` (absolute). Errors name the policy: Internal when
  // git fails inside a repository, NotFound when git is not installed, the
  // hashing error for inputDigest, InvalidArgument for an invalid tag.
  absl::StatusOr<std::string> Tag(const std::string& image, const std::string& context_dir) const;

  // The policy's name as in skaffold.yaml ("gitCommit", "sha256", ...), or
  // "--tag" when overridden.
  std::string PolicyName() const;

 private:
  explicit Tagger(TaggerOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::string> GitCommitTag(const config::GitCommitTagger& policy,
                                           const std::string& context_dir) const;
  // Runs git in `dir`; returns its trimmed stdout, or FailedPrecondition with
  // its stderr when it exits non-zero.
  absl::StatusOr<std::string> Git(const std::string& dir,
                                  std::initializer_list<std::string> args) const;

  TaggerOptions options_;
  std::optional<config::Template> template_;  // envTemplate
  absl::TimeZone zone_;                        // dateTime
};

// Returns `image` without its tag: "gcr.io/x/web:v1" -> "gcr.io/x/web",
// "localhost:5000/web" -> "localhost:5000/web" (a registry port is not a tag).
std::string ImageWithoutTag(const std::string& image);

// Returns "image:tag", replacing a tag `image` already has.
std::string TaggedReference(const std::string& image, const std::string& tag);

// Returns OK if `tag` is a valid Docker tag, else InvalidArgument saying why.
absl::Status ValidateTag(absl::string_view tag);

// Formats `t` in `zone` with a Go time layout (the reference time "Mon Jan 2
// 15:04:05 MST 2006"): 2006 06 01 1 Jan January 02 2 _2 002 Mon Monday 15 03 3
// 04 4 05 5 PM pm MST -0700 -07:00 -07 Z0700 Z07:00 Z07, and fractional
// seconds .000 / .999 (also with ','). Other text is copied.
std::string FormatGoTime(absl::string_view layout, absl::Time t, absl::TimeZone zone);

}  // namespace devloop::build

#endif  // DEVLOOP_INFRA_BUILD_TAGGER_H_
