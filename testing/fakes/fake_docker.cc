#include "testing/fakes/fake_docker.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "domain/events/status_code.h"
#include "infra/docker/docker_status.h"

namespace devloop::testing {
namespace {

using docker::ContainerStatus;
using docker::LogStream;
using docker::WithDockerStatusCode;
using domain::StatusCode;

absl::Status NotFound(absl::string_view what) {
  return WithDockerStatusCode(absl::NotFoundError(what), StatusCode::kBuildDockerErrorNotFound);
}

bool ReadHostFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string Unquote(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
    s = s.substr(1, s.size() - 2);
  }
  return std::string(s);
}

}  // namespace

void FakeDocker::Count(const std::string& method) { ++calls_[method]; }

int FakeDocker::calls(const std::string& method) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

// Ids look like the engine's: 64 hex digits whose 12-digit prefixes differ, so
// short ids and id-based tags are distinct as they are with a real engine.
std::string FakeDocker::NewId() {
  const uint64_t mixed = static_cast<uint64_t>(next_id_++) * 0x9E3779B97F4A7C15ull;
  return absl::StrFormat("%016x%016x%016x%016x", mixed, mixed, mixed, mixed);
}

FakeDocker::Image* FakeDocker::FindImage(const std::string& ref) {
  for (auto& [id, image] : images_) {
    if (id == ref || absl::StartsWith(id, ref) || absl::StrCat("sha256:", id) == ref) return &image;
    for (const std::string& tag : image.tags) {
      if (tag == ref || tag == absl::StrCat(ref, ":latest")) return &image;
    }
  }
  return nullptr;
}

FakeDocker::Container* FakeDocker::FindContainer(const std::string& ref) {
  for (auto& [id, c] : containers_) {
    if (c.name == ref || (ref.size() >= 4 && absl::StartsWith(id, ref))) return &c;
  }
  return nullptr;
}

absl::StatusOr<std::string> FakeDocker::ReadFile(const std::string& container,
                                                 const std::string& path) {
  absl::MutexLock lock(&mu_);
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  auto it = c->files.find(path);
  if (it == c->files.end()) return absl::NotFoundError(absl::StrCat(path, " not in ", container));
  return it->second;
}

void FakeDocker::SetHasRm(bool has_rm) {
  absl::MutexLock lock(&mu_);
  has_rm_ = has_rm;
}

void FakeDocker::SetHealth(const std::string& container, const std::string& health) {
  absl::MutexLock lock(&mu_);
  if (Container* c = FindContainer(container)) c->health = health;
}

absl::StatusOr<docker::BuildResult> FakeDocker::Build(const docker::BuildRequest& request) {
  if (request.cancellation != nullptr && request.cancellation->cancelled()) {
    return docker::WithDockerStatusCode(absl::CancelledError("build cancelled"),
                                        domain::StatusCode::kBuildDockerCancelled);
  }
  {
    absl::MutexLock lock(&mu_);
    Count("Build");
  }
  std::string dockerfile_path = absl::StrCat(request.context_dir, "/", request.dockerfile);
  std::string dockerfile;
  if (!ReadHostFile(dockerfile_path, &dockerfile)) {
    return WithDockerStatusCode(
        absl::FailedPreconditionError(absl::StrCat("Dockerfile not found: ", dockerfile_path)),
        StatusCode::kBuildDockerfileNotFound);
  }
  std::vector<std::string> steps;
  for (absl::string_view line : absl::StrSplit(dockerfile, '\n', absl::SkipWhitespace())) {
    if (!absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "#")) steps.emplace_back(line);
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    if (request.on_output) {
      request.on_output(absl::StrCat("Step ", i + 1, "/", steps.size(), " : ", steps[i]));
    }
    std::vector<std::string> words = absl::StrSplit(steps[i], ' ', absl::SkipWhitespace());
    if (!words.empty() && absl::AsciiStrToUpper(words[0]) == "COPY" && words.size() >= 3) {
      for (size_t w = 1; w + 1 < words.size(); ++w) {
        if (absl::StartsWith(words[w], "--")) continue;
        struct stat st;
        std::string src = absl::StrCat(request.context_dir, "/", words[w]);
        if (stat(src.c_str(), &st) != 0) {
          return WithDockerStatusCode(
              absl::AbortedError(absl::StrCat(
                  "building ", request.context_dir,
                  ": COPY failed: file not found in build context: stat ", words[w])),
              StatusCode::kBuildUserError);
        }
      }
    }
  }
  // CMD and ENTRYPOINT in exec form (no comma inside a word), ENV KEY=VALUE
  // (one pair, no quotes), WORKDIR: what InspectImage reports.
  std::vector<std::string> cmd;
  docker::ImageConfig config;
  auto exec_form = [](absl::string_view rest) -> std::optional<std::vector<std::string>> {
    rest = absl::StripAsciiWhitespace(rest);
    if (!absl::ConsumePrefix(&rest, "[") || !absl::ConsumeSuffix(&rest, "]")) return std::nullopt;
    std::vector<std::string> words;
    for (absl::string_view word : absl::StrSplit(rest, ',')) {
      word = absl::StripAsciiWhitespace(word);
      absl::ConsumePrefix(&word, "\"");
      absl::ConsumeSuffix(&word, "\"");
      words.emplace_back(word);
    }
    return words;
  };
  for (const std::string& step : steps) {
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(step);
    if (absl::ConsumePrefix(&rest, "CMD ")) {
      if (auto words = exec_form(rest)) cmd = *std::move(words);
    } else if (absl::ConsumePrefix(&rest, "ENTRYPOINT ")) {
      // As the engine: a later ENTRYPOINT resets the CMD given before it.
      if (auto words = exec_form(rest)) {
        config.entrypoint = *std::move(words);
        cmd.clear();
      }
    } else if (absl::ConsumePrefix(&rest, "ENV ")) {
      config.env.emplace_back(absl::StripAsciiWhitespace(rest));
    } else if (absl::ConsumePrefix(&rest, "WORKDIR ")) {
      config.working_dir = std::string(absl::StripAsciiWhitespace(rest));
    }
  }
  absl::MutexLock lock(&mu_);
  Image image;
  image.id = NewId();
  image.created = next_id_;
  image.labels = request.labels;
  image.cmd = std::move(cmd);
  config.labels = request.labels;
  image.config = std::move(config);
  for (const std::string& tag : request.tags) {
    // A tag moves to the new image, as with the engine.
    for (auto& [id, other] : images_) std::erase(other.tags, tag);
    image.tags.push_back(absl::StrContains(tag, ":") ? tag : absl::StrCat(tag, ":latest"));
  }
  std::string id = image.id;
  images_[id] = std::move(image);
  return docker::BuildResult{.image_id = absl::StrCat("sha256:", id)};
}

absl::Status FakeDocker::Tag(const std::string& image, const std::string& tag) {
  absl::MutexLock lock(&mu_);
  Count("Tag");
  Image* found = FindImage(image);
  if (found == nullptr) return NotFound(absl::StrCat("No such image: ", image));
  found->tags.push_back(absl::StrContains(tag, ":") ? tag : absl::StrCat(tag, ":latest"));
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeDocker::Push(const std::string& image) {
  absl::MutexLock lock(&mu_);
  Count("Push");
  Image* found = FindImage(image);
  if (found == nullptr) return NotFound(absl::StrCat("No such image: ", image));
  pushed_.push_back(image);
  return absl::StrCat("sha256:", found->id);
}

std::vector<std::string> FakeDocker::pushed() const {
  absl::MutexLock lock(&mu_);
  return pushed_;
}

absl::Status FakeDocker::RemoveImage(const std::string& image, bool force) {
  absl::MutexLock lock(&mu_);
  Count("RemoveImage");
  Image* found = FindImage(image);
  if (found == nullptr) return NotFound(absl::StrCat("No such image: ", image));
  for (const auto& [id, c] : containers_) {
    if (c.image_id == found->id && !force) {
      return WithDockerStatusCode(
          absl::AlreadyExistsError(absl::StrCat("image ", image, " is used by container ", id)),
          StatusCode::kBuildDockerInvalidParamErr);
    }
  }
  images_.erase(found->id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FakeDocker::ListImages(const std::string& label_key,
                                                                const std::string& label_value) {
  absl::MutexLock lock(&mu_);
  Count("ListImages");
  std::vector<const Image*> found;
  for (const auto& [id, image] : images_) {
    auto it = image.labels.find(label_key);
    if (it != image.labels.end() && it->second == label_value) found.push_back(&image);
  }
  std::sort(found.begin(), found.end(),
            [](const Image* a, const Image* b) { return a->created > b->created; });
  std::vector<std::string> ids;
  for (const Image* image : found) ids.push_back(absl::StrCat("sha256:", image->id));
  return ids;
}

absl::StatusOr<std::string> FakeDocker::CreateNetwork(
    const std::string& name, const std::map<std::string, std::string>& labels) {
  absl::MutexLock lock(&mu_);
  Count("CreateNetwork");
  for (const auto& [id, n] : networks_) {
    if (n.name == name) {
      return WithDockerStatusCode(
          absl::AlreadyExistsError(absl::StrCat("network with name ", name, " already exists")),
          StatusCode::kBuildDockerInvalidParamErr);
    }
  }
  std::string id = NewId();
  networks_[id] = {id, name, labels};
  return id;
}

absl::Status FakeDocker::RemoveNetwork(const std::string& name_or_id) {
  absl::MutexLock lock(&mu_);
  Count("RemoveNetwork");
  for (auto it = networks_.begin(); it != networks_.end(); ++it) {
    if (it->first == name_or_id || it->second.name == name_or_id) {
      networks_.erase(it);
      return absl::OkStatus();
    }
  }
  return NotFound(absl::StrCat("network ", name_or_id, " not found"));
}

absl::StatusOr<std::vector<std::string>> FakeDocker::ListNetworks(const std::string& label_key,
                                                                  const std::string& label_value) {
  absl::MutexLock lock(&mu_);
  Count("ListNetworks");
  std::vector<std::string> ids;
  for (const auto& [id, n] : networks_) {
    auto it = n.labels.find(label_key);
    if (it != n.labels.end() && it->second == label_value) ids.push_back(id);
  }
  return ids;
}

absl::Status FakeDocker::SetImageConfig(const std::string& image, docker::ImageConfig config) {
  absl::MutexLock lock(&mu_);
  Image* found = FindImage(image);
  if (found == nullptr) return NotFound(absl::StrCat("No such image: ", image));
  found->config = std::move(config);
  if (!found->config.cmd.empty() || !found->config.entrypoint.empty()) {
    found->cmd = found->config.cmd;  // what its containers run
  }
  return absl::OkStatus();
}

absl::StatusOr<docker::RunRequest> FakeDocker::RunRequestOf(const std::string& container) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, c] : containers_) {
    if (c.name == container || (container.size() >= 4 && absl::StartsWith(id, container))) {
      return c.request;
    }
  }
  return NotFound(absl::StrCat("No such container: ", container));
}

std::map<std::string, std::map<std::string, std::string>> FakeDocker::volumes() const {
  absl::MutexLock lock(&mu_);
  return volumes_;
}

absl::Status FakeDocker::CreateVolume(const std::string& name,
                                      const std::map<std::string, std::string>& labels) {
  absl::MutexLock lock(&mu_);
  Count("CreateVolume");
  volumes_.try_emplace(name, labels);
  return absl::OkStatus();
}

absl::Status FakeDocker::RemoveVolume(const std::string& name) {
  absl::MutexLock lock(&mu_);
  Count("RemoveVolume");
  if (!volumes_.contains(name)) return NotFound(absl::StrCat("no such volume: ", name));
  for (const auto& [id, c] : containers_) {
    for (const docker::VolumeMount& m : c.request.mounts) {
      if (m.volume == name) {
        return absl::FailedPreconditionError(
            absl::StrCat("volume ", name, " is in use by container ", c.name));
      }
    }
  }
  volumes_.erase(name);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FakeDocker::ListVolumes(const std::string& label_key,
                                                                 const std::string& label_value) {
  absl::MutexLock lock(&mu_);
  Count("ListVolumes");
  std::vector<std::string> names;
  for (const auto& [name, labels] : volumes_) {
    auto it = labels.find(label_key);
    if (it != labels.end() && it->second == label_value) names.push_back(name);
  }
  return names;
}

absl::StatusOr<std::string> FakeDocker::Run(const docker::RunRequest& request) {
  absl::MutexLock lock(&mu_);
  Count("Run");
  Image* image = FindImage(request.image);
  if (image == nullptr) return NotFound(absl::StrCat("No such image: ", request.image));
  if (!request.name.empty() && FindContainer(request.name) != nullptr) {
    return WithDockerStatusCode(
        absl::AlreadyExistsError(absl::StrCat("container name ", request.name, " is in use")),
        StatusCode::kBuildDockerInvalidParamErr);
  }
  if (!request.network.empty()) {
    bool found = false;
    for (const auto& [id, n] : networks_) found = found || n.name == request.network || id == request.network;
    if (!found) return NotFound(absl::StrCat("network ", request.network, " not found"));
  }
  Container c;
  c.id = NewId();
  c.name = request.name.empty() ? absl::StrCat("fake_", c.id.substr(56)) : request.name;
  c.image_id = image->id;
  c.labels = request.labels;
  c.request = request;
  c.files = image->files;
  for (const docker::VolumeMount& m : request.mounts) volumes_.try_emplace(m.volume);
  if (!request.start) c.status = docker::ContainerStatus::kCreated;
  for (docker::PortMapping port : request.ports) {
    if (port.host_port == 0) port.host_port = next_port_++;
    c.ports.push_back(port);
  }
  // The fake busybox: `sh -c "echo a; echo b >&2; exit 3"`.
  std::vector<std::string> cmd = request.cmd.empty() ? image->cmd : request.cmd;
  if (!request.entrypoint.empty()) {
    // As the engine: an ENTRYPOINT given drops the image's CMD.
    cmd = request.entrypoint;
    cmd.insert(cmd.end(), request.cmd.begin(), request.cmd.end());
  }
  if (!cmd.empty() && cmd[0] == "/bin/busybox") cmd.erase(cmd.begin());
  if (request.start && cmd.size() == 3 && cmd[0] == "sh" && cmd[1] == "-c") {
    for (absl::string_view stmt : absl::StrSplit(cmd[2], ';', absl::SkipWhitespace())) {
      stmt = absl::StripAsciiWhitespace(stmt);
      if (absl::ConsumePrefix(&stmt, "echo ")) {
        bool to_stderr = absl::ConsumeSuffix(&stmt, ">&2");
        c.logs.emplace_back(to_stderr ? LogStream::kStderr : LogStream::kStdout, Unquote(stmt));
      } else if (absl::ConsumePrefix(&stmt, "exit ")) {
        c.status = ContainerStatus::kExited;
        (void)absl::SimpleAtoi(stmt, &c.exit_code);
        break;
      } else if (absl::StartsWith(stmt, "sleep")) {
        break;
      }
    }
  }
  std::string id = c.id;
  containers_[id] = std::move(c);
  return id;
}

absl::Status FakeDocker::Stop(const std::string& container, absl::Duration) {
  absl::MutexLock lock(&mu_);
  Count("Stop");
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  if (c->status == ContainerStatus::kRunning) {
    c->status = ContainerStatus::kExited;
    c->exit_code = 137;
  }
  return absl::OkStatus();
}

absl::Status FakeDocker::Remove(const std::string& container, bool force) {
  absl::MutexLock lock(&mu_);
  Count("Remove");
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  if (c->status == ContainerStatus::kRunning && !force) {
    return WithDockerStatusCode(
        absl::AlreadyExistsError(absl::StrCat("cannot remove running container ", container)),
        StatusCode::kBuildDockerInvalidParamErr);
  }
  containers_.erase(c->id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<docker::ContainerSummary>> FakeDocker::ListContainers(
    const std::string& label_key, const std::string& label_value) {
  absl::MutexLock lock(&mu_);
  Count("ListContainers");
  std::vector<docker::ContainerSummary> out;
  for (const auto& [id, c] : containers_) {
    auto it = c.labels.find(label_key);
    if (it != c.labels.end() && it->second == label_value) {
      out.push_back({.id = id, .name = c.name, .labels = c.labels, .status = c.status});
    }
  }
  return out;
}

absl::Status FakeDocker::CopyInto(const std::string& container,
                                  const std::vector<docker::FileCopy>& files) {
  std::vector<std::pair<std::string, std::string>> contents;
  for (const docker::FileCopy& f : files) {
    if (!absl::StartsWith(f.container_path, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("container path ", f.container_path, " is not absolute"));
    }
    std::string content;
    if (!ReadHostFile(f.host_path, &content)) {
      return absl::NotFoundError(absl::StrCat("cannot copy ", f.host_path, ": no such file"));
    }
    contents.emplace_back(f.container_path, std::move(content));
  }
  absl::MutexLock lock(&mu_);
  Count("CopyInto");
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  for (auto& [path, content] : contents) c->files[path] = std::move(content);
  return absl::OkStatus();
}

absl::StatusOr<docker::PathEntry> FakeDocker::ReadPath(const std::string& container,
                                                       const std::string& path) {
  absl::MutexLock lock(&mu_);
  Count("ReadPath");
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  // The fake's file system is what CopyInto put there: regular files, and
  // the directories above them.
  if (auto it = c->files.find(path); it != c->files.end()) {
    return docker::PathEntry{.mode = 0100644, .content = it->second};
  }
  const std::string dir = absl::EndsWith(path, "/") ? path : absl::StrCat(path, "/");
  for (const auto& [file, unused] : c->files) {
    if (absl::StartsWith(file, dir)) return docker::PathEntry{.mode = 0040755};
  }
  return NotFound(absl::StrCat("Could not find the file ", path, " in container ", container));
}

absl::StatusOr<std::string> FakeDocker::Commit(const std::string& container) {
  absl::MutexLock lock(&mu_);
  Count("Commit");
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  auto source = images_.find(c->image_id);
  if (source == images_.end()) return NotFound(absl::StrCat("No such image: ", c->image_id));
  Image image = source->second;
  image.id = NewId();
  image.tags.clear();
  image.labels.insert(c->labels.begin(), c->labels.end());
  image.created = next_id_;
  image.files = c->files;
  const std::string id = image.id;
  images_[id] = std::move(image);
  return absl::StrCat("sha256:", id);
}

absl::Status FakeDocker::DeleteIn(const std::string& container,
                                  const std::vector<std::string>& container_paths) {
  absl::MutexLock lock(&mu_);
  Count("DeleteIn");
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  if (container_paths.empty()) return absl::OkStatus();
  if (!has_rm_) {
    return WithDockerStatusCode(
        absl::UnimplementedError(absl::StrCat("cannot delete files in ", container,
                                              ": the image has no rm; rebuilding instead")),
        StatusCode::kSyncUnknown);
  }
  for (const std::string& path : container_paths) {
    std::string prefix = absl::StrCat(path, "/");
    for (auto it = c->files.begin(); it != c->files.end();) {
      if (it->first == path || absl::StartsWith(it->first, prefix)) {
        it = c->files.erase(it);
      } else {
        ++it;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<docker::ExecResult> FakeDocker::Exec(const std::string& container,
                                                    const std::vector<std::string>& cmd) {
  absl::MutexLock lock(&mu_);
  Count("Exec");
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  if (c->status != ContainerStatus::kRunning) {
    return WithDockerStatusCode(
        absl::FailedPreconditionError(absl::StrCat("container ", container, " is not running")),
        StatusCode::kBuildDockerInvalidParamErr);
  }
  c->execs.push_back(cmd);
  docker::ExecResult result;
  std::vector<std::string> argv = cmd;
  if (!argv.empty() && argv[0] == "/bin/busybox") argv.erase(argv.begin());
  if (argv.size() == 3 && argv[0] == "sh" && argv[1] == "-c") {
    for (absl::string_view stmt : absl::StrSplit(argv[2], ';', absl::SkipWhitespace())) {
      stmt = absl::StripAsciiWhitespace(stmt);
      if (absl::ConsumePrefix(&stmt, "echo ")) {
        absl::ConsumeSuffix(&stmt, ">&2");
        absl::StrAppend(&result.output, Unquote(stmt), "\n");
      } else if (absl::ConsumePrefix(&stmt, "exit ")) {
        (void)absl::SimpleAtoi(stmt, &result.exit_code);
        break;
      }
    }
  }
  return result;
}

std::vector<std::vector<std::string>> FakeDocker::execs(const std::string& container) const {
  absl::MutexLock lock(&mu_);
  auto it = containers_.find(container);
  return it == containers_.end() ? std::vector<std::vector<std::string>>{} : it->second.execs;
}

namespace {

// Delivers the fake container's log lines, then waits until it stops running.
class FakeLogFollower : public docker::LogFollower {
 public:
  // Without `delay` the lines arrive before the constructor returns, so tests
  // see them deterministically; with it they arrive that much later, on the
  // follower's thread, as the engine's may after reporting the container dead.
  FakeLogFollower(std::vector<std::pair<LogStream, std::string>> lines, docker::LogCallback callback,
                  absl::Duration delay, std::function<bool()> running)
      : running_(std::move(running)) {
    if (delay == absl::ZeroDuration()) {
      for (const auto& [stream, line] : lines) callback(stream, line);
      lines.clear();
    }
    thread_ = std::thread([this, lines = std::move(lines), callback = std::move(callback), delay] {
      absl::MutexLock lock(&mu_);
      if (!lines.empty()) {
        mu_.AwaitWithTimeout(absl::Condition(&stopped_), delay);
        for (const auto& [stream, line] : lines) {
          if (!stopped_) callback(stream, line);
        }
      }
      while (!stopped_ && running_()) mu_.AwaitWithTimeout(absl::Condition(&stopped_), absl::Milliseconds(5));
      ended_ = true;
    });
  }
  ~FakeLogFollower() override {
    Stop();
    (void)Wait();
  }
  absl::Status Wait() override {
    absl::MutexLock lock(&join_mu_);
    if (thread_.joinable()) thread_.join();
    return absl::OkStatus();
  }
  bool WaitEnded(absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&ended_), timeout);
  }
  void Stop() override {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }

 private:
  std::function<bool()> running_;
  absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex join_mu_;
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<docker::LogFollower>> FakeDocker::FollowLogs(
    const std::string& container, docker::LogCallback callback, absl::Time) {
  absl::MutexLock lock(&mu_);
  Count("FollowLogs");
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  std::string id = c->id;
  return std::make_unique<FakeLogFollower>(c->logs, std::move(callback), log_delay_, [this, id] {
    absl::MutexLock l(&mu_);
    auto it = containers_.find(id);
    return it != containers_.end() && it->second.status == ContainerStatus::kRunning;
  });
}

void FakeDocker::SetLogDelay(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  log_delay_ = delay;
}

absl::Status FakeDocker::Exit(const std::string& container, int exit_code) {
  absl::MutexLock lock(&mu_);
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  c->status = ContainerStatus::kExited;
  c->exit_code = exit_code;
  return absl::OkStatus();
}

absl::StatusOr<docker::ContainerState> FakeDocker::Inspect(const std::string& container) {
  absl::MutexLock lock(&mu_);
  Count("Inspect");
  Container* c = FindContainer(container);
  if (c == nullptr) return NotFound(absl::StrCat("No such container: ", container));
  docker::ContainerState state;
  state.id = c->id;
  state.name = c->name;
  state.image_id = absl::StrCat("sha256:", c->image_id);
  state.status = c->status;
  state.exit_code = c->exit_code;
  state.health = c->health;
  state.labels = c->labels;
  state.ports = c->ports;
  return state;
}

absl::StatusOr<docker::ImageInfo> FakeDocker::InspectImage(const std::string& image) {
  absl::MutexLock lock(&mu_);
  Count("InspectImage");
  Image* found = FindImage(image);
  if (found == nullptr) return NotFound(absl::StrCat("No such image: ", image));
  docker::ImageInfo info{.id = absl::StrCat("sha256:", found->id), .repo_tags = found->tags};
  info.config = found->config;
  if (info.config.cmd.empty()) info.config.cmd = found->cmd;
  return info;
}

// ---- FaultyDocker

void FaultyDocker::FailNext(const std::string& method, absl::Status error) {
  absl::MutexLock lock(&mu_);
  next_[method] = std::move(error);
}

void FaultyDocker::FailAlways(const std::string& method, absl::Status error) {
  absl::MutexLock lock(&mu_);
  always_[method] = std::move(error);
}

void FaultyDocker::Heal(const std::string& method) {
  absl::MutexLock lock(&mu_);
  always_.erase(method);
  next_.erase(method);
}

absl::Status FaultyDocker::Fault(const std::string& method) {
  absl::MutexLock lock(&mu_);
  if (auto it = next_.find(method); it != next_.end()) {
    absl::Status s = std::move(it->second);
    next_.erase(it);
    return s;
  }
  if (auto it = always_.find(method); it != always_.end()) return it->second;
  return absl::OkStatus();
}

#define DEVLOOP_FAULT(method)                            \
  if (absl::Status f = Fault(method); !f.ok()) return f

absl::StatusOr<docker::BuildResult> FaultyDocker::Build(const docker::BuildRequest& r) {
  DEVLOOP_FAULT("Build");
  return base_->Build(r);
}
absl::Status FaultyDocker::Tag(const std::string& image, const std::string& tag) {
  DEVLOOP_FAULT("Tag");
  return base_->Tag(image, tag);
}
absl::StatusOr<std::string> FaultyDocker::Push(const std::string& image) {
  DEVLOOP_FAULT("Push");
  return base_->Push(image);
}
absl::Status FaultyDocker::RemoveImage(const std::string& image, bool force) {
  DEVLOOP_FAULT("RemoveImage");
  return base_->RemoveImage(image, force);
}
absl::StatusOr<std::vector<std::string>> FaultyDocker::ListImages(const std::string& k,
                                                                  const std::string& v) {
  DEVLOOP_FAULT("ListImages");
  return base_->ListImages(k, v);
}
absl::StatusOr<std::string> FaultyDocker::CreateNetwork(
    const std::string& name, const std::map<std::string, std::string>& labels) {
  DEVLOOP_FAULT("CreateNetwork");
  return base_->CreateNetwork(name, labels);
}
absl::Status FaultyDocker::RemoveNetwork(const std::string& name_or_id) {
  DEVLOOP_FAULT("RemoveNetwork");
  return base_->RemoveNetwork(name_or_id);
}
absl::Status FaultyDocker::CreateVolume(const std::string& name,
                                        const std::map<std::string, std::string>& labels) {
  DEVLOOP_FAULT("CreateVolume");
  return base_->CreateVolume(name, labels);
}
absl::Status FaultyDocker::RemoveVolume(const std::string& name) {
  DEVLOOP_FAULT("RemoveVolume");
  return base_->RemoveVolume(name);
}
absl::StatusOr<std::vector<std::string>> FaultyDocker::ListVolumes(const std::string& k,
                                                                   const std::string& v) {
  DEVLOOP_FAULT("ListVolumes");
  return base_->ListVolumes(k, v);
}
absl::StatusOr<std::vector<std::string>> FaultyDocker::ListNetworks(const std::string& k,
                                                                    const std::string& v) {
  DEVLOOP_FAULT("ListNetworks");
  return base_->ListNetworks(k, v);
}
absl::StatusOr<std::string> FaultyDocker::Run(const docker::RunRequest& r) {
  DEVLOOP_FAULT("Run");
  return base_->Run(r);
}
absl::Status FaultyDocker::Stop(const std::string& container, absl::Duration grace) {
  DEVLOOP_FAULT("Stop");
  return base_->Stop(container, grace);
}
absl::Status FaultyDocker::Remove(const std::string& container, bool force) {
  DEVLOOP_FAULT("Remove");
  return base_->Remove(container, force);
}
absl::StatusOr<std::vector<docker::ContainerSummary>> FaultyDocker::ListContainers(
    const std::string& k, const std::string& v) {
  DEVLOOP_FAULT("ListContainers");
  return base_->ListContainers(k, v);
}
absl::Status FaultyDocker::CopyInto(const std::string& container,
                                    const std::vector<docker::FileCopy>& files) {
  DEVLOOP_FAULT("CopyInto");
  return base_->CopyInto(container, files);
}
absl::Status FaultyDocker::DeleteIn(const std::string& container,
                                    const std::vector<std::string>& paths) {
  DEVLOOP_FAULT("DeleteIn");
  return base_->DeleteIn(container, paths);
}
absl::StatusOr<docker::PathEntry> FaultyDocker::ReadPath(const std::string& container,
                                                         const std::string& path) {
  DEVLOOP_FAULT("ReadPath");
  return base_->ReadPath(container, path);
}
absl::StatusOr<std::string> FaultyDocker::Commit(const std::string& container) {
  DEVLOOP_FAULT("Commit");
  return base_->Commit(container);
}
absl::StatusOr<docker::ExecResult> FaultyDocker::Exec(const std::string& container,
                                                      const std::vector<std::string>& cmd) {
  DEVLOOP_FAULT("Exec");
  return base_->Exec(container, cmd);
}
absl::StatusOr<std::unique_ptr<docker::LogFollower>> FaultyDocker::FollowLogs(
    const std::string& container, docker::LogCallback callback, absl::Time since) {
  DEVLOOP_FAULT("FollowLogs");
  return base_->FollowLogs(container, std::move(callback), since);
}
absl::StatusOr<docker::ContainerState> FaultyDocker::Inspect(const std::string& container) {
  DEVLOOP_FAULT("Inspect");
  return base_->Inspect(container);
}

absl::StatusOr<docker::ImageInfo> FaultyDocker::InspectImage(const std::string& image) {
  DEVLOOP_FAULT("InspectImage");
  return base_->InspectImage(image);
}

#undef DEVLOOP_FAULT

}  // namespace devloop::testing
