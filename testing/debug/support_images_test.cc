// The debug support images (tools/debug/support.sh) and the language base
// images (tools/debug/base-images.sh) on the real Docker Engine, before the
// deployer relies on them: for each runtime, a named volume filled from the
// support image is mounted read-only at /dbg/<runtime> into the debug example's
// container, which runs the command line domain/debug would give it, and a
// real debugger protocol exchange (testing/debug/attach.h) proves the debugger
// listens on the published port while the app still answers.
//
// The images must exist already: tools/test.sh runs both scripts before Bazel
// (they are idempotent and take seconds when nothing changed). Everything the
// test creates carries its label and is removed in TearDown, also on failure.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/debug/attach.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/example.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"

namespace devloop::debug_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The image's PATH (tools/debug/base-images.sh) with the node wrapper's
// directory in front, as domain/debug sets it for a Node.js container.
constexpr char kBasePath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The agent as domain/debug/transform.h adds it to JAVA_TOOL_OPTIONS, except
// for the address: since JDK 9 `address=5005` listens on the container's
// loopback only, which Docker's published port (coming in on the container's
// own address) cannot reach; `*:5005` listens on every interface. (Through
// `kubectl port-forward`, which connects to the pod's loopback, either works.)
constexpr char kJdwpOptions[] =
    "JAVA_TOOL_OPTIONS=-agentlib:jdwp=transport=dt_socket,server=y,address=*:5005,suspend=n,"
    "quiet=y";

std::string Describe(const absl::StatusOr<e2e::CommandResult>& r) {
  return r.ok() ? absl::StrCat("exit ", r->exit_code, ": ", r->output) : r.status().ToString();
}

// Returns a Go build cache for build.sh: tools/debug's, shared across runs,
// when this test may write it (a cold cache costs about a minute here), else
// one of this test's own (Bazel's sandbox makes the home directory read-only).
std::string GoCache() {
  const passwd* user = getpwuid(getuid());
  if (user != nullptr) {
    std::string shared = absl::StrCat(user->pw_dir, "/.cache/devloop/debug/gocache");
    mkdir(absl::StrCat(user->pw_dir, "/.cache/devloop/debug").c_str(), 0755);
    mkdir(shared.c_str(), 0755);
    if (access(shared.c_str(), W_OK) == 0) return shared;
  }
  return absl::StrCat(getenv("TEST_TMPDIR"), "/gocache");
}

class SupportImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(e2e::DockerAvailable()) << "the Docker Engine does not answer";
  }

  // Whatever happened, nothing of this test stays behind: containers first
  // (they hold the volumes), then images and volumes.
  void TearDown() override {
    absl::Status s = e2e::SweepDockerObjects(label_);
    EXPECT_TRUE(s.ok()) << s;
    // Images made by an example's build.sh carry no label of ours.
    for (const std::string& image : unlabelled_images_) {
      absl::StatusOr<e2e::CommandResult> r = Docker({"rmi", "-f", image});
      EXPECT_TRUE(r.ok() && r->exit_code == 0) << Describe(r);
    }
    absl::StatusOr<e2e::CommandResult> volumes =
        Docker({"volume", "ls", "-q", "--filter", "label=" + label_});
    ASSERT_TRUE(volumes.ok() && volumes->exit_code == 0) << Describe(volumes);
    for (absl::string_view v : absl::StrSplit(volumes->output, '\n', absl::SkipEmpty())) {
      absl::StatusOr<e2e::CommandResult> r = Docker({"volume", "rm", std::string(v)});
      EXPECT_TRUE(r.ok() && r->exit_code == 0) << Describe(r);
    }
  }

  absl::StatusOr<e2e::CommandResult> Docker(std::vector<std::string> args,
                                            absl::Duration timeout = absl::Seconds(120)) {
    args.insert(args.begin(), "docker");
    return e2e::RunCommand(args, timeout);
  }

  // Fails the test unless `image` is on the engine, naming the script that
  // makes it.
  void RequireImage(const std::string& image, absl::string_view script) {
    absl::StatusOr<e2e::CommandResult> r = Docker({"image", "inspect", "-f", "{{.Id}}", image});
    ASSERT_TRUE(r.ok() && r->exit_code == 0)
        << image << " is not on the Docker Engine; run " << script
        << " (tools/test.sh does) and try again. " << Describe(r);
  }

  // Returns a new named volume holding the support image's /dbg/<runtime>:
  // Docker copies an image's files into an empty named volume when a
  // container mounting it is created.
  std::string FillVolume(const std::string& runtime) {
    std::string volume = absl::StrCat("devloop-test-dbg-", runtime, "-", Suffix());
    absl::StatusOr<e2e::CommandResult> r = Docker({"volume", "create", "--label", label_, volume});
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << Describe(r);
    r = Docker({"create", "--label", label_, "-v", absl::StrCat(volume, ":/dbg/", runtime),
                "devloop-debug-support:" + runtime, "/x"});
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << Describe(r);
    if (r.ok() && r->exit_code == 0) {
      std::string id(absl::StripAsciiWhitespace(r->output));
      r = Docker({"rm", id});
      EXPECT_TRUE(r.ok() && r->exit_code == 0) << Describe(r);
    }
    return volume;
  }

  // Builds the example with its own build.sh (Skaffold's custom-builder
  // contract) and returns the image's tag.
  std::string BuildWithScript(const std::string& example, std::vector<std::string> env = {}) {
    absl::StatusOr<std::string> dir = e2e::CopyExample(example);
    EXPECT_TRUE(dir.ok()) << dir.status();
    if (!dir.ok()) return "";
    std::string image = absl::StrCat("devloop-test-", example, ":", Suffix());
    unlabelled_images_.push_back(image);
    std::vector<std::string> argv = {"env", "IMAGE=" + image, "PUSH_IMAGE=false",
                                     "BUILD_CONTEXT=" + *dir};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(*dir + "/build.sh");
    absl::StatusOr<e2e::CommandResult> r = e2e::RunCommand(argv, absl::Minutes(10));
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << example << "/build.sh: " << Describe(r);
    return image;
  }

  // Builds the example's Dockerfile as a labelled image and returns its tag.
  std::string BuildWithDockerfile(const std::string& example) {
    absl::StatusOr<std::string> dir = e2e::CopyExample(example);
    EXPECT_TRUE(dir.ok()) << dir.status();
    if (!dir.ok()) return "";
    std::string image = absl::StrCat("devloop-test-", example, ":", Suffix());
    absl::Status built = e2e::BuildLabelledImage(label_, image, *dir);
    EXPECT_TRUE(built.ok()) << built;
    return image;
  }

  // Starts a labelled container (`docker run -d ARGS`) and returns its id.
  std::string Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-d", "--label", label_});
    absl::StatusOr<e2e::CommandResult> r = Docker(args);
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << absl::StrJoin(args, " ") << ": " << Describe(r);
    if (!r.ok() || r->exit_code != 0) return "";
    return std::string(absl::StripAsciiWhitespace(r->output));
  }

  // Returns the 127.0.0.1 port Docker published `container_port` on, or 0.
  int PublishedPort(const std::string& container, int container_port) {
    absl::StatusOr<e2e::CommandResult> r =
        Docker({"port", container, absl::StrCat(container_port, "/tcp")});
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << Describe(r);
    if (!r.ok()) return 0;
    // "127.0.0.1:49153"
    absl::string_view line = absl::StripAsciiWhitespace(r->output);
    line = line.substr(0, line.find('\n'));
    int port = 0;
    EXPECT_TRUE(absl::SimpleAtoi(line.substr(line.rfind(':') + 1), &port)) << r->output;
    return port;
  }

  std::string Logs(const std::string& container) {
    absl::StatusOr<e2e::CommandResult> r = Docker({"logs", container});
    return Describe(r);
  }

  // Waits until the app answers GET / with 200 and returns its body.
  std::string AppPage(int port) {
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    absl::StatusOr<e2e::HttpResponse> r;
    while (absl::Now() < deadline) {
      r = e2e::Http(port, "GET", "/", "", absl::Seconds(5));
      if (r.ok() && r->status == 200) return r->body;
      absl::SleepFor(absl::Milliseconds(250));
    }
    ADD_FAILURE() << "the app on 127.0.0.1:" << port << " did not answer: "
                  << (r.ok() ? absl::StrCat(r->status, " ", r->body) : r.status().ToString());
    return "";
  }

  std::string Suffix() const { return label_.substr(label_.find('=') + 1); }

  const std::string label_ = e2e::UniqueTestLabel("debug-support");
  std::vector<std::string> unlabelled_images_;
};

TEST_F(SupportImagesTest, DelveFromTheGoImageDebugsTheGoExample) {
  RequireImage("devloop-debug-support:go", "tools/debug/support.sh");
  std::string image = BuildWithScript("debug-go", {"GOCACHE=" + GoCache()});
  ASSERT_FALSE(HasFailure());
  std::string volume = FillVolume("go");
  std::string c = Run({"-v", volume + ":/dbg/go:ro", "-p", "127.0.0.1::56268", "-p",
                       "127.0.0.1::8080", "--entrypoint", "/dbg/go/bin/dlv", image, "exec",
                       "--headless", "--continue", "--accept-multiclient", "--listen=:56268",
                       "--api-version=2", "/app"});
  ASSERT_FALSE(HasFailure());
  int dlv = PublishedPort(c, 56268);
  absl::Status attached = WaitForDebugger([&] { return ProbeDelve(dlv); }, absl::Seconds(60));
  EXPECT_TRUE(attached.ok()) << attached << "\n" << Logs(c);
  EXPECT_THAT(AppPage(PublishedPort(c, 8080)), HasSubstr("Hello from Go"));
}

TEST_F(SupportImagesTest, LauncherFromThePythonImageDebugsThePythonExample) {
  RequireImage("devloop-debug-support:python", "tools/debug/support.sh");
  RequireImage("devloop-base/python:3.11", "tools/debug/base-images.sh");
  std::string image = BuildWithDockerfile("debug-python");
  ASSERT_FALSE(HasFailure());
  std::string volume = FillVolume("python");
  std::string c = Run({"-v", volume + ":/dbg/python:ro", "-p", "127.0.0.1::5678", "-p",
                       "127.0.0.1::8080", "--entrypoint", "/dbg/python/launcher", image,
                       "--mode", "debugpy", "--port", "5678", "--", "python3", "app.py"});
  ASSERT_FALSE(HasFailure());
  // The app first: a DAP client that comes and goes before debugpy's server
  // has connected to its adapter makes the adapter exit (debugpy 1.6.3), and
  // the app then runs on without a debugger. Once app.py runs, it has.
  int app = PublishedPort(c, 8080);
  EXPECT_THAT(AppPage(app), HasSubstr("Hello from Python"));
  int dap = PublishedPort(c, 5678);
  absl::Status attached = WaitForDebugger([&] { return ProbeDebugpy(dap); }, absl::Seconds(60));
  EXPECT_TRUE(attached.ok()) << attached << "\n" << Logs(c);

  // What the example's sync rule relies on: a message.py copied into the
  // running container is served by the next request, debugger still attached.
  std::string edited = absl::StrCat(getenv("TEST_TMPDIR"), "/message.py");
  ASSERT_TRUE(e2e::RunCommand({"sh", "-c",
                               "printf 'def text():\\n    return \"synced\"\\n' > " + edited})
                  .ok());
  absl::StatusOr<e2e::CommandResult> cp = Docker({"cp", edited, c + ":/app/message.py"});
  ASSERT_TRUE(cp.ok() && cp->exit_code == 0) << Describe(cp);
  EXPECT_THAT(AppPage(app), HasSubstr("synced"));
  // A second client attaches after the first went away, as an IDE
  // reconnecting does.
  attached = ProbeDebugpy(dap);
  EXPECT_TRUE(attached.ok()) << attached << "\n" << Logs(c);
}

// On Kubernetes the files arrive by an init container instead of a volume
// filled by Docker: `cp -a /dbg/python/. /target/` with the image's busybox.
// Debian's debugpy reaches pydevd through relative symlinks, which the copy
// must keep; a debugged `python3 -c` proves the copied tree imports.
TEST_F(SupportImagesTest, InitContainerCopyOfThePythonImageIsAWorkingTree) {
  RequireImage("devloop-debug-support:python", "tools/debug/support.sh");
  RequireImage("devloop-base/python:3.11", "tools/debug/base-images.sh");
  std::string volume = absl::StrCat("devloop-test-dbg-copy-", Suffix());
  absl::StatusOr<e2e::CommandResult> r = Docker({"volume", "create", "--label", label_, volume});
  ASSERT_TRUE(r.ok() && r->exit_code == 0) << Describe(r);
  r = Docker({"run", "--rm", "--label", label_, "-v", volume + ":/target",
              "devloop-debug-support:python", "cp", "-a", "/dbg/python/.", "/target/"});
  ASSERT_TRUE(r.ok() && r->exit_code == 0) << Describe(r);
  r = Docker({"run", "--rm", "--label", label_, "-v", volume + ":/dbg/python:ro",
              "--entrypoint", "/dbg/python/launcher", "devloop-base/python:3.11", "--mode",
              "debugpy", "--port", "5678", "--", "python3", "-c",
              "import debugpy, pydevd; print('debugpy from', debugpy.__file__)"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_THAT(r->output, HasSubstr("debugpy from /dbg/python/lib/debugpy/__init__.py"));
}

TEST_F(SupportImagesTest, NodeWrapperFromTheNodejsImageRunsTheNodeExampleUnderTheInspector) {
  RequireImage("devloop-debug-support:nodejs", "tools/debug/support.sh");
  RequireImage("devloop-base/node:18", "tools/debug/base-images.sh");
  std::string image = BuildWithDockerfile("debug-node");
  ASSERT_FALSE(HasFailure());
  std::string volume = FillVolume("nodejs");
  std::string c = Run({"-v", volume + ":/dbg/nodejs:ro", "-e",
                       absl::StrCat("PATH=/dbg/nodejs/bin:", kBasePath), "-p", "127.0.0.1::9229",
                       "-p", "127.0.0.1::8080", image, "node", "--inspect=0.0.0.0:9229",
                       "server.js"});
  ASSERT_FALSE(HasFailure());
  int inspector = PublishedPort(c, 9229);
  absl::Status attached =
      WaitForDebugger([&] { return ProbeNodeInspector(inspector); }, absl::Seconds(60));
  EXPECT_TRUE(attached.ok()) << attached << "\n" << Logs(c);
  EXPECT_THAT(AppPage(PublishedPort(c, 8080)), HasSubstr("Hello from Node.js"));
  // The wrapper ran: it took its own directory off node's PATH.
  absl::StatusOr<e2e::CommandResult> env =
      Docker({"exec", c, "sh", "-c", "tr '\\0' '\\n' < /proc/1/environ"});
  ASSERT_TRUE(env.ok() && env->exit_code == 0) << Describe(env);
  EXPECT_THAT(env->output, HasSubstr(absl::StrCat("PATH=", kBasePath, "\n")));
  EXPECT_THAT(env->output, Not(HasSubstr("/dbg/nodejs")));
}

TEST_F(SupportImagesTest, JdwpAgentListensInTheJvmExample) {
  RequireImage("devloop-base/jre:17", "tools/debug/base-images.sh");
  std::string image = BuildWithScript("debug-jvm");
  ASSERT_FALSE(HasFailure());
  std::string c = Run({"-e", kJdwpOptions, "-p", "127.0.0.1::5005", "-p", "127.0.0.1::8080", image});
  ASSERT_FALSE(HasFailure());
  int jdwp = PublishedPort(c, 5005);
  absl::Status attached = WaitForDebugger([&] { return ProbeJdwp(jdwp); }, absl::Seconds(60));
  EXPECT_TRUE(attached.ok()) << attached << "\n" << Logs(c);
  EXPECT_THAT(AppPage(PublishedPort(c, 8080)), HasSubstr("Hello from Java 17"));
}

}  // namespace
}  // namespace devloop::debug_testing
