#include "infra/docker/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Reads a tar back: name -> content ("<dir>" for directories, "-> target" for links).
std::map<std::string, std::string> ReadTar(const std::string& tar) {
  std::map<std::string, std::string> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
  archive_entry* entry;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry);
    if (archive_entry_filetype(entry) == AE_IFDIR) {
      out[name] = "<dir>";
    } else if (archive_entry_filetype(entry) == AE_IFLNK) {
      out[name] = std::string("-> ") + archive_entry_symlink(entry);
    } else {
      std::string content(archive_entry_size(entry), '\0');
      archive_read_data(a, content.data(), content.size());
      out[name] = content;
    }
  }
  archive_read_free(a);
  return out;
}

class TarArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-tar-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& rel, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel, std::ios::binary) << content;
  }
  std::string root_;
};

TEST_F(TarArchiveTest, DirectoryWithExclusionsAndReinclusion) {
  Write("Dockerfile", "FROM scratch");
  Write("src/a.txt", "A");
  Write("logs/x.log", "noise");
  Write("logs/keep.txt", "kept");
  std::filesystem::create_symlink("src/a.txt", root_ + "/link");
  absl::StatusOr<std::string> tar = TarDirectory(
      root_, {.exclude = [](absl::string_view p) {
                return absl::StartsWith(p, "logs") && p != "logs/keep.txt";
              },
              .always_include = {"Dockerfile"}});
  ASSERT_TRUE(tar.ok()) << tar.status();
  EXPECT_THAT(ReadTar(*tar),
              ElementsAre(Pair("Dockerfile", "FROM scratch"), Pair("link", "-> src/a.txt"),
                          Pair("logs/", "<dir>"), Pair("logs/keep.txt", "kept"),
                          Pair("src/", "<dir>"), Pair("src/a.txt", "A")));
  // Same tree, same bytes.
  EXPECT_EQ(*TarDirectory(root_, {}), *TarDirectory(root_, {}));
}

TEST_F(TarArchiveTest, SkippableDirectoriesAreNotWalked) {
  Write("node_modules/x.js", "x");
  Write("a.txt", "a");
  absl::StatusOr<std::string> tar =
      TarDirectory(root_, {.exclude = [](absl::string_view p) { return absl::StartsWith(p, "node_modules"); },
                           .can_skip_directory = [](absl::string_view) { return true; }});
  ASSERT_TRUE(tar.ok());
  EXPECT_THAT(ReadTar(*tar), ElementsAre(Pair("a.txt", "a")));
}

TEST_F(TarArchiveTest, FilesAtContainerPaths) {
  Write("a.txt", "A");
  Write("b.txt", "B");
  absl::StatusOr<std::string> tar =
      TarFiles({{root_ + "/b.txt", "/app/deep/b.txt"}, {root_ + "/a.txt", "/app/a.txt"}});
  ASSERT_TRUE(tar.ok()) << tar.status();
  EXPECT_THAT(ReadTar(*tar), ElementsAre(Pair("app/a.txt", "A"), Pair("app/deep/b.txt", "B")));
}

TEST_F(TarArchiveTest, Errors) {
  EXPECT_EQ(TarFiles({{root_ + "/missing", "/x"}}).status().code(), absl::StatusCode::kNotFound);
  Write("a.txt", "A");
  EXPECT_EQ(TarFiles({{root_ + "/a.txt", "relative"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TarDirectory(root_ + "/nope", {}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace devloop::docker
