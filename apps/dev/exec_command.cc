#include "apps/dev/exec_command.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/console/console.h"
#include "apps/dev/command_support.h"
#include "infra/actions/container_runner.h"
#include "infra/build/tagger.h"
#include "infra/deploy/labels.h"
#include "infra/docker/engine_api_docker.h"

namespace devloop::apps {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Reads --build-artifacts: artifact image -> the reference built. Empty without the flag.
absl::StatusOr<std::map<std::string, std::string>> BuiltImages(const cli::CliOptions& options) {
  std::map<std::string, std::string> built;
  if (options.build_artifacts.empty()) return built;
  absl::StatusOr<std::string> text = ReadFile(options.build_artifacts);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("--build-artifacts: ", text.status().message()));
  }
  absl::StatusOr<std::vector<BuildOutput>> parsed =
      ParseBuildOutput(*text, options.build_artifacts);
  if (!parsed.ok()) return parsed.status();
  for (const BuildOutput& b : *parsed) built[b.image_name] = b.tag;
  return built;
}

actions::ContainerJob JobOf(const config::ActionContainer& c,
                            const std::map<std::string, std::string>& built) {
  actions::ContainerJob job{.name = c.name, .image = c.image, .entrypoint = c.command,
                            .args = c.args};
  // An artifact's image runs as built: by its name, or its name with a tag.
  auto it = built.find(c.image);
  if (it == built.end()) it = built.find(build::ImageWithoutTag(c.image));
  if (it != built.end()) job.image = it->second;
  for (const auto& [name, value] : c.env) job.env[name] = value;
  return job;
}

// Runs `jobs` and prints their output prefixed by container name. Returns the exit code.
int Run(const cli::CliOptions& options, const std::string& what,
        std::vector<actions::ContainerJob> jobs, absl::Duration timeout, bool fail_fast) {
  std::mutex mu;
  std::cout << "Starting execution for " << what << "\n" << std::flush;
  absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> docker =
      docker::EngineApiDocker::Create(docker::DockerOptionsFromEnvironment());
  if (!docker.ok()) {
    std::cerr << "devloop: cannot reach the Docker Engine: " << docker.status().message() << "\n";
    return 1;
  }
  actions::RunOptions run;
  run.containers = std::move(jobs);
  run.timeout = timeout;
  run.fail_fast = fail_fast;
  // The action's name tells its containers apart from a dev loop's.
  run.labels = {{deploy::kRunIdLabel, deploy::NewRunId()}, {"dev.devloop.action", what}};
  run.on_output = [&mu](const std::string& name, absl::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    std::cout << "[" << name << "] " << console::Console::WithoutLineEnd(line) << "\n"
              << std::flush;
  };
  (void)options;
  absl::Status s = actions::RunContainers(docker->get(), run);
  if (!s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int RunExec(const cli::CliOptions& options) {
  absl::StatusOr<std::vector<config::Config>> configs = LoadConfigs(options);
  if (!configs.ok()) {
    std::cerr << configs.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::map<std::string, std::string>> built = BuiltImages(options);
  if (!built.ok()) {
    std::cerr << built.status().message() << "\n";
    return 1;
  }
  const std::string& name = options.args.front();
  std::vector<std::string> names;
  for (const config::Config& c : *configs) {
    for (const config::CustomAction& a : c.custom_actions) {
      names.push_back(a.name);
      if (a.name != name) continue;
      std::vector<actions::ContainerJob> jobs;
      for (const config::ActionContainer& container : a.containers) {
        jobs.push_back(JobOf(container, *built));
      }
      const absl::Duration timeout = a.timeout_seconds && *a.timeout_seconds > 0
                                         ? absl::Seconds(*a.timeout_seconds)
                                         : absl::InfiniteDuration();
      return Run(options, name, std::move(jobs), timeout, a.fail_fast);
    }
  }
  std::cerr << "devloop exec: no custom action named \"" << name << "\" ("
            << (names.empty() ? std::string("the config defines none under customActions")
                              : absl::StrCat("defined: ", absl::StrJoin(names, ", ")))
            << ")\n";
  return 1;
}

int RunVerify(const cli::CliOptions& options) {
  absl::StatusOr<std::vector<config::Config>> configs = LoadConfigs(options);
  if (!configs.ok()) {
    std::cerr << configs.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::map<std::string, std::string>> built = BuiltImages(options);
  if (!built.ok()) {
    std::cerr << built.status().message() << "\n";
    return 1;
  }
  std::vector<actions::ContainerJob> jobs;
  absl::Duration timeout = absl::ZeroDuration();  // the longest test's; none: no limit
  bool unlimited = false;
  for (const config::Config& c : *configs) {
    for (const config::VerifyTestCase& v : c.verify) {
      jobs.push_back(JobOf(v.container, *built));
      if (v.timeout_seconds && *v.timeout_seconds > 0) {
        timeout = std::max(timeout, absl::Seconds(*v.timeout_seconds));
      } else {
        unlimited = true;
      }
    }
  }
  if (jobs.empty()) {
    std::cerr << "devloop verify: the config has no verify tests\n";
    return 1;
  }
  // Verify tests all run to the end, and each failure is reported.
  return Run(options, "verify", std::move(jobs), unlimited ? absl::InfiniteDuration() : timeout,
             /*fail_fast=*/false);
}

}  // namespace devloop::apps
