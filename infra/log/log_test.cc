#include "infra/log/log.h"

#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::log {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ShortPrefixTest, ReadsAsSkaffoldsLogrusLines) {
  struct Case {
    Severity severity;
    absl::Duration since_start;
    std::string want;
  };
  const Case cases[] = {
      {Severity::kWarning, absl::Seconds(3), "WARN[0003]"},
      {Severity::kError, absl::Milliseconds(100999), "ERRO[0100]"},  // whole seconds, down
      {Severity::kInfo, absl::ZeroDuration(), "INFO[0000]"},
      {Severity::kFatal, absl::Seconds(12345), "FATA[12345]"},        // wider, never cut
      {Severity::kWarning, absl::Milliseconds(-5), "WARN[0000]"},     // a clock step back
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ShortPrefix(c.severity, c.since_start), c.want) << c.since_start;
  }
}

TEST(GlogPrefixTest, IsGlogsOwnWithoutTheSpace) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time at =
      absl::FromCivil(absl::CivilSecond(2026, 12, 3, 21, 3, 11), utc) + absl::Microseconds(123456);
  EXPECT_EQ(GlogPrefix(Severity::kInfo, at, utc, 12345, "grpc_server.cc", 630),
            "I20261203 21:03:11.123456 12345 grpc_server.cc:630]");
  EXPECT_EQ(GlogPrefix(Severity::kWarning, at + absl::Hours(3), utc, 42, "a.cc", 7),
            "W20261204 00:03:11.123456    42 a.cc:7]");
  EXPECT_EQ(GlogPrefix(Severity::kError, at, utc, 1, "b.cc", 1).substr(0, 1), "E");
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// The lines of `text` that carry glog's own prefix ("I20261203 21:03:11...").
std::vector<std::string> GlogLines(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(text)) {
    if (std::regex_search(line, std::regex(R"(^[IWEF]\d{8} )"))) out.push_back(line);
  }
  return out;
}

// What the process printed on stderr while `log` ran at `level`.
template <typename F>
std::string StderrAt(Level level, F log) {
  SetLevel(level);
  ::testing::internal::CaptureStderr();
  log();
  return ::testing::internal::GetCapturedStderr();
}

TEST(LogTest, EachLevelPrintsItsLinesWithItsPrefix) {
  Init("log_test");
  auto log_all = [] {
    DEVLOOP_LOG(INFO) << "listening";
    DEVLOOP_LOG(WARNING) << "port taken";
    DEVLOOP_LOG(ERROR) << "cleanup failed";
    DEVLOOP_VLOG(1) << "docker: POST /build";
    DEVLOOP_VLOG(2) << "docker: 200";
  };
  // The prefix's seconds are those since Init: this test takes well under one.
  EXPECT_THAT(Lines(StderrAt(Level::kWarning, log_all)),
              ElementsAre("WARN[0000] port taken", "ERRO[0000] cleanup failed"));
  EXPECT_THAT(Lines(StderrAt(Level::kError, log_all)), ElementsAre("ERRO[0000] cleanup failed"));
  EXPECT_THAT(Lines(StderrAt(Level::kInfo, log_all)),
              ElementsAre("INFO[0000] listening", "WARN[0000] port taken",
                          "ERRO[0000] cleanup failed"));

  const std::string debug = StderrAt(Level::kDebug, log_all);
  EXPECT_EQ(GlogLines(debug).size(), 4u) << debug;
  EXPECT_THAT(debug, ::testing::ContainsRegex("log_test.cc:[0-9]+\\] docker: POST /build"));
  EXPECT_THAT(debug, ::testing::Not(::testing::HasSubstr("docker: 200")));
  EXPECT_EQ(GlogLines(StderrAt(Level::kTrace, log_all)).size(), 5u);

  // Back at the default: no glog prefix anywhere.
  EXPECT_THAT(GlogLines(StderrAt(Level::kWarning, log_all)), IsEmpty());
}

TEST(LogTest, TheArgumentsOfALineNotPrintedAreNotEvaluated) {
  SetLevel(Level::kWarning);
  int evaluated = 0;
  auto counted = [&evaluated] { return ++evaluated; };
  ::testing::internal::CaptureStderr();
  DEVLOOP_LOG(INFO) << counted();
  DEVLOOP_VLOG(1) << counted();
  EXPECT_EQ(evaluated, 0);
  DEVLOOP_LOG(WARNING) << "evaluated " << counted();
  EXPECT_EQ(evaluated, 1);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), ::testing::HasSubstr("evaluated 1\n"));
}

TEST(LogDeathTest, AFatalLineIsWrittenThenAborts) {
  SetLevel(Level::kWarning);
  EXPECT_DEATH(DEVLOOP_LOG(FATAL) << "cannot go on", "FATA\\[[0-9]+\\] cannot go on");
}

}  // namespace
}  // namespace devloop::log
