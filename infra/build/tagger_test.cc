// The tag policies, each against real inputs: git ones against a real
// repository made in a temp directory with the real git, inputDigest against a
// real context, dateTime on a fake clock.
#include "infra/build/tagger.h"

#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "infra/clock/fake_clock.h"
#include "infra/fs/context_hash.h"
#include "infra/process/posix_process_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::build {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// Runs a shell command in `dir`; returns its stdout without the trailing newline.
std::string Sh(const std::string& dir, const std::string& command) {
  std::string full = absl::StrCat("cd '", dir, "' && ", command, " 2>/dev/null");
  FILE* p = ::popen(full.c_str(), "r");
  std::string out;
  char buf[256];
  while (p != nullptr && fgets(buf, sizeof buf, p) != nullptr) out += buf;
  if (p != nullptr) {
    EXPECT_EQ(::pclose(p), 0) << command;
  }
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

void Write(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/devloop-tagger-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)std::system(absl::StrCat("rm -rf '", path_, "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A repository with one commit: Dockerfile at the top, app/ with main.c.
class GitRepo : public TempDir {
 public:
  GitRepo() {
    Write(path() + "/Dockerfile", "FROM scratch\n");
    Sh(path(), "mkdir app");
    Write(path() + "/app/main.c", "int main() {}\n");
    Sh(path(), "git init -q . && git add -A && " + std::string(kCommit) + " -m first");
  }
  static constexpr const char* kCommit =
      "git -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false commit -q";
};

absl::StatusOr<std::string> TagWith(const TaggerOptions& options, const std::string& dir,
                                    const std::string& image = "web") {
  absl::StatusOr<std::unique_ptr<Tagger>> tagger = Tagger::Make(options);
  if (!tagger.ok()) return tagger.status();
  return (*tagger)->Tag(image, dir);
}

class TaggerTest : public ::testing::Test {
 protected:
  process::PosixProcessRunner runner_;
};

TEST_F(TaggerTest, Sha256IsLatest) {
  TempDir dir;
  EXPECT_EQ(TagWith({.policy = config::Sha256Tagger{}}, dir.path()).value(), "latest");
}

TEST_F(TaggerTest, OverrideTagWinsOverThePolicy) {
  TempDir dir;
  EXPECT_EQ(TagWith({.policy = config::Sha256Tagger{}, .override_tag = "v7"}, dir.path()).value(),
            "v7");
  EXPECT_EQ(TagWith({.override_tag = "v7"}, dir.path()).value(), "v7");  // gitCommit, no runner
}

TEST_F(TaggerTest, InvalidOverrideTagIsRefusedUpFront) {
  absl::StatusOr<std::unique_ptr<Tagger>> t = Tagger::Make({.override_tag = "a:b"});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("--tag"));
  EXPECT_THAT(t.status().message(), HasSubstr("':' is not allowed"));
}

TEST_F(TaggerTest, InputDigestIsTheContextHashAndFollowsTheContent) {
  TempDir dir;
  Write(dir.path() + "/Dockerfile", "FROM scratch\n");
  Write(dir.path() + "/a.txt", "one");
  absl::StatusOr<std::string> first = TagWith({.policy = config::InputDigestTagger{}}, dir.path());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, fs::HashBuildContext(dir.path()).value());
  EXPECT_THAT(*first, MatchesRegex("[0-9a-f]{64}"));
  Write(dir.path() + "/a.txt", "two");
  EXPECT_NE(TagWith({.policy = config::InputDigestTagger{}}, dir.path()).value(), *first);
}

TEST_F(TaggerTest, InputDigestOfAMissingContextFails) {
  absl::StatusOr<std::string> tag =
      TagWith({.policy = config::InputDigestTagger{}}, "/nonexistent/devloop/context");
  ASSERT_FALSE(tag.ok());
  EXPECT_THAT(tag.status().message(), HasSubstr("inputDigest"));
}

TEST_F(TaggerTest, EnvTemplateSeesTheEnvironmentAndImageName) {
  TempDir dir;
  TaggerOptions o{.policy = config::EnvTemplateTagger{"{{.IMAGE_NAME}}-{{.USER}}"},
                  .env = {{"USER", "ana"}}};
  EXPECT_EQ(TagWith(o, dir.path(), "web:old").value(), "web-ana");
  o.policy = config::EnvTemplateTagger{"{{.VERSION | default \"dev\"}}"};
  EXPECT_EQ(TagWith(o, dir.path()).value(), "dev");
  o.env["VERSION"] = "1.2";
  EXPECT_EQ(TagWith(o, dir.path()).value(), "1.2");
}

TEST_F(TaggerTest, EnvTemplateThatDoesNotParseIsRefusedAtMake) {
  absl::StatusOr<std::unique_ptr<Tagger>> t =
      Tagger::Make({.policy = config::EnvTemplateTagger{"{{.USER"}});
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("envTemplate"));
}

TEST_F(TaggerTest, EnvTemplateGivingAnInvalidTagSaysWhich) {
  TempDir dir;
  absl::StatusOr<std::string> tag =
      TagWith({.policy = config::EnvTemplateTagger{"{{.MISSING}}"}}, dir.path());
  ASSERT_FALSE(tag.ok());
  EXPECT_EQ(tag.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tag.status().message(), HasSubstr("envTemplate"));
  EXPECT_THAT(tag.status().message(), HasSubstr("<no value>"));
}

TEST_F(TaggerTest, DateTimeDefaultLayout) {
  TempDir dir;
  clock::FakeClock clock(absl::FromUnixSeconds(1'700'000'000) + absl::Milliseconds(250));
  TaggerOptions o{.policy = config::DateTimeTagger{.timezone = "UTC"}, .clock = &clock};
  EXPECT_EQ(TagWith(o, dir.path()).value(), "2023-11-14_22-13-20.25_UTC");
  o.policy = config::DateTimeTagger{.format = "20060102T150405", .timezone = "Asia/Tokyo"};
  EXPECT_EQ(TagWith(o, dir.path()).value(), "20231115T071320");
}

TEST_F(TaggerTest, DateTimeUnknownZoneIsRefused) {
  absl::StatusOr<std::unique_ptr<Tagger>> t =
      Tagger::Make({.policy = config::DateTimeTagger{.timezone = "Mars/Olympus"}});
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("Mars/Olympus"));
}

TEST_F(TaggerTest, DateTimeLayoutWithColonIsAnInvalidTag) {
  TempDir dir;
  clock::FakeClock clock;
  absl::StatusOr<std::string> tag = TagWith(
      {.policy = config::DateTimeTagger{.format = "15:04", .timezone = "UTC"}, .clock = &clock},
      dir.path());
  ASSERT_FALSE(tag.ok());
  EXPECT_THAT(tag.status().message(), HasSubstr("dateTime"));
}

TEST(FormatGoTimeTest, Layouts) {
  // Tuesday 2023-11-14 22:13:20.012345678 UTC.
  const absl::Time t = absl::FromUnixNanos(1'700'000'000'012'345'678);
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::TimeZone plus2 = absl::FixedTimeZone(2 * 3600 + 30 * 60);
  struct Case {
    const char* layout;
    absl::TimeZone zone;
    const char* want;
  } cases[] = {
      {"2006-01-02 15:04:05", utc, "2023-11-14 22:13:20"},
      {"06 1 2 3 4 5", utc, "23 11 14 10 13 20"},
      {"Jan January Mon Monday", utc, "Nov November Tue Tuesday"},
      {"03PM pm", utc, "10PM pm"},
      {"_2|__2|002", utc, "14|318|318"},
      {"05.000|05.999|05,000000000", utc, "20.012|20.012|20,012345678"},
      {"05.9", utc, "20"},  // the first digit is 0: all trimmed, dot too
      {"MST -0700 -07:00 Z0700 Z07:00 -07", utc, "UTC +0000 +00:00 Z Z +00"},
      {"15:04 -0700 Z07:00", plus2, "00:43 +0230 +02:30"},
      {"no tokens here", utc, "no tokens here"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatGoTime(c.layout, t, c.zone), c.want) << c.layout;
  }
}

TEST(TaggedReferenceTest, ReplacesOnlyATag) {
  EXPECT_EQ(TaggedReference("web", "v1"), "web:v1");
  EXPECT_EQ(TaggedReference("web:old", "v1"), "web:v1");
  EXPECT_EQ(TaggedReference("localhost:5000/web", "v1"), "localhost:5000/web:v1");
  EXPECT_EQ(TaggedReference("localhost:5000/web:old@sha256:ab", "v1"), "localhost:5000/web:v1");
}

TEST(ValidateTagTest, Rules) {
  EXPECT_TRUE(ValidateTag("v1.2_rc-3").ok());
  EXPECT_FALSE(ValidateTag("").ok());
  EXPECT_FALSE(ValidateTag(".hidden").ok());
  EXPECT_FALSE(ValidateTag("-x").ok());
  EXPECT_FALSE(ValidateTag("a/b").ok());
  EXPECT_FALSE(ValidateTag(std::string(129, 'a')).ok());
  EXPECT_TRUE(ValidateTag(std::string(128, 'a')).ok());
}

// gitCommit against a real repository.

TEST_F(TaggerTest, GitTagsVariantIsTheAbbreviatedCommitWithoutATagAndTheTagWithOne) {
  GitRepo repo;
  TaggerOptions o{.policy = config::GitCommitTagger{}, .runner = &runner_};
  EXPECT_EQ(TagWith(o, repo.path()).value(), Sh(repo.path(), "git rev-parse --short HEAD"));
  Sh(repo.path(), "git tag v1.0");
  EXPECT_EQ(TagWith(o, repo.path()).value(), "v1.0");
}

TEST_F(TaggerTest, GitCommitShaVariants) {
  GitRepo repo;
  const std::string head = Sh(repo.path(), "git rev-parse HEAD");
  ASSERT_THAT(head, MatchesRegex("[0-9a-f]{40}"));
  TaggerOptions o{.runner = &runner_};
  o.policy = config::GitCommitTagger{.variant = config::GitCommitVariant::kCommitSha};
  EXPECT_EQ(TagWith(o, repo.path()).value(), head);
  o.policy = config::GitCommitTagger{.variant = config::GitCommitVariant::kAbbrevCommitSha};
  EXPECT_EQ(TagWith(o, repo.path()).value(), Sh(repo.path(), "git rev-parse --short HEAD"));
  o.policy = config::GitCommitTagger{.variant = config::GitCommitVariant::kCommitSha,
                                     .prefix = "build-"};
  EXPECT_EQ(TagWith(o, repo.path()).value(), "build-" + head);
}

TEST_F(TaggerTest, GitTreeShaIsTheTreeOfTheContextDirectory) {
  GitRepo repo;
  const std::string app = repo.path() + "/app";
  const std::string app_tree = Sh(repo.path(), "git rev-parse HEAD:app");
  TaggerOptions o{.runner = &runner_};
  o.policy = config::GitCommitTagger{.variant = config::GitCommitVariant::kTreeSha};
  EXPECT_EQ(TagWith(o, app).value(), app_tree);
  EXPECT_EQ(TagWith(o, repo.path()).value(), Sh(repo.path(), "git rev-parse HEAD:"));
  o.policy = config::GitCommitTagger{.variant = config::GitCommitVariant::kAbbrevTreeSha};
  EXPECT_EQ(TagWith(o, app).value(), Sh(repo.path(), "git rev-parse --short HEAD:app"));

  // A commit outside app/ changes the commit but not app's tree.
  Write(repo.path() + "/README", "x");
  Sh(repo.path(), "git add README && " + std::string(GitRepo::kCommit) + " -m readme");
  o.policy = config::GitCommitTagger{.variant = config::GitCommitVariant::kTreeSha};
  EXPECT_EQ(TagWith(o, app).value(), app_tree);
}

TEST_F(TaggerTest, GitDirtySuffixFollowsChangesInTheContextOnly) {
  GitRepo repo;
  const std::string app = repo.path() + "/app";
  Sh(repo.path(), "git tag v2");
  TaggerOptions o{.policy = config::GitCommitTagger{}, .runner = &runner_};
  EXPECT_EQ(TagWith(o, app).value(), "v2");

  Write(repo.path() + "/outside.txt", "not in app/");  // untracked, outside the context
  EXPECT_EQ(TagWith(o, app).value(), "v2");
  EXPECT_EQ(TagWith(o, repo.path()).value(), "v2-dirty");

  Write(app + "/main.c", "int main() { return 1; }\n");  // modified, inside
  EXPECT_EQ(TagWith(o, app).value(), "v2-dirty");
  o.policy = config::GitCommitTagger{.ignore_changes = true};
  EXPECT_EQ(TagWith(o, app).value(), "v2");
  o.policy = config::GitCommitTagger{.variant = config::GitCommitVariant::kAbbrevCommitSha,
                                     .prefix = "p-"};
  EXPECT_EQ(TagWith(o, app).value(),
            absl::StrCat("p-", Sh(repo.path(), "git rev-parse --short HEAD"), "-dirty"));
}

TEST_F(TaggerTest, GitCommitOutsideARepositoryTagsByContent) {
  TempDir dir;
  Sh(dir.path(), "echo one > a.txt");
  const TaggerOptions git{.policy = config::GitCommitTagger{}, .runner = &runner_};
  const std::string first = TagWith(git, dir.path()).value();
  EXPECT_EQ(first, TagWith({.policy = config::InputDigestTagger{}}, dir.path()).value());
  EXPECT_EQ(TagWith(git, dir.path()).value(), first) << "same content, same tag";
  Sh(dir.path(), "echo two > a.txt");
  EXPECT_NE(TagWith(git, dir.path()).value(), first) << "new content, new tag";
  Sh(dir.path(), "git init -q .");  // a repository without a commit
  EXPECT_EQ(TagWith(git, dir.path()).value(),
            TagWith({.policy = config::InputDigestTagger{}}, dir.path()).value());
}

TEST_F(TaggerTest, GitCommitWithoutARunnerIsRefused) {
  EXPECT_FALSE(Tagger::Make({.policy = config::GitCommitTagger{}}).ok());
}

}  // namespace
}  // namespace devloop::build
