#include "infra/process/process_runner.h"

#include <utility>

namespace devloop::process {

std::ostream& operator<<(std::ostream& os, const ExitStatus& status) {
  os << "ExitStatus{exit_code=" << status.exit_code << ", signal=" << status.signal;
  if (status.timed_out) os << ", timed_out";
  if (status.cancelled) os << ", cancelled";
  return os << "}";
}

absl::StatusOr<ExitStatus> ProcessRunner::Run(const ProcessSpec& spec) {
  absl::StatusOr<std::unique_ptr<Process>> process = Start(spec);
  if (!process.ok()) return std::move(process).status();
  return (*process)->Wait();
}

}  // namespace devloop::process
