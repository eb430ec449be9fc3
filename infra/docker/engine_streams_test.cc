#include "infra/docker/internal/engine_streams.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::docker::internal {
namespace {

using ::testing::ElementsAre;

TEST(ProgressReaderTest, BuildOutputImageAndLines) {
  std::vector<std::string> out;
  ProgressReader reader([&](absl::string_view l) { out.emplace_back(l); });
  reader.Append("{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\n{\"aux\":{\"I");
  reader.Append("D\":\"sha256:01\"}}\nnot json\n\n{\"status\":\"a\\nb\"}");
  reader.Finish();
  EXPECT_THAT(out, ElementsAre("Step 1/2 : FROM scratch", "not json", "a", "b"));
  EXPECT_EQ(reader.image_id(), "sha256:01");
  EXPECT_EQ(reader.error(), "");
}

TEST(ProgressReaderTest, ErrorDetailWinsOverError) {
  ProgressReader reader(nullptr);
  reader.Append("{\"errorDetail\":{\"message\":\"denied: no\"},\"error\":\"denied\"}\n");
  reader.Append("{\"aux\":{\"Digest\":\"sha256:ab\"}}");
  reader.Finish();
  EXPECT_EQ(reader.error(), "denied: no");
  EXPECT_EQ(reader.digest(), "sha256:ab");
}

TEST(StreamDemuxerTest, FramesSplitAcrossPieces) {
  std::vector<std::string> lines;
  StreamDemuxer demuxer(false, [&](LogStream s, absl::string_view l) {
    lines.push_back((s == LogStream::kStderr ? "err:" : "out:") + std::string(l));
  });
  const std::string frames =
      std::string("\x01\0\0\0\0\0\0\x06hello\n\x02\0\0\0\0\0\0\x05oops\r", 27);
  for (char c : frames) demuxer.Append(absl::string_view(&c, 1));
  demuxer.Finish();
  EXPECT_THAT(lines, ElementsAre("out:hello", "err:oops"));
}

}  // namespace
}  // namespace devloop::docker::internal
