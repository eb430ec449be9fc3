#include "infra/tester/structure_runner.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/paths/path.h"
#include "infra/tester/structure_test_file.h"
#include "re2/re2.h"

namespace devloop::tester {
namespace {

namespace st = structuretest;

constexpr int kMaxSymlinks = 16;
// Never run: a created container needs a command, and an image FROM scratch
// may have none.
constexpr char kNeverRun[] = "/devloop-structure-test-never-runs";

absl::StatusOr<std::string> ReadHostFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read the file"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

bool IsRegular(uint32_t mode) { return (mode & 0170000) == 0100000; }

}  // namespace

absl::StatusOr<bool> Re2Search(absl::string_view pattern, absl::string_view text) {
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), RE2::Quiet);
  if (!re.ok()) return absl::InvalidArgumentError(re.error());
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re);
}

StructureRunner::StructureRunner(docker::Docker* docker, StructureRunnerOptions options)
    : docker_(docker), options_(std::move(options)) {}

void StructureRunner::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (follower_ != nullptr) follower_->Stop();
}

bool StructureRunner::cancelled() {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

absl::Status StructureRunner::Run(const std::string& image, const std::vector<std::string>& files,
                                  const std::function<void(absl::string_view)>& on_output) {
  auto print = [&](const std::vector<std::string>& lines) {
    if (!on_output) return;
    for (const std::string& line : lines) on_output(line);
  };
  // Every file is read first: a broken one runs nothing.
  std::vector<st::TestFile> parsed;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadHostFile(file);
    if (!text.ok()) return text.status();
    absl::StatusOr<st::TestFile> f = ParseStructureTestFile(*text, file);
    if (!f.ok()) return f.status();
    parsed.push_back(*std::move(f));
  }
  absl::StatusOr<docker::ImageInfo> info = docker_->InspectImage(image);
  if (!info.ok()) return info.status();
  const st::ImageMetadata metadata{.env = info->config.env,
                                   .labels = info->config.labels,
                                   .exposed_ports = info->config.exposed_ports,
                                   .volumes = info->config.volumes,
                                   .entrypoint = info->config.entrypoint,
                                   .cmd = info->config.cmd,
                                   .workdir = info->config.working_dir,
                                   .user = info->config.user};

  std::vector<st::TestResult> results;
  auto record = [&](st::TestResult r) {
    print(st::FormatResult(r));
    results.push_back(std::move(r));
  };
  for (const st::TestFile& file : parsed) {
    print(st::FormatFileHeader(file.path));
    for (const st::CommandTest& test : file.command_tests) {
      if (cancelled()) return absl::CancelledError("structure tests cancelled");
      record(CommandTest(test, image, file.global_env_vars, metadata.env));
    }
    if (!file.file_existence_tests.empty() || !file.file_content_tests.empty()) {
      if (cancelled()) return absl::CancelledError("structure tests cancelled");
      absl::StatusOr<std::string> id = docker_->Run({.image = image,
                                                     .labels = options_.labels,
                                                     .entrypoint = {kNeverRun},
                                                     .start = false});
      if (!id.ok()) return id.status();
      for (const st::FileExistenceTest& test : file.file_existence_tests) {
        absl::StatusOr<docker::PathEntry> entry = Resolve(*id, test.path);
        if (!entry.ok() && entry.status().code() != absl::StatusCode::kNotFound) {
          record(st::DriverFailure(st::FileExistenceTestName(test), entry.status().message()));
          continue;
        }
        std::optional<st::FileFacts> facts;
        if (entry.ok()) facts = st::FileFacts{.mode = entry->mode, .uid = entry->uid, .gid = entry->gid};
        record(st::CheckFileExistence(test, facts));
      }
      for (const st::FileContentTest& test : file.file_content_tests) {
        absl::StatusOr<docker::PathEntry> entry = Resolve(*id, test.path);
        absl::StatusOr<std::string> contents =
            !entry.ok() ? absl::StatusOr<std::string>(entry.status())
            : IsRegular(entry->mode)
                ? absl::StatusOr<std::string>(entry->content)
                : absl::StatusOr<std::string>(absl::FailedPreconditionError(absl::StrCat(
                      "not a regular file (", st::FileModeString(entry->mode), ")")));
        record(st::CheckFileContent(test, contents, Re2Search));
      }
      const absl::Status removed = docker_->Remove(*id, /*force=*/true);
      if (!removed.ok() && removed.code() != absl::StatusCode::kNotFound) return removed;
    }
    if (file.metadata.has_value()) record(st::CheckMetadata(*file.metadata, metadata, Re2Search));
  }
  if (cancelled()) return absl::CancelledError("structure tests cancelled");
  print(st::FormatSummary(results));
  std::vector<std::string> failed;
  for (const st::TestResult& r : results) {
    if (!r.pass) failed.push_back(r.name);
  }
  if (failed.empty()) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat(failed.size(), " of ", results.size(),
                                         " structure tests failed: ", absl::StrJoin(failed, ", ")));
}

st::TestResult StructureRunner::CommandTest(const st::CommandTest& test, const std::string& image,
                                            const std::vector<st::KeyValue>& global_env,
                                            const std::vector<std::string>& image_env) {
  const std::string name = st::CommandTestName(test);
  const std::map<std::string, std::string> env =
      st::CommandEnv(image_env, global_env, test.env_vars);
  std::vector<std::string> committed;
  std::string current = image;
  auto cleanup = [&] {
    for (auto it = committed.rbegin(); it != committed.rend(); ++it) {
      (void)docker_->RemoveImage(*it, /*force=*/true);
    }
  };
  for (const std::vector<std::string>& step : test.setup) {
    std::string next;
    absl::StatusOr<st::CommandOutcome> ran = Execute(current, step, env, &next);
    if (!next.empty()) committed.push_back(next);
    std::string why;
    if (!ran.ok()) {
      why = std::string(ran.status().message());
    } else if (ran->exit_code != 0) {
      why = absl::StrCat("exited with code ", ran->exit_code, ": ", ran->stdout_text,
                         ran->stderr_text);
    }
    if (!why.empty()) {
      cleanup();
      return st::DriverFailure(name, absl::StrCat("setup command \"", absl::StrJoin(step, " "),
                                                  "\" ", why));
    }
    current = next;
  }
  std::vector<std::string> argv = {test.command};
  argv.insert(argv.end(), test.args.begin(), test.args.end());
  absl::StatusOr<st::CommandOutcome> ran = Execute(current, argv, env, nullptr);
  st::TestResult result =
      ran.ok() ? st::CheckCommand(test, *ran, Re2Search)
               : st::DriverFailure(name, absl::StrCat("command \"", absl::StrJoin(argv, " "),
                                                      "\" did not run: ", ran.status().message()));
  for (const std::vector<std::string>& step : test.teardown) {
    absl::StatusOr<st::CommandOutcome> down = Execute(current, step, env, nullptr);
    if (!down.ok() || down->exit_code != 0) {
      result.pass = false;
      result.errors.push_back(absl::StrCat(
          "teardown command \"", absl::StrJoin(step, " "), "\" ",
          down.ok() ? absl::StrCat("exited with code ", down->exit_code)
                    : std::string(down.status().message())));
    }
  }
  cleanup();
  return result;
}

absl::StatusOr<st::CommandOutcome> StructureRunner::Execute(
    const std::string& image, const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env, std::string* committed) {
  if (cancelled()) return absl::CancelledError("structure tests cancelled");
  docker::RunRequest request{.image = image, .labels = options_.labels, .env = env};
  request.entrypoint = {argv[0]};
  request.cmd.assign(argv.begin() + 1, argv.end());
  absl::StatusOr<std::string> id = docker_->Run(request);
  if (!id.ok()) return id.status();
  absl::Mutex out_mu;
  st::CommandOutcome outcome;
  absl::StatusOr<std::unique_ptr<docker::LogFollower>> follower = docker_->FollowLogs(
      *id, [&](docker::LogStream stream, absl::string_view line) {
        absl::MutexLock lock(&out_mu);
        std::string& to =
            stream == docker::LogStream::kStdout ? outcome.stdout_text : outcome.stderr_text;
        absl::StrAppend(&to, line, "\n");
      });
  absl::Status status = follower.status();
  if (follower.ok()) {
    {
      absl::MutexLock lock(&mu_);
      follower_ = follower->get();
      if (cancelled_) follower_->Stop();
    }
    status = (*follower)->Wait();
    {
      absl::MutexLock lock(&mu_);
      follower_ = nullptr;
    }
    follower->reset();
  }
  if (status.ok() && cancelled()) status = absl::CancelledError("structure tests cancelled");
  if (status.ok()) {
    absl::StatusOr<docker::ContainerState> state = docker_->Inspect(*id);
    if (!state.ok()) {
      status = state.status();
    } else if (state->status == docker::ContainerStatus::kRunning) {
      status = absl::InternalError("the log stream ended while the container still runs");
    } else {
      outcome.exit_code = state->exit_code;
    }
  }
  if (status.ok() && committed != nullptr) {
    absl::StatusOr<std::string> image_id = docker_->Commit(*id);
    if (image_id.ok()) *committed = *image_id;
    status = image_id.status();
  }
  const absl::Status removed = docker_->Remove(*id, /*force=*/true);
  if (!status.ok()) return status;
  if (!removed.ok() && removed.code() != absl::StatusCode::kNotFound) return removed;
  absl::MutexLock lock(&out_mu);
  return outcome;
}

absl::StatusOr<docker::PathEntry> StructureRunner::Resolve(const std::string& container,
                                                           std::string path) {
  for (int hops = 0; hops <= kMaxSymlinks; ++hops) {
    absl::StatusOr<docker::PathEntry> entry = docker_->ReadPath(container, path);
    if (!entry.ok() || (entry->mode & 0170000) != 0120000) return entry;
    path = domain::ResolvePath(Dirname(path), entry->link_target);
  }
  return absl::FailedPreconditionError(
      absl::StrCat(path, ": more than ", kMaxSymlinks, " symlinks in a row"));
}

}  // namespace devloop::tester
