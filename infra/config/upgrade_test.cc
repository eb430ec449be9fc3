// Old skaffold.yaml schemas load, through the real loader, into the same Configs
// as the newest-schema file that means the same; what cannot be upgraded, and
// errors in upgraded fields, are reported at their place in the text as written.
#include "infra/config/upgrade.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/config/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/config/loader.h"
#include "infra/config/to_yaml.h"
#include "testing/configs/in_memory_config_files.h"

namespace devloop::config {

// Failures print configs as YAML.
void PrintTo(const Config& c, std::ostream* os) { *os << "\n" << ToYaml(c); }

namespace {

using ::testing::HasSubstr;

constexpr char kNewest[] = "apiVersion: skaffold/v4beta13\nkind: Config\n";

absl::StatusOr<std::vector<Config>> LoadText(const std::string& yaml, LoadOptions options = {}) {
  InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml", yaml);
  files.Add("/p/Dockerfile", "FROM scratch\nWORKDIR /app\n");
  for (const char* dir : {"/p/app", "/p/node", "/p/leeroy-web", "/p/leeroy-app", "/p/charts/web",
                          "/p/overlays/dev", "/p/overlays/prod"}) {
    files.AddDirectory(dir);
  }
  options.working_directory = "/p";
  return LoadConfigs(options, files);
}

// What a config means, without where it was written or which schema said it.
Config Meaning(Config c) {
  c.api_version.clear();
  c.active_profiles.clear();
  for (Artifact& a : c.build.artifacts) {
    a.pos = a.context_pos = {};
    if (a.sync) {
      for (SyncRule& r : a.sync->manual) r.pos = {};
    }
  }
  for (PortForward& pf : c.port_forward) pf.pos = {};
  for (ConfigDependency& d : c.required_configs) d.pos = {};
  if (c.deploy.kustomize) c.deploy.kustomize->pos = {};
  if (c.deploy.helm) {
    for (HelmRelease& r : c.deploy.helm->releases) r.pos = {};
  }
  return c;
}

std::string LoadError(const std::string& yaml) {
  absl::StatusOr<std::vector<Config>> configs = LoadText(yaml);
  if (configs.ok()) return "OK";
  return std::string(configs.status().message());
}

struct Case {
  const char* name;
  std::string old_yaml;
  std::string newest_yaml;  // without the apiVersion and kind lines
  std::vector<std::string> profiles = {};
};

// One case per step that rewrites a field devloop decodes, and whole configs of
// the shapes old projects have.
std::vector<Case> Cases() {
  return {
      {"v1alpha1: tagPolicy string, artifact docker fields, kubectl manifest paths",
       R"(apiVersion: skaffold/v1alpha1
kind: Config
build:
  tagPolicy: sha256
  artifacts:
  - imageName: web
    workspace: app
    dockerfilePath: web.Dockerfile
    buildArgs:
      MODE: dev
  - imageName: db
deploy:
  name: old
  kubectl:
    manifests:
    - paths: [k8s/web.yaml, k8s/db.yaml]
      parameters:
        TAG: x
    - paths: [k8s/more.yaml]
)",
       R"(build:
  tagPolicy:
    sha256: {}
  artifacts:
  - image: web
    context: app
    docker:
      dockerfile: web.Dockerfile
      buildArgs:
        MODE: dev
  - image: db
manifests:
  rawYaml: [k8s/web.yaml, k8s/db.yaml, k8s/more.yaml]
deploy:
  kubectl: {}
)"},
      {"v1alpha1: gitCommit tagger, local skipPush",
       R"(apiVersion: skaffold/v1alpha1
kind: Config
build:
  tagPolicy: gitCommit
  artifacts:
  - imageName: web
  local:
    skipPush: true
)",
       R"(build:
  tagPolicy:
    gitCommit: {}
  artifacts:
  - image: web
  local:
    push: false
)"},
      {"v1alpha2: helm valuesFilePath",
       R"(apiVersion: skaffold/v1alpha2
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      valuesFilePath: values-dev.yaml
      setValues: {replicas: "1"}
)",
       R"(manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      valuesFiles: [values-dev.yaml]
      setValues: {replicas: "1"}
deploy:
  helm: {}
)"},
      {"v1alpha2: helm valuesFilePath in a profile",
       R"(apiVersion: skaffold/v1alpha2
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      valuesFilePath: values-dev.yaml
profiles:
- name: prod
  deploy:
    helm:
      releases:
      - name: web
        chartPath: charts/web
        valuesFilePath: values-prod.yaml
)",
       R"(manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      valuesFiles: [values-prod.yaml]
deploy:
  helm: {}
)",
       {"prod"}},
      {"v1alpha3: imageName, workspace, dockerfilePath, skipPush, kustomizePath",
       R"(apiVersion: skaffold/v1alpha3
kind: Config
build:
  artifacts:
  - imageName: web
    workspace: app
    docker:
      dockerfilePath: Dockerfile.dev
      target: dev
  local:
    skipPush: false
    useBuildkit: true
deploy:
  kustomize:
    kustomizePath: overlays/dev
)",
       R"(build:
  artifacts:
  - image: web
    context: app
    docker:
      dockerfile: Dockerfile.dev
      target: dev
  local:
    push: true
    useBuildkit: true
manifests:
  kustomize:
    paths: [overlays/dev]
deploy:
  kubectl: {}
)"},
      {"v1alpha3: the same renames in a profile",
       R"(apiVersion: skaffold/v1alpha3
kind: Config
build:
  artifacts:
  - imageName: web
profiles:
- name: ci
  build:
    artifacts:
    - imageName: web
      workspace: app
    local:
      skipPush: true
  deploy:
    kustomize:
      kustomizePath: overlays/prod
)",
       R"(build:
  artifacts:
  - image: web
    context: app
  local:
    push: false
manifests:
  kustomize:
    paths: [overlays/prod]
)",
       {"ci"}},
      {"v1beta8: builder plugin and execution environment",
       R"(apiVersion: skaffold/v1beta8
kind: Config
build:
  artifacts:
  - image: web
    plugin:
      name: docker
      properties:
        dockerfile: Dockerfile.dev
        target: dev
  - image: db
    plugin:
      name: docker
  executionEnvironment:
    name: local
    properties:
      push: false
      useBuildkit: true
)",
       R"(build:
  artifacts:
  - image: web
    docker:
      dockerfile: Dockerfile.dev
      target: dev
  - image: db
    docker: {}
  local:
    push: false
    useBuildkit: true
)"},
      {"v1beta9: sync map becomes manual rules",
       R"(apiVersion: skaffold/v1beta9
kind: Config
build:
  artifacts:
  - image: web
    sync:
      '*.html': /www
      'static/*.css': /www/static
      'src/***/*.js': /app/
      'lib/**/*.py': /py
)",
       R"(build:
  artifacts:
  - image: web
    sync:
      manual:
      - {src: '*.html', dest: /www}
      - {src: 'static/*.css', dest: /www/}
      - {src: 'src/**/*.js', dest: /app/, strip: src/}
      - {src: 'lib/**/*.py', dest: /py}
)"},
      {"v2alpha2: kustomize path becomes paths, its flags go to kubectl",
       R"(apiVersion: skaffold/v2alpha2
kind: Config
deploy:
  kustomize:
    path: overlays/dev
    flags:
      apply: [--force]
)",
       R"(manifests:
  kustomize:
    paths: [overlays/dev]
deploy:
  kubectl:
    flags:
      apply: [--force]
)"},
      {"v2beta12: remote: false goes",
       R"(apiVersion: skaffold/v2beta12
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      remote: false
)",
       R"(manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
deploy:
  helm: {}
)"},
      {"v2beta29: kubectl manifests read as manifests.rawYaml",
       R"(apiVersion: skaffold/v2beta29
kind: Config
build:
  artifacts:
  - image: web
deploy:
  kubectl:
    manifests: [k8s/*.yaml]
    flags:
      global: [--v=2]
)",
       R"(build:
  artifacts:
  - image: web
manifests:
  rawYaml: [k8s/*.yaml]
deploy:
  kubectl:
    flags:
      global: [--v=2]
)"},
      {"v2beta3: helm values set the image through setValueTemplates",
       R"(apiVersion: skaffold/v2beta3
kind: Config
build:
  artifacts:
  - image: gcr.io/x/web
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      values:
        image: gcr.io/x/web
      setValues: {replicas: "1"}
)",
       R"(build:
  artifacts:
  - image: gcr.io/x/web
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      setValues: {replicas: "1"}
      setValueTemplates:
        image: "{{.IMAGE_FULLY_QUALIFIED_gcr_io_x_web}}"
deploy:
  helm: {}
)"},
      {"v2beta28: artifactOverrides, nested names and fqn strategy, beside setValueTemplates",
       R"(apiVersion: skaffold/v2beta28
kind: Config
build:
  artifacts:
  - image: web
  - image: worker
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides:
        image: web
        jobs:
          worker:
            image: worker
      imageStrategy:
        fqn: {}
      setValueTemplates:
        host: web.local
)",
       R"(build:
  artifacts:
  - image: web
  - image: worker
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      setValueTemplates:
        host: web.local
        image: "{{.IMAGE_FULLY_QUALIFIED_web}}"
        jobs.worker.image: "{{.IMAGE_FULLY_QUALIFIED_worker}}"
deploy:
  helm: {}
)"},
      // imageStrategy helm: Skaffold's upgrade sets <value>.repository and
      // <value>.tag (the tag with the digest, so that repository:tag is the
      // image built) from the image's variables.
      {"v2beta29: artifactOverrides under imageStrategy helm, nested names too",
       R"(apiVersion: skaffold/v2beta29
kind: Config
build:
  artifacts:
  - image: gcr.io/x/web
  - image: worker
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides:
        image: gcr.io/x/web
        jobs:
          image: worker
      imageStrategy:
        helm: {}
)",
       R"(build:
  artifacts:
  - image: gcr.io/x/web
  - image: worker
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      setValueTemplates:
        image.repository: "{{.IMAGE_REPO_gcr_io_x_web}}"
        image.tag: "{{.IMAGE_TAG_gcr_io_x_web}}@{{.IMAGE_DIGEST_gcr_io_x_web}}"
        jobs.image.repository: "{{.IMAGE_REPO_worker}}"
        jobs.image.tag: "{{.IMAGE_TAG_worker}}@{{.IMAGE_DIGEST_worker}}"
deploy:
  helm: {}
)"},
      // explicitRegistry: the registry apart too, the repository without it.
      {"v2beta26: imageStrategy helm with explicitRegistry, beside setValueTemplates",
       R"(apiVersion: skaffold/v2beta26
kind: Config
build:
  artifacts:
  - image: gcr.io/x/web
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides:
        image: gcr.io/x/web
      imageStrategy:
        helm:
          explicitRegistry: true
      setValueTemplates:
        host: web.local
)",
       R"(build:
  artifacts:
  - image: gcr.io/x/web
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      setValueTemplates:
        host: web.local
        image.registry: "{{.IMAGE_DOMAIN_gcr_io_x_web}}"
        image.repository: "{{.IMAGE_REPO_NO_DOMAIN_gcr_io_x_web}}"
        image.tag: "{{.IMAGE_TAG_gcr_io_x_web}}@{{.IMAGE_DIGEST_gcr_io_x_web}}"
deploy:
  helm: {}
)"},
      {"v2beta20: imageStrategy helm with explicitRegistry false, in a profile",
       R"(apiVersion: skaffold/v2beta20
kind: Config
build:
  artifacts:
  - image: web
profiles:
- name: helm
  deploy:
    helm:
      releases:
      - name: web
        chartPath: charts/web
        artifactOverrides:
          image: web
        imageStrategy:
          helm:
            explicitRegistry: false
)",
       R"(build:
  artifacts:
  - image: web
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      setValueTemplates:
        image.repository: "{{.IMAGE_REPO_web}}"
        image.tag: "{{.IMAGE_TAG_web}}@{{.IMAGE_DIGEST_web}}"
deploy:
  helm: {}
)",
       {"helm"}},
      // v3 has no imageStrategy; without overrides it said nothing.
      {"v2beta29: imageStrategy without artifactOverrides goes",
       R"(apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      imageStrategy:
        helm: {}
    - name: api
      chartPath: charts/web
      imageStrategy:
        fqn: {}
    - name: db
      chartPath: charts/web
      imageStrategy: {}
)",
       R"(manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
    - name: api
      chartPath: charts/web
    - name: db
      chartPath: charts/web
deploy:
  helm: {}
)"},
      // A profile's patch of an override under the helm strategy patches the
      // entries it became; a removal removes them all.
      {"v2beta29: a patch of an override under imageStrategy helm",
       R"(apiVersion: skaffold/v2beta29
kind: Config
build:
  artifacts:
  - image: web
  - image: registry.local:5000/api
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides:
        image: web
        sidecar:
          image: web
      imageStrategy:
        helm:
          explicitRegistry: true
profiles:
- name: api
  patches:
  - op: replace
    path: /deploy/helm/releases/0/artifactOverrides/image
    value: registry.local:5000/api
  - op: remove
    path: /deploy/helm/releases/0/artifactOverrides/sidecar/image
)",
       R"(build:
  artifacts:
  - image: web
  - image: registry.local:5000/api
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      setValueTemplates:
        image.registry: "{{.IMAGE_DOMAIN_registry_local_5000_api}}"
        image.repository: "{{.IMAGE_REPO_NO_DOMAIN_registry_local_5000_api}}"
        image.tag: "{{.IMAGE_TAG_registry_local_5000_api}}@{{.IMAGE_DIGEST_registry_local_5000_api}}"
deploy:
  helm: {}
)",
       {"api"}},
      {"v2beta28: artifactOverrides in a profile",
       R"(apiVersion: skaffold/v2beta28
kind: Config
build:
  artifacts:
  - image: web
deploy:
  kubectl: {}
profiles:
- name: helm
  deploy:
    helm:
      releases:
      - name: web
        chartPath: charts/web
        artifactOverrides:
          image: web
)",
       R"(build:
  artifacts:
  - image: web
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      setValueTemplates:
        image: "{{.IMAGE_FULLY_QUALIFIED_web}}"
deploy:
  helm: {}
)",
       {"helm"}},
      {"v1alpha3: patches of renamed fields follow them",
       R"(apiVersion: skaffold/v1alpha3
kind: Config
build:
  artifacts:
  - imageName: web
    workspace: app
    docker:
      dockerfilePath: Dockerfile.dev
  local:
    skipPush: true
profiles:
- name: ci
  patches:
  - op: replace
    path: /build/artifacts/0/workspace
    value: node
  - op: replace
    path: /build/artifacts/0/docker/dockerfilePath
    value: Dockerfile.ci
  - op: replace
    path: /build/local/skipPush
    value: false
)",
       R"(build:
  artifacts:
  - image: web
    context: node
    docker:
      dockerfile: Dockerfile.ci
  local:
    push: true
)",
       {"ci"}},
      {"v2alpha1: a patch of kustomize.path sets paths",
       R"(apiVersion: skaffold/v2alpha1
kind: Config
deploy:
  kustomize:
    path: overlays/dev
profiles:
- name: prod
  patches:
  - op: replace
    path: /deploy/kustomize/path
    value: overlays/prod
)",
       R"(manifests:
  kustomize:
    paths: [overlays/prod]
deploy:
  kubectl: {}
)",
       {"prod"}},
      {"v2beta2: patches of helm values patch the templates they became",
       R"(apiVersion: skaffold/v2beta2
kind: Config
build:
  artifacts:
  - image: web
  - image: api
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      values:
        image: web
profiles:
- name: api
  patches:
  - op: replace
    path: /deploy/helm/releases/0/values/image
    value: api
  - op: add
    path: /deploy/helm/releases/0/values/sidecar~1image
    value: web
)",
       R"(build:
  artifacts:
  - image: web
  - image: api
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      setValueTemplates:
        image: "{{.IMAGE_FULLY_QUALIFIED_api}}"
        sidecar/image: "{{.IMAGE_FULLY_QUALIFIED_web}}"
deploy:
  helm: {}
)",
       {"api"}},
      {"v2beta27: patches of nested artifactOverrides and of their removal",
       R"(apiVersion: skaffold/v2beta27
kind: Config
build:
  artifacts:
  - image: web
  - image: worker
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides:
        image: web
        jobs:
          image: web
profiles:
- name: worker
  patches:
  - op: replace
    path: /deploy/helm/releases/0/artifactOverrides/jobs/image
    value: worker
  - op: remove
    path: /deploy/helm/releases/0/artifactOverrides/image
)",
       R"(build:
  artifacts:
  - image: web
  - image: worker
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      setValueTemplates:
        jobs.image: "{{.IMAGE_FULLY_QUALIFIED_worker}}"
deploy:
  helm: {}
)",
       {"worker"}},
      {"v2beta29: patches of kubectl manifests stay valid (the decoder reads them in place)",
       R"(apiVersion: skaffold/v2beta29
kind: Config
deploy:
  kubectl:
    manifests: [k8s/web.yaml]
profiles:
- name: more
  patches:
  - op: add
    path: /deploy/kubectl/manifests/-
    value: k8s/more.yaml
)",
       R"(manifests:
  rawYaml: [k8s/web.yaml, k8s/more.yaml]
deploy:
  kubectl: {}
)",
       {"more"}},
      {"whole v1beta2 config: getting-started with a sync map and a profile",
       R"(apiVersion: skaffold/v1beta2
kind: Config
build:
  tagPolicy:
    gitCommit: {}
  artifacts:
  - image: gcr.io/k8s-skaffold/node-example
    context: node
    sync:
      '*.js': .
      'public/*.html': /app/public
  local:
    push: false
deploy:
  kubectl:
    manifests:
    - k8s/deployment.yaml
    - k8s/service.yaml
profiles:
- name: buildkit
  build:
    artifacts:
    - image: gcr.io/k8s-skaffold/node-example
      context: node
      docker:
        dockerfile: Dockerfile.buildkit
      sync:
        '*.js': .
    local:
      useBuildkit: true
)",
       R"(build:
  tagPolicy:
    gitCommit: {}
  artifacts:
  - image: gcr.io/k8s-skaffold/node-example
    context: node
    docker:
      dockerfile: Dockerfile.buildkit
    sync:
      manual:
      - src: '*.js'
        dest: .
  local:
    useBuildkit: true
manifests:
  rawYaml:
  - k8s/deployment.yaml
  - k8s/service.yaml
deploy:
  kubectl: {}
)",
       {"buildkit"}},
      {"whole v1beta2 config: getting-started without the profile",
       R"(apiVersion: skaffold/v1beta2
kind: Config
build:
  artifacts:
  - image: gcr.io/k8s-skaffold/node-example
    context: node
    sync:
      '*.js': .
      'public/*.html': /app/public
deploy:
  kubectl:
    manifests:
    - k8s/deployment.yaml
)",
       R"(build:
  artifacts:
  - image: gcr.io/k8s-skaffold/node-example
    context: node
    sync:
      manual:
      - src: '*.js'
        dest: .
      - src: 'public/*.html'
        dest: /app/
manifests:
  rawYaml: [k8s/deployment.yaml]
deploy:
  kubectl: {}
)"},
      {"whole v2alpha1 config: microservices with kustomize and a prod profile",
       R"(apiVersion: skaffold/v2alpha1
kind: Config
build:
  artifacts:
  - image: leeroy-web
    context: leeroy-web
  - image: leeroy-app
    context: leeroy-app
deploy:
  kustomize:
    path: overlays/dev
portForward:
- resourceType: deployment
  resourceName: leeroy-web
  port: 8080
  localPort: 9000
profiles:
- name: prod
  deploy:
    kustomize:
      path: overlays/prod
)",
       R"(build:
  artifacts:
  - image: leeroy-web
    context: leeroy-web
  - image: leeroy-app
    context: leeroy-app
manifests:
  kustomize:
    paths: [overlays/prod]
deploy:
  kubectl: {}
portForward:
- resourceType: deployment
  resourceName: leeroy-web
  port: 8080
  localPort: 9000
)",
       {"prod"}},
      {"whole v2beta9 config: helm with values files and templates",
       R"(apiVersion: skaffold/v2beta9
kind: Config
build:
  tagPolicy:
    envTemplate:
      template: "dev-{{.USER}}"
  artifacts:
  - image: web
    docker:
      dockerfile: Dockerfile
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      remote: false
      valuesFiles: [values.yaml]
      setValueTemplates:
        image.tag: "{{.IMAGE_TAG_web}}"
      namespace: web
  statusCheckDeadlineSeconds: 120
portForward:
- resourceType: service
  resourceName: web
  namespace: web
  port: 80
  localPort: 8080
)",
       R"(build:
  tagPolicy:
    envTemplate:
      template: "dev-{{.USER}}"
  artifacts:
  - image: web
    docker:
      dockerfile: Dockerfile
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      valuesFiles: [values.yaml]
      setValueTemplates:
        image.tag: "{{.IMAGE_TAG_web}}"
      namespace: web
deploy:
  helm: {}
  statusCheckDeadlineSeconds: 120
portForward:
- resourceType: service
  resourceName: web
  namespace: web
  port: 80
  localPort: 8080
)"},
  };
}

TEST(UpgradeTest, OldConfigsMeanWhatTheirNewestEquivalentsMean) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    LoadOptions options;
    options.profiles = c.profiles;
    absl::StatusOr<std::vector<Config>> old_configs = LoadText(c.old_yaml, options);
    absl::StatusOr<std::vector<Config>> newest = LoadText(kNewest + c.newest_yaml);
    // Not ASSERT: every case runs even when one fails.
    if (!old_configs.ok() || !newest.ok() || old_configs->size() != 1 || newest->size() != 1) {
      ADD_FAILURE() << "old: " << old_configs.status() << "\nnewest: " << newest.status();
      continue;
    }
    EXPECT_EQ(Meaning((*old_configs)[0]), Meaning((*newest)[0]));
  }
}

TEST(UpgradeTest, ConfigKeepsTheApiVersionAsWritten) {
  absl::StatusOr<std::vector<Config>> configs =
      LoadText("apiVersion: skaffold/v1beta2\nkind: Config\n");
  ASSERT_TRUE(configs.ok()) << configs.status();
  EXPECT_EQ((*configs)[0].api_version, "skaffold/v1beta2");
}

TEST(UpgradeTest, MovedFieldsKeepTheirPlaceInTheFile) {
  absl::StatusOr<std::vector<Config>> configs = LoadText(R"(apiVersion: skaffold/v1alpha3
kind: Config
build:
  artifacts:
  - imageName: web
    workspace: app
)");
  ASSERT_TRUE(configs.ok()) << configs.status();
  const Artifact& web = (*configs)[0].build.artifacts[0];
  EXPECT_EQ(web.pos, (SourcePos{"skaffold.yaml", 5, 16}));          // imageName's value
  EXPECT_EQ(web.context_pos, (SourcePos{"skaffold.yaml", 6, 16}));  // workspace's value

  configs = LoadText(R"(apiVersion: skaffold/v1beta9
kind: Config
build:
  artifacts:
  - image: web
    sync:
      '*.html': /www
      'static/*.css': /www/static
)");
  ASSERT_TRUE(configs.ok()) << configs.status();
  const Sync& sync = *(*configs)[0].build.artifacts[0].sync;
  ASSERT_EQ(sync.manual.size(), 2u);
  EXPECT_EQ(sync.manual[0].pos, (SourcePos{"skaffold.yaml", 7, 7}));  // the pattern
  EXPECT_EQ(sync.manual[1].pos, (SourcePos{"skaffold.yaml", 8, 7}));
}

TEST(UpgradeTest, ErrorsInUpgradedFieldsPointAtTheTextAsWritten) {
  // skipPush becomes push: the bad value is still on line 7.
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v1alpha3
kind: Config
build:
  artifacts:
  - imageName: web
  local:
    skipPush: maybe
)"),
            "skaffold.yaml:7:15: build.local.push: expected true or false, got \"maybe\"");
  // kaniko becomes the cluster build, which devloop refuses at the key written.
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v1beta6
kind: Config
build:
  artifacts:
  - image: web
  kaniko:
    buildContext:
      gcsBucket: b
)"),
            "skaffold.yaml:6:3: build.cluster: in-cluster builds are not supported by devloop "
            "(use local)");
  // helm values become artifactOverrides, then setValueTemplates.
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v2beta3
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      values:
        image: [web]
)"),
            "skaffold.yaml:9:16: deploy.helm.releases[0].artifactOverrides.image: expected an "
            "artifact's image, got a list");
  // A patch follows its field's rename: it meets the decoder's refusal of jib,
  // not an unknown field jibMaven.
  LoadOptions jib;
  jib.profiles = {"jib"};
  absl::StatusOr<std::vector<Config>> configs = LoadText(R"(apiVersion: skaffold/v1beta13
kind: Config
build:
  artifacts:
  - image: web
profiles:
- name: jib
  patches:
  - op: add
    path: /build/artifacts/0/jibMaven
    value: {}
)",
                                                         jib);
  EXPECT_THAT(configs.status().message(),
              HasSubstr("build.artifacts[0].jib: jib builds are not supported by devloop"));
  // jibMaven becomes jib.
  EXPECT_THAT(LoadError(R"(apiVersion: skaffold/v1beta13
kind: Config
build:
  artifacts:
  - image: web
    jibMaven: {module: m}
)"),
              HasSubstr("skaffold.yaml:6:5: build.artifacts[0].jib: jib builds are not "
                        "supported by devloop"));
  // A remote chart names it in remoteChart.
  EXPECT_THAT(LoadError(R"(apiVersion: skaffold/v2beta12
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: stable/nginx
      remote: true
)"),
              HasSubstr("skaffold.yaml:7:7: deploy.helm.releases[0].remoteChart: remote charts "
                        "are not supported by devloop"));
}

TEST(UpgradeTest, FieldsThatCannotBeUpgradedAreErrorsAtTheirPlace) {
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v1beta8
kind: Config
build:
  artifacts:
  - image: web
    plugin:
      name: kaniko
)"),
            "skaffold.yaml:7:13: build.artifacts[0].plugin.name: \"kaniko\" cannot be upgraded "
            "from skaffold/v1beta8 to skaffold/v1beta9 (expected bazel or docker)");
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v2beta29
kind: Config
deploy:
  kubectl: {}
profiles:
- name: kpt
  deploy:
    kpt:
      dir: config
)"),
            "skaffold.yaml:8:5: profiles[0].deploy.kpt: cannot be upgraded from "
            "skaffold/v2beta29 to skaffold/v3alpha1 (Skaffold cannot convert kpt deploys "
            "either); devloop deploys with kubectl, kustomize, helm or docker");
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v1alpha1
kind: Config
build:
  tagPolicy: latest
)"),
            "skaffold.yaml:4:14: build.tagPolicy: \"latest\" cannot be upgraded from "
            "skaffold/v1alpha1 (expected sha256 or gitCommit)");
  // A patch of a whole artifactOverrides map would replace the templates too.
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides: {image: web}
profiles:
- name: api
  patches:
  - op: replace
    path: /deploy/helm/releases/0/artifactOverrides
    value: {image: api}
)"),
            "skaffold.yaml:13:11: profiles[0].patches[0].path: "
            "\"/deploy/helm/releases/0/artifactOverrides\" cannot be upgraded from "
            "skaffold/v2beta29 to skaffold/v3alpha1: artifactOverrides become "
            "setValueTemplates, and a patch of the whole map would replace the templates "
            "written there too; patch each value (/deploy/helm/releases/0/artifactOverrides/NAME)");
  // An override and a template of the same value: which one is meant is unclear.
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides: {image: web}
      setValueTemplates: {image: "{{.IMAGE_FULLY_QUALIFIED_web}}"}
)"),
            "skaffold.yaml:8:27: deploy.helm.releases[0].artifactOverrides.image: cannot be "
            "upgraded from skaffold/v2beta29 to skaffold/v3alpha1: it becomes "
            "setValueTemplates.image, which is set too");
  // Under imageStrategy helm an override becomes <value>.tag and
  // <value>.repository: one the user wrote too is unclear in the same way.
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides: {image: web}
      imageStrategy: {helm: {}}
      setValueTemplates: {image.tag: dev}
)"),
            "skaffold.yaml:8:27: deploy.helm.releases[0].artifactOverrides.image: cannot be "
            "upgraded from skaffold/v2beta29 to skaffold/v3alpha1: it becomes "
            "setValueTemplates.image.tag, which is set too");
  // Under the helm strategy one patch becomes several: only add, replace and
  // remove say what each of them does.
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides: {image: web, sidecar: web}
      imageStrategy: {helm: {}}
profiles:
- name: copy
  patches:
  - op: copy
    from: /deploy/helm/releases/0/artifactOverrides/sidecar
    path: /deploy/helm/releases/0/artifactOverrides/image
)"),
            "skaffold.yaml:13:9: profiles[0].patches[0].op: \"copy\" cannot be upgraded from "
            "skaffold/v2beta29 to skaffold/v3alpha1 for a release with imageStrategy helm "
            "(expected add, replace or remove)");
  // An imageStrategy Skaffold's schema does not have.
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides: {image: web}
      imageStrategy:
        helm: {explicitRegistry: maybe}
)"),
            "skaffold.yaml:10:34: deploy.helm.releases[0].imageStrategy.helm: expected "
            "explicitRegistry: true or false, got \"maybe\"");
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      imageStrategy: {fqn: {}, helm: {}}
)"),
            "skaffold.yaml:8:22: deploy.helm.releases[0].imageStrategy: expected one of fqn: {} "
            "or helm: {}, not both");
  // From v3 on imageStrategy is no field (Skaffold v2 has none either).
  EXPECT_THAT(LoadError(R"(apiVersion: skaffold/v3
kind: Config
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      imageStrategy: {helm: {}}
)"),
              HasSubstr("skaffold.yaml:8:7: manifests.helm.releases[0].imageStrategy: "
                        "imageStrategy is not supported by devloop: write setValueTemplates with "
                        "IMAGE_REPO_<name> and IMAGE_TAG_<name>"));
  // From v3 on artifactOverrides is no field: written there, it is refused.
  EXPECT_THAT(LoadError(R"(apiVersion: skaffold/v3
kind: Config
manifests:
  helm:
    releases:
    - name: web
      chartPath: charts/web
      artifactOverrides: {image: web}
)"),
              HasSubstr("skaffold.yaml:8:7: manifests.helm.releases[0].artifactOverrides: "
                        "artifactOverrides is not supported by devloop"));
  // The old name and its new one both written: which one is meant is unclear.
  EXPECT_EQ(LoadError(R"(apiVersion: skaffold/v1alpha3
kind: Config
build:
  artifacts:
  - imageName: web
    image: api
)"),
            "skaffold.yaml:5:5: build.artifacts[0].imageName: cannot be upgraded from "
            "skaffold/v1alpha3 to skaffold/v1alpha4: it becomes image, which is set too");
}

TEST(UpgradeTest, UnknownApiVersionListsWhatIsRead) {
  EXPECT_EQ(LoadError("apiVersion: skaffold/v2beta30\nkind: Config\n"),
            "skaffold.yaml:1:13: unsupported apiVersion \"skaffold/v2beta30\" (expected "
            "skaffold/v1alpha1 ... skaffold/v1alpha5, skaffold/v1beta1 ... skaffold/v1beta17, "
            "skaffold/v1, skaffold/v2alpha1 ... skaffold/v2alpha4, skaffold/v2beta1 ... "
            "skaffold/v2beta29, skaffold/v3alpha1, skaffold/v3, or skaffold/v4beta1 ... "
            "skaffold/v4beta13)");
}

TEST(UpgradeTest, EveryVersionSkaffoldReadsIsReadable) {
  std::vector<std::string> versions;
  for (int i = 1; i <= 5; ++i) versions.push_back(absl::StrCat("skaffold/v1alpha", i));
  for (int i = 1; i <= 17; ++i) versions.push_back(absl::StrCat("skaffold/v1beta", i));
  versions.push_back("skaffold/v1");
  for (int i = 1; i <= 4; ++i) versions.push_back(absl::StrCat("skaffold/v2alpha", i));
  for (int i = 1; i <= 29; ++i) versions.push_back(absl::StrCat("skaffold/v2beta", i));
  versions.push_back("skaffold/v3alpha1");
  versions.push_back("skaffold/v3");
  for (int i = 1; i <= 13; ++i) versions.push_back(absl::StrCat("skaffold/v4beta", i));
  for (const std::string& v : versions) {
    EXPECT_TRUE(internal::IsReadableApiVersion(v)) << v;
    // Each upgrades through every later step to a config that loads.
    EXPECT_EQ(LoadError(absl::StrCat("apiVersion: ", v, "\nkind: Config\n")), "OK") << v;
  }
  for (const char* v : {"skaffold/v1beta18", "skaffold/v2alpha5", "skaffold/v4beta14",
                        "skaffold/v4", "v2beta1", "skaffold/v2beta01"}) {
    EXPECT_FALSE(internal::IsReadableApiVersion(v)) << v;
  }
  EXPECT_EQ(internal::NewestApiVersion(), "skaffold/v4beta13");
}

}  // namespace
}  // namespace devloop::config
