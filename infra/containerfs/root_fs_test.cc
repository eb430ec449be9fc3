// RootFs on real directories: a temporary directory plays the container's
// root, with the symlinks a hostile or careless image could hold.
#include "infra/containerfs/root_fs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::containerfs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class RootFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-rootfs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_dir_ = base_ + "/root";
    outside_ = base_ + "/outside";
    host_ = base_ + "/host";
    fs::create_directories(root_dir_);
    fs::create_directories(outside_);
    fs::create_directories(host_);
    Write(outside_ + "/victim.txt", "precious\n");
    owner_ = {.uid = getuid(), .gid = getgid()};
    absl::StatusOr<RootFs> root = RootFs::Open(root_dir_, owner_);
    ASSERT_TRUE(root.ok()) << root.status();
    root_.emplace(*std::move(root));
  }
  void TearDown() override { fs::remove_all(base_); }

  // Entries of `dir` that look like our temporary files.
  std::vector<std::string> Leftovers(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (absl::StartsWith(e.path().filename().string(), ".devloop-sync")) {
        out.push_back(e.path().string());
      }
    }
    return out;
  }

  std::string HostFile(const std::string& name, const std::string& content, mode_t mode = 0644) {
    std::string path = host_ + "/" + name;
    Write(path, content);
    chmod(path.c_str(), mode);
    return path;
  }

  std::string base_, root_dir_, outside_, host_;
  Owner owner_;
  std::optional<RootFs> root_;
};

TEST_F(RootFsTest, CopiesNewFileIntoNewParentsKeepingModeAndTime) {
  std::string src = HostFile("run.sh", "#!/bin/sh\necho hi\n", 0751);
  struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, src.c_str(), times, 0), 0);
  mode_t old_umask = umask(077);  // parents must still come out 0755
  absl::Status s = root_->CopyFile(src, "/app/new/dir/run.sh");
  umask(old_umask);
  ASSERT_TRUE(s.ok()) << s;
  std::string dst = root_dir_ + "/app/new/dir/run.sh";
  EXPECT_EQ(Read(dst), "#!/bin/sh\necho hi\n");
  struct stat st;
  ASSERT_EQ(lstat(dst.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0751u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(st.st_uid, owner_.uid);
  for (const char* dir : {"/app", "/app/new", "/app/new/dir"}) {
    ASSERT_EQ(stat((root_dir_ + dir).c_str(), &st), 0) << dir;
    EXPECT_EQ(st.st_mode & 07777, 0755u) << dir;
  }
  EXPECT_THAT(Leftovers(root_dir_), IsEmpty());
}

TEST_F(RootFsTest, OverwritesExistingFileAndLeavesExistingParentsAlone) {
  Write(root_dir_ + "/www/index.html", "old\n");
  chmod((root_dir_ + "/www").c_str(), 0700);
  std::string src = HostFile("index.html", "new\n");
  ASSERT_TRUE(root_->CopyFile(src, "/www/index.html").ok());
  EXPECT_EQ(Read(root_dir_ + "/www/index.html"), "new\n");
  struct stat st;
  ASSERT_EQ(stat((root_dir_ + "/www").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_THAT(Leftovers(root_dir_), IsEmpty());
}

TEST_F(RootFsTest, AbsoluteSymlinkInTheRootResolvesInsideIt) {
  // The image holds a link to an absolute path that exists on the host and in
  // the image (as /etc would).
  fs::create_directories(root_dir_ + "/app");
  fs::create_directories(root_dir_ + outside_);
  fs::create_directory_symlink(outside_, root_dir_ + "/app/link");
  std::string src = HostFile("x.txt", "inside\n");
  absl::Status s = root_->CopyFile(src, "/app/link/x.txt");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(fs::exists(outside_ + "/x.txt")) << "the copy escaped the root";
  EXPECT_EQ(Read(root_dir_ + outside_ + "/x.txt"), "inside\n");
}

TEST_F(RootFsTest, DanglingAbsoluteSymlinkIsNotFollowedToTheHost) {
  // The link's target exists only on the host: in the root it dangles, and
  // the copy fails (as the Engine's does) instead of landing on the host.
  fs::create_directories(root_dir_ + "/app");
  fs::create_directory_symlink(outside_, root_dir_ + "/app/link");
  absl::Status s = root_->CopyFile(HostFile("x.txt", "x"), "/app/link/x.txt");
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(outside_ + "/x.txt")) << "the copy escaped the root";
  EXPECT_THAT(Leftovers(base_), IsEmpty());
}

TEST_F(RootFsTest, DotDotSymlinkCannotClimbOutOfTheRoot) {
  fs::create_directories(root_dir_ + "/app/deep");
  fs::create_directory_symlink("../../../../../../..", root_dir_ + "/app/deep/up");
  std::string src = HostFile("y.txt", "inside\n");
  std::string relative_outside = outside_.substr(1);  // "tmp/devloop-rootfs-…/outside"
  absl::Status s = root_->CopyFile(src, "/app/deep/up/" + relative_outside + "/victim.txt");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Read(outside_ + "/victim.txt"), "precious\n") << "the copy escaped the root";
  EXPECT_EQ(Read(root_dir_ + outside_ + "/victim.txt"), "inside\n");
}

TEST_F(RootFsTest, SymlinkAtTheTargetIsReplacedNotFollowed) {
  fs::create_directories(root_dir_ + "/app");
  fs::create_symlink(outside_ + "/victim.txt", root_dir_ + "/app/config");
  std::string src = HostFile("config", "mine\n");
  ASSERT_TRUE(root_->CopyFile(src, "/app/config").ok());
  EXPECT_EQ(Read(outside_ + "/victim.txt"), "precious\n");
  EXPECT_FALSE(fs::is_symlink(root_dir_ + "/app/config"));
  EXPECT_EQ(Read(root_dir_ + "/app/config"), "mine\n");
}

TEST_F(RootFsTest, HostSymlinkIsCopiedAsASymlink) {
  std::string link = host_ + "/current";
  fs::create_symlink("releases/v2", link);
  ASSERT_TRUE(root_->CopyFile(link, "/app/current").ok());
  ASSERT_TRUE(fs::is_symlink(root_dir_ + "/app/current"));
  EXPECT_EQ(fs::read_symlink(root_dir_ + "/app/current").string(), "releases/v2");
}

TEST_F(RootFsTest, MissingHostFileIsNotFoundAndCreatesNothing) {
  absl::Status s = root_->CopyFile(host_ + "/nope", "/app/nope");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_THAT(s.message(), HasSubstr(host_ + "/nope"));
  EXPECT_FALSE(fs::exists(root_dir_ + "/app"));
}

TEST_F(RootFsTest, ParentThatIsAFileFailsCleanly) {
  Write(root_dir_ + "/app", "a file\n");
  absl::Status s = root_->CopyFile(HostFile("z", "z"), "/app/z");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(Read(root_dir_ + "/app"), "a file\n");
}

TEST_F(RootFsTest, DirectoryAtTheTargetFailsAndLeavesNoTemporaryFile) {
  Write(root_dir_ + "/app/dir/keep", "k");
  absl::Status s = root_->CopyFile(HostFile("f", "f"), "/app/dir");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(Read(root_dir_ + "/app/dir/keep"), "k");
  EXPECT_THAT(Leftovers(root_dir_), IsEmpty());
}

TEST_F(RootFsTest, RefusesPathsItCannotResolveLikeTheEngine) {
  std::string src = HostFile("f", "f");
  for (const char* path : {"relative/f", "/", "//", "/app/../f", "/app/./f"}) {
    EXPECT_EQ(root_->CopyFile(src, path).code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(root_->Remove(path).code(), absl::StatusCode::kInvalidArgument) << path;
  }
}

TEST_F(RootFsTest, RefusesProcfs) {
  absl::StatusOr<RootFs> host_root = RootFs::Open("/", owner_);
  ASSERT_TRUE(host_root.ok());
  absl::Status s = host_root->CopyFile(HostFile("f", "f"), "/proc/self/devloop-test");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

TEST_F(RootFsTest, RemovesFilesAndTreesWithoutFollowingSymlinks) {
  Write(root_dir_ + "/app/a.txt", "a");
  Write(root_dir_ + "/app/dir/sub/b.txt", "b");
  fs::create_directory_symlink(outside_, root_dir_ + "/app/dir/sub/out");
  fs::create_symlink(outside_ + "/victim.txt", root_dir_ + "/app/dir/v");

  ASSERT_TRUE(root_->Remove("/app/a.txt").ok());
  EXPECT_FALSE(fs::exists(root_dir_ + "/app/a.txt"));
  absl::Status s = root_->Remove("/app/dir");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(fs::exists(root_dir_ + "/app/dir"));
  EXPECT_EQ(Read(outside_ + "/victim.txt"), "precious\n");
  EXPECT_TRUE(fs::exists(root_dir_ + "/app"));
}

TEST_F(RootFsTest, RemoveOfMissingPathsIsOk) {
  EXPECT_TRUE(root_->Remove("/app/none").ok());
  EXPECT_TRUE(root_->Remove("/no/such/dir/file").ok());
}

TEST_F(RootFsTest, RemoveThroughAbsoluteSymlinkStaysInside) {
  fs::create_directories(root_dir_ + "/app");
  fs::create_directory_symlink(outside_, root_dir_ + "/app/link");
  Write(root_dir_ + outside_ + "/victim.txt", "inside copy\n");
  ASSERT_TRUE(root_->Remove("/app/link/victim.txt").ok());
  EXPECT_EQ(Read(outside_ + "/victim.txt"), "precious\n") << "the delete escaped the root";
  EXPECT_FALSE(fs::exists(root_dir_ + outside_ + "/victim.txt"));
}

TEST_F(RootFsTest, OpenOfMissingDirectoryIsNotFound) {
  EXPECT_EQ(RootFs::Open(base_ + "/none", owner_).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace devloop::containerfs
