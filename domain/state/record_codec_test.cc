#include "domain/state/record_codec.h"

#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

ActionableErr FullErr() {
  return ActionableErr{StatusCode::kBuildUserError,
                       "docker build failed: exit 1",
                       {{SuggestionCode::kFixUserBuildErr, "fix the Dockerfile"},
                        {SuggestionCode::kOpenIssue, ""}}};
}

std::vector<Record> EveryKind() {
  const absl::Time t = absl::FromUnixNanos(1795562414577791139);
  Metadata md{BuildMetadata{2, {{BuilderType::kDocker, 2}}, BuildType::kLocal, {{"k", "v"}}},
              DeployMetadata{{{DeployerType::kKubectl, 1}}, ClusterType::kOther},
              TestMetadata{{{TesterType::kUnit, 3}}},
              {{"a", "b"}}};
  return {
      PipelineStarted{{"app", "web"}, true, false, true, md},
      TriggerChanged{Phase::kSync, true},
      PhasesReset{true, false, true},
      LogEntry{t, NoEvent{}, ""},
      LogEntry{t, MetaEvent{"Starting", md}, "Starting devloop"},
      LogEntry{t, BuildEvent{"web", "Failed", "boom", StatusCode::kBuildUserError, FullErr()},
               "Build failed for artifact web"},
      LogEntry{t, DeployEvent{"Complete", "", StatusCode::kOk, std::nullopt}, "Deploy completed"},
      LogEntry{t,
               PortEvent{9000, 8080, "pod", "c", "ns", "http", "container", "web", "127.0.0.1",
                         IntOrString{1, 0, "http"}},
               "Forwarding container c to local port 9000"},
      LogEntry{t, StatusCheckEvent{"Failed", "m", "e", StatusCode::kStatusCheckDeadlineExceeded, FullErr()}, ""},
      LogEntry{t, ResourceStatusCheckEvent{"container/web", "Pending", "waiting", "", StatusCode::kStatusCheckContainerCreating, std::nullopt}, ""},
      LogEntry{t, FileSyncEvent{3, "web:abc", "Succeeded", "", StatusCode::kOk, std::nullopt},
               "File sync succeeded for 3 files for web:abc"},
      LogEntry{t, DebuggingContainerEvent{"Started", "p", "c", "ns", "web", "go", "/app", {{"dlv", 56268u}, {"max", 4294967295u}}}, ""},
      LogEntry{t, DevLoopEvent{-1, "Failed", FullErr()}, "Update failed"},
      LogEntry{absl::FromUnixNanos(-5), TerminationEvent{"Completed", std::nullopt}, ""},
      LogEntry{t, TestEvent{"In Progress", FullErr()}, ""},
  };
}

TEST(RecordCodecTest, EveryKindRoundTrips) {
  for (const Record& r : EveryKind()) {
    std::string bytes;
    EncodeRecord(r, &bytes);
    absl::StatusOr<Record> back = DecodeRecord(bytes);
    ASSERT_TRUE(back.ok()) << r << ": " << back.status();
    EXPECT_EQ(*back, r) << r;
  }
}

TEST(RecordCodecTest, TypicalEventIsSmall) {
  std::string bytes;
  EncodeRecord(LogEntry{absl::FromUnixNanos(1795562414577791139),
                        BuildEvent{.artifact = "web", .status = "In Progress"},
                        "Build started for artifact web"},
               &bytes);
  EXPECT_LT(bytes.size(), 80u);
}

TEST(RecordCodecTest, TruncatedOrTrailingBytesAreDataLoss) {
  for (const Record& r : EveryKind()) {
    std::string bytes;
    EncodeRecord(r, &bytes);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      absl::StatusOr<Record> back = DecodeRecord(absl::string_view(bytes).substr(0, cut));
      // A prefix may decode only if it is a different, complete record; it must
      // never crash, and never decode to the original.
      if (back.ok()) {
        EXPECT_NE(*back, r);
      } else {
        EXPECT_EQ(back.status().code(), absl::StatusCode::kDataLoss);
      }
    }
    EXPECT_EQ(DecodeRecord(bytes + "x").status().code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(DecodeRecord("\x7f").status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordCodecTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    (void)DecodeRecord(bytes);
  }
}

}  // namespace
}  // namespace devloop::domain
