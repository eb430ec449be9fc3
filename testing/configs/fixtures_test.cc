// Skaffold's documented example projects (testing/configs/examples), read from
// disk with the real loader and compared field by field with what they mean.
#include <cstdlib>
#include <string>

#include "domain/config/config.h"
#include "domain/pipeline/sync_machine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/config/config_files.h"
#include "infra/config/loader.h"
#include "infra/config/to_yaml.h"

namespace devloop::config {

// Failures print configs as YAML.
void PrintTo(const Config& c, std::ostream* os) { *os << "\n" << ToYaml(c); }

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ExampleDir(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/devloop/testing/configs/examples/" + name;
}

absl::StatusOr<std::vector<Config>> Load(const std::string& name, LoadOptions options = {}) {
  options.working_directory = ExampleDir(name);
  LocalConfigFiles files;
  return LoadConfigs(options, files);
}

// Positions are checked by their own tests; struct comparisons ignore them.
Config WithoutPositions(Config c) {
  for (Artifact& a : c.build.artifacts) {
    a.pos = a.context_pos = {};
    if (a.sync) {
      for (SyncRule& r : a.sync->manual) r.pos = {};
      for (auto* hooks : {&a.sync->hooks.before, &a.sync->hooks.after}) {
        for (SyncHook& h : *hooks) h.pos = {};
      }
    }
    for (auto* hooks : {&a.hooks.before, &a.hooks.after}) {
      for (HostHook& h : *hooks) h.pos = {};
    }
  }
  for (PortForward& pf : c.port_forward) pf.pos = {};
  for (TestCase& t : c.tests) {
    t.pos = {};
    for (CustomTest& ct : t.custom) ct.pos = ct.dependency_command_pos = {};
  }
  for (VerifyTestCase& v : c.verify) v.pos = v.container.pos = {};
  for (CustomAction& a : c.custom_actions) {
    a.pos = {};
    for (ActionContainer& container : a.containers) container.pos = {};
  }
  for (ConfigDependency& d : c.required_configs) d.pos = {};
  if (c.deploy.kustomize) c.deploy.kustomize->pos = {};
  if (c.deploy.helm) {
    for (HelmRelease& r : c.deploy.helm->releases) r.pos = {};
  }
  return c;
}

Artifact DockerArtifactAt(const std::string& dir, std::string image, std::string context = ".") {
  Artifact a;
  a.image = std::move(image);
  a.context = context;
  a.absolute_context = context == "." ? dir : dir + "/" + context;
  a.docker = DockerArtifact{};
  return a;
}

TEST(FixturesTest, GettingStarted) {
  const std::string dir = ExampleDir("getting-started");
  absl::StatusOr<std::vector<Config>> configs = Load("getting-started");
  ASSERT_TRUE(configs.ok()) << configs.status();
  Config want;
  want.api_version = "skaffold/v4beta13";
  want.source_file = "skaffold.yaml";
  want.directory = dir;
  want.build.artifacts = {DockerArtifactAt(dir, "skaffold-example")};
  want.deploy.kubectl = KubectlDeploy{.manifests = {"k8s-pod.yaml"}};
  ASSERT_EQ(configs->size(), 1u);
  EXPECT_EQ(WithoutPositions((*configs)[0]), want);
  EXPECT_EQ((*configs)[0].build.artifacts[0].pos, (SourcePos{"skaffold.yaml", 5, 14}));
}

TEST(FixturesTest, MicroservicesWithTwoArtifactsOnABase) {
  const std::string dir = ExampleDir("microservices");
  absl::StatusOr<std::vector<Config>> configs = Load("microservices");
  ASSERT_TRUE(configs.ok()) << configs.status();
  Config want;
  want.api_version = "skaffold/v2beta29";
  want.source_file = "skaffold.yaml";
  want.directory = dir;
  want.build.artifacts = {DockerArtifactAt(dir, "leeroy-web", "leeroy-web"),
                          DockerArtifactAt(dir, "leeroy-app", "leeroy-app"),
                          DockerArtifactAt(dir, "base", "base")};
  want.build.artifacts[0].required_artifacts = {{"base", "BASE"}};
  want.build.artifacts[1].required_artifacts = {{"base", "BASE"}};
  want.build.tag_policy = GitCommitTagger{.variant = GitCommitVariant::kAbbrevCommitSha};
  want.build.local = {.push = false, .use_buildkit = true, .concurrency = 2};
  want.deploy.kubectl = KubectlDeploy{
      .manifests = {"leeroy-web/kubernetes/*", "leeroy-app/kubernetes/*"},
      .flags = {.apply = {"--server-side"}},
      .default_namespace = "dev"};
  want.deploy.status_check_deadline_seconds = 120;
  want.deploy.tolerate_failures_until_deadline = true;
  want.port_forward = {{.resource_type = "deployment", .resource_name = "leeroy-web",
                        .port = 8080, .local_port = 9000}};
  ASSERT_EQ(configs->size(), 1u);
  EXPECT_EQ(WithoutPositions((*configs)[0]), want);
  EXPECT_EQ((*configs)[0].build.artifacts[1].context_pos, (SourcePos{"skaffold.yaml", 11, 16}));
}

TEST(FixturesTest, FileSyncManualInferHooksTemplatesAndDockerDeployer) {
  const std::string dir = ExampleDir("file-sync");
  absl::StatusOr<std::vector<Config>> configs =
      Load("file-sync", {.env = {{"USER", "ana"}}});
  ASSERT_TRUE(configs.ok()) << configs.status();
  Config want;
  want.api_version = "skaffold/v4beta13";
  want.name = "file-sync";
  want.source_file = "skaffold.yaml";
  want.directory = dir;
  Artifact a = DockerArtifactAt(dir, "node-example", "app");
  a.docker->target = "dev";
  a.docker->build_args = {{"NODE_ENV", "development"}, {"USER_NAME", "ana"}};
  a.docker->cache_from = {"node-example:latest"};
  a.sync = Sync{.manual = {{.src = "src/**/*.js", .dest = ".", .strip = "src/"}},
                .infer = {"public/**"},
                .inferred_copies = {{{"src/"}, "/usr/src/app/"}, {{"public"}, "/usr/src/app/public/"}},
                .workdir = "/usr/src/app",
                .hooks = {.before = {{.command = {"sh", "-c",
                                                  "echo syncing $SKAFFOLD_FILES_ADDED_OR_MODIFIED"},
                                      .dir = "scripts"}},
                          .after = {{.where = SyncHook::Where::kContainer,
                                     .command = {"kill", "-HUP", "1"}}}}};
  // The windows ones are dropped.
  a.hooks.before = {{.command = {"sh", "-c", "echo building $SKAFFOLD_IMAGE"}}};
  a.hooks.after = {{.command = {"./after-build.sh"}, .dir = "scripts"}};
  want.build.artifacts = {a};
  want.build.tag_policy = EnvTemplateTagger{"{{.IMAGE_NAME}}:{{.USER | default \"dev\"}}"};
  want.deploy.docker = DockerDeploy{.images = {"node-example"}};
  want.port_forward = {{.resource_type = "container", .resource_name = "node-example",
                        .port = 3000, .address = "0.0.0.0"}};
  ASSERT_EQ(configs->size(), 1u);
  EXPECT_EQ(WithoutPositions((*configs)[0]), want);

  // The rules send changed files where the Dockerfile put them (a relative
  // dest is the container's WORKDIR's).
  const Sync& sync = *(*configs)[0].build.artifacts[0].sync;
  domain::ArtifactSpec spec{.image = "node-example", .infer = sync.infer};
  for (const SyncRule& r : sync.manual) spec.sync.push_back({r.src, r.dest, r.strip});
  for (const DockerCopy& c : sync.inferred_copies) spec.copies.push_back({c.srcs, c.dest});
  auto where = [&](const std::string& path) -> std::string {
    absl::StatusOr<domain::SyncDecision> d = domain::PlanSync(spec, {{path}});
    if (!d.ok()) return d.status().ToString();
    if (d->needs_rebuild) return "rebuild";
    return d->plan.copies.size() == 1 ? d->plan.copies[0].dest : "several";
  };
  EXPECT_EQ(where("src/lib/a.js"), "lib/a.js");
  EXPECT_EQ(where("public/css/site.css"), "/usr/src/app/public/css/site.css");
  EXPECT_EQ(where("package.json"), "rebuild");
  EXPECT_EQ(sync.manual[0].pos, (SourcePos{"skaffold.yaml", 18, 18}));
}

TEST(FixturesTest, CustomBuild) {
  const std::string dir = ExampleDir("custom-build");
  absl::StatusOr<std::vector<Config>> configs = Load("custom-build");
  ASSERT_TRUE(configs.ok()) << configs.status();
  Config want;
  want.api_version = "skaffold/v2beta16";
  want.source_file = "skaffold.yaml";
  want.directory = dir;
  Artifact a;
  a.image = "custom-example";
  a.absolute_context = dir;
  a.custom = CustomArtifact{.build_command = "./build.sh",
                            .dependencies = {.paths = {"."}, .ignore = {"*.md"}}};
  want.build.artifacts = {a};
  want.build.tag_policy = Sha256Tagger{};
  want.deploy.kubectl = KubectlDeploy{.manifests = {"k8s-*"}};
  ASSERT_EQ(configs->size(), 1u);
  EXPECT_EQ(WithoutPositions((*configs)[0]), want);
}

TEST(FixturesTest, HelmReleaseUnderManifestsAndDeployIsRenderedOnce) {
  const std::string dir = ExampleDir("helm");
  absl::StatusOr<std::vector<Config>> configs = Load("helm", {.env = {{"USER", "ana"}}});
  ASSERT_TRUE(configs.ok()) << configs.status();
  Config want;
  want.api_version = "skaffold/v4beta13";
  want.name = "helm-example";
  want.source_file = "skaffold.yaml";
  want.directory = dir;
  want.build.artifacts = {DockerArtifactAt(dir, "gcr.io/example/web-app", "app")};
  // The helm output is applied with kubectl; no k8s/*.yaml default beside it.
  want.deploy.kubectl = KubectlDeploy{.flags = {.global = {"--request-timeout=30s"}}};
  want.deploy.helm = HelmDeploy{
      .releases = {{.name = "web-ana",
                    .chart_path = "charts/web",
                    .values_files = {"charts/web/values-dev.yaml"},
                    .set_values = {{"ingress.enabled", "false"}, {"replicas", "2"}},
                    .set_value_templates = {{"image.repository",
                                             "{{.IMAGE_REPO_gcr_io_example_web_app}}"},
                                            {"image.tag", "{{.IMAGE_TAG_gcr_io_example_web_app}}"}},
                    .namespace_name = "web",
                    .create_namespace = true,
                    .skip_build_dependencies = true}}};
  ASSERT_EQ(configs->size(), 1u);
  EXPECT_EQ(WithoutPositions((*configs)[0]), want);
  EXPECT_EQ((*configs)[0].deploy.helm->releases[0].pos, (SourcePos{"skaffold.yaml", 14, 15}));
}

TEST(FixturesTest, KustomizeDeployOfV2WithKubectlFlags) {
  const std::string dir = ExampleDir("kustomize");
  absl::StatusOr<std::vector<Config>> configs = Load("kustomize");
  ASSERT_TRUE(configs.ok()) << configs.status();
  Config want;
  want.api_version = "skaffold/v2beta29";
  want.source_file = "skaffold.yaml";
  want.directory = dir;
  want.build.artifacts = {DockerArtifactAt(dir, "kustomize-web", "app")};
  want.deploy.kubectl = KubectlDeploy{
      .flags = {.apply = {"--server-side", "--validate=false"}}, .default_namespace = "dev"};
  want.deploy.kustomize = KustomizeDeploy{
      .paths = {"overlays/dev"}, .build_args = {"--load-restrictor=LoadRestrictionsNone"}};
  ASSERT_EQ(configs->size(), 1u);
  EXPECT_EQ(WithoutPositions((*configs)[0]), want);
  EXPECT_EQ((*configs)[0].deploy.kustomize->pos, (SourcePos{"skaffold.yaml", 11, 5}));
}

TEST(FixturesTest, ProfilesWithPatchesOverridesAndActivation) {
  // No profile: the base config, kubectl from manifests.rawYaml.
  absl::StatusOr<std::vector<Config>> base = Load("profiles", {.kube_context = "kind", .command = "dev"});
  ASSERT_TRUE(base.ok()) << base.status();
  ASSERT_EQ(base->size(), 1u);
  const Config& b = (*base)[0];
  EXPECT_THAT(b.active_profiles, ::testing::IsEmpty());
  EXPECT_EQ(b.build.artifacts[0].docker->dockerfile, "Dockerfile");
  ASSERT_TRUE(b.deploy.kubectl);
  EXPECT_EQ(b.deploy.kubectl->manifests, std::vector<std::string>{"k8s/dev/*.yaml"});
  EXPECT_FALSE(b.deploy.docker);

  // -p prod, CI=true activates ci, and no kube context activates docker.
  absl::StatusOr<std::vector<Config>> prod = Load(
      "profiles", {.profiles = {"prod"}, .env = {{"CI", "true"}}, .command = "dev"});
  ASSERT_TRUE(prod.ok()) << prod.status();
  const Config& p = (*prod)[0];
  EXPECT_THAT(p.active_profiles, ElementsAre("prod", "ci", "docker"));
  EXPECT_EQ(p.build.artifacts[0].docker->dockerfile, "Dockerfile.prod");
  EXPECT_EQ(p.build.artifacts[0].docker->build_args,
            (std::map<std::string, std::string>{{"MODE", "production"}}));
  EXPECT_EQ(p.build.tag_policy, (TagPolicy{DateTimeTagger{"2006-01-02", "UTC"}}));
  EXPECT_EQ(p.build.local.push, false);  // a build override keeps the keys it does not set
  ASSERT_TRUE(p.deploy.docker);
  EXPECT_EQ(p.deploy.docker->images, std::vector<std::string>{"web"});
  EXPECT_FALSE(p.deploy.kubectl);  // the docker profile chose another deployer

  // -p -ci turns an activated profile off.
  absl::StatusOr<std::vector<Config>> no_ci =
      Load("profiles", {.profiles = {"-ci"}, .env = {{"CI", "true"}}, .kube_context = "k"});
  ASSERT_TRUE(no_ci.ok()) << no_ci.status();
  EXPECT_THAT((*no_ci)[0].active_profiles, ::testing::IsEmpty());
}

TEST(FixturesTest, MultiConfigWithRequiresAndModules) {
  const std::string dir = ExampleDir("multi-config");
  absl::StatusOr<std::vector<Config>> configs = Load("multi-config", {.profiles = {"dev"}});
  ASSERT_TRUE(configs.ok()) << configs.status();
  ASSERT_EQ(configs->size(), 3u);
  // Required configs come first, each resolved against its own directory.
  EXPECT_EQ((*configs)[0].name, "backend");
  EXPECT_EQ((*configs)[0].source_file, "backend/skaffold.yaml");
  EXPECT_EQ((*configs)[0].build.artifacts[0].absolute_context, dir + "/backend");
  EXPECT_THAT((*configs)[0].active_profiles, ElementsAre("debug"));  // activatedBy dev
  EXPECT_EQ((*configs)[0].build.artifacts[0].docker->build_args.at("DEBUG"), "1");
  EXPECT_EQ((*configs)[1].name, "frontend");
  EXPECT_EQ((*configs)[1].build.artifacts[0].absolute_context, dir + "/frontend");
  EXPECT_EQ((*configs)[2].name, "app");
  EXPECT_THAT((*configs)[2].active_profiles, ElementsAre("dev"));

  // Without -p dev the backend's debug profile stays off.
  absl::StatusOr<std::vector<Config>> plain = Load("multi-config");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT((*plain)[0].active_profiles, ::testing::IsEmpty());

  // -m picks configs by name with what they require.
  absl::StatusOr<std::vector<Config>> frontend = Load("multi-config", {.modules = {"frontend"}});
  ASSERT_TRUE(frontend.ok()) << frontend.status();
  ASSERT_EQ(frontend->size(), 1u);
  EXPECT_EQ((*frontend)[0].name, "frontend");
  absl::StatusOr<std::vector<Config>> app = Load("multi-config", {.modules = {"app"}});
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->size(), 3u);
  EXPECT_EQ(Load("multi-config", {.modules = {"nope"}}).status().message(),
            "skaffold.yaml: module \"nope\" (from -m) is not the metadata.name of any config "
            "(names: backend, frontend, app)");
}

TEST(FixturesTest, DevloopYamlWinsOverSkaffoldYaml) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/both";
  ASSERT_EQ(system(("mkdir -p " + dir).c_str()), 0);
  ASSERT_EQ(system(("printf 'apiVersion: skaffold/v4beta13\\nkind: Config\\nmetadata: {name: "
                    "skaffold}\\n' > " + dir + "/skaffold.yaml").c_str()), 0);
  LocalConfigFiles files;
  absl::StatusOr<std::vector<Config>> configs = LoadConfigs({.working_directory = dir}, files);
  ASSERT_TRUE(configs.ok()) << configs.status();
  EXPECT_EQ((*configs)[0].name, "skaffold");
  ASSERT_EQ(system(("printf 'apiVersion: skaffold/v4beta13\\nkind: Config\\nmetadata: {name: "
                    "devloop}\\n' > " + dir + "/devloop.yaml").c_str()), 0);
  configs = LoadConfigs({.working_directory = dir}, files);
  ASSERT_TRUE(configs.ok()) << configs.status();
  EXPECT_EQ((*configs)[0].name, "devloop");
  EXPECT_EQ((*configs)[0].source_file, "devloop.yaml");
  EXPECT_EQ(LoadConfigs({.path = "other.yaml", .working_directory = dir}, files).status().message(),
            "other.yaml: no such file (looked for " + dir + "/other.yaml; pass -f to name the config)");
}

TEST(DiagnoseTest, PrintsTheResolvedConfigAsYaml) {
  absl::StatusOr<std::vector<Config>> configs =
      Load("profiles", {.profiles = {"prod"}, .kube_context = "kind"});
  ASSERT_TRUE(configs.ok()) << configs.status();
  EXPECT_EQ(ToYaml(*configs), R"(---
# from skaffold.yaml
# profiles applied: prod
apiVersion: skaffold/v4beta6
kind: Config
build:
  artifacts:
    - image: web
      context: .
      docker:
        dockerfile: Dockerfile.prod
        buildArgs:
          MODE: production
  tagPolicy:
    gitCommit:
      variant: Tags
  local:
    push: false
    useBuildkit: false
    concurrency: 1
deploy:
  kubectl:
    manifests:
      - k8s/prod/*.yaml
  tolerateFailuresUntilDeadline: false
)");
}

// test, verify and customActions: every field as written.
TEST(FixturesTest, TestsAndActions) {
  absl::StatusOr<std::vector<Config>> configs = Load("tests-and-actions");
  ASSERT_TRUE(configs.ok()) << configs.status();
  ASSERT_EQ(configs->size(), 1u);
  const Config& c = (*configs)[0];

  ASSERT_EQ(c.tests.size(), 1u);
  const TestCase& t = c.tests[0];
  EXPECT_EQ(t.image, "web");
  EXPECT_EQ(t.context, ".");
  EXPECT_EQ(t.pos.line, 12);
  ASSERT_EQ(t.custom.size(), 2u);
  EXPECT_EQ(t.custom[0].command, "./unit.sh");
  EXPECT_EQ(t.custom[0].timeout_seconds, 30);
  EXPECT_THAT(t.custom[0].dependency_paths, ElementsAre("unit.sh", "src/**"));
  EXPECT_THAT(t.custom[0].dependency_ignore, ElementsAre("src/tmp/**"));
  EXPECT_EQ(t.custom[0].pos.line, 14);
  EXPECT_EQ(t.custom[1].command, "echo $IMAGE");
  EXPECT_EQ(t.custom[1].timeout_seconds, std::nullopt);
  EXPECT_EQ(t.custom[1].dependency_command, "./list-deps.sh --json");
  EXPECT_EQ(t.custom[1].dependency_command_pos.line, 21);
  EXPECT_EQ(t.custom[1].dependency_command_pos.column, 16);
  EXPECT_TRUE(t.custom[1].dependency_paths.empty());
  EXPECT_TRUE(t.custom[0].dependency_command.empty());
  EXPECT_THAT(t.structure_tests, ElementsAre("./cst/*.yaml"));
  EXPECT_THAT(t.structure_tests_args, ElementsAre("--driver=tar"));

  ASSERT_EQ(c.verify.size(), 1u);
  const VerifyTestCase& v = c.verify[0];
  EXPECT_EQ(v.name, "smoke");
  EXPECT_EQ(v.timeout_seconds, 60);
  EXPECT_EQ(v.container.name, "smoke");
  EXPECT_EQ(v.container.image, "busybox");
  EXPECT_THAT(v.container.command, ElementsAre("/bin/sh"));
  EXPECT_THAT(v.container.args, ElementsAre("-c", "wget -q -O- http://web:8080/"));
  EXPECT_THAT(v.container.env, ElementsAre(std::pair<std::string, std::string>("TARGET", "web")));

  ASSERT_EQ(c.custom_actions.size(), 1u);
  const CustomAction& a = c.custom_actions[0];
  EXPECT_EQ(a.name, "migrate");
  EXPECT_EQ(a.timeout_seconds, 120);
  EXPECT_FALSE(a.fail_fast);
  EXPECT_EQ(a.pos.line, 38);
  ASSERT_EQ(a.containers.size(), 2u);
  EXPECT_EQ(a.containers[0].name, "schema");
  EXPECT_THAT(a.containers[0].command, ElementsAre("sh", "-c", "echo migrating"));
  EXPECT_EQ(a.containers[1].name, "seed");
  EXPECT_TRUE(a.containers[1].command.empty());
  EXPECT_THAT(a.containers[1].args, ElementsAre("true"));
}

// Reading diagnose's output back gives the same configs: it shows exactly what runs.
TEST(DiagnoseTest, OutputReadsBackToTheSameConfigs) {
  for (const char* example :
       {"getting-started", "microservices", "file-sync", "custom-build", "profiles", "helm",
        "kustomize", "tests-and-actions"}) {
    SCOPED_TRACE(example);
    absl::StatusOr<std::vector<Config>> configs =
        Load(example, {.env = {{"USER", "ana"}}, .kube_context = "kind"});
    ASSERT_TRUE(configs.ok()) << configs.status();
    const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/roundtrip-" + example;
    ASSERT_EQ(system(("rm -rf " + dir + " && cp -rL " + ExampleDir(example) + " " + dir).c_str()), 0);
    FILE* f = fopen((dir + "/diagnosed.yaml").c_str(), "w");
    ASSERT_NE(f, nullptr);
    const std::string yaml = ToYaml(*configs);
    fwrite(yaml.data(), 1, yaml.size(), f);
    fclose(f);
    LocalConfigFiles files;
    absl::StatusOr<std::vector<Config>> again = LoadConfigs(
        {.path = "diagnosed.yaml", .working_directory = dir, .env = {{"USER", "ana"}}}, files);
    ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
    ASSERT_EQ(again->size(), configs->size());
    for (size_t i = 0; i < configs->size(); ++i) {
      Config want = WithoutPositions((*configs)[i]);
      Config got = WithoutPositions((*again)[i]);
      got.source_file = want.source_file;
      got.directory = want.directory;
      got.active_profiles = want.active_profiles;
      for (size_t k = 0; k < got.build.artifacts.size(); ++k) {
        got.build.artifacts[k].absolute_context = want.build.artifacts[k].absolute_context;
      }
      EXPECT_EQ(got, want);
    }
  }
}

}  // namespace
}  // namespace devloop::config
