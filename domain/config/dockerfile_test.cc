#include "domain/config/dockerfile.h"

#include "gtest/gtest.h"

namespace devloop::config {
namespace {

TEST(ParseDockerfileTest, CopiesOfTheLastStageWithWorkdir) {
  const char* text = R"(# syntax=docker/dockerfile:1
ARG BASE=scratch
FROM golang AS builder
WORKDIR /src
COPY . .
FROM scratch
COPY --from=builder /src/app /app
WORKDIR /srv
copy static/ web/
ADD ["conf/a.conf", "conf/b.conf", "/etc/app"]
WORKDIR data
COPY --chown=1:1 \
     *.txt \
     ./
)";
  absl::StatusOr<DockerfileInfo> info = ParseDockerfile(text, "");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->workdir, "/srv/data");
  ASSERT_EQ(info->copies.size(), 3u);
  EXPECT_EQ(info->copies[0], (DockerCopy{{"static/"}, "/srv/web/"}));
  EXPECT_EQ(info->copies[1], (DockerCopy{{"conf/a.conf", "conf/b.conf"}, "/etc/app/"}));
  EXPECT_EQ(info->copies[2].srcs, (std::vector<std::string>{"*.txt"}));
  EXPECT_EQ(info->copies[2].dest, "/srv/data/");
}

TEST(ParseDockerfileTest, TargetStageAndInheritance) {
  const char* text =
      "FROM scratch AS base\nWORKDIR /app\nCOPY a.txt .\n"
      "FROM base AS dev\nCOPY b.txt b\n"
      "FROM scratch\nCOPY c.txt /c\n";
  absl::StatusOr<DockerfileInfo> dev = ParseDockerfile(text, "dev");
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_EQ(dev->workdir, "/app");
  ASSERT_EQ(dev->copies.size(), 2u);
  EXPECT_EQ(dev->copies[0].dest, "/app/");
  EXPECT_EQ(dev->copies[1].dest, "/app/b");
  absl::StatusOr<DockerfileInfo> last = ParseDockerfile(text, "");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->workdir, "");
  EXPECT_EQ(last->copies, (std::vector<DockerCopy>{{{"c.txt"}, "/c"}}));
}

TEST(ParseDockerfileTest, Errors) {
  EXPECT_EQ(ParseDockerfile("", "").status().message(), "no FROM instruction");
  EXPECT_EQ(ParseDockerfile("COPY a b\n", "").status().message(),
            "line 1: expected FROM before COPY");
  EXPECT_EQ(ParseDockerfile("FROM x\n\nCOPY a\n", "").status().message(),
            "line 3: COPY needs at least a source and a destination");
  EXPECT_EQ(ParseDockerfile("FROM x\n", "nope").status().message(), "no stage named \"nope\"");
}

// A custom artifact's dependencies.dockerfile: every stage's inputs count.
TEST(DockerfileSourcesTest, EveryStageWithArgsSubstituted) {
  const char* text =
      "ARG DIR=src\n"
      "FROM golang AS builder\nCOPY go.mod ${DIR}/ /src/\nARG EXTRA\nCOPY $EXTRA/x /x\n"
      "FROM scratch\nCOPY --from=builder /src/app /app\n"
      "ADD https://example.com/a.tgz /a\nADD [\"static/*.html\", \"/srv/\"]\n"
      "COPY go.mod /again\nCOPY \\$HOME /h\n";
  absl::StatusOr<std::vector<std::string>> sources = DockerfileSources(text, {});
  ASSERT_TRUE(sources.ok()) << sources.status();
  EXPECT_EQ(*sources,
            (std::vector<std::string>{"go.mod", "src/", "/x", "static/*.html", "$HOME"}));
  sources = DockerfileSources(text, {{"DIR", "lib"}, {"EXTRA", "gen"}});
  ASSERT_TRUE(sources.ok()) << sources.status();
  EXPECT_EQ(*sources,
            (std::vector<std::string>{"go.mod", "lib/", "gen/x", "static/*.html", "$HOME"}));
}

TEST(DockerfileSourcesTest, Errors) {
  EXPECT_EQ(DockerfileSources("", {}).status().message(), "no FROM instruction");
  EXPECT_EQ(DockerfileSources("COPY a b\n", {}).status().message(),
            "line 1: expected FROM before COPY");
  EXPECT_EQ(DockerfileSources("FROM x\nADD a\n", {}).status().message(),
            "line 2: ADD needs at least a source and a destination");
}

}  // namespace
}  // namespace devloop::config
