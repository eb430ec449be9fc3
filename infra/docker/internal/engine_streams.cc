#include "infra/docker/internal/engine_streams.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "infra/json/json.h"

namespace devloop::docker::internal {

void StreamDemuxer::Append(absl::string_view data) {
  if (raw_) {
    out_.Append(data, [&](absl::string_view l) { Emit(LogStream::kStdout, l); });
    return;
  }
  pending_.append(data.data(), data.size());
  size_t pos = 0;
  while (pending_.size() - pos >= 8) {
    const unsigned char* h = reinterpret_cast<const unsigned char*>(pending_.data() + pos);
    size_t length = (size_t{h[4]} << 24) | (size_t{h[5]} << 16) | (size_t{h[6]} << 8) | h[7];
    if (pending_.size() - pos - 8 < length) break;
    absl::string_view payload = absl::string_view(pending_).substr(pos + 8, length);
    if (h[0] == 2) {
      err_.Append(payload, [&](absl::string_view l) { Emit(LogStream::kStderr, l); });
    } else {
      out_.Append(payload, [&](absl::string_view l) { Emit(LogStream::kStdout, l); });
    }
    pos += 8 + length;
  }
  pending_.erase(0, pos);
}

void StreamDemuxer::Finish() {
  out_.Flush([&](absl::string_view l) { Emit(LogStream::kStdout, l); });
  err_.Flush([&](absl::string_view l) { Emit(LogStream::kStderr, l); });
}

void StreamDemuxer::Emit(LogStream stream, absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  callback_(stream, line);
}

void ProgressReader::Append(absl::string_view data) {
  lines_.Append(data, [this](absl::string_view line) { OnLine(line); });
}

void ProgressReader::Finish() {
  lines_.Flush([this](absl::string_view line) { OnLine(line); });
}

void ProgressReader::OnLine(absl::string_view line) {
  if (absl::StripAsciiWhitespace(line).empty()) return;
  absl::StatusOr<json::Json> json = json::Json::Parse(line);
  if (!json.ok()) {
    if (on_output_) on_output_(line);
    return;
  }
  if ((*json)["aux"]["ID"].is_string()) image_id_ = (*json)["aux"]["ID"].AsString();
  if ((*json)["aux"]["Digest"].is_string()) digest_ = (*json)["aux"]["Digest"].AsString();
  if (json->Has("error") || json->Has("errorDetail")) {
    error_ = (*json)["errorDetail"]["message"].AsString();
    if (error_.empty()) error_ = (*json)["error"].AsString();
  }
  if (!on_output_) return;
  for (const char* key : {"stream", "status"}) {
    const std::string& text = (*json)[key].AsString();
    for (absl::string_view l : absl::StrSplit(text, '\n')) {
      if (!l.empty()) on_output_(l);
    }
  }
}

}  // namespace devloop::docker::internal
