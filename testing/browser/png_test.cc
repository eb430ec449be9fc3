#include "testing/browser/png.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::browser {
namespace {

using ::testing::HasSubstr;

// A 1x1 RGBA image as many encoders write it: IHDR, IDAT, IEND.
std::string OnePixel() {
  std::string png;
  EXPECT_TRUE(
      absl::Base64Unescape("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwG"
                           "A60e6kgAAAABJRU5ErkJggg==",
                           &png));
  return png;
}

TEST(ParsePngTest, ReadsSizeAndChunksOfAValidImage) {
  absl::StatusOr<PngInfo> info = ParsePng(OnePixel());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 1u);
  EXPECT_EQ(info->height, 1u);
  EXPECT_EQ(info->chunks, 3);
}

TEST(ParsePngTest, RejectsWhatIsNotAPng) {
  EXPECT_THAT(ParsePng("<html>").status().message(), HasSubstr("no PNG signature"));
  EXPECT_THAT(ParsePng("").status().message(), HasSubstr("no PNG signature"));
}

TEST(ParsePngTest, RejectsATruncatedImage) {
  std::string png = OnePixel();
  absl::StatusOr<PngInfo> info = ParsePng(png.substr(0, png.size() - 5));
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(info.status().message(), HasSubstr("truncated"));
}

TEST(ParsePngTest, RejectsACorruptedByteThroughItsChunkCrc) {
  std::string png = OnePixel();
  png[45] ^= 0x01;  // inside IDAT's compressed data
  EXPECT_THAT(ParsePng(png).status().message(), HasSubstr("CRC mismatch in chunk IDAT"));
}

TEST(ParsePngTest, RejectsBytesAfterIend) {
  EXPECT_THAT(ParsePng(OnePixel() + "x").status().message(), HasSubstr("bytes after IEND"));
}

}  // namespace
}  // namespace devloop::browser
