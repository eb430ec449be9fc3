#include "infra/actions/container_runner.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace devloop::actions {
namespace {

struct Running {
  const ContainerJob* job;
  std::string id;
  std::unique_ptr<docker::LogFollower> logs;
  std::optional<int> exit_code;  // once exited
  bool stopped = false;          // by us: fail-fast or the timeout
};

std::string Failure(const Running& r) {
  return absl::StrCat("\"", r.job->name, "\" running container image \"", r.job->image,
                      "\" errored during run with status code: ", *r.exit_code);
}

}  // namespace

absl::Status RunContainers(docker::Docker* docker, const RunOptions& options) {
  std::vector<Running> running;
  running.reserve(options.containers.size());
  absl::Status start_error;
  for (const ContainerJob& job : options.containers) {
    docker::RunRequest request;
    request.image = job.image;
    request.labels = options.labels;
    request.env = job.env;
    request.entrypoint = job.entrypoint;
    request.cmd = job.args;
    absl::StatusOr<std::string> id = docker->Run(request);
    if (!id.ok()) {
      start_error = absl::Status(id.status().code(),
                                 absl::StrCat("container \"", job.name, "\" (image \"", job.image,
                                              "\") did not start: ", id.status().message()));
      break;
    }
    Running r{&job, *id, nullptr, std::nullopt, false};
    if (options.on_output) {
      absl::StatusOr<std::unique_ptr<docker::LogFollower>> logs = docker->FollowLogs(
          *id, [sink = options.on_output, name = job.name](docker::LogStream,
                                                          absl::string_view line) {
            sink(name, line);
          });
      if (logs.ok()) r.logs = *std::move(logs);
    }
    running.push_back(std::move(r));
  }

  const absl::Time deadline = options.timeout == absl::InfiniteDuration()
                                  ? absl::InfiniteFuture()
                                  : absl::Now() + options.timeout;
  bool timed_out = false;
  bool stopping = !start_error.ok();  // nothing more may start: stop the others
  while (start_error.ok() || stopping) {
    size_t done = 0;
    bool failed = false;
    for (Running& r : running) {
      if (r.exit_code.has_value()) {
        ++done;
        failed |= *r.exit_code != 0;
        continue;
      }
      absl::StatusOr<docker::ContainerState> state = docker->Inspect(r.id);
      if (!state.ok()) {
        r.exit_code = -1;  // gone: removed behind our back
      } else if (state->status == docker::ContainerStatus::kExited ||
                 state->status == docker::ContainerStatus::kDead) {
        r.exit_code = state->exit_code;
      }
      if (r.exit_code.has_value()) {
        ++done;
        failed |= *r.exit_code != 0;
      }
    }
    if (done == running.size()) break;
    const bool over = absl::Now() >= deadline;
    if (over) timed_out = true;
    if (over || (failed && options.fail_fast) || stopping) {
      for (Running& r : running) {
        if (!r.exit_code.has_value() && !r.stopped) {
          r.stopped = true;
          (void)docker->Stop(r.id, absl::Seconds(2));
        }
      }
      stopping = true;
    }
    absl::SleepFor(options.poll_interval);
  }

  std::vector<std::string> failures;
  for (Running& r : running) {
    if (r.logs != nullptr) {
      // The stream ends with the container; Wait delivers its last lines.
      if (r.exit_code.has_value() && !r.stopped) (void)r.logs->Wait();
      r.logs->Stop();
    }
    (void)docker->Remove(r.id, /*force=*/true);
    if (r.exit_code.has_value() && *r.exit_code != 0 && !r.stopped) {
      failures.push_back(Failure(r));
    }
  }
  if (!start_error.ok()) return start_error;
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("timed out after ", absl::FormatDuration(options.timeout),
                     failures.empty() ? "" : absl::StrCat("; ", absl::StrJoin(failures, "; "))));
  }
  if (!failures.empty()) {
    return absl::AbortedError(absl::StrCat(failures.size(), " error(s) occurred:\n* ",
                                           absl::StrJoin(failures, "\n* ")));
  }
  return absl::OkStatus();
}

}  // namespace devloop::actions
