#include "tools/bench/soak/real_loop.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <regex>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/json.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"
#include "testing/transport/http_client.h"
#include "tools/bench/soak/log_check.h"

namespace devloop::soak {
namespace {

namespace fs = std::filesystem;
using ::devloop::testing::RawHttpClient;

// What the soak needs of the project, read from its skaffold.yaml.
struct ProjectShape {
  std::vector<std::string> images;  // as written ("devloop-sync")
  int local_port = -1;              // the first portForward's localPort
};

absl::StatusOr<ProjectShape> ReadShape(const fs::path& project, const std::string& shown) {
  std::error_code ec;
  for (const char* file : {"skaffold.yaml", "Dockerfile", "www/index.html"}) {
    if (!fs::is_regular_file(project / file, ec)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--project=", shown, " has no ", file,
          ": give testing/examples/sync or a copy of it "
          "(the soak edits www/index.html, which the project syncs, and the Dockerfile)"));
    }
  }
  absl::StatusOr<std::string> config = e2e::ReadFile((project / "skaffold.yaml").string());
  if (!config.ok()) return config.status();
  ProjectShape shape;
  static const std::regex kImage(R"(image:\s*([^\s]+))");
  for (std::sregex_iterator it(config->begin(), config->end(), kImage), end; it != end; ++it) {
    shape.images.push_back((*it)[1].str());
  }
  static const std::regex kLocalPort(R"(localPort:\s*(\d+))");
  std::smatch m;
  if (std::regex_search(*config, m, kLocalPort)) shape.local_port = std::stoi(m[1].str());
  if (shape.images.empty() || shape.local_port < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--project=", shown,
                     ": its skaffold.yaml names no artifact image or no portForward "
                     "localPort; the soak needs both (testing/examples/sync has them)"));
  }
  return shape;
}

bool IsIterationEnd(const proto::LogEntry& e, int iteration) {
  return e.event().has_devloopevent() && e.event().devloopevent().iteration() == iteration &&
         e.event().devloopevent().status() != "In Progress";
}

// One read of /v1/events, ending after `quiet` without a new line.
absl::StatusOr<FinalLog> ReadOnce(int http_port, absl::Duration quiet) {
  const int quiet_seconds = std::max(1, static_cast<int>(std::ceil(absl::ToDoubleSeconds(quiet))));
  absl::StatusOr<std::unique_ptr<RawHttpClient>> c =
      RawHttpClient::Connect(http_port, quiet_seconds);
  if (!c.ok()) return c.status();
  absl::Status sent = (*c)->Send("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  if (!sent.ok()) return sent;
  absl::StatusOr<RawHttpClient::Response> head = (*c)->ReadHead();
  if (!head.ok()) return head.status();
  if (head->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET /v1/events answered ", head->status));
  }
  FinalLog log;
  while (true) {
    absl::StatusOr<std::string> line = (*c)->ReadLine();
    if (!line.ok()) break;  // quiet for `quiet`, or the stream ended
    const absl::string_view json = EventsLinePayload(*line);
    proto::LogEntry entry;
    absl::Status parsed = api::FromJson(json, &entry);
    if (!parsed.ok()) {
      return absl::DataLossError(absl::StrCat("/v1/events line ", log.json.size() + 1,
                                              " does not parse (", parsed.message(), "): ", *line));
    }
    log.json.emplace_back(json);
    log.entries.push_back(std::move(entry));
  }
  return log;
}

// True if the log's last dev-loop iteration has ended.
bool LastIterationEnded(const FinalLog& log) {
  for (auto it = log.entries.rbegin(); it != log.entries.rend(); ++it) {
    if (it->event().has_devloopevent()) {
      return it->event().devloopevent().status() != "In Progress";
    }
  }
  return false;
}

// Polls 127.0.0.1:`port`/index.html every `every` until a page holding
// `marker` is served. Returns Cancelled once `go_on` says no, DeadlineExceeded
// (with what was served) after `timeout`.
absl::Status WaitForPage(int port, absl::string_view marker, absl::Duration timeout,
                         absl::Duration every, const std::function<bool()>& go_on) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "nothing";
  while (go_on()) {
    absl::StatusOr<e2e::HttpResponse> r =
        e2e::Http(port, "GET", "/index.html", "", absl::Seconds(5));
    if (r.ok() && r->status == 200 && absl::StrContains(r->body, marker)) return absl::OkStatus();
    last = r.ok() ? absl::StrCat("HTTP ", r->status, " \"", r->body, "\"") : r.status().ToString();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("127.0.0.1:", port, "/index.html did not serve \"", marker, "\" within ",
                       absl::FormatDuration(timeout), "; last: ", last));
    }
    absl::SleepFor(every);
  }
  return absl::CancelledError("stopped waiting");
}

fs::path ProjectPath(const std::string& project) {
  std::error_code ec;
  fs::path path = fs::absolute(project, ec).lexically_normal();
  if (!path.has_filename()) path = path.parent_path();  // "sync/"
  return path;
}

}  // namespace

absl::Status RealLoop::CheckOptions(const Options& options) {
  std::error_code ec;
  if (access(options.devloop.c_str(), X_OK) != 0 || !fs::is_regular_file(options.devloop, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--devloop=", options.devloop,
                     " is not an executable file; build it (bazel build //apps:devloop) and give "
                     "bazel-bin/apps/devloop"));
  }
  return ReadShape(ProjectPath(options.project), options.project).status();
}

absl::StatusOr<std::unique_ptr<RealLoop>> RealLoop::Start(const Options& options) {
  if (absl::Status valid = CheckOptions(options); !valid.ok()) return valid;
  std::error_code ec;
  const fs::path project = ProjectPath(options.project);
  absl::StatusOr<ProjectShape> shape = ReadShape(project, options.project);
  if (!shape.ok()) return shape.status();

  // DevSession copies an example by name from the directory DEVLOOP_EXAMPLES
  // names (testing/e2e/example.h); no other thread runs yet.
  const char* old_examples = getenv("DEVLOOP_EXAMPLES");
  const std::string restore = old_examples != nullptr ? old_examples : "";
  setenv("DEVLOOP_EXAMPLES", project.parent_path().c_str(), 1);
  absl::StatusOr<std::unique_ptr<e2e::DevSession>> session =
      e2e::DevSession::Prepare(project.filename().string(), shape->images);
  if (old_examples != nullptr) {
    setenv("DEVLOOP_EXAMPLES", restore.c_str(), 1);
  } else {
    unsetenv("DEVLOOP_EXAMPLES");
  }
  if (!session.ok()) return session.status();

  std::unique_ptr<RealLoop> loop(new RealLoop());
  loop->session_ = *std::move(session);
  loop->temp_root_ = fs::path(loop->session_->dir()).parent_path().string();
  loop->app_port_ = loop->session_->LocalPort(shape->local_port);
  const std::string binary = fs::absolute(options.devloop, ec).string();
  absl::Status started = loop->session_->Start({}, [&](e2e::DevloopProcess::Options& o) {
    o.binary = binary;
    o.startup_timeout = absl::Seconds(30);  // a loaded machine
  });
  if (!started.ok()) return started;
  loop->http_port_ = loop->session_->devloop().http_port();
  loop->grpc_target_ = loop->session_->devloop().grpc_target();
  loop->pid_ = loop->session_->devloop().process().pid();
  loop->output_path_ = loop->session_->devloop().process().output_path();

  // In steps of a second, so a stop signal need not wait for a slow build.
  const absl::Time deadline = absl::Now() + options.first_iteration_timeout;
  absl::StatusOr<proto::LogEntry> first = absl::DeadlineExceededError("not started");
  while (true) {
    first = loop->session_->events().WaitFor(
        [](const proto::LogEntry& e) { return IsIterationEnd(e, 0); }, absl::Seconds(1));
    if (first.ok() || first.status().code() != absl::StatusCode::kDeadlineExceeded) break;
    if (options.cancelled != nullptr && options.cancelled->load()) {
      return absl::CancelledError("stopped by a signal while waiting for iteration 0");
    }
    if (absl::Now() > deadline) break;
  }
  if (!first.ok() || first->event().devloopevent().status() != "Succeeded") {
    const std::string why = first.ok()
                                ? absl::StrCat("ended ", first->event().devloopevent().status())
                                : std::string(first.status().message());
    return absl::UnavailableError(absl::StrCat("devloop's iteration 0 did not succeed: ", why,
                                               "\ndevloop's output:\n", loop->Output()));
  }
  absl::StatusOr<std::string> run_id = loop->session_->RunId();
  if (!run_id.ok()) return run_id.status();
  loop->run_id_ = *run_id;
  absl::Status served = loop->WaitServed("", absl::Seconds(60));
  if (!served.ok()) return served;
  return loop;
}

absl::Status RealLoop::Sweep() {
  if (swept_) return absl::OkStatus();
  output_ = session_->devloop().process().Output();
  swept_ = true;
  return session_->Sweep();
}

RealLoop::~RealLoop() {
  session_.reset();  // stops devloop and sweeps the run's objects
  std::error_code ec;
  // Only the directory DevSession made for the copy (files.h: MakeTempDir).
  if (absl::StartsWith(fs::path(temp_root_).filename().string(), "example-")) {
    fs::remove_all(temp_root_, ec);
  }
  if (!keep_output_ && !output_path_.empty()) fs::remove(output_path_, ec);
}

absl::Status RealLoop::WaitServed(absl::string_view marker, absl::Duration timeout) {
  absl::Status served = WaitForPage(app_port_, marker, timeout, absl::Milliseconds(100),
                                    [this] { return Running(); });
  if (absl::IsCancelled(served)) {
    return absl::UnavailableError(absl::StrCat("devloop (pid ", pid_, ") exited"));
  }
  return served;
}

absl::Status RealLoop::StopAndCheckNothingLeft(absl::Duration timeout, absl::Duration* took) {
  const absl::Time t0 = absl::Now();
  absl::StatusOr<int> code = session_->Interrupt(timeout);
  *took = absl::Now() - t0;
  if (!code.ok()) {
    return absl::Status(code.status().code(),
                        absl::StrCat("devloop did not exit on SIGINT: ", code.status().message()));
  }
  if (*code != 0) {
    return absl::InternalError(absl::StrCat("devloop exited ", *code, " on SIGINT"));
  }
  absl::StatusOr<e2e::DockerObjects> left =
      e2e::ListDockerObjects(absl::StrCat(e2e::kRunIdLabel, "=", run_id_));
  if (!left.ok()) return left.status();
  if (!left->empty()) {
    return absl::InternalError(
        absl::StrCat(left->containers.size(), " containers, ", left->networks.size(),
                     " networks and ", left->images.size(), " images of run ", run_id_, " left"));
  }
  absl::StatusOr<std::vector<std::string>> images = session_->RepositoryImages();
  if (!images.ok()) return images.status();
  if (!images->empty()) {
    return absl::InternalError(
        absl::StrCat(images->size(), " images of the run's repository left: ", images->front(),
                     images->size() > 1 ? ", ..." : ""));
  }
  return absl::OkStatus();
}

Editor::Editor(Options options) : options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

Editor::~Editor() { Stop(); }

void Editor::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void Editor::Run() {
  const std::string page = absl::StrCat(options_.dir, "/www/index.html");
  const std::string dockerfile = absl::StrCat(options_.dir, "/Dockerfile");
  int n = 0;
  do {
    ++n;
    const std::string marker = absl::StrCat("soak edit ", n);
    absl::Status s = e2e::WriteFile(
        page,
        absl::StrCat("<!doctype html>\n<title>devloop soak</title>\n<h1>", marker, "</h1>\n"));
    const bool rebuild = options_.rebuild_every > 0 && n % options_.rebuild_every == 0;
    if (s.ok() && rebuild) s = e2e::AppendToFile(dockerfile, absl::StrCat("# ", marker, "\n"));
    {
      absl::MutexLock lock(&mu_);
      edits_ = n;
      if (rebuild) ++dockerfile_edits_;
      last_marker_ = marker;
      if (!s.ok() && status_.ok()) status_ = s;
    }
    if (s.ok() && rebuild) {
      const absl::Time t0 = absl::Now();
      s = WaitServed(marker);
      absl::MutexLock lock(&mu_);
      if (s.ok()) longest_rebuild_ = std::max(longest_rebuild_, absl::Now() - t0);
      if (!s.ok() && !absl::IsCancelled(s) && status_.ok()) status_ = s;
    }
  } while (!stop_.WaitForNotificationWithTimeout(options_.every));
}

absl::Status Editor::WaitServed(const std::string& marker) {
  return WaitForPage(options_.app_port, marker, options_.rebuild_timeout, absl::Milliseconds(250),
                     [this] { return !stop_.HasBeenNotified(); });
}

absl::Duration Editor::longest_rebuild() const {
  absl::MutexLock lock(&mu_);
  return longest_rebuild_;
}

int Editor::edits() const {
  absl::MutexLock lock(&mu_);
  return edits_;
}

int Editor::dockerfile_edits() const {
  absl::MutexLock lock(&mu_);
  return dockerfile_edits_;
}

std::string Editor::last_marker() const {
  absl::MutexLock lock(&mu_);
  return last_marker_;
}

absl::Status Editor::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

absl::StatusOr<FinalLog> ReadIdleLog(int http_port, absl::Duration timeout, absl::Duration quiet) {
  const absl::Time deadline = absl::Now() + timeout;
  std::optional<size_t> previous;
  while (true) {
    absl::StatusOr<FinalLog> log = ReadOnce(http_port, quiet);
    if (!log.ok()) return log.status();
    if (LastIterationEnded(*log) && previous == log->json.size()) return log;
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the loop did not go idle within ", absl::FormatDuration(timeout), ": ", log->json.size(),
          " entries, the last \"", log->entries.empty() ? "" : log->entries.back().entry(), "\""));
    }
    previous = log->json.size();
  }
}

}  // namespace devloop::soak
