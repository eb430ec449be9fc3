#include "testing/browser/png.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace devloop::browser {
namespace {

constexpr absl::string_view kSignature("\x89PNG\r\n\x1a\n", 8);

uint32_t ReadBigEndian32(absl::string_view bytes, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

// CRC-32 as PNG defines it (ISO 3309, polynomial 0xEDB88320), over the chunk
// type and data. A table built once; zlib is not a dependency of the tree.
uint32_t Crc32(absl::string_view data) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
    return table;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (char ch : data) crc = kTable[(crc ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

absl::Status Bad(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("not a valid PNG: ", what, " at byte ", offset));
}

}  // namespace

absl::StatusOr<PngInfo> ParsePng(absl::string_view bytes) {
  if (bytes.substr(0, kSignature.size()) != kSignature) return Bad(0, "no PNG signature");
  PngInfo info;
  bool seen_idat = false;
  size_t at = kSignature.size();
  while (true) {
    // Each chunk: length (4), type (4), data (length), CRC (4).
    if (bytes.size() - at < 12) return Bad(at, "truncated chunk header (no IEND)");
    uint32_t length = ReadBigEndian32(bytes, at);
    if (length > bytes.size() - at - 12) {
      return Bad(at, absl::StrCat("chunk length ", length, " runs past the end"));
    }
    absl::string_view type = bytes.substr(at + 4, 4);
    absl::string_view data = bytes.substr(at + 8, length);
    uint32_t stored_crc = ReadBigEndian32(bytes, at + 8 + length);
    if (Crc32(bytes.substr(at + 4, 4 + length)) != stored_crc) {
      return Bad(at, absl::StrCat("CRC mismatch in chunk ", type));
    }
    if (info.chunks == 0) {
      if (type != "IHDR" || length != 13) return Bad(at, "first chunk is not a 13-byte IHDR");
      info.width = ReadBigEndian32(data, 0);
      info.height = ReadBigEndian32(data, 4);
      if (info.width == 0 || info.height == 0) return Bad(at, "zero width or height");
    } else if (type == "IHDR") {
      return Bad(at, "second IHDR");
    }
    seen_idat = seen_idat || type == "IDAT";
    ++info.chunks;
    at += 12 + length;
    if (type == "IEND") {
      if (!seen_idat) return Bad(at, "IEND before any IDAT");
      if (at != bytes.size()) return Bad(at, "bytes after IEND");
      return info;
    }
  }
}

}  // namespace devloop::browser
