// RewriteForDebug as tables of rendered manifests in, exact YAML, debugged
// workloads and skipped containers out.
#include "infra/deploy/kubectl/debug_manifests.h"

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::deploy::kubectl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kGo[] = "127.0.0.1:5000/app:1";
constexpr char kPy[] = "127.0.0.1:5000/py:1";
constexpr char kPlain[] = "127.0.0.1:5000/plain:1";

// The images of the run as Docker would describe them.
const std::map<std::string, ImageRunConfig>& Images() {
  static const auto* images = new std::map<std::string, ImageRunConfig>{
      {kGo, {.entrypoint = {"/app"}, .env = {"GOTRACEBACK=single"}, .working_dir = "/work"}},
      {kPy, {.cmd = {"python3", "main.py"}, .env = {"PATH=/usr/bin"}, .working_dir = "/srv"}},
      {kPlain, {.entrypoint = {"/server"}}},
  };
  return *images;
}

DebugManifestOptions Options() {
  return {.images = {{"app", kGo}, {"py", kPy}, {"plain", kPlain}},
          .image_config = [](const std::string& ref) -> absl::StatusOr<ImageRunConfig> {
            auto it = Images().find(ref);
            if (it == Images().end()) return absl::NotFoundError(absl::StrCat("no image ", ref));
            return it->second;
          },
          .support_image = [](const std::string& support) -> absl::StatusOr<SupportImage> {
            return SupportImage{.reference = "devloop-debug-support:" + support,
                                .pull_policy = "Never"};
          }};
}

struct Case {
  const char* name;
  std::string in;
  std::string want;  // empty: the same as `in`
  std::vector<DebugWorkload> workloads;
  std::vector<std::string> skipped;
};

debug::ContainerDebugConfig GoConfig(const std::string& artifact, uint32_t port,
                                     const std::string& dir = "/work") {
  return {.artifact = artifact, .runtime = "go", .working_dir = dir, .ports = {{"dlv", port}}};
}

class RewriteForDebugTest : public ::testing::TestWithParam<Case> {};

TEST_P(RewriteForDebugTest, Rewrites) {
  const Case& c = GetParam();
  absl::StatusOr<DebugManifests> got = RewriteForDebug(c.in, Options());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->yaml, c.want.empty() ? c.in : c.want) << got->yaml;
  EXPECT_EQ(got->workloads, c.workloads);
  ASSERT_EQ(got->skipped.size(), c.skipped.size()) << ::testing::PrintToString(got->skipped);
  for (size_t i = 0; i < c.skipped.size(); ++i) {
    EXPECT_THAT(got->skipped[i], ::testing::StartsWith(c.skipped[i]));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RewriteForDebugTest,
    ::testing::Values(
        Case{.name = "GoDeploymentFromTheImageEntrypoint",
             .in = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: "127.0.0.1:5000/app:1"
          ports:
            - containerPort: 8080
)",
             .want = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels:
        app: web
      annotations:
        debug.cloud.google.com/config: "{\"web\":{\"artifact\":\"app\",\"runtime\":\"go\",\"workingDir\":\"/work\",\"ports\":{\"dlv\":56268}}}"
    spec:
      containers:
        - name: web
          image: "127.0.0.1:5000/app:1"
          ports:
            - containerPort: 8080
            - name: dlv
              containerPort: 56268
          command:
            - /dbg/go/bin/dlv
            - exec
            - "--headless"
            - "--continue"
            - "--accept-multiclient"
            - "--listen=:56268"
            - "--api-version=2"
            - /app
          volumeMounts:
            - name: debugging-support-files
              mountPath: /dbg
      volumes:
        - name: debugging-support-files
          emptyDir:
            {}
      initContainers:
        - name: install-go-debug-support
          image: devloop-debug-support:go
          imagePullPolicy: Never
          command:
            - /bin/cp
            - "-a"
            - /dbg/go
            - /devloop-dbg/
          volumeMounts:
            - name: debugging-support-files
              mountPath: /devloop-dbg
)",
             .workloads = {{.kind = "Deployment",
                            .name = "web",
                            .containers = {{"web", GoConfig("app", 56268)}}}}},
        // A command replaces the image's entrypoint and drops its cmd; args
        // follow the binary after "--". Env from the manifest counts.
        Case{.name = "ManifestCommandArgsAndEnvOverTheImage",
             .in = R"(apiVersion: v1
kind: Pod
metadata:
  name: one
  namespace: team
spec:
  containers:
    - name: main
      image: "127.0.0.1:5000/plain:1"
      command:
        - /bin/other
      args:
        - --port=1
      env:
        - name: GOGC
          value: "50"
      workingDir: /here
)",
             .want = R"(apiVersion: v1
kind: Pod
metadata:
  name: one
  namespace: team
  annotations:
    debug.cloud.google.com/config: "{\"main\":{\"artifact\":\"plain\",\"runtime\":\"go\",\"workingDir\":\"/here\",\"ports\":{\"dlv\":56268}}}"
spec:
  containers:
    - name: main
      image: "127.0.0.1:5000/plain:1"
      command:
        - /dbg/go/bin/dlv
        - exec
        - "--headless"
        - "--continue"
        - "--accept-multiclient"
        - "--listen=:56268"
        - "--api-version=2"
        - /bin/other
        - "--"
      args:
        - "--port=1"
      env:
        - name: GOGC
          value: "50"
      workingDir: /here
      ports:
        - name: dlv
          containerPort: 56268
      volumeMounts:
        - name: debugging-support-files
          mountPath: /dbg
  volumes:
    - name: debugging-support-files
      emptyDir:
        {}
  initContainers:
    - name: install-go-debug-support
      image: devloop-debug-support:go
      imagePullPolicy: Never
      command:
        - /bin/cp
        - "-a"
        - /dbg/go
        - /devloop-dbg/
      volumeMounts:
        - name: debugging-support-files
          mountPath: /devloop-dbg
)",
             .workloads = {{.kind = "Pod",
                            .name = "one",
                            .namespace_name = "team",
                            .containers = {{"main", GoConfig("plain", 56268, "/here")}}}}},
        // Nothing says which runtime: the pod runs as it was, and why is said.
        Case{.name = "UndetectableContainerIsLeftAlone",
             .in = R"(apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  template:
    spec:
      containers:
        - name: db
          image: "127.0.0.1:5000/plain:1"
)",
             .skipped = {"StatefulSet db, container db: container \"db\" (artifact \"plain\"): "
                         "cannot tell its language runtime"}},
        // Images not built by the run and objects without pods stay as they are.
        Case{.name = "OtherImagesAndObjectsAreKept",
             .in = R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  template:
    spec:
      containers:
        - name: agent
          image: busybox:1
          env:
            - name: GOGC
              value: "true"
)"},
        // A pod someone configured for debugging is theirs.
        Case{.name = "AnnotatedPodIsLeftAlone",
             .in = R"(apiVersion: v1
kind: Pod
metadata:
  name: mine
  annotations:
    debug.cloud.google.com/config: "{}"
spec:
  containers:
    - name: web
      image: "127.0.0.1:5000/app:1"
)"},
        // Two debugged containers of one pod get different ports and share one
        // init container; the job template's pod is the one annotated.
        Case{.name = "CronJobWithTwoGoContainers",
             .in = R"(apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: a
              image: "127.0.0.1:5000/app:1"
            - name: b
              image: "127.0.0.1:5000/app:1"
              args:
                - -v
)",
             .want = R"(apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: a
              image: "127.0.0.1:5000/app:1"
              command:
                - /dbg/go/bin/dlv
                - exec
                - "--headless"
                - "--continue"
                - "--accept-multiclient"
                - "--listen=:56268"
                - "--api-version=2"
                - /app
              ports:
                - name: dlv
                  containerPort: 56268
              volumeMounts:
                - name: debugging-support-files
                  mountPath: /dbg
            - name: b
              image: "127.0.0.1:5000/app:1"
              args:
                - "-v"
              command:
                - /dbg/go/bin/dlv
                - exec
                - "--headless"
                - "--continue"
                - "--accept-multiclient"
                - "--listen=:56269"
                - "--api-version=2"
                - /app
                - "--"
              ports:
                - name: dlv
                  containerPort: 56269
              volumeMounts:
                - name: debugging-support-files
                  mountPath: /dbg
          volumes:
            - name: debugging-support-files
              emptyDir:
                {}
          initContainers:
            - name: install-go-debug-support
              image: devloop-debug-support:go
              imagePullPolicy: Never
              command:
                - /bin/cp
                - "-a"
                - /dbg/go
                - /devloop-dbg/
              volumeMounts:
                - name: debugging-support-files
                  mountPath: /devloop-dbg
        metadata:
          annotations:
            debug.cloud.google.com/config: "{\"a\":{\"artifact\":\"app\",\"runtime\":\"go\",\"workingDir\":\"/work\",\"ports\":{\"dlv\":56268}},\"b\":{\"artifact\":\"app\",\"runtime\":\"go\",\"workingDir\":\"/work\",\"ports\":{\"dlv\":56269}}}"
)",
             .workloads = {{.kind = "CronJob",
                            .name = "tick",
                            .containers = {{"a", GoConfig("app", 56268)},
                                           {"b", GoConfig("app", 56269)}}}}},
        // Python from the image's cmd: the launcher goes in front, the image's
        // environment is kept and the debugpy port declared.
        Case{.name = "PythonJobFromTheImageCmd",
             .in = R"(apiVersion: batch/v1
kind: Job
metadata:
  name: batch
spec:
  template:
    spec:
      containers:
        - name: py
          image: "127.0.0.1:5000/py:1"
)",
             .want = R"(apiVersion: batch/v1
kind: Job
metadata:
  name: batch
spec:
  template:
    spec:
      containers:
        - name: py
          image: "127.0.0.1:5000/py:1"
          args:
            - /dbg/python/launcher
            - "--mode"
            - debugpy
            - "--port"
            - "5678"
            - "--"
            - python3
            - main.py
          ports:
            - name: dap
              containerPort: 5678
          volumeMounts:
            - name: debugging-support-files
              mountPath: /dbg
      volumes:
        - name: debugging-support-files
          emptyDir:
            {}
      initContainers:
        - name: install-python-debug-support
          image: devloop-debug-support:python
          imagePullPolicy: Never
          command:
            - /bin/cp
            - "-a"
            - /dbg/python
            - /devloop-dbg/
          volumeMounts:
            - name: debugging-support-files
              mountPath: /devloop-dbg
    metadata:
      annotations:
        debug.cloud.google.com/config: "{\"py\":{\"artifact\":\"py\",\"runtime\":\"python\",\"workingDir\":\"/srv\",\"ports\":{\"dap\":5678}}}"
)",
             .workloads = {{.kind = "Job",
                            .name = "batch",
                            .containers = {{"py",
                                            {.artifact = "py",
                                             .runtime = "python",
                                             .working_dir = "/srv",
                                             .ports = {{"dap", 5678}}}}}}}}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// Env a debugger needs replaces what the manifest had, valueFrom included;
// a string value stays a string.
TEST(RewriteForDebugEnvTest, NodeOptionsReplaceTheManifestsValue) {
  DebugManifestOptions options = Options();
  options.image_config = [](const std::string&) -> absl::StatusOr<ImageRunConfig> {
    return ImageRunConfig{.entrypoint = {"docker-entrypoint.sh"},
                          .cmd = {"npm", "start"},
                          .env = {"NODE_VERSION=20", "PATH=/usr/local/bin:/usr/bin"}};
  };
  absl::StatusOr<DebugManifests> got = RewriteForDebug(R"(apiVersion: v1
kind: Pod
metadata:
  name: node
spec:
  containers:
    - name: node
      image: "127.0.0.1:5000/app:1"
      env:
        - name: PATH
          valueFrom:
            configMapKeyRef:
              name: x
              key: y
        - name: DEBUG
          value: "true"
)",
                                                        options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(got->yaml, HasSubstr(R"(      env:
        - name: PATH
          value: "/dbg/nodejs/bin:")"));
  EXPECT_THAT(got->yaml, HasSubstr(R"(        - name: DEBUG
          value: "true")"));
  EXPECT_THAT(got->yaml, Not(HasSubstr("valueFrom")));
  ASSERT_THAT(got->workloads, SizeIs(1));
  EXPECT_EQ(got->workloads[0].containers.at("node").runtime, "nodejs");
  EXPECT_THAT(got->yaml, HasSubstr("install-nodejs-debug-support"));
}

TEST(RewriteForDebugErrorsTest, AnImageThatCannotBeReadFailsNamingTheContainer) {
  DebugManifestOptions options = Options();
  options.images["gone"] = "127.0.0.1:5000/gone:1";
  absl::StatusOr<DebugManifests> got = RewriteForDebug(R"(apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: "127.0.0.1:5000/gone:1"
)",
                                                        options);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(got.status().message(), HasSubstr("Pod p, container c: cannot read the configuration"));
}

TEST(RewriteForDebugErrorsTest, AMissingSupportImageFailsNamingTheWorkload) {
  DebugManifestOptions options = Options();
  options.support_image = [](const std::string& support) -> absl::StatusOr<SupportImage> {
    return absl::FailedPreconditionError("make it with tools/debug/support.sh");
  };
  absl::StatusOr<DebugManifests> got = RewriteForDebug(R"(apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: "127.0.0.1:5000/app:1"
)",
                                                        options);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(got.status().message(), HasSubstr("Pod p: make it with"));
}

TEST(RewriteForDebugErrorsTest, YamlThatDoesNotParseIsInvalidArgument) {
  absl::StatusOr<DebugManifests> got = RewriteForDebug("a: [", Options());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace devloop::deploy::kubectl
