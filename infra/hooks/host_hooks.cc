#include "infra/hooks/host_hooks.h"

#include <deque>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "domain/events/status_payload.h"

namespace devloop::hooks {

HostHooks::HostHooks(process::ProcessRunner* runner, HostHooksOptions options)
    : runner_(runner), options_(std::move(options)) {}

std::string OutputPrefix(absl::string_view phase) { return absl::StrCat("[", phase, " hook] "); }

absl::Status HostHooks::Run(const std::vector<HostCommand>& hooks, const HookRun& run) const {
  std::map<std::string, std::string> env = options_.env;
  for (const auto& [k, v] : run.env) env[k] = v;
  const std::string prefix = OutputPrefix(run.phase);
  for (size_t i = 0; i < hooks.size(); ++i) {
    const HostCommand& hook = hooks[i];
    // The last lines, for the error; both streams, in the order they came.
    absl::Mutex mu;
    std::deque<std::string> tail;
    auto keep = [&](absl::string_view line) {
      {
        absl::MutexLock lock(&mu);
        tail.emplace_back(line);
        if (tail.size() > options_.tail_lines) tail.pop_front();
      }
      if (run.on_output) run.on_output(absl::StrCat(prefix, line));
    };
    process::ProcessSpec spec;
    spec.argv = hook.command;
    spec.env = env;
    spec.working_dir = hook.dir;
    spec.timeout = options_.timeout;
    spec.on_stdout = keep;
    spec.on_stderr = keep;
    absl::StatusOr<process::ExitStatus> exit = runner_->Run(spec);
    if (exit.ok() && exit->success()) continue;
    std::string how;
    if (!exit.ok()) {
      how = absl::StrCat("could not start: ", exit.status().message());
    } else if (exit->timed_out) {
      how = absl::StrCat("was stopped after ", absl::FormatDuration(options_.timeout));
    } else if (exit->signal != 0) {
      how = absl::StrCat("was killed by signal ", exit->signal);
    } else {
      how = absl::StrCat("exited with status ", exit->exit_code);
    }
    std::string printed;
    {
      absl::MutexLock lock(&mu);
      printed = absl::StrJoin(tail, "\n");
    }
    return domain::WithStatusCode(
        absl::AbortedError(absl::StrCat(
            run.phase, " hook ", run.first_number + i, run.subject.empty() ? "" : " ", run.subject, " (`",
            absl::StrJoin(hook.command, " "), "`", hook.dir.empty() ? "" : " in ", hook.dir,
            ") ", how,
            printed.empty() ? " and printed nothing" : absl::StrCat("; its last output:\n", printed))),
        run.failure_code);
  }
  return absl::OkStatus();
}

std::vector<HostCommand> HostCommands(const std::vector<config::HostHook>& hooks,
                                      const std::string& base_dir) {
  std::vector<HostCommand> out;
  for (const config::HostHook& h : hooks) {
    std::string dir = h.dir;
    if (dir.empty()) {
      dir = base_dir;
    } else if (!absl::StartsWith(dir, "/")) {
      dir = absl::StrCat(base_dir, "/", dir);
    }
    out.push_back({h.command, std::move(dir)});
  }
  return out;
}

std::pair<std::string, std::string> RepoAndTag(absl::string_view reference) {
  absl::string_view ref = reference;
  if (size_t at = ref.find('@'); at != absl::string_view::npos) ref = ref.substr(0, at);
  // A ':' after the last '/' separates the tag; one before it is a registry's port.
  const size_t slash = ref.rfind('/');
  const size_t colon = ref.rfind(':');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    return {std::string(ref.substr(0, colon)), std::string(ref.substr(colon + 1))};
  }
  return {std::string(ref), "latest"};
}

}  // namespace devloop::hooks
