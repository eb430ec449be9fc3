// MakePipeline's choice of deployer, as Skaffold makes it, and what each
// deployer refuses.
#include "apps/dev/pipeline_options.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::apps {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

config::Config WebConfig() {
  config::Config c;
  c.source_file = "/src/p/skaffold.yaml";
  c.directory = "/src/p";
  config::Artifact a;
  a.image = "web";
  a.absolute_context = "/src/p";
  a.docker = config::DockerArtifact{};
  c.build.artifacts.push_back(a);
  return c;
}

cli::CliOptions Cli() { return cli::DefaultOptions(cli::Command::kDev); }

TEST(MakePipelineTest, NoDeploySectionDeploysK8sYamlWithKubectl) {
  absl::StatusOr<Pipeline> p = MakePipeline({WebConfig()}, Cli());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->deployer, DeployerKind::kKubectl);
  EXPECT_THAT(p->kubectl.manifest_globs, ElementsAre("/src/p/k8s/*.yaml"));
  EXPECT_THAT(p->deployer_reason, HasSubstr("no deploy section"));
  EXPECT_FALSE(p->push.has_value()) << "decided later, by the kube-context";
}

TEST(MakePipelineTest, ACustomArtifactKeepsItsCommandAndDependencies) {
  config::Config c = WebConfig();
  c.build.artifacts[0].docker.reset();
  c.build.artifacts[0].custom = config::CustomArtifact{
      .build_command = "./build.sh", .dependencies = {.paths = {"www"}, .ignore = {"*.md"}}};
  c.deploy.docker = config::DockerDeploy{.images = {"web"}};
  absl::StatusOr<Pipeline> p = MakePipeline({c}, Cli());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->loop.artifacts.size(), 1u);
  EXPECT_EQ(p->loop.artifacts[0].custom, c.build.artifacts[0].custom);
  ASSERT_EQ(p->watched.size(), 1u);
  EXPECT_EQ(p->watched[0].custom, c.build.artifacts[0].custom->dependencies);
}

// Each artifact gets its target platforms: --platform over each config's
// build.platforms, constrained by the artifact's own list.
TEST(MakePipelineTest, EachArtifactGetsItsTargetPlatforms) {
  config::Config c = WebConfig();
  c.build.artifacts[0].docker.reset();
  c.build.artifacts[0].custom = config::CustomArtifact{.build_command = "./build.sh"};
  config::Artifact api = c.build.artifacts[0];
  api.image = "api";
  api.platforms = {"linux/arm64"};
  c.build.artifacts.push_back(api);
  c.build.platforms = {"linux/amd64", "linux/arm64"};
  config::Config other = WebConfig();  // a required config, without platforms
  other.build.artifacts[0].image = "db";

  // run builds every target platform (dev and debug build one: below).
  absl::StatusOr<Pipeline> p = MakePipeline({other, c}, cli::DefaultOptions(cli::Command::kRun));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->loop.artifacts.size(), 3u);
  EXPECT_THAT(p->loop.artifacts[0].platforms, ElementsAre());
  EXPECT_THAT(p->loop.artifacts[1].platforms, ElementsAre("linux/amd64", "linux/arm64"));
  EXPECT_THAT(p->loop.artifacts[2].platforms, ElementsAre("linux/arm64"));

  cli::CliOptions cli = Cli();
  cli.platforms = {"linux/arm64"};
  p = MakePipeline({other, c}, cli);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->loop.artifacts[0].platforms, ElementsAre("linux/arm64"));
  EXPECT_THAT(p->loop.artifacts[1].platforms, ElementsAre("linux/arm64"));
  EXPECT_THAT(p->loop.artifacts[2].platforms, ElementsAre("linux/arm64"));
}

TEST(MakePipelineTest, PlatformErrorsNameTheArtifactsPlace) {
  config::Config c = WebConfig();
  c.build.artifacts[0].pos = {"skaffold.yaml", 7, 5};
  c.build.platforms = {"linux/amd64", "linux/arm64"};
  absl::StatusOr<Pipeline> p = MakePipeline({c}, cli::DefaultOptions(cli::Command::kRun));
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(),
              HasSubstr("skaffold.yaml:7:5: build.artifacts[web] is a Docker build for 2 "
                        "platforms (linux/amd64,linux/arm64)"));
  EXPECT_THAT(p.status().message(), HasSubstr("buildx"));

  c.build.artifacts[0].platforms = {"linux/s390x"};
  p = MakePipeline({c}, Cli());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(),
              HasSubstr("skaffold.yaml:7:5: build.artifacts[web]: the target platforms "
                        "[linux/amd64,linux/arm64] (build.platforms) include none of the "
                        "artifact's platforms [linux/s390x]"));
}

// A probe that answers `platforms` (or `error`) and counts its calls.
struct FakeNodes {
  std::vector<std::string> platforms;
  absl::Status error;
  int calls = 0;
  std::string context;  // the kubectl plan's, as last asked
  PlatformProbe Probe(std::string host) {
    return {.cluster_platforms =
                [this](const KubectlPlan& plan) -> absl::StatusOr<std::vector<std::string>> {
              ++calls;
              context = plan.context;
              if (!error.ok()) return error;
              return platforms;
            },
            .host = std::move(host)};
  }
};

config::Config CustomArtifact(config::Config c, const std::string& image) {
  config::Artifact a = c.build.artifacts[0];
  a.image = image;
  a.docker.reset();
  a.custom = config::CustomArtifact{.build_command = "./build.sh"};
  c.build.artifacts.push_back(a);
  return c;
}

// Skaffold's dev, debug and run build for the nodes the images go to.
TEST(MakePipelineTest, KubernetesRunsBuildForTheClusterNodes) {
  const config::Config c = CustomArtifact(WebConfig(), "api");  // web: Docker; api: custom
  FakeNodes nodes{.platforms = {"linux/amd64", "linux/arm64"}};
  cli::CliOptions dev = Cli();
  dev.kube_context = "kind-devloop";
  absl::StatusOr<Pipeline> p = MakePipeline({c}, dev, nodes.Probe("linux/arm64"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(nodes.calls, 1);
  EXPECT_EQ(nodes.context, "kind-devloop") << "asked with the run's kubectl settings";
  // dev builds one: this machine's, which the cluster runs.
  EXPECT_THAT(p->loop.artifacts[0].platforms, ElementsAre("linux/arm64"));
  EXPECT_THAT(p->loop.artifacts[1].platforms, ElementsAre("linux/arm64"));
  EXPECT_THAT(absl::StrJoin(p->notes, "\n"), HasSubstr("building for linux/arm64 only"));

  // run builds them all where the builder can; the Docker build makes one.
  p = MakePipeline({c}, cli::DefaultOptions(cli::Command::kRun), nodes.Probe("linux/amd64"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->loop.artifacts[0].platforms, ElementsAre("linux/amd64"));
  EXPECT_THAT(p->loop.artifacts[1].platforms, ElementsAre("linux/amd64", "linux/arm64"));
  EXPECT_THAT(absl::StrJoin(p->notes, "\n"), HasSubstr("a Docker build makes one platform"));
}

TEST(MakePipelineTest, ClusterNodesNarrowTheConfigsPlatformsOrAreWarnedOf) {
  config::Config c = CustomArtifact(WebConfig(), "api");
  c.build.artifacts.erase(c.build.artifacts.begin());  // api alone
  c.build.platforms = {"linux/amd64", "linux/arm64"};
  FakeNodes nodes{.platforms = {"linux/arm64"}};
  absl::StatusOr<Pipeline> p =
      MakePipeline({c}, cli::DefaultOptions(cli::Command::kRun), nodes.Probe("linux/amd64"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->loop.artifacts[0].platforms, ElementsAre("linux/arm64"));
  EXPECT_TRUE(p->notes.empty()) << absl::StrJoin(p->notes, "\n");

  cli::CliOptions s390x = cli::DefaultOptions(cli::Command::kRun);
  s390x.platforms = {"linux/s390x"};
  p = MakePipeline({c}, s390x, nodes.Probe("linux/amd64"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->loop.artifacts[0].platforms, ElementsAre("linux/s390x")) << "the user's choice";
  EXPECT_THAT(absl::StrJoin(p->notes, "\n"),
              HasSubstr("[linux/s390x] (--platform) match none of the cluster's nodes "
                        "[linux/arm64]"));
}

TEST(MakePipelineTest, ClusterNotAskedForDockerDeploysBuildOrTheFlagOff) {
  config::Config docker = WebConfig();
  docker.deploy.docker = config::DockerDeploy{.images = {"web"}};
  FakeNodes nodes{.platforms = {"linux/arm64"}};
  absl::StatusOr<Pipeline> p = MakePipeline({docker}, Cli(), nodes.Probe("linux/amd64"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(nodes.calls, 0) << "containers run on the local engine";
  EXPECT_THAT(p->loop.artifacts[0].platforms, ElementsAre());

  p = MakePipeline({WebConfig()}, cli::DefaultOptions(cli::Command::kBuild),
                   nodes.Probe("linux/amd64"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(nodes.calls, 0) << "build deploys nothing";

  cli::CliOptions off = Cli();
  off.check_cluster_node_platforms = false;
  p = MakePipeline({WebConfig()}, off, nodes.Probe("linux/amd64"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(nodes.calls, 0);
  EXPECT_THAT(p->loop.artifacts[0].platforms, ElementsAre());
}

TEST(MakePipelineTest, UnreadableNodesAreANoteNotAnError) {
  config::Config c = WebConfig();
  c.build.platforms = {"linux/arm64"};
  FakeNodes nodes{.error = absl::PermissionDeniedError("nodes is forbidden")};
  absl::StatusOr<Pipeline> p = MakePipeline({c}, Cli(), nodes.Probe("linux/amd64"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(nodes.calls, 1);
  EXPECT_THAT(p->loop.artifacts[0].platforms, ElementsAre("linux/arm64"));
  EXPECT_THAT(absl::StrJoin(p->notes, "\n"),
              HasSubstr("could not read the platforms of the cluster's nodes (nodes is "
                        "forbidden)"));
}

TEST(MakePipelineTest, DeployKubectlTakesItsManifestsNamespaceAndFlags) {
  config::Config c = WebConfig();
  c.deploy.kubectl = config::KubectlDeploy{.manifests = {"deploy/*.yaml", "/abs/x.yaml"},
                                           .flags = {.global = {"--v=2"}, .apply = {"--force"}},
                                           .default_namespace = "dev"};
  cli::CliOptions cli = Cli();
  cli.kube_context = "devloop";
  cli.default_repo = "127.0.0.1:5000";
  absl::StatusOr<Pipeline> p = MakePipeline({c}, cli);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->deployer, DeployerKind::kKubectl);
  EXPECT_THAT(p->kubectl.manifest_globs, ElementsAre("/src/p/deploy/*.yaml", "/abs/x.yaml"));
  EXPECT_EQ(p->kubectl.default_namespace, "dev");
  EXPECT_THAT(p->kubectl.flags.global, ElementsAre("--v=2"));
  EXPECT_THAT(p->kubectl.flags.apply, ElementsAre("--force"));
  EXPECT_EQ(p->kubectl.context, "devloop");
  EXPECT_EQ(p->default_repo, "127.0.0.1:5000");
}

TEST(MakePipelineTest, HostHooksRunInTheConfigsDirectory) {
  config::Config c = WebConfig();
  c.deploy.kubectl = config::KubectlDeploy{.manifests = {"k8s/*.yaml"}};
  c.deploy.kubectl->hooks.before.push_back({.command = {"make", "db"}});
  c.deploy.kubectl->hooks.before.push_back({.command = {"./seed"}, .dir = "scripts"});
  c.deploy.kubectl->hooks.after.push_back(
      {.where = config::DeployHook::Where::kContainer, .command = {"ls"}, .pod_name = "web-*"});
  absl::StatusOr<Pipeline> p = MakePipeline({c}, Cli());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->kubectl.hooks.before.size(), 2u);
  EXPECT_EQ(p->kubectl.hooks.before[0].dir, "/src/p");
  EXPECT_EQ(p->kubectl.hooks.before[1].dir, "/src/p/scripts");
  ASSERT_EQ(p->kubectl.hooks.after.size(), 1u);
  EXPECT_EQ(p->kubectl.hooks.after[0].dir, "") << "container hooks have no directory here";
  EXPECT_EQ(p->kubectl.hooks.after[0].pod_name, "web-*");
}

TEST(MakePipelineTest, BuildAndSyncHooksByArtifactWithTheirDirsAndTheRunsVariables) {
  config::Config c = WebConfig();
  c.build.artifacts[0].hooks.before.push_back({.command = {"make"}});
  c.build.artifacts[0].hooks.after.push_back({.command = {"./after"}, .dir = "tools"});
  c.build.artifacts[0].sync = config::Sync{
      .hooks = {.after = {{.command = {"touch", "x"}},
                          {.where = config::SyncHook::Where::kContainer, .command = {"ls"}}}}};
  config::Artifact plain = c.build.artifacts[0];
  plain.image = "db";
  plain.hooks = {};
  plain.sync.reset();
  c.build.artifacts.push_back(plain);
  cli::CliOptions cli = Cli();
  cli.default_repo = "127.0.0.1:5000";
  absl::StatusOr<Pipeline> p = MakePipeline({c}, cli);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->build_hooks.size(), 1u) << "only artifacts with hooks";
  const hooks::ArtifactBuildHooks& build = p->build_hooks.at("web");
  EXPECT_THAT(build.before, ElementsAre(hooks::HostCommand{{"make"}, "/src/p"}));
  EXPECT_THAT(build.after, ElementsAre(hooks::HostCommand{{"./after"}, "/src/p/tools"}));
  EXPECT_EQ(build.context_dir, "/src/p");
  ASSERT_EQ(p->sync_hooks.size(), 1u);
  const hooks::ArtifactSyncHooks& sync = p->sync_hooks.at("web");
  ASSERT_EQ(sync.after.size(), 2u);
  EXPECT_EQ(sync.after[0].dir, "/src/p");
  EXPECT_EQ(sync.after[1].dir, "") << "container hooks have no directory here";
  EXPECT_EQ(p->hook_env.at("SKAFFOLD_WORK_DIR"), "/src/p");
  EXPECT_EQ(p->hook_env.at("SKAFFOLD_RPC_PORT"), "50051");
  EXPECT_EQ(p->hook_env.at("SKAFFOLD_HTTP_PORT"), "50052");
  EXPECT_EQ(p->hook_env.at("SKAFFOLD_DEFAULT_REPO"), "127.0.0.1:5000");
}

TEST(MakePipelineTest, TheNamespaceFlagWinsOverTheConfig) {
  config::Config c = WebConfig();
  c.deploy.kubectl = config::KubectlDeploy{.manifests = {"k8s/*.yaml"}, .default_namespace = "dev"};
  cli::CliOptions cli = Cli();
  cli.namespace_ = "mine";
  absl::StatusOr<Pipeline> p = MakePipeline({c}, cli);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->kubectl.default_namespace, "mine");
}

TEST(MakePipelineTest, DeployDockerStaysOnDocker) {
  config::Config c = WebConfig();
  c.deploy.docker = config::DockerDeploy{.images = {"web"}};
  absl::StatusOr<Pipeline> p = MakePipeline({c}, Cli());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->deployer, DeployerKind::kDocker);
  EXPECT_THAT(p->deployer_reason, HasSubstr("deploy.docker"));
}

TEST(MakePipelineTest, DockerAndKubernetesConfigsCannotMix) {
  config::Config docker = WebConfig();
  docker.deploy.docker = config::DockerDeploy{.images = {"web"}};
  config::Config kube = WebConfig();
  kube.source_file = "/src/q/skaffold.yaml";
  kube.build.artifacts.clear();
  kube.deploy.kubectl = config::KubectlDeploy{.manifests = {"k8s/*.yaml"}};
  absl::StatusOr<Pipeline> p = MakePipeline({docker, kube}, Cli());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("/src/p/skaffold.yaml: deploy.docker cannot be mixed"));
  EXPECT_THAT(p.status().message(), HasSubstr("/src/q/skaffold.yaml says deploy.kubectl"));
}

TEST(MakePipelineTest, EachDeployerRefusesTheOthersForwardsWithFileAndLine) {
  config::Config kube = WebConfig();
  kube.port_forward.push_back({.resource_type = "container",
                               .resource_name = "web",
                               .port = 8080,
                               .pos = {.file = "skaffold.yaml", .line = 12, .column = 5}});
  absl::StatusOr<Pipeline> p = MakePipeline({kube}, Cli());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(),
              HasSubstr("skaffold.yaml:12:5: portForward resourceType \"container\" is for "
                        "deploy.docker"));

  config::Config docker = WebConfig();
  docker.deploy.docker = config::DockerDeploy{.images = {"web"}};
  docker.port_forward.push_back({.resource_type = "service",
                                 .resource_name = "web",
                                 .port = 80,
                                 .pos = {.file = "skaffold.yaml", .line = 3, .column = 5}});
  p = MakePipeline({docker}, Cli());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("skaffold.yaml:3:5: portForward resourceType "
                                              "\"service\" is for Kubernetes"));
}

TEST(MakePipelineTest, KubernetesForwardsKeepTheirNamespace) {
  config::Config kube = WebConfig();
  kube.port_forward.push_back({.resource_type = "service",
                               .resource_name = "web",
                               .namespace_ = "shop",
                               .port = 80,
                               .local_port = 9000});
  absl::StatusOr<Pipeline> p = MakePipeline({kube}, Cli());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->port_forwards.size(), 1u);
  EXPECT_EQ(p->port_forwards[0].namespace_name, "shop");
  EXPECT_EQ(p->port_forwards[0].local_port, 9000);
}

}  // namespace
}  // namespace devloop::apps

namespace devloop::apps {
namespace {

// The watcher reports absolute paths: a config named as the user typed it
// ("skaffold.yaml") is watched at its absolute place, or a save of it is never
// seen as a config change.
TEST(MakePipelineTest, ConfigFilesAreAbsolute) {
  config::Config c = WebConfig();
  c.source_file = "skaffold.yaml";
  config::Config required = WebConfig();
  required.source_file = "sub/devloop.yaml";
  required.directory = "/src/p/sub";
  required.build.artifacts[0].image = "api";
  absl::StatusOr<Pipeline> p = MakePipeline({required, c}, Cli());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->config_files, ElementsAre("/src/p/sub/devloop.yaml", "/src/p/skaffold.yaml"));
}

// test[] marks its image tested and gives the tester its commands, in the
// test's context; --skip-tests drops them.
TEST(MakePipelineTest, TestsMarkTheirArtifactAndReachTheTester) {
  config::Config c = WebConfig();
  c.deploy.docker = config::DockerDeploy{.images = {"web"}};
  config::TestCase t;
  t.image = "web";
  t.context = "unit";
  t.custom.push_back({.command = "make test", .timeout_seconds = 30});
  t.custom.push_back({.command = "true"});
  t.structure_tests = {"cst/*.yaml"};
  c.tests.push_back(t);
  absl::StatusOr<Pipeline> p = MakePipeline({c}, Cli());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->loop.artifacts.size(), 1u);
  EXPECT_TRUE(p->loop.artifacts[0].spec.tested);
  ASSERT_EQ(p->tests.size(), 1u);
  EXPECT_EQ(p->tests[0].image, "web");
  EXPECT_EQ(p->tests[0].working_dir, "/src/p/unit");
  ASSERT_EQ(p->tests[0].custom.size(), 2u);
  EXPECT_EQ(p->tests[0].custom[0].command, "make test");
  EXPECT_EQ(p->tests[0].custom[0].timeout, absl::Seconds(30));
  EXPECT_EQ(p->tests[0].custom[1].timeout, absl::InfiniteDuration());
  EXPECT_THAT(p->tests[0].structure_tests, ElementsAre("cst/*.yaml"));

  cli::CliOptions skip = Cli();
  skip.skip_tests = true;
  p = MakePipeline({c}, skip);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->loop.artifacts[0].spec.tested);
  EXPECT_TRUE(p->tests.empty());
}

// A custom test's dependencies (paths, or a command that lists them) are
// watched in the test's context; a test without them watches nothing, and
// --skip-tests none at all.
TEST(MakePipelineTest, TestDependenciesAreWatchedInTheTestsContext) {
  config::Config c = WebConfig();
  c.deploy.docker = config::DockerDeploy{.images = {"web"}};
  config::TestCase t;
  t.image = "web";
  t.context = "unit";
  t.custom.push_back({.command = "make test",
                      .dependency_paths = {"tests/**", "go.mod"},
                      .dependency_ignore = {"tests/tmp/**"}});
  t.custom.push_back({.command = "true"});
  const config::SourcePos listed_at{.file = "skaffold.yaml", .line = 9, .column = 16};
  t.custom.push_back({.command = "make lint",
                      .dependency_command = "git ls-files --format=json",
                      .dependency_command_pos = listed_at});
  c.tests.push_back(t);
  absl::StatusOr<Pipeline> p = MakePipeline({c}, Cli());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->watched_tests,
              ElementsAre(WatchedTest{.image = "web",
                                      .working_dir = "/src/p/unit",
                                      .paths = {"tests/**", "go.mod"},
                                      .ignore = {"tests/tmp/**"}},
                          WatchedTest{.image = "web",
                                      .working_dir = "/src/p/unit",
                                      .command = "git ls-files --format=json",
                                      .command_pos = listed_at}));
  cli::CliOptions skip = Cli();
  skip.skip_tests = true;
  p = MakePipeline({c}, skip);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->watched_tests.empty());
}

// `devloop test` reads the tests without a pipeline: the same entries, and
// none that has nothing to run.
TEST(TestsOfTest, EachEntryWithSomethingToRunInItsContext) {
  config::Config c = WebConfig();
  config::TestCase unit;
  unit.image = "web";
  unit.context = "unit";
  unit.custom = {{.command = "make test", .timeout_seconds = 30}};
  config::TestCase empty;
  empty.image = "web";
  config::TestCase absolute;
  absolute.image = "api";
  absolute.context = "/elsewhere";
  absolute.structure_tests = {"cst.yaml"};
  c.tests = {unit, empty, absolute};
  std::vector<tester::ImageTests> tests = TestsOf({c});
  ASSERT_EQ(tests.size(), 2u);
  EXPECT_EQ(tests[0].image, "web");
  EXPECT_EQ(tests[0].working_dir, "/src/p/unit");
  ASSERT_EQ(tests[0].custom.size(), 1u);
  EXPECT_EQ(tests[0].custom[0].timeout, absl::Seconds(30));
  EXPECT_EQ(tests[1].image, "api");
  EXPECT_EQ(tests[1].working_dir, "/elsewhere");
  EXPECT_THAT(tests[1].structure_tests, ElementsAre("cst.yaml"));
}

}  // namespace
}  // namespace devloop::apps

namespace devloop::apps {
namespace {

// --port-forward's modes: `user` forwards the config's entries, `services`
// and `pods` what the kubectl deployer deploys; on Docker those two say they
// do nothing.
struct ForwardCase {
  std::vector<std::string> modes;  // CliOptions::port_forward, as the parser leaves it
  bool docker = false;             // deploy.docker, else kubectl
  size_t forwards = 0;             // p.port_forwards.size()
  bool loop_forwards = false;      // p.loop.port_forward
  PortForwardModes forward;        // p.forward
  std::vector<std::string> notes_have;
};

TEST(MakePipelineTest, PortForwardModes) {
  const ForwardCase cases[] = {
      {{"user"}, false, 1, true, {.user = true}, {}},
      {{"user"}, true, 1, true, {.user = true}, {}},
      {{}, false, 0, false, {}, {}},  // off
      {{}, true, 0, false, {}, {}},
      {{"user", "services"}, false, 1, true, {.user = true, .services = true}, {}},
      {{"services"}, false, 0, true, {.services = true}, {}},
      {{"pods"}, false, 0, true, {.pods = true}, {}},
      {{"services", "pods"}, false, 0, true, {.services = true, .pods = true}, {}},
      {{"user", "services"},
       true,
       1,
       true,
       {.user = true},
       {"--port-forward=services is for Kubernetes"}},
      {{"pods"}, true, 0, false, {}, {"--port-forward=pods is for Kubernetes"}},
      {{"debug"}, true, 0, false, {.debug = true}, {"dev runs none"}},
  };
  for (const ForwardCase& c : cases) {
    const std::string what = absl::StrCat("modes [", absl::StrJoin(c.modes, ","), "] on ",
                                          c.docker ? "docker" : "kubectl");
    config::Config config = WebConfig();
    if (c.docker) config.deploy.docker = config::DockerDeploy{.images = {"web"}};
    config.port_forward.push_back({.resource_type = c.docker ? "container" : "service",
                                   .resource_name = "web",
                                   .port = 8080});
    cli::CliOptions cli = Cli();
    cli.port_forward = c.modes;
    absl::StatusOr<Pipeline> p = MakePipeline({config}, cli);
    ASSERT_TRUE(p.ok()) << what << ": " << p.status();
    EXPECT_EQ(p->port_forwards.size(), c.forwards) << what;
    EXPECT_EQ(p->loop.port_forward, c.loop_forwards) << what;
    EXPECT_TRUE(p->forward == c.forward) << what;
    EXPECT_EQ(p->notes.size(), c.notes_have.size())
        << what << ": " << absl::StrJoin(p->notes, "\n");
    for (const std::string& note : c.notes_have) {
      EXPECT_THAT(absl::StrJoin(p->notes, "\n"), HasSubstr(note)) << what;
    }
  }
}

TEST(MakePipelineTest, AConfigsBadForwardIsAnErrorEvenWithForwardingOff) {
  config::Config docker = WebConfig();
  docker.deploy.docker = config::DockerDeploy{.images = {"web"}};
  docker.port_forward.push_back({.resource_type = "service", .resource_name = "web", .port = 80});
  cli::CliOptions cli = Cli();
  cli.port_forward = {};
  EXPECT_FALSE(MakePipeline({docker}, cli).ok());
}

TEST(MakePipelineTest, AnUnsetDefaultRepoIsNone) {
  cli::CliOptions cli = Cli();
  cli.default_repo = std::nullopt;
  absl::StatusOr<Pipeline> p = MakePipeline({WebConfig()}, cli);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->default_repo, "");
}

}  // namespace
TEST(MakePipelineTest, DebugRunsTheDockerDeployerWithTheArtifactsRuntimeTypes) {
  config::Config config = WebConfig();
  config.build.artifacts[0].runtime_type = "go";
  config.deploy.docker = config::DockerDeploy{.images = {"web"}};
  absl::StatusOr<Pipeline> p = MakePipeline({config}, cli::DefaultOptions(cli::Command::kDebug));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->debug.enabled);
  EXPECT_EQ(p->debug.runtime_types, (std::map<std::string, std::string>{{"web", "go"}}));
  EXPECT_TRUE(p->forward.debug);
  EXPECT_TRUE(p->loop.port_forward) << "the debuggers' ports are forwarded";
  EXPECT_TRUE(p->notes.empty()) << absl::StrJoin(p->notes, "\n");

  absl::StatusOr<Pipeline> dev = MakePipeline({config}, Cli());
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_FALSE(dev->debug.enabled);
  EXPECT_FALSE(dev->loop.port_forward);
}

TEST(MakePipelineTest, DebugOnKubernetesRunsTheKubectlDeployerUnderDebuggers) {
  config::Config config = WebConfig();
  config.build.artifacts[0].runtime_type = "python";
  absl::StatusOr<Pipeline> p = MakePipeline({config}, cli::DefaultOptions(cli::Command::kDebug));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->deployer, DeployerKind::kKubectl);
  EXPECT_THAT(p->deployer_reason, HasSubstr("no deploy section"));
  EXPECT_TRUE(p->debug.enabled);
  EXPECT_EQ(p->debug.runtime_types, (std::map<std::string, std::string>{{"web", "python"}}));
  EXPECT_TRUE(p->forward.debug);
  EXPECT_TRUE(p->forward.user);
  EXPECT_TRUE(p->loop.port_forward) << "the debuggers' ports are forwarded";
  EXPECT_TRUE(p->notes.empty()) << absl::StrJoin(p->notes, "\n");
}

}  // namespace devloop::apps
