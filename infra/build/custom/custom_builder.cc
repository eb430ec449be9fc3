#include "infra/build/custom/custom_builder.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/config/template.h"
#include "domain/events/status_payload.h"
#include "infra/build/default_repo.h"
#include "infra/build/docker/docker_builder.h"
#include "infra/build/docker/image_builder.h"
#include "infra/fs/context_hash.h"

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

// The input digest of a custom build (see the header): what the command is
// given. `command` is the expanded build command, `repo` $IMAGE_REPO.
absl::StatusOr<std::string> CustomInputDigest(const ArtifactBuildSpec& spec,
                                              const std::string& command, const std::string& repo,
                                              const std::map<std::string, std::string>& required,
                                              const CustomBuildOptions& options) {
  absl::StatusOr<std::string> context = fs::HashBuildContext(spec.context_dir);
  if (!context.ok()) return context.status();
  InputDigestWriter in;
  in.Add("builder", "custom");  // never the digest of a Docker build
  in.Add("context", *context).Add("command", command).Add("repo", repo);
  in.Add("platforms", absl::StrJoin(spec.platforms, ","));
  in.Add("skip-tests", options.skip_tests ? "true" : "false");
  for (const auto& [image, alias] : spec.require_aliases) {
    auto it = required.find(image);
    in.Add(absl::StrCat("requires:", alias), it == required.end() ? "" : it->second);
  }
  return in.Hex();
}

// Builds `FROM <image_id>` with `labels`, tagged `tag` (the tag moves to it),
// and returns the new image's id: how an image devloop did not build gets
// devloop's labels. No layer is added; `image_id` becomes its parent.
absl::StatusOr<std::string> Relabel(docker::Docker* docker, const std::string& image_id,
                                    const std::string& tag,
                                    const std::map<std::string, std::string>& labels) {
  char tmpl[] = "/tmp/devloop-label-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return absl::InternalError(absl::StrCat("labelling ", tag, ": cannot create a directory in ",
                                            "/tmp: ", std::strerror(errno)));
  }
  const std::string dir = tmpl;
  absl::StatusOr<docker::BuildResult> result;
  {
    std::ofstream dockerfile(dir + "/Dockerfile");
    dockerfile << "FROM " << image_id << "\n";
    dockerfile.close();
    if (!dockerfile) {
      result = absl::InternalError(absl::StrCat("labelling ", tag, ": cannot write ", dir,
                                                "/Dockerfile"));
    } else {
      result = docker->Build({.context_dir = dir, .tags = {tag}, .labels = labels});
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (!result.ok()) return result.status();
  return absl::StartsWith(result->image_id, "sha256:") ? result->image_id
                                                       : absl::StrCat("sha256:", result->image_id);
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
  run.env["PLATFORMS"] = absl::StrJoin(spec.platforms, ",");
  run.env["SKIP_TEST"] = options.skip_tests ? "true" : "false";
  // Labelled (and cached) only when not pushed: see the header.
  const bool label = !options.push && (options.cache || !options.labels.empty());
  std::string digest;
  if (label) {
    // A context that cannot be hashed is still built, just never cached.
    absl::StatusOr<std::string> d = CustomInputDigest(spec, *expanded, name, required, options);
    if (d.ok()) digest = *d;
    if (options.cache && !digest.empty()) {
      absl::StatusOr<std::vector<std::string>> found =
          docker->ListImages(kInputDigestLabel, digest);
      if (found.ok() && !found->empty()) {
        built.image_id = found->front();
        if (absl::Status s = docker->Tag(built.image_id, built.tag); !s.ok()) return s;
        built.reference = absl::StrCat(built.tag, "@", built.image_id);
        built.labelled = built.cached = true;
        return built;
      }
    }
  }
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
  // A real build from here on: its hooks run around it.
  if (options.before_build) {
    if (absl::Status s = options.before_build(); !s.ok()) return s;
  }
  auto done = [&options](CustomBuiltImage image) -> absl::StatusOr<CustomBuiltImage> {
    if (options.after_build) {
      if (absl::Status s = options.after_build(); !s.ok()) return s;
    }
    return image;
  };
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
    if (label) {
      std::map<std::string, std::string> labels = options.labels;
      if (!digest.empty()) labels[kInputDigestLabel] = digest;
      absl::StatusOr<std::string> id = Relabel(docker, built.image_id, built.tag, labels);
      if (!id.ok()) return id.status();
      built.image_id = *id;
      built.labelled = true;
    }
    built.reference = absl::StrCat(built.tag, "@", built.image_id);
    return done(std::move(built));
  }
  // Pushed: the engine that pushed it knows the registry's digest.
  if (info.ok()) {
    const std::string prefix = absl::StrCat(ImageWithoutTag(built.tag), "@");
    for (const std::string& d : info->repo_digests) {
      if (absl::StartsWith(d, prefix)) {
        built.reference = absl::StrCat(built.tag, d.substr(prefix.size() - 1));
        return done(std::move(built));
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
  std::map<std::string, std::string> labels = options_.labels;
  if (!options_.cache_scope.empty()) {
    // Kept across runs: not the run's to remove, the prune's (Cleanup).
    labels.erase(options_.owner_label.first);
    labels[kCacheLabel] = absl::StrCat(options_.cache_scope, "/", request.image);
  }
  absl::StatusOr<CustomBuiltImage> built = BuildCustomArtifact(
      runner_, docker_, *spec, request.required,
      {.tagger = options_.tagger.get(),
       .push = options_.push,
       .default_repo = options_.default_repo,
       .skip_tests = options_.skip_tests,
       .template_env = options_.template_env,
       .on_output = request.on_output,
       .kill_grace = options_.kill_grace,
       .cancellation = cancellation.get(),
       .labels = std::move(labels),
       .cache = options_.cache_artifacts,
       .before_build = request.before_build,
       .after_build = request.after_build});
  {
    absl::MutexLock lock(&mu_);
    auto it = cancellations_.find(request.image);
    if (it != cancellations_.end() && it->second == cancellation) cancellations_.erase(it);
    if (!built.ok()) return built.status();
    // Labelled images go by their labels (Cleanup); the others by their tags.
    if (!built->labelled) produced_.emplace_back(built->tag, built->image_id);
    if (!built->image_id.empty()) last_ids_[request.image] = built->image_id;
  }
  if (built->cached && request.on_output) {
    request.on_output(absl::StrCat("Found ", built->tag, " locally (artifact cache): not rebuilt"));
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
  std::map<std::string, std::string> last;
  {
    absl::MutexLock lock(&mu_);
    last = last_ids_;
  }
  // Labelled images go as the Docker builder's do; the others by their tags.
  absl::Status result = RemoveOwnedAndPrunedImages(
      docker_, options_.owner_label, options_.cache_scope, options_.artifacts, last,
      options_.keep_cached);
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
