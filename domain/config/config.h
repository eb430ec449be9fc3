// The pipeline a user describes in skaffold.yaml (or devloop.yaml), as plain values.
//
// These structs hold what devloop supports of Skaffold's schema (apiVersion
// skaffold/v1alpha1 .. skaffold/v4beta13, old ones upgraded to the newest) after
// profiles are applied and `requires` are resolved. They carry no YAML types, so
// any tool can reuse them; fields that error messages point at keep their
// SourcePos. infra/config fills them from files.
//
//   const Config& c = loaded.configs[0];
//   for (const Artifact& a : c.build.artifacts) {
//     if (a.docker) Build(a.image, a.context, a.docker->dockerfile);
//   }
//
// Value types: thread-compatible.
#ifndef DEVLOOP_DOMAIN_CONFIG_CONFIG_H_
#define DEVLOOP_DOMAIN_CONFIG_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace devloop::config {

// Where a value was written: a file and a 1-based line and column. An empty
// file means "not from a file" (a default or a test value).
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
  bool operator==(const SourcePos&) const = default;
};
std::ostream& operator<<(std::ostream& os, const SourcePos& pos);

// build.artifacts[].docker
struct DockerArtifact {
  std::string dockerfile = "Dockerfile";  // relative to the artifact's context
  std::map<std::string, std::string> build_args;  // values after templating
  std::string target;
  std::string network;
  bool no_cache = false;
  std::vector<std::string> cache_from;
  bool operator==(const DockerArtifact&) const = default;
};

// build.artifacts[].custom.dependencies
// Skaffold uses the first of dockerfile, command, paths that is given.
struct CustomDependencies {
  std::vector<std::string> paths;   // globs relative to the context
  std::vector<std::string> ignore;  // globs relative to the context (with paths only)
  std::string dockerfile;           // use this Dockerfile's inputs as dependencies
  std::map<std::string, std::string> dockerfile_build_args;  // dockerfile.buildArgs
  // Prints a JSON array of paths (relative to the context) on stdout. Split on
  // spaces, not run by a shell, as Skaffold does.
  std::string command;
  bool operator==(const CustomDependencies&) const = default;
};

// build.artifacts[].custom
struct CustomArtifact {
  std::string build_command;  // run with IMAGE, PUSH_IMAGE, BUILD_CONTEXT set
  CustomDependencies dependencies;
  bool operator==(const CustomArtifact&) const = default;
};

// build.artifacts[].requires[]: an artifact this one is built from.
struct ArtifactDependency {
  std::string image;
  std::string alias;  // build arg name carrying the built image; defaults to image
  bool operator==(const ArtifactDependency&) const = default;
};

// build.artifacts[].sync.manual[]: files matching `src` (a glob relative to the
// context) are copied to `dest` with the leading `strip` removed. A relative
// `dest` is relative to the image's WORKDIR, as in Skaffold.
struct SyncRule {
  std::string src;
  std::string dest;
  std::string strip;
  SourcePos pos;
  bool operator==(const SyncRule&) const = default;
};

// A COPY or ADD of the Dockerfile's final stage, which `sync.infer` uses to find
// where a changed file lives in the container.
struct DockerCopy {
  std::vector<std::string> srcs;  // as written, relative to the context
  std::string dest;               // absolute (WORKDIR applied)
  bool operator==(const DockerCopy&) const = default;
};

// A lifecycle hook's command run on this machine (`host`): the entries of
// build.artifacts[].hooks, and the `host` entries of sync hooks. Entries whose
// `os` list leaves out linux are dropped when read.
struct HostHook {
  std::vector<std::string> command;  // argv, run without a shell
  std::string dir;  // the working directory as written; empty: the config's directory
  SourcePos pos;
  bool operator==(const HostHook&) const = default;
};

// build.artifacts[].sync.hooks.before[] / after[]: a command run on this
// machine (`host`) or in the containers running the artifact (`container`).
struct SyncHook {
  enum class Where { kHost, kContainer };
  Where where = Where::kHost;
  std::vector<std::string> command;
  std::string dir;  // host: as in HostHook
  SourcePos pos;
  bool operator==(const SyncHook&) const = default;
};

struct SyncHooks {
  std::vector<SyncHook> before;
  std::vector<SyncHook> after;
  bool operator==(const SyncHooks&) const = default;
};

// build.artifacts[].sync
struct Sync {
  std::vector<SyncRule> manual;
  std::vector<std::string> infer;  // globs relative to the context
  // From the Dockerfile when `infer` is used (empty otherwise).
  std::vector<DockerCopy> inferred_copies;
  // The final stage's WORKDIR when the Dockerfile sets one; empty when it comes
  // from the base image and must be asked of the running container.
  std::string workdir;
  SyncHooks hooks;
  bool operator==(const Sync&) const = default;
};

// build.artifacts[].hooks: host commands run before and after each build of
// the artifact.
struct Hooks {
  std::vector<HostHook> before;
  std::vector<HostHook> after;
  bool operator==(const Hooks&) const = default;
};

struct Artifact {
  std::string image;    // after templating
  std::string context = ".";  // as written, relative to the config's directory
  std::string absolute_context;  // context joined to the config's directory
  std::optional<DockerArtifact> docker;  // set when neither docker nor custom is given
  std::optional<CustomArtifact> custom;
  std::vector<ArtifactDependency> required_artifacts;  // `requires` in YAML
  std::optional<Sync> sync;
  Hooks hooks;
  // `devloop debug`: the language runtime to debug the image as ("go",
  // "nodejs", "python", "jvm"); empty: detect it from the image.
  std::string runtime_type;
  // The platforms it may be built for ("linux/arm64"), normalized
  // (platforms.h): a constraint on the targets. Empty: any.
  std::vector<std::string> platforms;
  SourcePos pos;          // of the artifact's map
  SourcePos context_pos;  // of `context`, or of the artifact when defaulted
  bool operator==(const Artifact&) const = default;
};

// build.tagPolicy. Exactly one kind; gitCommit is Skaffold's default.
enum class GitCommitVariant { kTags, kCommitSha, kAbbrevCommitSha, kTreeSha, kAbbrevTreeSha };
std::ostream& operator<<(std::ostream& os, GitCommitVariant v);
// The schema name ("Tags", "CommitSha", ...).
const char* GitCommitVariantName(GitCommitVariant v);

struct GitCommitTagger {
  GitCommitVariant variant = GitCommitVariant::kTags;
  std::string prefix;
  bool ignore_changes = false;  // no "-dirty" suffix on a dirty tree
  bool operator==(const GitCommitTagger&) const = default;
};
struct Sha256Tagger {
  bool operator==(const Sha256Tagger&) const = default;
};
struct InputDigestTagger {
  bool operator==(const InputDigestTagger&) const = default;
};
struct EnvTemplateTagger {
  std::string tmpl;  // checked to parse; evaluated per image (template.h)
  bool operator==(const EnvTemplateTagger&) const = default;
};
struct DateTimeTagger {
  std::string format = "2006-01-02_15-04-05.999_MST";  // Go layout, as Skaffold
  std::string timezone = "Local";
  bool operator==(const DateTimeTagger&) const = default;
};
using TagPolicy = std::variant<GitCommitTagger, Sha256Tagger, InputDigestTagger,
                               EnvTemplateTagger, DateTimeTagger>;

// build.local
struct LocalBuild {
  std::optional<bool> push;  // unset: push unless the Docker context is local
  bool use_buildkit = false;
  int concurrency = 1;  // 0 means no limit, as in Skaffold
  bool operator==(const LocalBuild&) const = default;
};

struct Build {
  std::vector<Artifact> artifacts;
  TagPolicy tag_policy = GitCommitTagger{};
  LocalBuild local;
  std::vector<std::string> insecure_registries;
  // build.platforms: what its artifacts are built for unless --platform says
  // otherwise, normalized (platforms.h). Empty: the builder's default.
  std::vector<std::string> platforms;
  bool operator==(const Build&) const = default;
};

// deploy.kubectl.flags
struct KubectlFlags {
  std::vector<std::string> global;
  std::vector<std::string> apply;
  std::vector<std::string> remove;  // `delete` in YAML
  bool operator==(const KubectlFlags&) const = default;
};

// deploy.kubectl.hooks.before[] / after[]: one command, run on this machine
// (`host`; entries for other OSes are dropped when read) or in the deployed
// containers (`container`, chosen by pod and container name globs).
struct DeployHook {
  enum class Where { kHost, kContainer };
  Where where = Where::kHost;
  std::vector<std::string> command;
  std::string dir;                    // host: the working directory, relative to the config's
  std::string pod_name = "*";         // container: glob over pod names
  std::string container_name = "*";   // container: glob over container names
  SourcePos pos;
  bool operator==(const DeployHook&) const = default;
};

struct DeployHooks {
  std::vector<DeployHook> before;
  std::vector<DeployHook> after;
  bool operator==(const DeployHooks&) const = default;
};

// deploy.kubectl
struct KubectlDeploy {
  std::vector<std::string> manifests;  // globs: v2 `manifests` plus v3+ manifests.rawYaml
  KubectlFlags flags;
  std::string default_namespace;
  DeployHooks hooks;
  bool operator==(const KubectlDeploy&) const = default;
};

// manifests.kustomize (v3+) and deploy.kustomize (v2): directories whose
// kustomization `kubectl kustomize` renders; devloop applies the output with
// its kubectl deployer (deploy.kubectl carries the kubectl flags and namespace).
struct KustomizeDeploy {
  // Directories (or kustomize's remote URLs) relative to the config's
  // directory, after templating; Skaffold's default is ".".
  std::vector<std::string> paths = {"."};
  std::vector<std::string> build_args;  // `buildArgs`: extra `kubectl kustomize` flags
  SourcePos pos;                        // of the first kustomize section read
  bool operator==(const KustomizeDeploy&) const = default;
};

// manifests.helm.releases[] and deploy.helm.releases[]: a chart rendered with
// `helm template` and applied by the kubectl deployer (never `helm install`).
struct HelmRelease {
  std::string name;        // after templating
  std::string chart_path;  // a local chart directory or archive, relative to the config's directory
  std::vector<std::string> values_files;  // `-f`, in order, relative to the config's directory
  std::map<std::string, std::string> set_values;  // `--set key=value`, as written
  // `--set key=value` where value is a template over the environment and the
  // built images ({{.IMAGE_FULLY_QUALIFIED_web}}, ...); checked to parse, and
  // evaluated at every render.
  std::map<std::string, std::string> set_value_templates;
  std::string namespace_name;     // `--namespace`; empty: the deploy's namespace
  bool create_namespace = false;  // the deployer creates the namespace first
  std::string version;            // `--version` of the chart
  // Skip `helm dependency build` before rendering a chart that declares
  // dependencies (skipBuildDependencies).
  bool skip_build_dependencies = false;
  SourcePos pos;                  // of the release's `name`
  bool operator==(const HelmRelease&) const = default;
};

// manifests.helm and deploy.helm: their releases together, each name once.
struct HelmDeploy {
  std::vector<HelmRelease> releases;
  bool operator==(const HelmDeploy&) const = default;
};

// deploy.docker: run the built images as containers on the local Engine.
struct DockerDeploy {
  std::vector<std::string> images;
  bool operator==(const DockerDeploy&) const = default;
};

struct Deploy {
  // Set whenever anything is deployed to Kubernetes: raw manifests, and the
  // output of kustomize and helm below, are all applied with kubectl.
  std::optional<KubectlDeploy> kubectl;
  std::optional<KustomizeDeploy> kustomize;
  std::optional<HelmDeploy> helm;
  std::optional<DockerDeploy> docker;
  std::optional<int> status_check_deadline_seconds;  // unset: Skaffold's 600 s
  bool tolerate_failures_until_deadline = false;
  bool operator==(const Deploy&) const = default;
};

// portForward[]
struct PortForward {
  std::string resource_type;  // service, pod, deployment, ..., container
  std::string resource_name;
  std::string namespace_;
  int port = 0;
  std::optional<int> local_port;  // unset: same as port, or the next free one
  std::string address = "127.0.0.1";
  SourcePos pos;
  bool operator==(const PortForward&) const = default;
};

// requires[].activeProfiles[]: turn on profile `name` in the required configs
// when this config has one of `activated_by` applied (always, when empty).
struct RequiredProfile {
  std::string name;
  std::vector<std::string> activated_by;
  bool operator==(const RequiredProfile&) const = default;
};

// requires[]: other configs this one needs, loaded before it.
struct ConfigDependency {
  std::string path;                  // a file, or a directory holding skaffold.yaml
  std::vector<std::string> configs;  // metadata.names to take from it; empty: all
  std::vector<RequiredProfile> active_profiles;
  SourcePos pos;
  bool operator==(const ConfigDependency&) const = default;
};

// test[].custom[]: a command run on this machine after each build of the
// image, through `sh -c`, with IMAGE set to the built reference. A non-zero
// exit fails the test.
struct CustomTest {
  std::string command;
  std::optional<int> timeout_seconds;  // unset: no limit
  std::vector<std::string> dependency_paths;   // dependencies.paths
  std::vector<std::string> dependency_ignore;  // dependencies.ignore
  // dependencies.command: run through `sh -c` in the test's context, it prints
  // a JSON array of paths (relative to the context); it wins over paths, as
  // in Skaffold.
  std::string dependency_command;
  SourcePos dependency_command_pos;
  SourcePos pos;  // of `command`
  bool operator==(const CustomTest&) const = default;
};

// test[]: the tests of one built image, run after its build and before deploy.
struct TestCase {
  std::string image;    // an artifact's image
  std::string context = ".";  // as written, relative to the config's directory
  std::vector<CustomTest> custom;
  // container-structure-test config files (globs, relative to the config's directory).
  std::vector<std::string> structure_tests;
  std::vector<std::string> structure_tests_args;  // extra flags for the CLI
  SourcePos pos;  // of `image`
  bool operator==(const TestCase&) const = default;
};

// A container of a verify test or a custom action, run to completion on the
// local Docker Engine.
struct ActionContainer {
  std::string name;
  std::string image;
  std::vector<std::string> command;  // the entrypoint; empty: the image's
  std::vector<std::string> args;     // empty: the image's
  std::vector<std::pair<std::string, std::string>> env;  // in order
  SourcePos pos;  // of the container's map
  bool operator==(const ActionContainer&) const = default;
};

// verify[]: a post-deployment test, run by `devloop verify`.
struct VerifyTestCase {
  std::string name;
  ActionContainer container;
  std::optional<int> timeout_seconds;  // `timeout`; unset: no limit
  SourcePos pos;
  bool operator==(const VerifyTestCase&) const = default;
};

// customActions[]: containers run together by `devloop exec NAME`.
struct CustomAction {
  std::string name;
  std::vector<ActionContainer> containers;
  std::optional<int> timeout_seconds;  // `timeout`; unset: no limit
  bool fail_fast = true;  // a failed container stops the others
  SourcePos pos;  // of `name`
  bool operator==(const CustomAction&) const = default;
};

// One document (`kind: Config`) of a config file, profiles applied.
struct Config {
  std::string api_version;
  std::string name;                     // metadata.name
  std::string source_file;              // the file it came from
  std::string directory;                // that file's directory; relative paths start here
  std::vector<ConfigDependency> required_configs;  // `requires` in YAML
  std::vector<std::string> active_profiles;  // in the order they were applied
  Build build;
  Deploy deploy;
  std::optional<bool> status_check;  // unset: on
  std::vector<PortForward> port_forward;
  std::vector<TestCase> tests;               // `test` in YAML
  std::vector<VerifyTestCase> verify;
  std::vector<CustomAction> custom_actions;  // `customActions` in YAML
  bool operator==(const Config&) const = default;
};

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_CONFIG_H_
