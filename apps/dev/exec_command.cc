#include "apps/dev/exec_command.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/events/event.h"
#include "domain/events/status_payload.h"
#include "domain/state/state.h"
#include "apps/console/console.h"
#include "apps/dev/adapters.h"
#include "apps/dev/api_servers.h"
#include "apps/dev/command_support.h"
#include "apps/dev/pipeline_options.h"
#include "infra/actions/container_runner.h"
#include "infra/build/tagger.h"
#include "infra/clock/clock.h"
#include "infra/control/control.h"
#include "infra/deploy/labels.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/hub/hub.h"
#include "infra/process/posix_process_runner.h"
#include "infra/tester/local_tester.h"

namespace devloop::apps {
namespace {

// Loads what exec, verify and test start from (LoadConfigsAndImages); prints
// the error and returns nullopt when that fails.
std::optional<ConfigsAndImages> Start(const cli::CliOptions& options) {
  absl::StatusOr<ConfigsAndImages> loaded = LoadConfigsAndImages(options);
  if (!loaded.ok()) {
    std::cerr << loaded.status().message() << "\n";
    return std::nullopt;
  }
  return *std::move(loaded);
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

// Returns the context of the artifact that builds `image` (absolute); empty
// when none does (the tag policy then tags as for an unknown context).
std::string ArtifactContext(const ConfigsAndImages& loaded, const std::string& image) {
  for (const config::Config& c : loaded.configs) {
    for (const config::Artifact& a : c.build.artifacts) {
      if (a.image == image) return a.absolute_context;
    }
  }
  return "";
}

}  // namespace

int RunExec(const cli::CliOptions& options) {
  std::optional<ConfigsAndImages> loaded = Start(options);
  if (!loaded.has_value()) return 1;
  const std::vector<config::Config>* configs = &loaded->configs;
  const std::map<std::string, std::string>* built = &loaded->built;
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
  std::optional<ConfigsAndImages> loaded = Start(options);
  if (!loaded.has_value()) return 1;
  const std::vector<config::Config>* configs = &loaded->configs;
  const std::map<std::string, std::string>* built = &loaded->built;
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

namespace {

// The event log of `devloop test`, served with --enable-rpc for as long as the
// command runs, as `devloop run` serves its own: the tests' TestEvents, folded
// into the State's testState.
class TestEvents {
 public:
  explicit TestEvents(const cli::CliOptions& options) : options_(options) {}
  ~TestEvents() {
    hub_.Close();
    api_.Shutdown(absl::Milliseconds(500));
  }

  // Starts the API servers with --enable-rpc (saying where on stdout); the
  // pipeline's artifacts start "Not Started".
  absl::Status Start(const std::vector<config::Config>& configs) {
    if (!options_.enable_rpc) return absl::OkStatus();
    domain::PipelineStarted started;
    for (const config::Config& c : configs) {
      for (const config::Artifact& a : c.build.artifacts) started.artifacts.push_back(a.image);
    }
    hub_.Append(started);
    absl::StatusOr<ApiServers> servers =
        StartApiServers(options_, &hub_, /*app_logs=*/nullptr, &control_);
    if (!servers.ok()) return servers.status();
    api_ = *std::move(servers);
    AnnounceApiServers(options_, api_, &console_);
    return absl::OkStatus();
  }

  void InProgress() {
    Log(domain::TestEvent{std::string(domain::kStatusInProgress)}, "Test started");
  }
  void Complete() {
    Log(domain::TestEvent{std::string(domain::kStatusComplete)}, "Test completed");
  }
  void Failed(const std::string& image, const absl::Status& status) {
    domain::ActionableErr err{domain::StatusCodeOr(status, domain::StatusCode::kTestUnknown),
                              std::string(status.message()),
                              {}};
    Log(domain::TestEvent{std::string(domain::kStatusFailed), std::move(err)},
        absl::StrCat("Test failed for artifact ", image));
  }

 private:
  void Log(domain::TestEvent event, std::string entry) {
    hub_.Append(domain::LogEntry{clock::RealClock()->Now(), std::move(event), std::move(entry)});
  }

  const cli::CliOptions& options_;
  console::Console console_{{.out = &std::cout}};
  hub::Hub hub_;
  control::HubControl control_{&hub_};  // nothing to build, sync or deploy
  ApiServers api_;
};

}  // namespace

int RunTest(const cli::CliOptions& options) {
  std::optional<ConfigsAndImages> loaded = Start(options);
  if (!loaded.has_value()) return 1;
  const std::vector<tester::ImageTests> tests = TestsOf(loaded->configs);
  TestEvents events(options);
  if (absl::Status started = events.Start(loaded->configs); !started.ok()) {
    std::cerr << started.message() << "\n";
    return 1;
  }
  if (tests.empty()) {
    std::cout << "No tests to run: the config has no test[] entries with custom or "
                 "structureTests\n";
    return 0;
  }
  process::PosixProcessRunner runner;
  // Without --build-artifacts, the images as `devloop build` tags them now.
  std::unique_ptr<build::Tagger> tagger;
  if (options.build_artifacts.empty()) {
    absl::StatusOr<std::unique_ptr<build::Tagger>> made =
        MakeTagger(loaded->configs, options, &runner);
    if (!made.ok()) {
      std::cerr << made.status().message() << "\n";
      return 1;
    }
    tagger = *std::move(made);
  }
  // Without the container-structure-test CLI, structure tests run on the
  // Docker Engine through devloop's built-in runner.
  const std::string structure_test_binary = StructureTestBinary();
  std::unique_ptr<docker::EngineApiDocker> test_docker;
  if (structure_test_binary.empty()) {
    absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> made =
        docker::EngineApiDocker::Create(docker::DockerOptionsFromEnvironment());
    if (made.ok()) test_docker = *std::move(made);
  }
  tester::LocalTester tester(&runner,
                             {.tests = tests,
                              .structure_test_binary = structure_test_binary,
                              .docker = test_docker.get(),
                              .container_labels = {{deploy::kRunIdLabel, deploy::NewRunId()},
                                                   {"dev.devloop.action", "test"}}});
  events.InProgress();
  for (const tester::ImageTests& t : tests) {
    std::string reference;
    if (auto it = loaded->built.find(t.image); it != loaded->built.end()) {
      reference = it->second;
    } else if (!options.build_artifacts.empty()) {
      const std::string message = absl::StrCat(options.build_artifacts, " lists no image for ",
                                               t.image, ", which test[] tests");
      std::cerr << "devloop test: " << message << "\n";
      events.Failed(t.image, absl::NotFoundError(message));
      return 1;
    } else {
      absl::StatusOr<std::string> tag = tagger->Tag(t.image, ArtifactContext(*loaded, t.image));
      if (!tag.ok()) {
        std::cerr << "devloop test: tagging " << t.image << ": " << tag.status().message()
                  << "\n";
        events.Failed(t.image, tag.status());
        return 1;
      }
      reference = build::TaggedReference(t.image, *tag);
    }
    std::cout << "Testing " << reference << "\n" << std::flush;
    const std::string image = t.image;
    absl::Status s = tester.Test(
        {.image = t.image, .reference = reference, .on_output = [&image](absl::string_view line) {
           std::cout << "[test " << image << "] " << console::Console::WithoutLineEnd(line) << "\n"
                     << std::flush;
         }});
    if (!s.ok()) {
      std::cerr << "devloop test: " << s.message() << "\n";
      events.Failed(t.image, s);
      return 1;
    }
  }
  events.Complete();
  std::cout << "Tests passed\n";
  return 0;
}

}  // namespace devloop::apps
