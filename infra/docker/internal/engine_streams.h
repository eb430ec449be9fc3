// Decoders for the Docker Engine's streamed answers, kept apart from the socket
// code so they can be tested (and fuzzed) on bytes alone:
//   - StreamDemuxer: the multiplexed log/attach/exec stream (8-byte frame
//     headers), split into stdout and stderr lines;
//   - ProgressReader: the JSON-lines progress of POST /build and
//     /images/{name}/push ("stream", "status", "aux", "error"/"errorDetail").
// Both take the body in pieces of any size, as the socket delivers it.
//
//   ProgressReader progress([](absl::string_view line) { Print(line); });
//   progress.Append(chunk);  // per piece of the body
//   progress.Finish();
//   if (!progress.error().empty()) ...; else use progress.image_id();
//
// Thread-compatible.
#ifndef DEVLOOP_INFRA_DOCKER_INTERNAL_ENGINE_STREAMS_H_
#define DEVLOOP_INFRA_DOCKER_INTERNAL_ENGINE_STREAMS_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "infra/docker/docker.h"

namespace devloop::docker::internal {

// Splits a byte stream into lines (without the '\n').
class LineBuffer {
 public:
  template <typename F>
  void Append(absl::string_view data, F&& on_line) {
    partial_.append(data.data(), data.size());
    size_t start = 0;
    for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
      on_line(absl::string_view(partial_).substr(start, nl - start));
    }
    partial_.erase(0, start);
  }
  // Hands over the last line if it had no '\n'.
  template <typename F>
  void Flush(F&& on_line) {
    if (!partial_.empty()) on_line(absl::string_view(partial_));
    partial_.clear();
  }

 private:
  std::string partial_;
};

// Demultiplexes the Engine's log/attach stream: frames of an 8-byte header
// (stream type, 3 zero bytes, big-endian length) and a payload. With a TTY the
// stream is raw and all of it is stdout. A trailing '\r' is dropped from lines.
class StreamDemuxer {
 public:
  StreamDemuxer(bool raw, LogCallback callback) : raw_(raw), callback_(std::move(callback)) {}

  void Append(absl::string_view data);
  // Hands over the unterminated last lines; a truncated frame is dropped.
  void Finish();

 private:
  void Emit(LogStream stream, absl::string_view line);

  const bool raw_;
  LogCallback callback_;
  std::string pending_;
  LineBuffer out_, err_;
};

// Reads a JSON-lines progress stream. `on_output` (may be empty) receives each
// line of "stream" and "status" texts, and lines that are not JSON as they are.
class ProgressReader {
 public:
  explicit ProgressReader(std::function<void(absl::string_view)> on_output)
      : on_output_(std::move(on_output)) {}

  void Append(absl::string_view data);
  void Finish();

  // The last aux.ID (a build's image) and aux.Digest (a push's digest) seen.
  const std::string& image_id() const { return image_id_; }
  const std::string& digest() const { return digest_; }
  // errorDetail.message, else error, of the last message that carried one.
  const std::string& error() const { return error_; }

 private:
  void OnLine(absl::string_view line);

  std::function<void(absl::string_view)> on_output_;
  LineBuffer lines_;
  std::string image_id_, digest_, error_;
};

}  // namespace devloop::docker::internal

#endif  // DEVLOOP_INFRA_DOCKER_INTERNAL_ENGINE_STREAMS_H_
