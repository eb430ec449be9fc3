#include "infra/build/custom/custom_builder.h"

#include <deque>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/config/template.h"
#include "domain/events/status_payload.h"
#include "infra/build/default_repo.h"
#include "infra/build/docker/image_builder.h"

namespace devloop::build {
namespace {

using domain::StatusCode;
using domain::WithStatusCode;

// How many of the command's last lines a failure quotes.
constexpr size_t kTailLines = 20;

// The command's last lines, for the error of a failed build.
class OutputTail {
 public:
  void Add(absl::string_view line) {
    absl::MutexLock lock(&mu_);
    lines_.emplace_back(line);
    if (lines_.size() > kTailLines) lines_.pop_front();
  }
  std::string Text() const {
    absl::MutexLock lock(&mu_);
    return absl::StrJoin(lines_, "\n");
  }

 private:
  mutable absl::Mutex mu_;
  std::deque<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

std::string Field(const ArtifactBuildSpec& spec) {
  return absl::StrCat("build.artifacts[", spec.spec.image, "].custom.buildCommand");
}

}  // namespace

void CommandCancellation::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (process_ != nullptr) process_->Cancel();
}

bool CommandCancellation::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool CommandCancellation::Attach(process::Process* process) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  process_ = process;
  return true;
}

void CommandCancellation::Detach() {
  absl::MutexLock lock(&mu_);
  process_ = nullptr;
}

absl::StatusOr<CustomBuiltImage> BuildCustomArtifact(
    process::ProcessRunner* runner, docker::Docker* docker, const ArtifactBuildSpec& spec,
    const std::map<std::string, std::string>& required, const CustomBuildOptions& options) {
  if (!spec.custom.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifact ", spec.spec.image, " is not a custom artifact"));
  }
  const std::string& image = spec.spec.image;
  std::string tag = "latest";
  if (options.tagger != nullptr) {
    absl::StatusOr<std::string> t = options.tagger->Tag(image, spec.context_dir);
    if (!t.ok()) return WithStatusCode(t.status(), StatusCode::kBuildUnknown);
    tag = *t;
  }
  // Under --default-repo, pushed or not, as the Docker builder names images.
  const std::string name = ImageUnderRepo(options.default_repo, image);
  CustomBuiltImage built{.tag = TaggedReference(name, tag)};

  absl::StatusOr<config::Template> command = config::ParseTemplate(spec.custom->build_command);
  if (!command.ok()) {
    return WithStatusCode(absl::InvalidArgumentError(absl::StrCat(
                              Field(spec), " \"", spec.custom->build_command,
                              "\": ", command.status().message())),
                          StatusCode::kBuildUserError);
  }
  absl::StatusOr<std::string> expanded = command->Evaluate(options.template_env);
  if (!expanded.ok()) return WithStatusCode(expanded.status(), StatusCode::kBuildUserError);

  process::ProcessSpec run;
  run.argv = {"sh", "-c", *expanded};
  run.working_dir = spec.context_dir;
  run.kill_grace = options.kill_grace;
  // Required artifacts first, so that an alias can never hide the contract's variables.
  for (const auto& [alias_image, alias] : spec.require_aliases) {
    auto it = required.find(alias_image);
    if (it == required.end()) {
      return absl::FailedPreconditionError(absl::StrCat("cannot build ", image,
                                                        ": the artifact it requires, ",
                                                        alias_image, ", is not built"));
    }
    // A local image by its tag (sh and build tools take it in FROM); a pushed
    // one by its registry digest.
    run.env[alias] = options.push ? it->second : DisplayReference(it->second);
  }
  run.env["IMAGE"] = built.tag;
  run.env["IMAGES"] = built.tag;  // the older name, still set by Skaffold
  run.env["PUSH_IMAGE"] = options.push ? "true" : "false";
  run.env["BUILD_CONTEXT"] = spec.context_dir;
  run.env["IMAGE_REPO"] = name;
  run.env["IMAGE_TAG"] = tag;
  run.env["PLATFORMS"] = absl::StrJoin(options.platforms, ",");
  run.env["SKIP_TEST"] = options.skip_tests ? "true" : "false";
  auto tail = std::make_shared<OutputTail>();
  process::LineCallback forward = [tail, on_output = options.on_output](absl::string_view line) {
    tail->Add(line);
    if (on_output) on_output(line);
  };
  run.on_stdout = forward;
  run.on_stderr = forward;

  if (options.cancellation != nullptr && options.cancellation->cancelled()) {
    return WithStatusCode(absl::CancelledError(absl::StrCat("build of ", image, " cancelled")),
                          StatusCode::kBuildCancelled);
  }
  absl::StatusOr<std::unique_ptr<process::Process>> process = runner->Start(run);
  if (!process.ok()) {
    return WithStatusCode(
        absl::Status(process.status().code(),
                     absl::StrCat(Field(spec), ": cannot run sh in ", spec.context_dir, ": ",
                                  process.status().message())),
        StatusCode::kBuildUserError);
  }
  if (options.cancellation != nullptr && !options.cancellation->Attach(process->get())) {
    (*process)->Cancel();
  }
  const process::ExitStatus exit = (*process)->Wait();
  if (options.cancellation != nullptr) options.cancellation->Detach();
  if (exit.cancelled) {
    return WithStatusCode(absl::CancelledError(absl::StrCat("build of ", image, " cancelled")),
                          StatusCode::kBuildCancelled);
  }
  if (!exit.success()) {
    const std::string how = exit.signal != 0 ? absl::StrCat("was killed by signal ", exit.signal)
                                             : absl::StrCat("exited with status ", exit.exit_code);
    const std::string output = tail->Text();
    return WithStatusCode(
        absl::AbortedError(absl::StrCat(
            Field(spec), " \"", spec.custom->build_command, "\" ", how, " building ", built.tag,
            output.empty() ? " (it printed nothing)"
                           : absl::StrCat("; its last output:\n", output))),
        StatusCode::kBuildUserError);
  }

  absl::StatusOr<docker::ImageInfo> info = docker->InspectImage(built.tag);
  if (!info.ok() && info.status().code() == absl::StatusCode::kNotFound && !options.push) {
    return WithStatusCode(
        absl::FailedPreconditionError(absl::StrCat(
            Field(spec), " \"", spec.custom->build_command,
            "\" exited 0 but the Docker Engine has no image ", built.tag,
            ": the command must build and tag the image named by $IMAGE")),
        StatusCode::kBuildUserError);
  }
  if (info.ok()) built.image_id = info->id;
  if (!options.push) {
    if (!info.ok()) return info.status();
    built.reference = absl::StrCat(built.tag, "@", built.image_id);
    return built;
  }
  // Pushed: the engine that pushed it knows the registry's digest.
  if (info.ok()) {
    const std::string prefix = absl::StrCat(ImageWithoutTag(built.tag), "@");
    for (const std::string& d : info->repo_digests) {
      if (absl::StartsWith(d, prefix)) {
        built.reference = absl::StrCat(built.tag, d.substr(prefix.size() - 1));
        return built;
      }
    }
  }
  return WithStatusCode(
      absl::FailedPreconditionError(absl::StrCat(
          Field(spec), " \"", spec.custom->build_command, "\" exited 0, but the local Docker ",
          "Engine knows no registry digest of ", built.tag,
          ": with PUSH_IMAGE=true the command must push $IMAGE with `docker push`")),
      StatusCode::kBuildDockerGetDigestErr);
}

CustomBuilder::CustomBuilder(process::ProcessRunner* runner, docker::Docker* docker,
                             Options options)
    : runner_(runner), docker_(docker), options_(std::move(options)) {}

const ArtifactBuildSpec* CustomBuilder::Find(const std::string& image) const {
  for (const ArtifactBuildSpec& a : options_.artifacts) {
    if (a.spec.image == image && a.custom.has_value()) return &a;
  }
  return nullptr;
}

absl::StatusOr<std::string> CustomBuilder::Build(const BuildRequest& request) {
  const ArtifactBuildSpec* spec = Find(request.image);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("no custom artifact builds image \"", request.image, "\""));
  }
  std::shared_ptr<CommandCancellation> cancellation;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<CommandCancellation>& slot = cancellations_[request.image];
    // A Cancel that came before this build applies to it; after it, a fresh one.
    if (slot == nullptr) slot = std::make_shared<CommandCancellation>();
    cancellation = slot;
  }
  // Never taken from a cache: every build is a real one, with its hooks.
  if (request.before_build) {
    if (absl::Status s = request.before_build(); !s.ok()) return s;
  }
  absl::StatusOr<CustomBuiltImage> built = BuildCustomArtifact(
      runner_, docker_, *spec, request.required,
      {.tagger = options_.tagger.get(),
       .push = options_.push,
       .default_repo = options_.default_repo,
       .platforms = options_.platforms,
       .skip_tests = options_.skip_tests,
       .template_env = options_.template_env,
       .on_output = request.on_output,
       .kill_grace = options_.kill_grace,
       .cancellation = cancellation.get()});
  {
    absl::MutexLock lock(&mu_);
    auto it = cancellations_.find(request.image);
    if (it != cancellations_.end() && it->second == cancellation) cancellations_.erase(it);
    if (!built.ok()) return built.status();
    produced_.emplace_back(built->tag, built->image_id);
  }
  if (request.after_build) {
    if (absl::Status s = request.after_build(); !s.ok()) return s;
  }
  return built->reference;
}

void CustomBuilder::Cancel(const std::string& image) {
  std::shared_ptr<CommandCancellation> cancellation;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<CommandCancellation>& slot = cancellations_[image];
    if (slot == nullptr) slot = std::make_shared<CommandCancellation>();
    cancellation = slot;
  }
  cancellation->Cancel();
}

absl::Status CustomBuilder::Cleanup() {
  std::vector<std::pair<std::string, std::string>> produced;
  {
    absl::MutexLock lock(&mu_);
    produced.swap(produced_);
  }
  absl::Status result;
  std::set<std::string> ids;
  std::set<std::string> tags;
  for (const auto& [tag, id] : produced) {
    if (!id.empty()) ids.insert(id);
    if (!tags.insert(tag).second) continue;
    // By the tag: the engine untags, and deletes the image only when no other
    // name is left on it.
    absl::Status s = docker_->RemoveImage(tag, /*force=*/false);
    if (!s.ok() && s.code() != absl::StatusCode::kNotFound &&
        s.code() != absl::StatusCode::kAlreadyExists) {
      result.Update(s);
    }
  }
  // Earlier builds' images, whose tag moved on to a later one: removed once
  // no name is left on them (one that someone tagged since is theirs).
  for (const std::string& id : ids) {
    absl::StatusOr<docker::ImageInfo> info = docker_->InspectImage(id);
    if (!info.ok()) {
      if (info.status().code() != absl::StatusCode::kNotFound) result.Update(info.status());
      continue;
    }
    if (!info->repo_tags.empty()) continue;
    absl::Status s = docker_->RemoveImage(id, /*force=*/false);
    if (!s.ok() && s.code() != absl::StatusCode::kNotFound &&
        s.code() != absl::StatusCode::kAlreadyExists) {
      result.Update(s);
    }
  }
  return result;
}

}  // namespace devloop::build
