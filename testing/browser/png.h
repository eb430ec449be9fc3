// Checks that bytes are a well-formed PNG image and reads its size, so a test
// can tell that a screenshot really is one (and of the window's size) without
// an image library.
//
//   absl::StatusOr<PngInfo> png = ParsePng(*ReadFile(path));
//   EXPECT_EQ(png->width, 1280);
//
// Free functions: thread-safe.
#ifndef DEVLOOP_TESTING_BROWSER_PNG_H_
#define DEVLOOP_TESTING_BROWSER_PNG_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::browser {

struct PngInfo {
  uint32_t width = 0;
  uint32_t height = 0;
  int chunks = 0;  // every chunk, IHDR and IEND included
};

// Parses the PNG container: the signature, then chunks whose lengths fit and
// whose CRC-32s match, IHDR first, at least one IDAT, IEND last with nothing
// after it. Does not decompress the pixels. Returns InvalidArgument naming the
// first thing wrong (and its byte offset).
absl::StatusOr<PngInfo> ParsePng(absl::string_view bytes);

}  // namespace devloop::browser

#endif  // DEVLOOP_TESTING_BROWSER_PNG_H_
