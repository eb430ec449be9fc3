// libFuzzer target for what the Docker Engine sends back: JSON answers
// (infra/json), the build/push progress stream and the multiplexed log stream
// (infra/docker/internal/engine_streams.h). Every input is read all three ways.
//
// Checks: no crash, UB, leak or hang; a JSON string quoted by JsonQuote parses
// back to itself; and the stream decoders give the same lines and results
// however the body is cut into pieces (the socket delivers it in any pieces).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "infra/docker/internal/engine_streams.h"
#include "infra/json/json.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

using ::devloop::docker::LogStream;
using ::devloop::docker::internal::ProgressReader;
using ::devloop::docker::internal::StreamDemuxer;
using ::devloop::json::Json;
using ::devloop::json::JsonQuote;

// Reads a parsed answer the way the adapter does, and checks string quoting.
void Walk(const Json& json, int* budget) {
  if (--*budget < 0) return;
  (void)json.AsBool();
  (void)json.AsInt();
  (void)json["State"]["Health"]["Status"].AsString();
  if (json.is_string()) {
    absl::StatusOr<Json> quoted = Json::Parse(JsonQuote(json.AsString()));
    FUZZ_CHECK(quoted.ok() && quoted->AsString() == json.AsString(),
               absl::StrCat("JsonQuote does not round-trip: ", JsonQuote(json.AsString())));
  }
  for (const auto& [key, value] : json.members()) {
    FUZZ_CHECK(json.Has(key), absl::StrCat("member \"", key, "\" not found by Has"));
    absl::StatusOr<Json> quoted = Json::Parse(JsonQuote(key));
    FUZZ_CHECK(quoted.ok() && quoted->AsString() == key, "JsonQuote of a key");
    Walk(value, budget);
  }
  for (const Json& element : json.elements()) Walk(element, budget);
}

// The pieces `data` is delivered in: whole, then cut at points taken from the
// data itself (so the fuzzer explores them).
std::vector<std::vector<absl::string_view>> Cuttings(absl::string_view data) {
  std::vector<std::vector<absl::string_view>> out = {{data}};
  std::vector<absl::string_view> pieces;
  size_t pos = 0;
  for (size_t i = 0; pos < data.size(); ++i) {
    const size_t n = 1 + static_cast<unsigned char>(data[i % data.size()]) % 13;
    pieces.push_back(data.substr(pos, n));
    pos += n;
  }
  out.push_back(std::move(pieces));
  return out;
}

struct ProgressResult {
  std::vector<std::string> output;
  std::string image_id, digest, error;
  bool operator==(const ProgressResult&) const = default;
};

ProgressResult ReadProgress(const std::vector<absl::string_view>& pieces) {
  ProgressResult r;
  ProgressReader reader([&](absl::string_view line) { r.output.emplace_back(line); });
  for (absl::string_view p : pieces) reader.Append(p);
  reader.Finish();
  r.image_id = reader.image_id();
  r.digest = reader.digest();
  r.error = reader.error();
  return r;
}

std::vector<std::string> Demux(bool raw, const std::vector<absl::string_view>& pieces) {
  std::vector<std::string> lines;
  StreamDemuxer demuxer(raw, [&](LogStream stream, absl::string_view line) {
    lines.push_back(absl::StrCat(stream == LogStream::kStderr ? "2:" : "1:", line));
  });
  for (absl::string_view p : pieces) demuxer.Append(p);
  demuxer.Finish();
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<Json> json = Json::Parse(text);
  if (json.ok()) {
    int budget = 10000;
    Walk(*json, &budget);
  } else {
    FUZZ_CHECK(!json.status().message().empty(), "a parse error without a message");
  }

  const auto cuttings = Cuttings(text);
  const ProgressResult whole = ReadProgress(cuttings[0]);
  const std::vector<std::string> raw = Demux(true, cuttings[0]);
  const std::vector<std::string> muxed = Demux(false, cuttings[0]);
  for (size_t i = 1; i < cuttings.size(); ++i) {
    FUZZ_CHECK(ReadProgress(cuttings[i]) == whole, "progress depends on how the body is cut");
    FUZZ_CHECK(Demux(true, cuttings[i]) == raw, "raw log lines depend on the cuts");
    FUZZ_CHECK(Demux(false, cuttings[i]) == muxed, "log frames depend on the cuts");
  }
  return 0;
}
