// Render as tables of manifests in, exact YAML and objects out; ReadManifests on
// files under the test's temporary directory.
#include "infra/deploy/kubectl/manifests.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::deploy::kubectl {

void PrintTo(const Rendered& r, std::ostream* os) {
  *os << "\n" << r.yaml << "objects:";
  for (const ObjectRef& o : r.objects) *os << " " << o << ";";
}

namespace {

using ::testing::ElementsAre;

const RenderOptions kRunOptions = {
    .images = {{"web", "127.0.0.1:5000/web:3f2a@sha256:abcd"},
               {"gcr.io/x/api", "gcr.io/x/api:v2"},
               {"localhost:5000/db", "localhost:5000/db:7"}},
    .labels = {{"app.kubernetes.io/managed-by", "devloop"}, {"dev.devloop.run-id", "3f2a9c01"}},
};

// Renders one source named k8s/test.yaml.
absl::StatusOr<Rendered> RenderOne(const std::string& text,
                                   const RenderOptions& options = kRunOptions) {
  return Render({{"k8s/test.yaml", text}}, options);
}

struct Case {
  const char* name;
  std::string in;
  std::string want_yaml;
  std::vector<ObjectRef> want_objects;
};

TEST(RenderTest, Table) {
  const Case cases[] = {
      {"a Deployment and a Service; images by name, tag or digest; labels overwritten",
       R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
    dev.devloop.run-id: old
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels:
        app: web
    spec:
      initContainers:
        - name: migrate
          image: web:v1
      containers:
        - name: web
          image: web@sha256:0123
        - name: web2
          image: web2
        - name: other-registry
          image: x/web:v1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
)",
       R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
    dev.devloop.run-id: "3f2a9c01"
    app.kubernetes.io/managed-by: devloop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        app.kubernetes.io/managed-by: devloop
        dev.devloop.run-id: "3f2a9c01"
    spec:
      initContainers:
        - name: migrate
          image: "127.0.0.1:5000/web:3f2a@sha256:abcd"
      containers:
        - name: web
          image: "127.0.0.1:5000/web:3f2a@sha256:abcd"
        - name: web2
          image: web2
        - name: other-registry
          image: x/web:v1
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app.kubernetes.io/managed-by: devloop
    dev.devloop.run-id: "3f2a9c01"
spec:
  ports:
    - port: 80
)",
       {{"apps/v1", "Deployment", "web", "shop"}, {"v1", "Service", "web", ""}}},

      {"a CronJob: its job template and pod template get the labels",
       R"(apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: gcr.io/x/api:latest
)",
       R"(apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  labels:
    app.kubernetes.io/managed-by: devloop
    dev.devloop.run-id: "3f2a9c01"
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: gcr.io/x/api:v2
        metadata:
          labels:
            app.kubernetes.io/managed-by: devloop
            dev.devloop.run-id: "3f2a9c01"
    metadata:
      labels:
        app.kubernetes.io/managed-by: devloop
        dev.devloop.run-id: "3f2a9c01"
)",
       {{"batch/v1", "CronJob", "nightly", ""}}},

      {"a List is flattened; a registry port is part of the name; strings stay strings",
       R"(apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: db
    spec:
      containers:
        - name: db
          image: localhost:5000/db
          env:
            - {name: DEBUG, value: "true"}
            - {name: PORT, value: '5432'}
            - {name: HEX, value: "0x1F"}
            - {name: EMPTY, value: ""}
            - {name: NAME, value: "db"}
            - {name: TIME, value: "12:30"}
          args: [--verbose, "--level=2"]
          tty: true
        - name: proxy
          image: localhost:5000/db-proxy:1
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: db-init
    data:
      init.sql: |
        CREATE TABLE t (id int);
        INSERT INTO t VALUES (1);
      note: "two\nlines"
)",
       R"(apiVersion: v1
kind: Pod
metadata:
  name: db
  labels:
    app.kubernetes.io/managed-by: devloop
    dev.devloop.run-id: "3f2a9c01"
spec:
  containers:
    - name: db
      image: localhost:5000/db:7
      env:
        - name: DEBUG
          value: "true"
        - name: PORT
          value: "5432"
        - name: HEX
          value: "0x1F"
        - name: EMPTY
          value: ""
        - name: NAME
          value: db
        - name: TIME
          value: "12:30"
      args:
        - --verbose
        - "--level=2"
      tty: true
    - name: proxy
      image: localhost:5000/db-proxy:1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: db-init
  labels:
    app.kubernetes.io/managed-by: devloop
    dev.devloop.run-id: "3f2a9c01"
data:
  init.sql: |
    CREATE TABLE t (id int);
    INSERT INTO t VALUES (1);
  note: "two\nlines"
)",
       {{"v1", "Pod", "db", ""}, {"v1", "ConfigMap", "db-init", ""}}},

      {"empty documents and comments are skipped; a StatefulSet without labels gets them",
       R"(---
# nothing here
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: cache
spec:
  template:
    spec:
      containers:
      - name: cache
        image: web:latest
---
)",
       R"(apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: cache
  labels:
    app.kubernetes.io/managed-by: devloop
    dev.devloop.run-id: "3f2a9c01"
spec:
  template:
    spec:
      containers:
        - name: cache
          image: "127.0.0.1:5000/web:3f2a@sha256:abcd"
    metadata:
      labels:
        app.kubernetes.io/managed-by: devloop
        dev.devloop.run-id: "3f2a9c01"
)",
       {{"apps/v1", "StatefulSet", "cache", ""}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Rendered> got = RenderOne(c.in);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->yaml, c.want_yaml);
    EXPECT_EQ(got->objects, c.want_objects);
  }
}

TEST(RenderTest, WithoutImagesOrLabelsOnlyNormalizesTheText) {
  absl::StatusOr<Rendered> got = RenderOne(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
      "  - {name: c, image: web}\n",
      RenderOptions{});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->yaml,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
            "    - name: c\n      image: web\n");
}

TEST(RenderTest, SourcesAreJoinedInOrder) {
  absl::StatusOr<Rendered> got =
      Render({{"a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"},
              {"b.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}\n"}},
             RenderOptions{});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->yaml,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n"
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n");
  EXPECT_THAT(got->objects, ElementsAre(ObjectRef{"v1", "Namespace", "shop", ""},
                                        ObjectRef{"v1", "ServiceAccount", "web", ""}));
}

TEST(RenderTest, ASourcesNamespaceGoesOnNamespacedObjectsThatNameNone) {
  absl::StatusOr<Rendered> got = Render(
      {{"helm release web",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\n"
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b, namespace: other}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: c}\n",
        "web"}},
      RenderOptions{});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(got->objects,
              ElementsAre(ObjectRef{"v1", "ServiceAccount", "a", "web"},
                          ObjectRef{"v1", "ServiceAccount", "b", "other"},
                          ObjectRef{"rbac.authorization.k8s.io/v1", "ClusterRole", "c", ""}));
  EXPECT_THAT(got->yaml, ::testing::HasSubstr("name: a\n  namespace: web\n"));
}

TEST(RenderTest, NothingToRender) {
  absl::StatusOr<Rendered> got = Render({{"empty.yaml", "# only a comment\n"}}, kRunOptions);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, Rendered{});
}

TEST(RenderTest, Errors) {
  const std::pair<std::string, std::string> cases[] = {
      {"apiVersion: v1\nkind: Pod\nmetadata:\n  name: [p\n",
       "k8s/test.yaml:5:1: invalid YAML: end of sequence flow not found"},
      {"apiVersion: v1\nmetadata: {name: p}\n",
       "k8s/test.yaml:1:1: the object has no kind (every object needs apiVersion, kind and "
       "metadata.name)"},
      {"kind: Pod\nmetadata: {name: p}\n",
       "k8s/test.yaml:1:1: Pod has no apiVersion (every object needs apiVersion, kind and "
       "metadata.name)"},
      {"apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\n",
       "k8s/test.yaml:4:3: Pod has no metadata.name (every object needs apiVersion, kind and "
       "metadata.name)"},
      {"apiVersion: v1\nkind: Pod\n",
       "k8s/test.yaml:1:1: Pod has no metadata.name (every object needs apiVersion, kind and "
       "metadata.name)"},
      {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n- a\n- b\n",
       "k8s/test.yaml:5:1: expected a Kubernetes object, got a list (every object needs "
       "apiVersion, kind and metadata.name)"},
      {"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: [a]\n",
       "k8s/test.yaml:5:11: metadata.labels: expected a map, got a list"},
      {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
       "    metadata: nope\n",
       "k8s/test.yaml:6:15: spec.template.metadata: expected a map, got \"nope\""},
      {"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n",
       "k8s/test.yaml:4:3: Pod has no metadata.name (every object needs apiVersion, kind and "
       "metadata.name)"},
      {"apiVersion: v1\nkind: List\nitems: {a: b}\n",
       "k8s/test.yaml:3:8: items of a List: expected a list, got a map"},
      // yaml-cpp 0.7 would loop forever on this without the loader's guard.
      {",x\n", "k8s/test.yaml:1:1: invalid YAML: unexpected \",\" (expected a key, a value or "
               "a list item)"},
  };
  for (const auto& [in, want] : cases) {
    absl::StatusOr<Rendered> got = RenderOne(in);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << in;
    EXPECT_EQ(got.status().message(), want) << in;
  }
}

// Aliases can make a small manifest expand into billions of values; rendering
// stops at a million with an error instead of running out of memory.
TEST(RenderTest, AliasExpansionIsBounded) {
  std::string yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\na: &a [x";
  for (int i = 0; i < 9; ++i) yaml += ",x";
  yaml += "]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'h'; ++c, ++prev) {
    yaml += std::string(1, c) + ": &" + c + " [*" + prev;
    for (int i = 0; i < 9; ++i) yaml += ",*" + std::string(1, prev);
    yaml += "]\n";
  }
  absl::StatusOr<Rendered> got = RenderOne(yaml);
  EXPECT_EQ(got.status().message(),
            "k8s/test.yaml:1:1: the manifests expand to more than a million values (check "
            "anchors and aliases)");
}

TEST(ImageReferenceTest, SplitsAsDockerDoes) {
  const std::pair<std::string, ImageReference> cases[] = {
      {"web", {"web", "", ""}},
      {"web:v1", {"web", "v1", ""}},
      {"web@sha256:ab", {"web", "", "sha256:ab"}},
      {"web:v1@sha256:ab", {"web", "v1", "sha256:ab"}},
      {"localhost:5000/web", {"localhost:5000/web", "", ""}},
      {"localhost:5000/web:1", {"localhost:5000/web", "1", ""}},
      {"gcr.io/x/web:v1.2-dirty", {"gcr.io/x/web", "v1.2-dirty", ""}},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(ParseImageReference(in), want) << in;
}

TEST(IsWorkloadKindTest, TheKindsWithPodSpecs) {
  for (const char* kind :
       {"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"}) {
    EXPECT_TRUE(IsWorkloadKind(kind)) << kind;
  }
  for (const char* kind : {"Service", "ConfigMap", "List", "deployment", ""}) {
    EXPECT_FALSE(IsWorkloadKind(kind)) << kind;
  }
}

class ReadManifestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/project";
    std::filesystem::remove_all(dir_);
    for (const char* file : {"k8s/a.yaml", "k8s/b.yaml", "k8s/sub/c.yaml", "k8s/notes.txt",
                             "k8s/v1.yaml", "k8s/v2.yaml", "other/deep/x/d.yaml"}) {
      Write(file, std::string("# ") + file + "\n");
    }
  }

  void Write(const std::string& rel, const std::string& text) {
    const std::filesystem::path path = std::filesystem::path(dir_) / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  // Returns the paths of what ReadManifests read, or its error message.
  std::vector<std::string> Paths(const std::vector<std::string>& globs) {
    absl::StatusOr<std::vector<ManifestSource>> got = ReadManifests(globs, dir_);
    if (!got.ok()) return {std::string(got.status().message())};
    std::vector<std::string> paths;
    for (const ManifestSource& s : *got) paths.push_back(s.path);
    return paths;
  }

  std::string dir_;
};

TEST_F(ReadManifestsTest, GlobsInOrderSortedWithinEachFileReadOnce) {
  EXPECT_THAT(Paths({"k8s/*.yaml"}), ElementsAre("k8s/a.yaml", "k8s/b.yaml", "k8s/v1.yaml",
                                                 "k8s/v2.yaml"));
  EXPECT_THAT(Paths({"k8s/v?.yaml", "k8s/[ab].yaml", "k8s/a.yaml"}),
              ElementsAre("k8s/v1.yaml", "k8s/v2.yaml", "k8s/a.yaml", "k8s/b.yaml"));
  EXPECT_THAT(Paths({"**/*.yaml"}),
              ElementsAre("k8s/a.yaml", "k8s/b.yaml", "k8s/sub/c.yaml", "k8s/v1.yaml",
                          "k8s/v2.yaml", "other/deep/x/d.yaml"));
  EXPECT_THAT(Paths({"k8s/**"}),
              ElementsAre("k8s/a.yaml", "k8s/b.yaml", "k8s/notes.txt", "k8s/sub/c.yaml",
                          "k8s/v1.yaml", "k8s/v2.yaml"));
  EXPECT_THAT(Paths({"*/*/*/d.yaml", "./k8s//sub/c.yaml"}),
              ElementsAre("other/deep/x/d.yaml", "k8s/sub/c.yaml"));
}

TEST_F(ReadManifestsTest, ReadsTheText) {
  absl::StatusOr<std::vector<ManifestSource>> got = ReadManifests({"k8s/a.yaml"}, dir_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(ManifestSource{"k8s/a.yaml", "# k8s/a.yaml\n"}));
}

TEST_F(ReadManifestsTest, AbsoluteGlobsKeepTheirPath) {
  EXPECT_THAT(Paths({dir_ + "/k8s/sub/*.yaml"}), ElementsAre(dir_ + "/k8s/sub/c.yaml"));
}

TEST_F(ReadManifestsTest, AGlobMatchingNothingIsAnError) {
  EXPECT_THAT(Paths({"k8s/*.yaml", "deploy/*.yaml"}),
              ElementsAre("manifests glob \"deploy/*.yaml\" matches no file in " + dir_ +
                          " (an empty deploy is never what was meant: fix the glob or remove "
                          "it)"));
  // A directory is not a manifest.
  EXPECT_THAT(Paths({"k8s/sub"}),
              ElementsAre("manifests glob \"k8s/sub\" matches no file in " + dir_ +
                          " (an empty deploy is never what was meant: fix the glob or remove "
                          "it)"));
  absl::StatusOr<std::vector<ManifestSource>> got = ReadManifests({"nope.yaml"}, dir_);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReadManifestsTest, AMalformedGlobIsAnError) {
  absl::StatusOr<std::vector<ManifestSource>> got = ReadManifests({"k8s/[a.yaml"}, dir_);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(got.status().message()),
              ::testing::StartsWith("manifests glob \"k8s/[a.yaml\" is malformed: "));
}

// What ReadManifests finds, Render takes: the path in errors is the glob's.
TEST_F(ReadManifestsTest, ErrorsOfRenderNameTheFile) {
  Write("bad/web.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  labels: {}\n");
  absl::StatusOr<std::vector<ManifestSource>> sources = ReadManifests({"bad/*.yaml"}, dir_);
  ASSERT_TRUE(sources.ok()) << sources.status();
  EXPECT_EQ(Render(*sources, kRunOptions).status().message(),
            "bad/web.yaml:4:3: Service has no metadata.name (every object needs apiVersion, "
            "kind and metadata.name)");
}

}  // namespace
}  // namespace devloop::deploy::kubectl
