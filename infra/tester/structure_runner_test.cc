// StructureRunner against the real Docker Engine, with an image built FROM
// scratch holding a static busybox: a passing and a failing case of each kind
// of test, file errors, cancellation, and nothing left behind.
#include "infra/tester/structure_runner.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/docker/engine_api_docker.h"

namespace devloop::tester {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kImageLabel[] = "dev.devloop.test";
constexpr char kRunLabel[] = "dev.devloop.run-id";

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

constexpr char kDockerfile[] = R"(FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "ln", "-s", "/bin/busybox", "/bin/sh"]
COPY hello.txt /etc/hello.txt
ENV MODE=prod
LABEL org.version=1.2.3
EXPOSE 8080
VOLUME /data
WORKDIR /srv
ENTRYPOINT ["/bin/busybox"]
CMD ["httpd"]
)";

constexpr char kPassing[] = R"(schemaVersion: "2.0.0"
globalEnvVars:
  - key: GREETING
    value: hello
commandTests:
  - name: echo
    command: /bin/busybox
    args: ["sh", "-c", "echo $GREETING $EXTRA; echo warn >&2; exit 3"]
    envVars: [{key: EXTRA, value: "${MODE}"}]
    expectedOutput: ["^hello prod\n$"]
    excludedOutput: ["bye"]
    expectedError: ["warn"]
    excludedError: ["fatal"]
    exitCode: 3
  - name: setup
    setup: [["/bin/busybox", "mkdir", "/made"], ["/bin/busybox", "touch", "/made/x"]]
    command: /bin/busybox
    args: ["ls", "/made"]
    expectedOutput: ["^x"]
    teardown: [["/bin/busybox", "true"]]
fileExistenceTests:
  - name: busybox
    path: /bin/busybox
    permissions: -rwxr-xr-x
    uid: 0
    gid: 0
    isExecutableBy: other
  - name: sh is a link to busybox
    path: /bin/sh
    permissions: -rwxr-xr-x
    isExecutableBy: any
  - name: workdir
    path: /srv
    permissions: drwxr-xr-x
  - name: absent
    path: /etc/passwd
    shouldExist: false
fileContentTests:
  - name: hello
    path: /etc/hello.txt
    expectedContents: ["hello, world"]
    excludedContents: ["goodbye"]
metadataTest:
  envVars: [{key: MODE, value: prod}]
  unboundEnvVars: [{key: DEBUG}]
  labels: [{key: org.version, value: '^1\.2\.', isRegex: true}]
  exposedPorts: ["8080"]
  unexposedPorts: ["9090"]
  volumes: ["/data"]
  entrypoint: ["/bin/busybox"]
  cmd: ["httpd"]
  workdir: /srv
)";

constexpr char kFailing[] = R"(schemaVersion: "2.0.0"
commandTests:
  - name: wrong output
    command: /bin/busybox
    args: ["echo", "hi"]
    expectedOutput: ["bye"]
  - name: wrong exit code
    command: /bin/busybox
    args: ["false"]
  - name: failing setup
    setup: [["/bin/busybox", "false"]]
    command: /bin/busybox
    args: ["true"]
  - name: no such command
    command: /bin/nope
fileExistenceTests:
  - name: busybox should not exist
    path: /bin/busybox
    shouldExist: false
  - name: missing
    path: /missing
  - name: wrong mode
    path: /etc/hello.txt
    permissions: -rwxrwxrwx
    uid: 1000
fileContentTests:
  - name: wrong content
    path: /etc/hello.txt
    expectedContents: ["goodbye"]
  - name: no file
    path: /missing
metadataTest:
  exposedPorts: ["9090"]
  workdir: /
  user: nobody
)";

class StructureRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> made =
        docker::EngineApiDocker::Create(docker::DockerOptionsFromEnvironment());
    ASSERT_TRUE(made.ok()) << made.status();
    docker_ = *std::move(made);
    std::random_device rd;
    token_ = absl::StrFormat("%08x%08x", rd(), rd());
    char tmpl[] = "/tmp/devloop-structure-runner-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/ctx");
    std::filesystem::copy_file("/bin/busybox", dir_ + "/ctx/busybox");
  }

  void TearDown() override {
    // Whatever a failing test left: containers and images of this run, then the image.
    if (auto containers = docker_->ListContainers(kRunLabel, token_); containers.ok()) {
      for (const auto& c : *containers) (void)docker_->Remove(c.id, /*force=*/true);
    }
    if (auto images = docker_->ListImages(kRunLabel, token_); images.ok()) {
      for (const auto& i : *images) (void)docker_->RemoveImage(i, /*force=*/true);
    }
    if (auto images = docker_->ListImages(kImageLabel, token_); images.ok()) {
      for (const auto& i : *images) (void)docker_->RemoveImage(i, /*force=*/true);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Builds the test image (once per test); returns its tag.
  std::string Image() {
    if (!image_.empty()) return image_;
    WriteFile(dir_ + "/ctx/Dockerfile", kDockerfile);
    WriteFile(dir_ + "/ctx/hello.txt", "hello, world\n");
    std::filesystem::permissions(dir_ + "/ctx/hello.txt", std::filesystem::perms(0644));
    const std::string tag = absl::StrCat("devloop-test-cst-", token_, ":dev");
    absl::StatusOr<docker::BuildResult> built = docker_->Build(
        {.context_dir = dir_ + "/ctx", .tags = {tag}, .labels = {{kImageLabel, token_}}});
    EXPECT_TRUE(built.ok()) << built.status();
    image_ = tag;
    return tag;
  }

  std::string File(const std::string& name, const std::string& text) {
    WriteFile(dir_ + "/" + name, text);
    return dir_ + "/" + name;
  }

  StructureRunnerOptions Options() const { return {.labels = {{kRunLabel, token_}}}; }

  // Expects no container and no committed image of this run to remain.
  void ExpectNothingLeft() {
    absl::StatusOr<std::vector<docker::ContainerSummary>> containers =
        docker_->ListContainers(kRunLabel, token_);
    ASSERT_TRUE(containers.ok()) << containers.status();
    EXPECT_THAT(*containers, IsEmpty());
    absl::StatusOr<std::vector<std::string>> images = docker_->ListImages(kRunLabel, token_);
    ASSERT_TRUE(images.ok()) << images.status();
    EXPECT_THAT(*images, IsEmpty());
  }

  std::unique_ptr<docker::EngineApiDocker> docker_;
  std::string token_;
  std::string dir_;
  std::string image_;
  std::vector<std::string> output_;
  std::function<void(absl::string_view)> Collect() {
    return [this](absl::string_view line) { output_.emplace_back(line); };
  }
};

TEST_F(StructureRunnerTest, EveryKindOfTestPasses) {
  const std::string image = Image();
  StructureRunner runner(docker_.get(), Options());
  absl::Status s = runner.Run(image, {File("pass.yaml", kPassing)}, Collect());
  EXPECT_TRUE(s.ok()) << s << "\n" << absl::StrJoin(output_, "\n");
  EXPECT_THAT(output_, Contains("=== RUN: Command Test: echo"));
  EXPECT_THAT(output_, Contains("=== RUN: Command Test: setup"));
  EXPECT_THAT(output_, Contains("=== RUN: File Existence Test: sh is a link to busybox"));
  EXPECT_THAT(output_, Contains("=== RUN: File Content Test: hello"));
  EXPECT_THAT(output_, Contains("=== RUN: Metadata Test"));
  EXPECT_THAT(output_, Not(Contains("--- FAIL")));
  EXPECT_THAT(output_, Contains("Passes:      8"));
  EXPECT_THAT(output_, Contains("Failures:    0"));
  EXPECT_THAT(output_, Contains("Total tests: 8"));
  ExpectNothingLeft();
}

TEST_F(StructureRunnerTest, EveryKindOfTestFailsWithItsReason) {
  const std::string image = Image();
  StructureRunner runner(docker_.get(), Options());
  absl::Status s = runner.Run(image, {File("fail.yaml", kFailing)}, Collect());
  const std::string out = absl::StrJoin(output_, "\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s << "\n" << out;
  EXPECT_THAT(s.message(), HasSubstr("10 of 10 structure tests failed: Command Test: wrong output"));
  EXPECT_THAT(s.message(), HasSubstr("Metadata Test"));
  EXPECT_THAT(out, HasSubstr("=== RUN: Command Test: wrong output\n--- FAIL\nstdout: hi\n"
                             "Error: expected stdout to match \"bye\""));
  EXPECT_THAT(out, HasSubstr("Error: exit code 1, expected 0"));
  EXPECT_THAT(out, HasSubstr("Error: setup command \"/bin/busybox false\" exited with code 1"));
  EXPECT_THAT(out, HasSubstr("=== RUN: Command Test: no such command\n--- FAIL\nError: command "
                             "\"/bin/nope\" did not run"));
  EXPECT_THAT(out, HasSubstr("Error: \"/bin/busybox\" exists but should not"));
  EXPECT_THAT(out, HasSubstr("Error: \"/missing\" does not exist"));
  EXPECT_THAT(out, HasSubstr("Error: \"/etc/hello.txt\" has permissions \"-rw-r--r--\", "
                             "expected \"-rwxrwxrwx\""));
  EXPECT_THAT(out, HasSubstr("Error: \"/etc/hello.txt\" is owned by uid 0, expected 1000"));
  EXPECT_THAT(out, HasSubstr("Error: expected the contents of /etc/hello.txt to match \"goodbye\""));
  EXPECT_THAT(out, HasSubstr("Error: cannot read \"/missing\""));
  EXPECT_THAT(out, HasSubstr("Error: port 9090 is not exposed (exposed: [\"8080/tcp\"])"));
  EXPECT_THAT(out, HasSubstr("Error: workdir is \"/srv\", expected \"/\""));
  EXPECT_THAT(out, HasSubstr("Error: user is \"\", expected \"nobody\""));
  EXPECT_THAT(output_, Contains("Passes:      0"));
  EXPECT_THAT(output_, Contains("Failures:    10"));
  EXPECT_THAT(output_, Contains("FAIL"));
  ExpectNothingLeft();
}

TEST_F(StructureRunnerTest, ABrokenFileRunsNothingAndNamesItsLine) {
  const std::string image = Image();
  const std::string good = File("good.yaml", kPassing);
  const std::string bad = File(
      "bad.yaml", "schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    comand: ls\n");
  StructureRunner runner(docker_.get(), Options());
  absl::Status s = runner.Run(image, {good, bad}, Collect());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat(bad, ":4:5: unknown field \"comand\"")));
  EXPECT_THAT(output_, IsEmpty());
  ExpectNothingLeft();
}

TEST_F(StructureRunnerTest, CancelStopsARunningCommandAndRemovesItsContainer) {
  const std::string image = Image();
  const std::string file = File("slow.yaml", R"(schemaVersion: "2.0.0"
commandTests:
  - name: slow
    command: /bin/busybox
    args: ["sleep", "600"]
)");
  StructureRunner runner(docker_.get(), Options());
  absl::Status s;
  std::thread run([&] { s = runner.Run(image, {file}, Collect()); });
  // Waits for the container to run (bounded, so a broken runner cannot hang the suite).
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  bool running = false;
  while (!running && absl::Now() < give_up) {
    absl::StatusOr<std::vector<docker::ContainerSummary>> c =
        docker_->ListContainers(kRunLabel, token_);
    running = c.ok() && !c->empty() && (*c)[0].status == docker::ContainerStatus::kRunning;
    if (!running) absl::SleepFor(absl::Milliseconds(50));
  }
  runner.Cancel();
  run.join();
  EXPECT_TRUE(running);
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  ExpectNothingLeft();
}

}  // namespace
}  // namespace devloop::tester
