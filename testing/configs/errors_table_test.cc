// Broken configs and the exact errors devloop reports: each names the file, line
// and column and says what was expected. Files are served from memory.
#include <string>

#include "gtest/gtest.h"
#include "infra/config/loader.h"
#include "testing/configs/in_memory_config_files.h"

namespace devloop::config {
namespace {

constexpr char kHead[] = "apiVersion: skaffold/v4beta13\nkind: Config\n";

struct Case {
  const char* name;
  std::string yaml;
  std::string want;  // the whole status message
  LoadOptions options = {};
};

std::string LoadError(const Case& c) {
  InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml", c.yaml);
  files.Add("/p/Dockerfile", "FROM scratch\nWORKDIR /app\nCOPY src/ src/\n");
  files.Add("/p/app/Dockerfile", "FROM scratch\n");
  files.Add("/p/lib/skaffold.yaml", std::string(kHead) + "metadata: {name: lib}\n"
                                    "requires: [{path: ../skaffold.yaml}]\n");
  files.Add("/p/other/skaffold.yaml", std::string(kHead) + "metadata:\n  name: app\n");
  LoadOptions options = c.options;
  options.working_directory = "/p";
  absl::StatusOr<std::vector<Config>> configs = LoadConfigs(options, files);
  if (configs.ok()) return "OK";
  return std::string(configs.status().message());
}

TEST(ErrorsTableTest, ExactMessages) {
  const Case cases[] = {
      {"unknown field with suggestion",
       std::string(kHead) + "build:\n  artifacts:\n  - image: a\n    docker:\n      dockerfiel: D\n",
       "skaffold.yaml:7:7: unknown field \"dockerfiel\" in build.artifacts[0].docker (did you "
       "mean \"dockerfile\"?)"},
      {"unknown field without a close name",
       std::string(kHead) + "deploy:\n  zzz: 1\n",
       "skaffold.yaml:4:3: unknown field \"zzz\" in deploy (expected one of: kubectl, kustomize, "
       "helm, docker, statusCheckDeadlineSeconds, tolerateFailuresUntilDeadline, statusCheck, "
       "logs)"},
      {"unknown top-level field",
       std::string(kHead) + "biuld: {}\n",
       "skaffold.yaml:3:1: unknown field \"biuld\" in the document (did you mean \"build\"?)"},
      {"wrong type: bool",
       std::string(kHead) + "build:\n  local:\n    push: maybe\n",
       "skaffold.yaml:5:11: build.local.push: expected true or false, got \"maybe\""},
      {"wrong type: list",
       std::string(kHead) + "build:\n  artifacts:\n    image: a\n",
       "skaffold.yaml:5:5: build.artifacts: expected a list, got a map"},
      {"wrong type: integer",
       std::string(kHead) + "deploy:\n  statusCheckDeadlineSeconds: soon\n",
       "skaffold.yaml:4:31: deploy.statusCheckDeadlineSeconds: expected an integer, got \"soon\""},
      {"wrong type: string",
       std::string(kHead) + "build:\n  artifacts:\n  - image: [a, b]\n",
       "skaffold.yaml:5:12: build.artifacts[0].image: expected a string, got a list"},
      {"missing required field",
       std::string(kHead) + "build:\n  artifacts:\n  - context: app\n",
       "skaffold.yaml:5:5: missing required field \"image\" in build.artifacts[0]"},
      {"unsupported apiVersion",
       "apiVersion: skaffold/v1beta18\nkind: Config\n",
       "skaffold.yaml:1:13: unsupported apiVersion \"skaffold/v1beta18\" (expected "
       "skaffold/v1alpha1 ... skaffold/v1alpha5, skaffold/v1beta1 ... skaffold/v1beta17, "
       "skaffold/v1, skaffold/v2alpha1 ... skaffold/v2alpha4, skaffold/v2beta1 ... "
       "skaffold/v2beta29, skaffold/v3alpha1, skaffold/v3, or skaffold/v4beta1 ... "
       "skaffold/v4beta13)"},
      {"missing apiVersion and wrong kind",
       "kind: Pod\n",
       "skaffold.yaml:1:1: missing required field \"apiVersion\" in the document\n"
       "skaffold.yaml:1:7: unsupported kind \"Pod\" (expected \"Config\")"},
      {"duplicate image names",
       std::string(kHead) + "build:\n  artifacts:\n  - image: a\n  - image: a\n",
       "skaffold.yaml:6:12: duplicate image \"a\" (first defined at skaffold.yaml:5:12)"},
      {"sync src leaves the context",
       std::string(kHead) +
           "build:\n  artifacts:\n  - image: a\n    context: app\n    sync:\n      manual:\n"
           "      - src: ../secrets/*\n        dest: /etc\n",
       "skaffold.yaml:9:14: build.artifacts[0].sync.manual[0].src \"../secrets/*\" leaves the "
       "context \"app\" (expected a path inside it)"},
      {"context does not exist",
       std::string(kHead) + "build:\n  artifacts:\n  - image: a\n    context: nope\n",
       "skaffold.yaml:6:14: build.artifacts[0].context \"nope\" is not a directory (looked for "
       "/p/nope)"},
      {"refused builder",
       std::string(kHead) + "build:\n  artifacts:\n  - image: a\n    jib: {}\n",
       "skaffold.yaml:6:5: build.artifacts[0].jib: jib builds are not supported by devloop "
       "(supported: docker, custom)"},
      {"unknown runtimeType",
       std::string(kHead) + "build:\n  artifacts:\n  - image: a\n    runtimeType: ruby\n",
       "skaffold.yaml:6:18: build.artifacts[0].runtimeType: unknown runtimeType \"ruby\"; expected "
       "one of go, nodejs, python, jvm, netcore"},
      {"platform that is not os/arch",
       std::string(kHead) + "build:\n  platforms: [linux/amd64, arm64]\n  artifacts:\n"
       "  - image: a\n    platforms:\n    - linux/arm64\n    - linux/arm/v7/x\n",
       "skaffold.yaml:4:28: build.platforms[1]: \"arm64\" is not a platform: expected "
       "os/arch[/variant], such as linux/amd64, linux/arm64 or linux/arm/v7\n"
       "skaffold.yaml:9:7: build.artifacts[0].platforms[1]: \"linux/arm/v7/x\" is not a "
       "platform: expected os/arch[/variant], such as linux/amd64, linux/arm64 or linux/arm/v7"},
      {"platforms that are not a list",
       std::string(kHead) + "build:\n  platforms: linux/amd64\n",
       "skaffold.yaml:4:14: build.platforms: expected a list of platforms (os/arch[/variant]), "
       "got \"linux/amd64\""},
      {"refused deployer",
       std::string(kHead) + "deploy:\n  kpt: {}\n",
       "skaffold.yaml:4:3: deploy.kpt: kpt deploys are not supported by devloop (supported: "
       "kubectl, kustomize, helm, docker)"},
      {"test of an image no artifact builds",
       std::string(kHead) + "build:\n  artifacts:\n  - image: a\ntest:\n- image: b\n"
       "  custom:\n  - command: 'true'\n",
       "skaffold.yaml:7:10: test[0].image \"b\" is not built by any artifact (known: a)"},
      {"custom test without a command, bad timeout, dependencies by a list command",
       std::string(kHead) + "test:\n- image: a\n  custom:\n  - timeoutSeconds: -1\n"
       "    dependencies:\n      command: [ls]\n      path: [x]\n",
       "skaffold.yaml:6:5: missing required field \"command\" in test[0].custom[0]\n"
       "skaffold.yaml:6:21: test[0].custom[0].timeoutSeconds: expected 0 or more, got -1\n"
       "skaffold.yaml:9:7: unknown field \"path\" in test[0].custom[0].dependencies (did you "
       "mean \"paths\"?)\n"
       "skaffold.yaml:8:16: test[0].custom[0].dependencies.command: expected a string, got a "
       "list\n"
       "skaffold.yaml:4:10: test[0].image \"a\" is not built by any artifact (known: )"},
      {"test with a wrong type and an unknown field",
       std::string(kHead) + "test:\n- image: a\n  structureTests: x.yaml\n  custom: {}\n"
       "  cutsom: []\n",
       "skaffold.yaml:7:3: unknown field \"cutsom\" in test[0] (did you mean \"custom\"?)\n"
       "skaffold.yaml:6:11: test[0].custom: expected a list, got a map\n"
       "skaffold.yaml:5:19: test[0].structureTests: expected a list of strings, got \"x.yaml\"\n"
       "skaffold.yaml:4:10: test[0].image \"a\" is not built by any artifact (known: )"},
      {"custom action: missing containers, kubernetes execution, bad failFast",
       std::string(kHead) + "customActions:\n- name: up\n  failFast: sometimes\n"
       "  executionMode:\n    kubernetesCluster: {}\n",
       "skaffold.yaml:4:3: missing required field \"containers\" in customActions[0]\n"
       "skaffold.yaml:7:5: customActions[0].executionMode.kubernetesCluster: running as a "
       "Kubernetes Job is not supported by devloop (remove executionMode to run on the local "
       "Docker Engine)\n"
       "skaffold.yaml:5:13: customActions[0].failFast: expected true or false, got "
       "\"sometimes\""},
      {"custom action container without image, env without name",
       std::string(kHead) + "customActions:\n- name: up\n  containers:\n  - name: c\n"
       "    env:\n    - value: x\n",
       "skaffold.yaml:6:5: missing required field \"image\" in customActions[0].containers[0]\n"
       "skaffold.yaml:8:7: missing required field \"name\" in "
       "customActions[0].containers[0].env[0]"},
      {"custom actions and verify tests named twice",
       std::string(kHead) + "customActions:\n- name: up\n  containers: []\n- name: up\n"
       "  containers: []\nverify:\n- name: v\n  container: {name: c, image: i}\n"
       "- name: v\n  container: {name: c, image: i}\n",
       "skaffold.yaml:6:9: duplicate custom action \"up\" (first defined at "
       "skaffold.yaml:4:9)\n"
       "skaffold.yaml:11:9: duplicate verify test \"v\" (first defined at skaffold.yaml:9:9)"},
      {"verify without container, negative timeout",
       std::string(kHead) + "verify:\n- name: v\n  timeout: -3\n",
       "skaffold.yaml:4:3: missing required field \"container\" in verify[0]\n"
       "skaffold.yaml:5:12: verify[0].timeout: expected 0 or more seconds, got -3"},
      {"refused cluster build and kpt manifests",
       std::string(kHead) + "build:\n  cluster: {}\nmanifests:\n  kpt: {}\n",
       "skaffold.yaml:4:3: build.cluster: in-cluster builds are not supported by devloop (use "
       "local)\n"
       "skaffold.yaml:6:3: manifests.kpt: kpt manifests are not supported by devloop "
       "(supported: rawYaml, kustomize, helm)"},
      {"helm release without name and chartPath",
       std::string(kHead) + "manifests:\n  helm:\n    releases:\n    - namespace: x\n",
       "skaffold.yaml:6:7: missing required field \"name\" in manifests.helm.releases[0]\n"
       "skaffold.yaml:6:7: missing required field \"chartPath\" in manifests.helm.releases[0]"},
      {"helm artifactOverrides and remoteChart refused",
       std::string(kHead) +
           "deploy:\n  helm:\n    releases:\n    - name: r\n      remoteChart: stable/x\n"
           "      artifactOverrides: {image: web}\n",
       "skaffold.yaml:7:7: deploy.helm.releases[0].remoteChart: remote charts are not supported "
       "by devloop (use a local chartPath)\n"
       "skaffold.yaml:8:7: deploy.helm.releases[0].artifactOverrides: artifactOverrides is not "
       "supported by devloop: write setValueTemplates, e.g. image: "
       "\"{{.IMAGE_FULLY_QUALIFIED_web}}\" for artifact web"},
      {"helm bad setValueTemplates and a map in setValues",
       std::string(kHead) +
           "manifests:\n  helm:\n    releases:\n    - name: r\n      chartPath: c\n"
           "      setValues:\n        image: {tag: x}\n"
           "      setValueTemplates:\n        image.tag: \"{{.IMAGE_TAG_web\"\n",
       "skaffold.yaml:9:16: manifests.helm.releases[0].setValues.image: expected a string, got a "
       "map\n"
       "skaffold.yaml:11:20: manifests.helm.releases[0].setValueTemplates.image.tag: bad template "
       "\"{{.IMAGE_TAG_web\": unclosed action \"{{\" at offset 0"},
      {"helm flags refused, typo in a release",
       std::string(kHead) +
           "deploy:\n  helm:\n    flags: {install: [--atomic]}\n    releases:\n"
           "    - {name: r, chartPath: c, namespce: x}\n",
       "skaffold.yaml:5:5: deploy.helm.flags: helm flags are not supported by devloop: it runs "
       "`helm template` only\n"
       "skaffold.yaml:7:31: unknown field \"namespce\" in deploy.helm.releases[0] (did you mean "
       "\"namespace\"?)"},
      {"kustomize unknown field and hooks refused",
       std::string(kHead) +
           "manifests:\n  kustomize:\n    path: [a]\ndeploy:\n  kustomize:\n    hooks: {}\n",
       "skaffold.yaml:5:5: unknown field \"path\" in manifests.kustomize (did you mean "
       "\"paths\"?)\n"
       "skaffold.yaml:8:5: deploy.kustomize.hooks: deploy hooks are not supported by devloop"},
      {"deploy hooks: host or container, with a command",
       std::string(kHead) +
           "deploy:\n  kubectl:\n    hooks:\n      before:\n"
           "      - host: {command: [a]}\n        container: {command: [b]}\n"
           "      after:\n      - container: {podName: web}\n",
       "skaffold.yaml:7:9: deploy.kubectl.hooks.before[0]: expected exactly one of host or "
       "container\n"
       "skaffold.yaml:10:20: missing required field \"command\" in "
       "deploy.kubectl.hooks.after[0].container"},
      {"build hooks: a command, and only command, os and dir",
       std::string(kHead) +
           "build:\n  artifacts:\n  - image: a\n    hooks:\n      before:\n      - {os: [linux]}\n"
           "      after:\n      - {command: [b], shell: x}\n",
       "skaffold.yaml:8:9: missing required field \"command\" in "
       "build.artifacts[0].hooks.before[0]\n"
       "skaffold.yaml:10:24: unknown field \"shell\" in build.artifacts[0].hooks.after[0] "
       "(expected one of: command, os, dir)"},
      {"sync hooks: host or container, with a command",
       std::string(kHead) +
           "build:\n  artifacts:\n  - image: a\n    sync:\n      hooks:\n        before:\n"
           "        - host: {command: [a]}\n          container: {command: [b]}\n"
           "        after:\n        - container: {command: [c], dir: x}\n"
           "        - host: {dir: y}\n",
       "skaffold.yaml:9:11: build.artifacts[0].sync.hooks.before[0]: expected exactly one of "
       "host or container\n"
       "skaffold.yaml:12:37: unknown field \"dir\" in "
       "build.artifacts[0].sync.hooks.after[0].container (expected one of: command)\n"
       "skaffold.yaml:13:17: missing required field \"command\" in "
       "build.artifacts[0].sync.hooks.after[1].host"},
      {"docker deploy hooks refused",
       std::string(kHead) + "deploy:\n  docker:\n    images: [a]\n    hooks: {}\n",
       "skaffold.yaml:6:5: deploy.docker.hooks: Skaffold's docker deployer has no deploy hooks "
       "(they belong to deploy.kubectl); use build.artifacts[].hooks or "
       "build.artifacts[].sync.hooks"},
      {"sync.auto refused",
       std::string(kHead) + "build:\n  artifacts:\n  - image: a\n    sync:\n      auto: true\n",
       "skaffold.yaml:7:7: build.artifacts[0].sync.auto: sync.auto is not supported by devloop: "
       "it needs the jib or buildpacks builder; use sync.manual or sync.infer"},
      {"docker compose refused",
       std::string(kHead) + "deploy:\n  docker:\n    images: [a]\n    useCompose: true\n",
       "skaffold.yaml:6:17: deploy.docker.useCompose: Docker Compose is not supported by devloop "
       "(remove it to run the images as plain containers)"},
      {"all errors in one pass",
       std::string(kHead) +
           "build:\n  artifacts:\n  - image: a\n    contxt: .\n  tagPolicy:\n    gitCommit:\n"
           "      variant: Short\nportForward:\n- resourceType: service\n  port: 80\n",
       "skaffold.yaml:6:5: unknown field \"contxt\" in build.artifacts[0] (did you mean "
       "\"context\"?)\n"
       "skaffold.yaml:9:16: build.tagPolicy.gitCommit.variant: unknown variant \"Short\" "
       "(expected Tags, CommitSha, AbbrevCommitSha, TreeSha or AbbrevTreeSha)\n"
       "skaffold.yaml:11:3: missing required field \"resourceName\" in portForward[0]"},
      {"two taggers",
       std::string(kHead) + "build:\n  tagPolicy:\n    sha256: {}\n    inputDigest: {}\n",
       "skaffold.yaml:6:5: build.tagPolicy: expected only one tagger, got a second one "
       "(\"inputDigest\")"},
      {"bad template",
       std::string(kHead) + "build:\n  tagPolicy:\n    envTemplate:\n      template: \"{{.A\"\n",
       "skaffold.yaml:6:17: build.tagPolicy.envTemplate.template: bad template \"{{.A\": "
       "unclosed action \"{{\" at offset 0"},
      {"duplicate field",
       std::string(kHead) + "build:\n  local: {}\n  local: {}\n",
       "skaffold.yaml:5:3: duplicate field \"local\" in build"},
      {"invalid YAML",
       std::string(kHead) + "build:\n  artifacts: [\n",
       "skaffold.yaml:5:1: invalid YAML: end of sequence flow not found"},
      // yaml-cpp 0.7 loops forever on these (found by the fuzzer).
      {"stray comma", ",R.M\"\"\" ", "skaffold.yaml:1:1: invalid YAML: unexpected \",\" (expected a key, a value or a list item)"},
      {"stray comma after a comment", "# c\n,\n", "skaffold.yaml:2:1: invalid YAML: unexpected \",\" (expected a key, a value or a list item)"},
      {"not a map",
       "- just\n- a list\n",
       "skaffold.yaml:1:1: expected a config (a map with apiVersion and kind), got a list"},
      {"empty file", "", "skaffold.yaml: no config in the file (expected apiVersion and kind)"},
      {"unknown profile",
       std::string(kHead) + "profiles:\n- name: dev\n",
       "skaffold.yaml: profile \"prod\" (from -p) is not defined by any config (defined: dev)",
       {.profiles = {"prod"}}},
      {"bad patch in an active profile",
       std::string(kHead) +
           "build:\n  artifacts: []\nprofiles:\n- name: p\n  patches:\n  - op: remove\n"
           "    path: /build/artifacts/0\n",
       "skaffold.yaml:8:5: profiles[0].patches[0]: path \"/build/artifacts/0\": no list item 0 "
       "(the list has 0 items)",
       {.profiles = {"p"}}},
      {"refused field in an inactive profile is ignored",
       std::string(kHead) + "profiles:\n- name: gcb\n  build:\n    googleCloudBuild: {}\n", "OK"},
      {"refused field in an active profile",
       std::string(kHead) + "profiles:\n- name: gcb\n  build:\n    googleCloudBuild: {}\n",
       "skaffold.yaml:6:5: build.googleCloudBuild: Google Cloud Build is not supported by devloop "
       "(use local)",
       {.profiles = {"gcb"}}},
      {"requires a missing file",
       std::string(kHead) + "requires:\n- path: ./nope.yaml\n",
       "skaffold.yaml:4:3: requires \"./nope.yaml\": cannot read nope.yaml: /p/nope.yaml: no "
       "such file"},
      {"requires cycle",
       std::string(kHead) + "metadata: {name: top}\nrequires:\n- path: lib\n",
       "lib/skaffold.yaml:4:12: requires makes a cycle: config \"top\" of skaffold.yaml "
       "requires itself"},
      {"duplicate config name in one file",
       std::string(kHead) + "metadata:\n  name: app\n---\n" + kHead + "metadata:\n  name: app\n",
       "skaffold.yaml:9:9: duplicate config name \"app\" (first defined at skaffold.yaml:4:9)"},
      {"duplicate config name across a required file",
       std::string(kHead) + "metadata: {name: app}\nrequires:\n- path: other\n",
       "other/skaffold.yaml:4:9: duplicate config name \"app\" (first defined at "
       "skaffold.yaml:3:18)"},
      {"one config required twice is no duplicate",
       std::string(kHead) + "metadata: {name: a}\nrequires:\n- path: other\n---\n" + kHead +
           "metadata: {name: b}\nrequires:\n- path: other/skaffold.yaml\n",
       "OK"},
      {"configs without a name are no duplicates",
       std::string(kHead) + "---\n" + kHead, "OK"},
      {"requires git refused",
       std::string(kHead) + "requires:\n- git: {repo: x}\n",
       "skaffold.yaml:4:3: requires[0].git: remote config dependencies (git) are not supported "
       "by devloop; use a local path\n"
       "skaffold.yaml:4:3: requires: expected a path or configs (names of configs in this file)"},
      {"artifact requires an unknown image",
       std::string(kHead) + "build:\n  artifacts:\n  - image: a\n    requires:\n    - image: b\n",
       "skaffold.yaml:5:12: build.artifacts[0].requires[0].image \"b\" is not built by any "
       "artifact (known: a)"},
      {"sync.infer with an unreadable Dockerfile",
       std::string(kHead) +
           "build:\n  artifacts:\n  - image: a\n    docker: {dockerfile: Missing}\n"
           "    sync: {infer: ['**']}\n",
       "skaffold.yaml:5:12: build.artifacts[0].sync.infer: cannot read the Dockerfile: "
       "/p/Missing: no such file"},
      {"port forward named port and bad type",
       std::string(kHead) +
           "portForward:\n- resourceType: ingress\n  resourceName: x\n  port: http\n",
       "skaffold.yaml:4:17: portForward[0].resourceType: \"ingress\" is not supported (expected "
       "one of container, daemonset, deployment, job, pod, replicaset, service, statefulset)\n"
       "skaffold.yaml:6:9: portForward[0].port: named ports are not supported by devloop "
       "(expected a number, got \"http\")"},
      {"port out of range",
       std::string(kHead) +
           "portForward:\n- resourceType: pod\n  resourceName: x\n  port: 0\n  localPort: 70000\n"
           "- {resourceType: pod, resourceName: y, port: 65536}\n",
       "skaffold.yaml:6:9: portForward[0].port: 0 is out of range (expected 1..65535)\n"
       "skaffold.yaml:7:14: portForward[0].localPort: 70000 is out of range (expected 0..65535)\n"
       "skaffold.yaml:8:46: portForward[1].port: 65536 is out of range (expected 1..65535)"},
  };
  for (const Case& c : cases) EXPECT_EQ(LoadError(c), c.want) << c.name;
}

// Aliases can make a small file decode into billions of values; decoding stops
// at a million with an error instead of running out of memory.
TEST(ErrorsTableTest, DeployHooksAreRead) {
  InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml",
            std::string(kHead) +
                "deploy:\n  kubectl:\n    hooks:\n      before:\n"
                "      - host: {command: [sh, -c, 'echo $SKAFFOLD_RUN_ID'], dir: scripts}\n"
                "      - host: {command: [osascript], os: [darwin]}\n"
                "      after:\n"
                "      - container: {command: [ls, /www], podName: 'web-*', containerName: web}\n");
  LoadOptions options;
  options.working_directory = "/p";
  absl::StatusOr<std::vector<Config>> configs = LoadConfigs(options, files);
  ASSERT_TRUE(configs.ok()) << configs.status();
  const DeployHooks& hooks = (*configs)[0].deploy.kubectl->hooks;
  ASSERT_EQ(hooks.before.size(), 1u) << "the darwin-only hook is dropped on linux";
  EXPECT_EQ(hooks.before[0].where, DeployHook::Where::kHost);
  EXPECT_EQ(hooks.before[0].command, (std::vector<std::string>{"sh", "-c", "echo $SKAFFOLD_RUN_ID"}));
  EXPECT_EQ(hooks.before[0].dir, "scripts");
  ASSERT_EQ(hooks.after.size(), 1u);
  EXPECT_EQ(hooks.after[0].where, DeployHook::Where::kContainer);
  EXPECT_EQ(hooks.after[0].pod_name, "web-*");
  EXPECT_EQ(hooks.after[0].container_name, "web");
}

TEST(ErrorsTableTest, CustomDependenciesAreRead) {
  InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml",
            std::string(kHead) +
                "build:\n  artifacts:\n"
                "  - image: a\n    custom:\n      buildCommand: ./build.sh\n"
                "      dependencies:\n        command: ./deps.sh --json\n"
                "  - image: b\n    custom:\n      buildCommand: make image\n"
                "      dependencies:\n        dockerfile: {path: Dockerfile.dev, "
                "buildArgs: {SRC: lib}}\n");
  LoadOptions options;
  options.working_directory = "/p";
  absl::StatusOr<std::vector<Config>> configs = LoadConfigs(options, files);
  ASSERT_TRUE(configs.ok()) << configs.status();
  const std::vector<Artifact>& artifacts = (*configs)[0].build.artifacts;
  ASSERT_EQ(artifacts.size(), 2u);
  ASSERT_TRUE(artifacts[0].custom.has_value());
  EXPECT_EQ(artifacts[0].custom->dependencies.command, "./deps.sh --json");
  ASSERT_TRUE(artifacts[1].custom.has_value());
  EXPECT_EQ(artifacts[1].custom->dependencies.dockerfile, "Dockerfile.dev");
  EXPECT_EQ(artifacts[1].custom->dependencies.dockerfile_build_args,
            (std::map<std::string, std::string>{{"SRC", "lib"}}));
}

TEST(ErrorsTableTest, PlatformsAreReadNormalized) {
  InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml",
            std::string(kHead) +
                "build:\n  platforms: [linux/amd64, Linux/aarch64, linux/x86_64]\n"
                "  artifacts:\n  - image: a\n    platforms: [linux/arm64/v8]\n"
                "  - image: b\n");
  LoadOptions options;
  options.working_directory = "/p";
  absl::StatusOr<std::vector<Config>> configs = LoadConfigs(options, files);
  ASSERT_TRUE(configs.ok()) << configs.status();
  const Build& build = (*configs)[0].build;
  EXPECT_EQ(build.platforms, (std::vector<std::string>{"linux/amd64", "linux/arm64"}));
  ASSERT_EQ(build.artifacts.size(), 2u);
  EXPECT_EQ(build.artifacts[0].platforms, (std::vector<std::string>{"linux/arm64"}));
  EXPECT_TRUE(build.artifacts[1].platforms.empty());
}

TEST(ErrorsTableTest, BuildAndSyncHooksAreReadWithTheirPlaces) {
  InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml",
            std::string(kHead) +
                "build:\n  artifacts:\n  - image: web\n    hooks:\n      before:\n"
                "      - {command: [make, lint], dir: tools}\n"
                "      - {command: [osascript], os: [darwin]}\n"
                "    sync:\n      manual: [{src: 'www/**', dest: /}]\n      hooks:\n"
                "        after:\n        - host: {command: [touch, done], os: [linux]}\n"
                "        - container: {command: [kill, -HUP, '1']}\n");
  LoadOptions options;
  options.working_directory = "/p";
  absl::StatusOr<std::vector<Config>> configs = LoadConfigs(options, files);
  ASSERT_TRUE(configs.ok()) << configs.status();
  const Artifact& a = (*configs)[0].build.artifacts[0];
  ASSERT_EQ(a.hooks.before.size(), 1u) << "the darwin-only hook is dropped on linux";
  EXPECT_EQ(a.hooks.before[0],
            (HostHook{{"make", "lint"}, "tools", {"skaffold.yaml", 8, 9}}));
  EXPECT_TRUE(a.hooks.after.empty());
  ASSERT_TRUE(a.sync.has_value());
  EXPECT_TRUE(a.sync->hooks.before.empty());
  ASSERT_EQ(a.sync->hooks.after.size(), 2u);
  EXPECT_EQ(a.sync->hooks.after[0], (SyncHook{SyncHook::Where::kHost, {"touch", "done"}, "",
                                              {"skaffold.yaml", 14, 11}}));
  EXPECT_EQ(a.sync->hooks.after[1], (SyncHook{SyncHook::Where::kContainer,
                                              {"kill", "-HUP", "1"}, "",
                                              {"skaffold.yaml", 15, 11}}));
}

TEST(ErrorsTableTest, AliasExpansionIsBounded) {
  std::string words = "[";
  for (int i = 0; i < 200; ++i) words += "a,";
  words.back() = ']';
  std::string yaml = std::string(kHead) + "build:\n  artifacts:\n  - image: a0\n    hooks:\n"
                     "      before: &c [{command: &w " + words + "}";
  for (int i = 1; i < 200; ++i) yaml += ", {command: *w}";
  yaml += "]\n";
  for (int i = 1; i < 200; ++i) {
    yaml += "  - {image: a" + std::to_string(i) + ", hooks: {before: *c}}\n";
  }
  const std::string error = LoadError({"bomb", yaml, ""});
  EXPECT_NE(error.find("the config expands to more than a million values (check anchors and "
                       "aliases)"),
            std::string::npos)
      << error.substr(0, 500);
}

}  // namespace
}  // namespace devloop::config
