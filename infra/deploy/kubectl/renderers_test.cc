// The renderers' argv, output and errors against FakeProcessRunner, then the
// real kubectl and helm on the example projects of testing/configs, their
// output taken through Render.
#include "infra/deploy/kubectl/renderers.h"

#include <stdlib.h>

#include <fstream>

#include <filesystem>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/process/posix_process_runner.h"
#include "testing/fakes/fake_process_runner.h"

namespace devloop::deploy::kubectl {
namespace {

using ::devloop::testing::FakeProcessRunner;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::map<std::string, std::string> kImages = {
    {"gcr.io/example/web-app", "gcr.io/example/web-app:v1@sha256:ab12"},
    {"localhost:5000/db", "localhost:5000/db:7"},
};

// ---------------------------------------------------------------------------
// kustomize
// ---------------------------------------------------------------------------

TEST(RenderKustomizeTest, RunsKubectlKustomizeInTheBaseDir) {
  FakeProcessRunner runner;
  runner.AddProgram("kubectl", [](FakeProcessRunner::Io& io) {
    io.Out("apiVersion: v1\nkind: Namespace\n");
    io.Err("a warning on stderr is not output\n");
    return 0;
  });
  absl::StatusOr<ManifestSource> got =
      RenderKustomize(&runner, {.context = "kind", .global_flags = {"-v=1"}}, "overlays/dev",
                      {.base_dir = "/src/app", .build_args = {"--enable-helm"}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, (ManifestSource{"kustomize overlays/dev", "apiVersion: v1\nkind: Namespace\n"}));
  ASSERT_EQ(runner.started().size(), 1u);
  EXPECT_THAT(runner.started()[0].argv,
              ElementsAre("kubectl", "--context=kind", "--request-timeout=20s", "-v=1",
                          "kustomize", "--enable-helm", "overlays/dev"));
  EXPECT_EQ(runner.started()[0].working_dir, "/src/app");
}

TEST(RenderKustomizeTest, AFailureCarriesTheEndOfStderrAndTheDir) {
  FakeProcessRunner runner;
  runner.AddProgram("kubectl", [](FakeProcessRunner::Io& io) {
    for (int i = 1; i <= 12; ++i) io.Err("line " + std::to_string(i) + "\n");
    io.Err("error: accumulating resources: missing.yaml: no such file");
    return 1;
  });
  absl::StatusOr<ManifestSource> got = RenderKustomize(&runner, {}, "overlays/dev");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(),
            "kustomize overlays/dev: `kubectl --request-timeout=20s kustomize overlays/dev` "
            "failed (exit code 1):\n"
            "line 4\nline 5\nline 6\nline 7\nline 8\nline 9\nline 10\nline 11\nline 12\n"
            "error: accumulating resources: missing.yaml: no such file");
}

TEST(RenderKustomizeTest, KubectlMissingOrTooSlow) {
  FakeProcessRunner runner;
  absl::StatusOr<ManifestSource> got = RenderKustomize(&runner, {}, "k");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got.status().message()), StartsWith("kustomize k: cannot run kubectl: "));

  runner.AddProgram("kubectl", [](FakeProcessRunner::Io& io) {
    io.Sleep(absl::Seconds(30));
    return 0;
  });
  got = RenderKustomize(&runner, {}, "k", {.timeout = absl::Milliseconds(50)});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(got.status().message(),
            "kustomize k: `kubectl --request-timeout=20s kustomize k` did not finish in 50ms");
}

// ---------------------------------------------------------------------------
// helm
// ---------------------------------------------------------------------------

config::HelmRelease WebRelease() {
  return {.name = "web-ana",
          .chart_path = "charts/web",
          .values_files = {"charts/web/values-dev.yaml", "more.yaml"},
          .set_values = {{"replicas", "2"}, {"hosts", "a.example,b.example"}},
          .set_value_templates = {{"image.repository", "{{.IMAGE_REPO_gcr_io_example_web_app}}"},
                                  {"image.tag", "{{.IMAGE_TAG_GCR_IO_EXAMPLE_WEB_APP}}"},
                                  {"db", "{{.IMAGE_FULLY_QUALIFIED_localhost_5000_db}}"},
                                  {"owner", "{{.USER | default \"nobody\"}}"}},
          .namespace_name = "web",
          .create_namespace = true,
          .version = "0.1.0"};
}

TEST(HelmImageValuesTest, SkaffoldsNamesAndUpperCase) {
  EXPECT_EQ(HelmImageValues({{"gcr.io/x/web-app", "gcr.io/x/web-app:v1@sha256:ab"},
                             {"db", "db"}}),
            (std::map<std::string, std::string>{
                {"IMAGE_DIGEST_DB", ""},
                {"IMAGE_DIGEST_GCR_IO_X_WEB_APP", "sha256:ab"},
                {"IMAGE_DIGEST_db", ""},
                {"IMAGE_DIGEST_gcr_io_x_web_app", "sha256:ab"},
                {"IMAGE_DOMAIN_DB", ""},
                {"IMAGE_DOMAIN_GCR_IO_X_WEB_APP", "gcr.io"},
                {"IMAGE_DOMAIN_db", ""},
                {"IMAGE_DOMAIN_gcr_io_x_web_app", "gcr.io"},
                {"IMAGE_FULLY_QUALIFIED_DB", "db"},
                {"IMAGE_FULLY_QUALIFIED_GCR_IO_X_WEB_APP", "gcr.io/x/web-app:v1@sha256:ab"},
                {"IMAGE_FULLY_QUALIFIED_db", "db"},
                {"IMAGE_FULLY_QUALIFIED_gcr_io_x_web_app", "gcr.io/x/web-app:v1@sha256:ab"},
                {"IMAGE_REPO_DB", "db"},
                {"IMAGE_REPO_GCR_IO_X_WEB_APP", "gcr.io/x/web-app"},
                {"IMAGE_REPO_db", "db"},
                {"IMAGE_REPO_gcr_io_x_web_app", "gcr.io/x/web-app"},
                {"IMAGE_REPO_NO_DOMAIN_DB", "db"},
                {"IMAGE_REPO_NO_DOMAIN_GCR_IO_X_WEB_APP", "x/web-app"},
                {"IMAGE_REPO_NO_DOMAIN_db", "db"},
                {"IMAGE_REPO_NO_DOMAIN_gcr_io_x_web_app", "x/web-app"},
                {"IMAGE_TAG_DB", ""},
                {"IMAGE_TAG_GCR_IO_X_WEB_APP", "v1"},
                {"IMAGE_TAG_db", ""},
                {"IMAGE_TAG_gcr_io_x_web_app", "v1"},
            }));
}

// Skaffold splits the domain off without Docker's normalization: any first
// part that reads as a host is the domain, "docker.io" is never added.
TEST(SplitImageDomainTest, FirstPartThatReadsAsAHost) {
  using Split = std::pair<std::string, std::string>;
  EXPECT_EQ(SplitImageDomain("web"), (Split{"", "web"}));
  EXPECT_EQ(SplitImageDomain("gcr.io/x/web"), (Split{"gcr.io", "x/web"}));
  EXPECT_EQ(SplitImageDomain("localhost:5000/web"), (Split{"localhost:5000", "web"}));
  EXPECT_EQ(SplitImageDomain("127.0.0.1:5000/a/b"), (Split{"127.0.0.1:5000", "a/b"}));
  EXPECT_EQ(SplitImageDomain("[::1]:5000/web"), (Split{"[::1]:5000", "web"}));
  EXPECT_EQ(SplitImageDomain("team/web"), (Split{"team", "web"}));
  EXPECT_EQ(SplitImageDomain("my_team/web"), (Split{"", "my_team/web"}));
  EXPECT_EQ(SplitImageDomain("-team/web"), (Split{"", "-team/web"}));
  EXPECT_EQ(SplitImageDomain("host:port/web"), (Split{"", "host:port/web"}));
}

// What Skaffold's upgrade writes for a release with imageStrategy helm and
// explicitRegistry evaluates to the image's parts.
TEST(HelmTemplateArgvTest, HelmConventionTemplatesFromAnUpgradedConfig) {
  config::HelmRelease release = WebRelease();
  release.values_files.clear();
  release.set_values.clear();
  release.set_value_templates = {
      {"image.registry", "{{.IMAGE_DOMAIN_gcr_io_x_web}}"},
      {"image.repository", "{{.IMAGE_REPO_NO_DOMAIN_gcr_io_x_web}}"},
      {"image.tag", "{{.IMAGE_TAG_gcr_io_x_web}}@{{.IMAGE_DIGEST_gcr_io_x_web}}"}};
  absl::StatusOr<std::vector<std::string>> argv = HelmTemplateArgv(
      {.path = "helm"}, release, {{"gcr.io/x/web", "gcr.io/x/web:v1@sha256:ab"}});
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv, ::testing::IsSupersetOf({"image.registry=gcr.io", "image.repository=x/web",
                                              "image.tag=v1@sha256:ab"}));
}

// An image built only locally has no digest: "TAG@" would not be a valid
// reference, so the tag goes alone.
TEST(HelmTemplateArgvTest, TagAtDigestOfALocalImageIsTheTag) {
  config::HelmRelease release = WebRelease();
  release.values_files.clear();
  release.set_values.clear();
  release.set_value_templates = {
      {"image.tag", "{{.IMAGE_TAG_gcr_io_x_web}}@{{.IMAGE_DIGEST_gcr_io_x_web}}"},
      {"literal", "v1@"}};
  absl::StatusOr<std::vector<std::string>> argv =
      HelmTemplateArgv({.path = "helm"}, release, {{"gcr.io/x/web", "gcr.io/x/web:v1"}});
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv, ::testing::IsSupersetOf({"image.tag=v1", "literal=v1@"}));
}

TEST(HelmTemplateArgvTest, ValuesFilesSetValuesThenTemplates) {
  absl::StatusOr<std::vector<std::string>> argv =
      HelmTemplateArgv({.path = "/opt/helm"}, WebRelease(), kImages, {.env = {{"USER", "ana"}}});
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv, ElementsAre("/opt/helm", "template", "web-ana", "charts/web", "--version",
                                 "0.1.0", "--namespace", "web", "-f",
                                 "charts/web/values-dev.yaml", "-f", "more.yaml", "--set",
                                 "hosts=a.example\\,b.example", "--set", "replicas=2", "--set",
                                 "db=localhost:5000/db:7", "--set",
                                 "image.repository=gcr.io/example/web-app", "--set",
                                 "image.tag=v1", "--set", "owner=ana"));
}

TEST(HelmTemplateArgvTest, AMinimalRelease) {
  absl::StatusOr<std::vector<std::string>> argv =
      HelmTemplateArgv({}, {.name = "r", .chart_path = "c"}, {});
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv, ElementsAre("helm", "template", "r", "c"));
}

TEST(HelmTemplateArgvTest, TemplateErrors) {
  config::HelmRelease release = {.name = "web", .chart_path = "c"};
  release.set_value_templates = {{"image.tag", "{{.IMAGE_TAG_gcr_io_example_webapp}}"}};
  EXPECT_EQ(HelmTemplateArgv({}, release, kImages).status().message(),
            "helm release web: setValueTemplates.image.tag reads IMAGE_TAG_gcr_io_example_webapp, "
            "which no built image provides (built: gcr.io/example/web-app, localhost:5000/db; an "
            "image's name is written with '_' for each of \"/.-:\", e.g. IMAGE_TAG_gcr_io_x_web)");
  release.set_value_templates = {{"image.tag", "{{.IMAGE_TAG"}};
  EXPECT_EQ(HelmTemplateArgv({}, release, kImages).status().message(),
            "helm release web: setValueTemplates.image.tag: bad template \"{{.IMAGE_TAG\": "
            "unclosed action \"{{\" at offset 0");
  // Other variables missing print as Go prints them, as in Skaffold.
  release.set_value_templates = {{"who", "{{.NOBODY}}"}};
  absl::StatusOr<std::vector<std::string>> argv = HelmTemplateArgv({}, release, kImages);
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_EQ(argv->back(), "who=<no value>");
}

TEST(RenderHelmTest, RunsHelmTemplateInTheBaseDir) {
  FakeProcessRunner runner;
  runner.AddProgram("helm", [](FakeProcessRunner::Io& io) {
    io.Out("---\n# Source: web/templates/cm.yaml\nkind: ConfigMap\n");
    return 0;
  });
  absl::StatusOr<ManifestSource> got =
      RenderHelm(&runner, {}, {.name = "web", .chart_path = "c"}, {}, {.base_dir = "/src"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, (ManifestSource{"helm release web",
                                  "---\n# Source: web/templates/cm.yaml\nkind: ConfigMap\n"}));
  EXPECT_EQ(runner.started()[0].working_dir, "/src");
}

TEST(RenderHelmTest, AFailureNamesTheRelease) {
  FakeProcessRunner runner;
  runner.AddProgram("helm", [](FakeProcessRunner::Io& io) {
    io.Err("Error: path \"c\" not found\n");
    return 1;
  });
  EXPECT_EQ(RenderHelm(&runner, {}, {.name = "web", .chart_path = "c"}, {}).status().message(),
            "helm release web: `helm template web c` failed (exit code 1):\n"
            "Error: path \"c\" not found");
}

// ---------------------------------------------------------------------------
// The real tools on testing/configs/examples
// ---------------------------------------------------------------------------

std::string ExampleDir(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/devloop/testing/configs/examples/" + name;
}

// Returns the directory of PATH holding `program`, or "".
std::string FindInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path == nullptr ? "" : path, ':')) {
    const std::string candidate = std::string(dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Returns the helm binary: $DEVLOOP_HELM, or what tools/helm/build.sh (from
// runfiles, never building) prints; else sets *why_not.
std::string FindHelm(std::string* why_not) {
  if (const char* helm = std::getenv("DEVLOOP_HELM"); helm != nullptr && *helm != '\0') {
    return helm;
  }
  const std::string script =
      std::string(std::getenv("TEST_SRCDIR")) + "/devloop/tools/helm/build.sh";
  process::PosixProcessRunner runner;
  std::string out, err;
  absl::StatusOr<process::ExitStatus> exit =
      runner.Run({.argv = {"bash", script},
                  .env = {{"DEVLOOP_HELM_NO_BUILD", "1"}},
                  .timeout = absl::Seconds(30),
                  .on_stdout = [&](absl::string_view line) { out = std::string(line); },
                  .on_stderr = [&](absl::string_view line) { err += std::string(line) + " "; }});
  if (!exit.ok() || !exit->success() || out.empty()) {
    *why_not = exit.ok() ? err : exit.status().ToString();
    return "";
  }
  return out;
}

const RenderOptions kRunOptions = {
    .images = {{"kustomize-web", "kustomize-web:3f2a"},
               {"gcr.io/example/web-app", "gcr.io/example/web-app:v1@sha256:ab12"}},
    .labels = {{"dev.devloop.run-id", "run-1"}},
};

TEST(RealRenderersTest, KubectlKustomizeOfTheExampleOverlay) {
  if (FindInPath("kubectl").empty()) GTEST_SKIP() << "kubectl is not in PATH";
  process::PosixProcessRunner runner;
  absl::StatusOr<ManifestSource> source =
      RenderKustomize(&runner, {}, "overlays/dev",
                      {.base_dir = ExampleDir("kustomize"),
                       .build_args = {"--load-restrictor=LoadRestrictionsNone"}});
  ASSERT_TRUE(source.ok()) << source.status();
  absl::StatusOr<Rendered> rendered = Render({*source}, kRunOptions);
  ASSERT_TRUE(rendered.ok()) << rendered.status();
  EXPECT_EQ(rendered->yaml, R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: dev-web
  labels:
    dev.devloop.run-id: run-1
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        dev.devloop.run-id: run-1
    spec:
      containers:
        - image: kustomize-web:3f2a
          name: web
)");
  EXPECT_THAT(rendered->objects, ElementsAre(ObjectRef{"apps/v1", "Deployment", "dev-web", ""}));

  absl::StatusOr<ManifestSource> missing =
      RenderKustomize(&runner, {}, "overlays/none", {.base_dir = ExampleDir("kustomize")});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()),
              StartsWith("kustomize overlays/none: `kubectl --request-timeout=20s kustomize "
                         "overlays/none` failed (exit code 1):\n"));
}

TEST(RealRenderersTest, HelmTemplateOfTheExampleChart) {
  std::string why_not;
  const std::string helm = FindHelm(&why_not);
  if (helm.empty()) {
    GTEST_SKIP() << "no helm binary (run tools/helm/build.sh, or set DEVLOOP_HELM): " << why_not;
  }
  config::HelmRelease release = {
      .name = "web-ana",
      .chart_path = "charts/web",
      .values_files = {"charts/web/values-dev.yaml"},
      .set_values = {{"replicas", "2"}},
      .set_value_templates = {{"image.repository", "{{.IMAGE_REPO_gcr_io_example_web_app}}"},
                              {"image.tag", "{{.IMAGE_TAG_gcr_io_example_web_app}}"}},
      .namespace_name = "web"};
  process::PosixProcessRunner runner;
  absl::StatusOr<ManifestSource> source = RenderHelm(
      &runner, {.path = helm}, release, kRunOptions.images, {.base_dir = ExampleDir("helm")});
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->path, "helm release web-ana");
  absl::StatusOr<Rendered> rendered = Render({*source}, kRunOptions);
  ASSERT_TRUE(rendered.ok()) << rendered.status() << "\n" << source->text;
  // The chart writes "repository:tag", which Render then replaces with the
  // whole reference, digest included.
  EXPECT_EQ(rendered->yaml, R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-ana
  namespace: web
  labels:
    dev.devloop.run-id: run-1
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        dev.devloop.run-id: run-1
    spec:
      containers:
        - name: web
          image: gcr.io/example/web-app:v1@sha256:ab12
)");
  EXPECT_THAT(source->text, HasSubstr("image: \"gcr.io/example/web-app:v1\""));

  release.chart_path = "charts/none";
  absl::StatusOr<ManifestSource> missing = RenderHelm(
      &runner, {.path = helm}, release, kRunOptions.images, {.base_dir = ExampleDir("helm")});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()),
              StartsWith("helm release web-ana: `" + helm + " template web-ana charts/none"));
}

TEST(RealRenderersTest, AChartsLocalDependencyIsBuiltFirstUnlessSkipped) {
  std::string why_not;
  const std::string helm = FindHelm(&why_not);
  if (helm.empty()) {
    GTEST_SKIP() << "no helm binary (run tools/helm/build.sh, or set DEVLOOP_HELM): " << why_not;
  }
  char tmpl[] = "/tmp/devloop-helm-deps-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  auto write = [&](const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(dir + "/" + path).parent_path());
    std::ofstream(dir + "/" + path) << text;
  };
  write("child/Chart.yaml", "apiVersion: v2\nname: child\nversion: 0.1.0\n");
  write("child/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-child}\n");
  write("app/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        "  - name: child\n    version: 0.1.0\n    repository: file://../child\n");
  write("app/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-app}\n");
  process::PosixProcessRunner runner;
  config::HelmRelease release = {.name = "deps", .chart_path = "app",
                                 .skip_build_dependencies = true};
  absl::StatusOr<ManifestSource> skipped =
      RenderHelm(&runner, {.path = helm}, release, {}, {.base_dir = dir});
  EXPECT_FALSE(skipped.ok()) << "helm template needs the dependency in charts/";
  release.skip_build_dependencies = false;
  absl::StatusOr<ManifestSource> built =
      RenderHelm(&runner, {.path = helm}, release, {}, {.base_dir = dir});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_THAT(built->text, HasSubstr("name: from-child"));
  EXPECT_THAT(built->text, HasSubstr("name: from-app"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace devloop::deploy::kubectl
