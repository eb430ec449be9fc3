// EngineApiDocker's fast local path (writes through /proc/<pid>/root) against
// the real Docker Engine: content, modes, owners and directories as the
// Engine's archive endpoint leaves them; the container's symlinks cannot lead
// a copy or a delete onto the host; the fallback to the Engine's API; deletes
// in images without `rm`.
//
// Runs outside Bazel's sandbox (tag no-sandbox): the sandbox has its own PID
// namespace, where the containers' processes are not visible (and there the
// fast path correctly falls back, which the contract test exercises).
//
// Every image and container carries dev.devloop.test=<token> and is removed in
// TearDown / TearDownTestSuite, and swept by label, even when a test fails.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::testing {
namespace {

namespace fs = std::filesystem;
using docker::DirectFiles;
using docker::EngineApiDocker;
using ::testing::HasSubstr;

constexpr char kLabel[] = "dev.devloop.test";

std::string Token() {
  static const std::string token = [] {
    std::random_device rd;
    return absl::StrFormat("%08x%08x", rd(), rd());
  }();
  return token;
}

std::unique_ptr<EngineApiDocker> MakeDocker(DirectFiles mode) {
  absl::StatusOr<std::unique_ptr<EngineApiDocker>> docker =
      EngineApiDocker::Create({.direct_files = mode});
  return docker.ok() ? *std::move(docker) : nullptr;
}

void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
  chmod(path.c_str(), mode);
}

std::string ReadHostFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Sweep() {
  std::unique_ptr<EngineApiDocker> docker = MakeDocker(DirectFiles::kOff);
  if (docker == nullptr) return;
  if (auto containers = docker->ListContainers(kLabel, Token()); containers.ok()) {
    for (const auto& c : *containers) (void)docker->Remove(c.id, /*force=*/true);
  }
  if (auto images = docker->ListImages(kLabel, Token()); images.ok()) {
    for (const auto& i : *images) (void)docker->RemoveImage(i, /*force=*/true);
  }
}

class DirectFilesTest : public ::testing::Test {
 protected:
  // One image for the suite: busybox as /bin/busybox (with `rm`), and as
  // /bin/busybox-only (the same binary under a name that leaves the image
  // without any `rm` once /bin/busybox is deleted by a test).
  static void SetUpTestSuite() {
    Sweep();
    char tmpl[] = "/tmp/devloop-direct-ctx-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string ctx = tmpl;
    fs::copy_file("/bin/busybox", ctx + "/busybox");
    WriteFile(ctx + "/Dockerfile",
              "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/busybox-only\n"
              "CMD [\"/bin/busybox\", \"sleep\", \"1000\"]\n");
    image_ = new std::string(absl::StrCat("devloop-test-direct-", Token(), ":dev"));
    std::unique_ptr<EngineApiDocker> docker = MakeDocker(DirectFiles::kOff);
    ASSERT_NE(docker, nullptr);
    absl::StatusOr<docker::BuildResult> built =
        docker->Build({.context_dir = ctx, .tags = {*image_}, .labels = {{kLabel, Token()}}});
    fs::remove_all(ctx);
    ASSERT_TRUE(built.ok()) << built.status();
  }
  static void TearDownTestSuite() {
    Sweep();
    delete image_;
    image_ = nullptr;
  }

  void SetUp() override {
    char tmpl[] = "/tmp/devloop-direct-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    temp_dir_ = tmpl;
    docker_ = MakeDocker(DirectFiles::kRequired);
    ASSERT_NE(docker_, nullptr);
    absl::StatusOr<std::string> id =
        docker_->Run({.image = *image_,
                      .name = absl::StrCat("devloop-test-direct-", Token(), "-", counter_++),
                      .labels = {{kLabel, Token()}}});
    ASSERT_TRUE(id.ok()) << id.status();
    container_ = *id;
  }
  void TearDown() override {
    if (!container_.empty()) (void)docker_->Remove(container_, /*force=*/true);
    fs::remove_all(temp_dir_);
  }

  // Runs `script` with busybox sh inside the container (through the docker
  // CLI, not the adapter under test); returns its stdout, or "<failed: …>".
  std::string InContainer(const std::string& script, const std::string& shell = "/bin/busybox") {
    process::PosixProcessRunner runner;
    std::string out;
    std::string err;
    absl::StatusOr<process::ExitStatus> exit = runner.Run(
        {.argv = {"docker", "exec", container_, shell, "sh", "-c", script},
         .timeout = absl::Seconds(60),
         .on_stdout = [&](absl::string_view line) { absl::StrAppend(&out, line, "\n"); },
         .on_stderr = [&](absl::string_view line) { absl::StrAppend(&err, line, "\n"); }});
    if (!exit.ok()) return absl::StrCat("<failed: ", exit.status().ToString(), ">");
    if (!exit->success()) return absl::StrCat("<failed: ", err, ">");
    return out;
  }

  std::string HostFile(const std::string& name, const std::string& content, mode_t mode = 0644) {
    std::string path = absl::StrCat(temp_dir_, "/", name);
    WriteFile(path, content, mode);
    return path;
  }

  static std::string* image_;
  static int counter_;
  std::unique_ptr<EngineApiDocker> docker_;
  std::string container_;
  std::string temp_dir_;
};

std::string* DirectFilesTest::image_ = nullptr;
int DirectFilesTest::counter_ = 0;

TEST_F(DirectFilesTest, CopiesNewFilesIntoNewDirectoriesAndOverwrites) {
  std::string a = HostFile("a.txt", "alpha\n");
  std::string b = HostFile("b.txt", "bravo\n");
  absl::Status s = docker_->CopyInto(container_, {{a, "/app/a.txt"}, {b, "/app/new/dir/b.txt"}});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(InContainer("cat /app/a.txt /app/new/dir/b.txt"), "alpha\nbravo\n");

  WriteFile(a, "alpha 2\n");
  ASSERT_TRUE(docker_->CopyInto(container_, {{a, "/app/a.txt"}}).ok());
  EXPECT_EQ(InContainer("cat /app/a.txt"), "alpha 2\n");
  // No temporary files stay behind.
  EXPECT_EQ(InContainer("ls -a /app"), ".\n..\na.txt\nnew\n");
  EXPECT_EQ(docker_->direct_files_stats().files_copied, 3);
  EXPECT_EQ(docker_->direct_files_stats().fallbacks, 0);
}

TEST_F(DirectFilesTest, ModesOwnersAndParentsMatchTheEnginesArchiveUpload) {
  std::string script = HostFile("run.sh", "#!/bin/sh\n", 0751);
  std::string secret = HostFile("secret", "s\n", 0600);
  ASSERT_TRUE(InContainer("mkdir -p /srv && echo old > /srv/theirs && chown 1000:1000 "
                          "/srv/theirs && chown 1000:1000 /srv && chmod 700 /srv")
                  .find("<failed") == std::string::npos);

  // The same two copies, fast and through the Engine, must leave the same.
  std::unique_ptr<EngineApiDocker> engine = MakeDocker(DirectFiles::kOff);
  ASSERT_TRUE(docker_->CopyInto(container_, {{script, "/fast/x/run.sh"},
                                             {secret, "/srv/theirs"}})
                  .ok());
  std::string fast = InContainer(
      "stat -c '%a %u:%g %s' /fast /fast/x /fast/x/run.sh /srv /srv/theirs");
  ASSERT_TRUE(InContainer("rm -rf /fast && echo old > /srv/theirs && chown 1000:1000 "
                          "/srv/theirs")
                  .find("<failed") == std::string::npos);
  ASSERT_TRUE(
      engine->CopyInto(container_, {{script, "/fast/x/run.sh"}, {secret, "/srv/theirs"}}).ok());
  std::string slow = InContainer(
      "stat -c '%a %u:%g %s' /fast /fast/x /fast/x/run.sh /srv /srv/theirs");
  EXPECT_EQ(fast, slow);
  EXPECT_EQ(fast, "755 0:0 4096\n755 0:0 4096\n751 0:0 10\n700 1000:1000 4096\n600 0:0 2\n");
  EXPECT_EQ(docker_->direct_files_stats().files_copied, 2);
}

TEST_F(DirectFilesTest, ContainerSymlinksCannotLeadACopyOntoTheHost) {
  const std::string name = absl::StrCat("devloop-escape-", Token());
  std::string victim = HostFile("victim", "precious\n");
  ASSERT_EQ(InContainer(absl::StrCat("mkdir -p /app/deep && ln -s /etc /app/etc-link && "
                                     "ln -s ../../../../../../.. /app/deep/up && ln -s ",
                                     victim, " /app/target && echo ok")),
            "ok\n");
  std::string src = HostFile("payload", "payload\n");
  absl::Status s = docker_->CopyInto(container_, {{src, "/app/etc-link/" + name},
                                                  {src, "/app/deep/up/tmp/" + name},
                                                  {src, "/app/target"}});
  ASSERT_TRUE(s.ok()) << s;

  EXPECT_FALSE(fs::exists("/etc/" + name)) << "a copy escaped to the host's /etc";
  EXPECT_FALSE(fs::exists("/tmp/" + name)) << "a copy escaped to the host's /tmp";
  EXPECT_EQ(ReadHostFile(victim), "precious\n") << "a copy followed a symlink to the host";
  // Each landed inside the container instead, as `docker cp` would put it.
  EXPECT_EQ(InContainer(absl::StrCat("cat /etc/", name, " /tmp/", name, " /app/target")),
            "payload\npayload\npayload\n");
  EXPECT_EQ(InContainer("test -L /app/target && echo link || echo file"), "file\n");
}

TEST_F(DirectFilesTest, DeletesFilesAndTreesWithoutFollowingSymlinks) {
  std::string victim = HostFile("victim", "precious\n");
  ASSERT_EQ(InContainer(absl::StrCat("mkdir -p /app/tree/sub && echo x > /app/tree/sub/f && "
                                     "echo y > /app/file && echo z > /etc/keep && "
                                     "ln -s /etc /app/tree/etc && ln -s ",
                                     temp_dir_, " /app/tree/host && ln -s /etc /app/etc-link && "
                                     "echo ok")),
            "ok\n");
  absl::Status s = docker_->DeleteIn(
      container_, {"/app/file", "/app/tree", "/app/missing", "/app/etc-link/keep"});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(InContainer("ls -a /app"), ".\n..\netc-link\n");
  // /etc/keep went through the link, resolved in the container; the tree's
  // own link to /etc was removed, not followed.
  EXPECT_EQ(InContainer("test -e /etc/keep && echo there || echo gone"), "gone\n");
  EXPECT_EQ(InContainer("test -e /etc/hostname && echo kept"), "kept\n");
  EXPECT_EQ(ReadHostFile(victim), "precious\n");
  EXPECT_TRUE(fs::exists("/etc/hostname")) << "a delete followed a symlink to the host";
  EXPECT_EQ(docker_->direct_files_stats().paths_deleted, 4);
}

TEST_F(DirectFilesTest, DeletesInAnImageWithoutRm) {
  // Leave the container without any `rm`: only /bin/busybox-only remains.
  ASSERT_EQ(InContainer("echo gone > /gone && rm /bin/busybox && echo ok", "/bin/busybox-only"),
            "ok\n");
  std::unique_ptr<EngineApiDocker> engine = MakeDocker(DirectFiles::kOff);
  absl::Status without = engine->DeleteIn(container_, {"/gone"});
  EXPECT_EQ(without.code(), absl::StatusCode::kUnimplemented) << without;

  std::unique_ptr<EngineApiDocker> automatic = MakeDocker(DirectFiles::kAuto);
  absl::Status with = automatic->DeleteIn(container_, {"/gone"});
  ASSERT_TRUE(with.ok()) << with;
  EXPECT_EQ(InContainer("test -e /gone && echo there || echo gone", "/bin/busybox-only"),
            "gone\n");
}

TEST_F(DirectFilesTest, FallsBackToTheEngineWhenDisabledOrNotApplicable) {
  std::string a = HostFile("a.txt", "alpha\n");
  std::unique_ptr<EngineApiDocker> off = MakeDocker(DirectFiles::kOff);
  ASSERT_TRUE(off->CopyInto(container_, {{a, "/app/a.txt"}}).ok());
  EXPECT_EQ(InContainer("cat /app/a.txt"), "alpha\n");
  EXPECT_EQ(off->direct_files_stats().files_copied, 0);
  EXPECT_EQ(off->direct_files_stats().fallbacks, 0) << "kOff never tries the fast path";

  // A path with '..' keeps the Engine's semantics: kAuto hands it over.
  std::unique_ptr<EngineApiDocker> automatic = MakeDocker(DirectFiles::kAuto);
  WriteFile(a, "alpha 2\n");
  absl::Status s = automatic->CopyInto(container_, {{a, "/app/x/../a.txt"}});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(InContainer("cat /app/a.txt"), "alpha 2\n");
  EXPECT_EQ(automatic->direct_files_stats().fallbacks, 1);
  EXPECT_THAT(automatic->direct_files_stats().last_fallback_reason, HasSubstr(".."));
  // kRequired reports the reason instead.
  EXPECT_EQ(docker_->CopyInto(container_, {{a, "/app/x/../a.txt"}}).code(),
            absl::StatusCode::kInvalidArgument);

  // A stopped container has no process: the Engine still copies into it.
  ASSERT_TRUE(automatic->Stop(container_, absl::ZeroDuration()).ok());
  WriteFile(a, "alpha 3\n");
  s = automatic->CopyInto(container_, {{a, "/app/a.txt"}});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(automatic->direct_files_stats().fallbacks, 2);
  EXPECT_THAT(docker_->CopyInto(container_, {{a, "/app/a.txt"}}).message(),
              HasSubstr("no running process"));
}

TEST_F(DirectFilesTest, NoticesARestartedContainer) {
  std::string a = HostFile("a.txt", "before\n");
  ASSERT_TRUE(docker_->CopyInto(container_, {{a, "/app/a.txt"}}).ok());
  process::PosixProcessRunner runner;
  absl::StatusOr<process::ExitStatus> restarted =
      runner.Run({.argv = {"docker", "restart", "-t", "0", container_},
                  .timeout = absl::Seconds(60)});
  ASSERT_TRUE(restarted.ok() && restarted->success());
  WriteFile(a, "after\n");
  absl::Status s = docker_->CopyInto(container_, {{a, "/app/a.txt"}});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(InContainer("cat /app/a.txt"), "after\n");
}

TEST_F(DirectFilesTest, MissingHostFileChangesNothing) {
  std::string a = HostFile("a.txt", "alpha\n");
  absl::Status s =
      docker_->CopyInto(container_, {{a, "/app/a.txt"}, {temp_dir_ + "/nope", "/app/nope"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_THAT(InContainer("ls /app"), HasSubstr("<failed"));
}

}  // namespace
}  // namespace devloop::testing
