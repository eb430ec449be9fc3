#include "apps/console/console.h"

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "apps/console/suggestions.h"

namespace devloop::console {
namespace {

using domain::StatusCode;

constexpr absl::string_view kReset = "\x1b[0m";
constexpr absl::string_view kRed = "\x1b[31m";
constexpr absl::string_view kGreen = "\x1b[32m";
constexpr absl::string_view kBold = "\x1b[1m";
constexpr absl::string_view kClearLine = "\r\x1b[2K";

// Bright colours that read on dark and light terminals, as Skaffold's log tags.
constexpr absl::string_view kTagColors[] = {
    "\x1b[93m",  // yellow
    "\x1b[94m",  // blue
    "\x1b[92m",  // green
    "\x1b[96m",  // cyan
    "\x1b[95m",  // magenta
    "\x1b[33m",  // dark yellow
    "\x1b[34m",  // dark blue
    "\x1b[36m",  // dark cyan
};

constexpr absl::string_view kSpinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};

bool Is(const std::string& status, absl::string_view want) { return status == want; }

}  // namespace

std::string ApiLine(const ApiEndpoints& api) {
  std::string line =
      absl::StrCat("API: gRPC ", api.grpc, ", HTTP http://", api.http, " (dashboard)");
  if (!api.taken.empty()) {
    absl::StrAppend(&line, "; ", absl::StrJoin(api.taken, " and "),
                    api.taken.size() == 1 ? " was" : " were", " in use (another devloop?)");
  }
  return line;
}

std::string FormatPhaseDuration(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  if (d < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
  if (d < absl::Minutes(1)) {
    // One decimal, rounded down so "1.99s" never prints as "2.0s" before 2 s.
    int64_t tenths = absl::ToInt64Milliseconds(d) / 100;
    return absl::StrFormat("%d.%ds", tenths / 10, tenths % 10);
  }
  int64_t seconds = absl::ToInt64Seconds(d);
  return absl::StrCat(seconds / 60, "m", seconds % 60, "s");
}

absl::string_view TagColor(absl::string_view source) {
  // FNV-1a: fixed, unlike std::hash, so a service keeps its colour across runs
  // and builds.
  uint32_t h = 2166136261u;
  for (unsigned char c : source) {
    h ^= c;
    h *= 16777619u;
  }
  return kTagColors[h % (sizeof(kTagColors) / sizeof(kTagColors[0]))];
}

Console::Console(const ConsoleOptions& options)
    : options_(options), color_(options.color.value_or(options.is_tty)), out_(options.out) {}

std::string Console::Colored(absl::string_view text, absl::string_view color) const {
  if (!color_) return std::string(text);
  return absl::StrCat(color, text, kReset);
}

std::string Console::Tag(absl::string_view source) const {
  return Colored(absl::StrCat("[", source, "]"), TagColor(source));
}

void Console::ClearProgress() {
  if (progress_shown_) {
    *out_ << kClearLine;
    progress_shown_ = false;
  }
}

void Console::WriteLine(absl::string_view line) {
  ClearProgress();
  *out_ << line << '\n';
  out_->flush();
  // A failed write is dropped: a stream left in a failed state would drop
  // every later line too, even once the sink takes them again.
  if (!out_->good()) out_->clear();
}

std::string Console::Took(const std::string& key, absl::Time end) {
  auto it = started_.find(key);
  if (it == started_.end()) return "";
  std::string took = absl::StrCat(" in ", FormatPhaseDuration(end - it->second));
  started_.erase(it);
  return took;
}

void Console::WriteFailure(absl::string_view headline, absl::string_view err, StatusCode code,
                           const std::optional<domain::ActionableErr>& actionable) {
  std::string message(err);
  if (message.empty() && actionable) message = actionable->message;
  WriteLine(Colored(message.empty() ? std::string(headline) : absl::StrCat(headline, ": ", message),
                    kRed));
  // The event's own suggestions first (they may name the file or image); the
  // table's otherwise.
  bool suggested = false;
  if (actionable) {
    if (code == StatusCode::kOk) code = actionable->code;
    for (const domain::Suggestion& s : actionable->suggestions) {
      if (s.action.empty()) continue;
      WriteLine(absl::StrCat("  → ", s.action));
      suggested = true;
    }
  }
  if (!suggested) {
    absl::string_view hint = SuggestionFor(code);
    if (!hint.empty()) WriteLine(absl::StrCat("  → ", hint));
  }
}

void Console::Render(const domain::LogEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time at = entry.timestamp;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, domain::MetaEvent>) {
          if (!e.entry.empty()) WriteLine(e.entry);
        } else if constexpr (std::is_same_v<T, domain::DevLoopEvent>) {
          if (Is(e.status, domain::kStatusInProgress)) {
            if (e.iteration > 0) WriteLine(Colored(absl::StrCat("Update #", e.iteration), kBold));
          } else if (Is(e.status, domain::kStatusSucceeded)) {
            if (!stopping_) WriteLine("Watching for changes...");
          } else if (Is(e.status, domain::kStatusFailed)) {
            WriteFailure("Update failed", "", StatusCode::kOk, e.err);
            if (!stopping_) WriteLine("Watching for changes...");
          }
        } else if constexpr (std::is_same_v<T, domain::BuildEvent>) {
          std::string key = absl::StrCat("build/", e.artifact);
          if (Is(e.status, domain::kStatusInProgress)) {
            started_[key] = at;
            builds_running_[e.artifact] = at;
            WriteLine(absl::StrCat("Building [", e.artifact, "]..."));
          } else if (Is(e.status, domain::kStatusComplete)) {
            builds_running_.erase(e.artifact);
            WriteLine(Colored(absl::StrCat("Build [", e.artifact, "] succeeded", Took(key, at)),
                              kGreen));
          } else if (Is(e.status, domain::kStatusFailed)) {
            builds_running_.erase(e.artifact);
            WriteFailure(absl::StrCat("Build [", e.artifact, "] failed", Took(key, at)), e.err,
                         e.err_code, e.actionable_err);
          }
        } else if constexpr (std::is_same_v<T, domain::DeployEvent>) {
          if (Is(e.status, domain::kStatusInProgress)) {
            started_["deploy"] = at;
            WriteLine("Deploying...");
          } else if (Is(e.status, domain::kStatusComplete)) {
            WriteLine(Colored(absl::StrCat("Deploy succeeded", Took("deploy", at)), kGreen));
          } else if (Is(e.status, domain::kStatusFailed)) {
            WriteFailure(absl::StrCat("Deploy failed", Took("deploy", at)), e.err, e.err_code,
                         e.actionable_err);
          }
        } else if constexpr (std::is_same_v<T, domain::StatusCheckEvent>) {
          if (Is(e.status, domain::kStatusInProgress)) {
            started_["statuscheck"] = at;
            WriteLine("Waiting for deployments to stabilize...");
          } else if (Is(e.status, domain::kStatusSucceeded)) {
            WriteLine(
                Colored(absl::StrCat("Status check succeeded", Took("statuscheck", at)), kGreen));
          } else if (Is(e.status, domain::kStatusFailed)) {
            WriteFailure(absl::StrCat("Status check failed", Took("statuscheck", at)),
                         e.err.empty() ? e.message : e.err, e.err_code, e.actionable_err);
          }
        } else if constexpr (std::is_same_v<T, domain::ResourceStatusCheckEvent>) {
          if (Is(e.status, domain::kStatusSucceeded)) {
            WriteLine(absl::StrCat(" - ", e.resource, " is ready."));
          } else if (Is(e.status, domain::kStatusFailed)) {
            WriteFailure(absl::StrCat(" - ", e.resource, " failed"),
                         e.err.empty() ? e.message : e.err, e.status_code, e.actionable_err);
          } else if (!e.message.empty()) {
            WriteLine(absl::StrCat(" - ", e.resource, ": ", e.message));
          }
        } else if constexpr (std::is_same_v<T, domain::FileSyncEvent>) {
          std::string key = absl::StrCat("sync/", e.image);
          std::string files = absl::StrCat(e.file_count, e.file_count == 1 ? " file" : " files");
          if (Is(e.status, domain::kStatusInProgress)) {
            started_[key] = at;
            WriteLine(absl::StrCat("Syncing ", files, " for [", e.image, "]"));
          } else if (Is(e.status, domain::kStatusSucceeded)) {
            WriteLine(Colored(absl::StrCat("Synced ", files, " to [", e.image, "]", Took(key, at)),
                              kGreen));
          } else if (Is(e.status, domain::kStatusFailed)) {
            WriteFailure(absl::StrCat("Sync to [", e.image, "] failed", Took(key, at)), e.err,
                         e.err_code, e.actionable_err);
          }
        } else if constexpr (std::is_same_v<T, domain::PortEvent>) {
          std::string resource =
              e.resource_name.empty() ? e.container_name : e.resource_name;
          std::string type = e.resource_type.empty() ? "container" : e.resource_type;
          std::string address = e.address.empty() ? "127.0.0.1" : e.address;
          WriteLine(absl::StrFormat("Port forwarding %s %s: remote port %d -> http://%s:%d", type,
                                    resource, e.remote_port, address, e.local_port));
        } else if constexpr (std::is_same_v<T, domain::TestEvent>) {
          if (Is(e.status, domain::kStatusInProgress)) {
            started_["test"] = at;
            WriteLine("Testing images...");
          } else if (Is(e.status, domain::kStatusSucceeded)) {
            WriteLine(Colored(absl::StrCat("Tests passed", Took("test", at)), kGreen));
          } else if (Is(e.status, domain::kStatusFailed)) {
            WriteFailure(absl::StrCat(entry.entry, Took("test", at)), "", StatusCode::kOk,
                         e.actionable_err);
          }
        } else if constexpr (std::is_same_v<T, domain::TerminationEvent>) {
          if (Is(e.status, domain::kStatusFailed)) {
            WriteFailure("devloop failed", "", StatusCode::kOk, e.err);
          }
        } else {
          // Debugging and custom events: their entry text says it best.
          if (!entry.entry.empty()) WriteLine(entry.entry);
        }
      },
      entry.event);
}

absl::string_view Console::WithoutLineEnd(absl::string_view line) {
  // One trailing newline: the container's own line end.
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string Console::ApplicationLog(absl::string_view source, absl::string_view line) {
  std::string printed = absl::StrCat(Tag(source), " ", WithoutLineEnd(line));
  std::lock_guard<std::mutex> lock(mu_);
  WriteLine(printed);
  return printed;
}

void Console::Tick(absl::Time now) {
  if (!options_.is_tty) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::string line;
  for (const auto& [artifact, start] : builds_running_) {
    if (now - start < options_.progress_after) continue;
    absl::StrAppend(&line, line.empty() ? "" : "  ", "Building [", artifact, "] ",
                    FormatPhaseDuration(now - start));
  }
  if (line.empty()) {
    ClearProgress();
    return;
  }
  spinner_ = (spinner_ + 1) % (sizeof(kSpinner) / sizeof(kSpinner[0]));
  *out_ << kClearLine << kSpinner[spinner_] << " " << line;
  out_->flush();
  progress_shown_ = true;
}

void Console::Debug(absl::string_view line) {
  if (!options_.debug) return;
  std::lock_guard<std::mutex> lock(mu_);
  WriteLine(absl::StrCat("DEBU ", line));
}

void Console::Error(StatusCode code, absl::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteFailure("error", message, code, std::nullopt);
}

void Console::Info(absl::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteLine(line);
}

void Console::Stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  stopping_ = true;
  builds_running_.clear();  // no progress line after this
  WriteLine("Cleaning up...");
}

}  // namespace devloop::console
