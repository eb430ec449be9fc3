#include "infra/docker/engine_api_docker.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/container/flat_hash_map.h"
#include "domain/base/status_macros.h"
#include "domain/events/status_code.h"
#include "infra/docker/docker_status.h"
#include "infra/docker/internal/engine_streams.h"
#include "infra/json/json.h"
#include "infra/docker/tar_archive.h"
#include "infra/fs/dockerignore_file.h"
#include "infra/log/log.h"

namespace devloop::docker {
namespace {

using domain::StatusCode;
using internal::HttpResponse;
using internal::ProgressReader;
using internal::StreamDemuxer;
using json::Json;
using json::JsonQuote;

std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

std::string JsonStringMap(const std::map<std::string, std::string>& map) {
  std::string out = "{";
  for (const auto& [k, v] : map) {
    if (out.size() > 1) out += ",";
    absl::StrAppend(&out, JsonQuote(k), ":", JsonQuote(v));
  }
  return out + "}";
}

std::string JsonStringList(const std::vector<std::string>& list) {
  std::string out = "[";
  for (const std::string& s : list) {
    if (out.size() > 1) out += ",";
    out += JsonQuote(s);
  }
  return out + "]";
}

std::string LabelFilter(const std::string& key, const std::string& value) {
  return UrlEncode(absl::StrCat(R"({"label":[)", JsonQuote(absl::StrCat(key, "=", value)), "]}"));
}

// The engine's own message from an error answer ({"message": "..."}), or the
// raw body when it is not JSON.
std::string EngineMessage(const HttpResponse& response) {
  absl::StatusOr<Json> json = Json::Parse(response.body);
  if (json.ok() && json->is_object() && (*json)["message"].is_string()) {
    return (*json)["message"].AsString();
  }
  std::string body(absl::StripAsciiWhitespace(response.body).substr(0, 200));
  return body.empty() ? absl::StrCat("HTTP ", response.status) : body;
}

// Maps an HTTP error answer to the failure contract of docker.h.
absl::Status HttpError(const HttpResponse& response, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", EngineMessage(response));
  switch (response.status) {
    case 400:
      return WithDockerStatusCode(absl::InvalidArgumentError(message),
                                  StatusCode::kBuildDockerInvalidParamErr);
    case 401:
    case 403:
      return WithDockerStatusCode(absl::PermissionDeniedError(message),
                                  StatusCode::kBuildDockerUnauthorized);
    case 404:
      return WithDockerStatusCode(absl::NotFoundError(message),
                                  StatusCode::kBuildDockerErrorNotFound);
    case 409:
      return WithDockerStatusCode(absl::AlreadyExistsError(message),
                                  StatusCode::kBuildDockerInvalidParamErr);
    default:
      return WithDockerStatusCode(absl::InternalError(message), StatusCode::kBuildDockerSystemErr);
  }
}

absl::StatusOr<Json> ParseAnswer(const HttpResponse& response, absl::string_view what) {
  absl::StatusOr<Json> json = Json::Parse(response.body);
  if (!json.ok()) {
    return WithDockerStatusCode(
        absl::InternalError(absl::StrCat(what, ": the Docker daemon's answer is not JSON: ",
                                         json.status().message())),
        StatusCode::kBuildDockerSystemErr);
  }
  return json;
}

ContainerStatus ParseContainerStatus(absl::string_view s) {
  if (s == "created") return ContainerStatus::kCreated;
  if (s == "running") return ContainerStatus::kRunning;
  if (s == "paused") return ContainerStatus::kPaused;
  if (s == "restarting") return ContainerStatus::kRestarting;
  if (s == "removing") return ContainerStatus::kRemoving;
  if (s == "exited") return ContainerStatus::kExited;
  if (s == "dead") return ContainerStatus::kDead;
  return ContainerStatus::kUnknown;
}

std::map<std::string, std::string> StringMap(const Json& json) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : json.members()) out[k] = v.AsString();
  return out;
}

// Splits "repo:tag" (the tag part may not contain '/', so "host:5000/web" is
// all repository).
std::pair<std::string, std::string> SplitTag(const std::string& ref) {
  size_t colon = ref.rfind(':');
  if (colon == std::string::npos || ref.find('/', colon) != std::string::npos) {
    return {ref, "latest"};
  }
  return {ref.substr(0, colon), ref.substr(colon + 1)};
}

class EngineLogFollower : public LogFollower {
 public:
  EngineLogFollower(internal::EngineHttp http, std::string target, bool raw, LogCallback callback)
      : http_(std::move(http)) {
    thread_ = std::thread([this, target = std::move(target), raw,
                           callback = std::move(callback)]() mutable {
      StreamDemuxer demuxer(raw, [this, &callback](LogStream s, absl::string_view line) {
        if (!stopped_.load()) callback(s, line);
      });
      int status = 0;
      std::string error_body;
      absl::Status result = http_.Stream(
          "GET", target, "", "", absl::InfiniteFuture(),
          [&](int s, absl::string_view) { status = s; },
          [&](absl::string_view data) {
            if (status != 200) {
              error_body.append(data.data(), data.size());
            } else {
              demuxer.Append(data);
            }
            return !stopped_.load();
          },
          [this](internal::Interrupter interrupt) {
            absl::MutexLock lock(&mu_);
            interrupt_ = std::move(interrupt);
            if (stopped_.load()) interrupt_();
          });
      demuxer.Finish();
      if (result.ok() && status != 200) {
        result = HttpError({.status = status, .body = error_body}, "following logs");
      }
      absl::MutexLock lock(&mu_);
      interrupt_ = nullptr;
      result_ = stopped_.load() ? absl::OkStatus() : result;
      ended_ = true;
    });
  }

  ~EngineLogFollower() override {
    Stop();
    (void)Wait();
  }

  absl::Status Wait() override {
    {
      absl::MutexLock lock(&join_mu_);
      if (thread_.joinable()) thread_.join();
    }
    absl::MutexLock lock(&mu_);
    return result_;
  }

  bool WaitEnded(absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&ended_), timeout);
  }

  void Stop() override {
    stopped_ = true;
    absl::MutexLock lock(&mu_);
    if (interrupt_) interrupt_();
  }

 private:
  const internal::EngineHttp http_;
  std::atomic<bool> stopped_{false};
  absl::Mutex mu_;
  internal::Interrupter interrupt_ ABSL_GUARDED_BY(mu_);
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex join_mu_;
  std::thread thread_;
};

}  // namespace

std::string DockerHostFromEnvironment() {
  const char* host = std::getenv("DOCKER_HOST");
  if (host == nullptr || *host == '\0') return "unix:///var/run/docker.sock";
  return host;
}

EngineApiDockerOptions DockerOptionsFrom(
    const std::function<std::string(const std::string&)>& getenv) {
  EngineApiDockerOptions o;
  const std::string host = getenv("DOCKER_HOST");
  if (!host.empty()) o.docker_host = host;
  o.tls_verify = !getenv("DOCKER_TLS_VERIFY").empty();
  o.tls = o.tls_verify || !getenv("DOCKER_TLS").empty();
  o.cert_path = getenv("DOCKER_CERT_PATH");
  return o;
}

EngineApiDockerOptions DockerOptionsFromEnvironment() {
  return DockerOptionsFrom([](const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return std::string(value == nullptr ? "" : value);
  });
}

absl::StatusOr<std::unique_ptr<EngineApiDocker>> EngineApiDocker::Create(
    const EngineApiDockerOptions& options) {
  std::optional<http::TlsFiles> tls;
  if (options.tls) {
    std::string dir = options.cert_path;
    if (dir.empty()) {
      const char* home = std::getenv("HOME");
      dir = absl::StrCat(home == nullptr ? "" : home, "/.docker");
    }
    // Without verify the server is not checked, and no CA is read.
    tls = http::TlsFiles{.ca_file = options.tls_verify ? dir + "/ca.pem" : "",
                         .cert_file = dir + "/cert.pem",
                         .key_file = dir + "/key.pem",
                         .verify = options.tls_verify};
  }
  absl::StatusOr<internal::EngineHttp> http =
      internal::EngineHttp::FromDockerHost(options.docker_host, tls);
  if (!http.ok()) return http.status();
  return std::unique_ptr<EngineApiDocker>(new EngineApiDocker(options, *std::move(http)));
}

std::string EngineApiDocker::Path(absl::string_view path) const {
  return absl::StrCat("/", options_.api_version, path);
}

absl::StatusOr<HttpResponse> EngineApiDocker::Call(absl::string_view method,
                                                   absl::string_view path, std::string body,
                                                   absl::string_view content_type,
                                                   absl::Duration extra_time) {
  DEVLOOP_VLOG(1) << "docker: " << method << " " << path;
  return http_.Call(method, Path(path), std::move(body), content_type,
                    absl::Now() + options_.call_timeout + extra_time);
}

absl::Status EngineApiDocker::Ping() {
  absl::StatusOr<HttpResponse> r = Call("GET", "/_ping");
  if (!r.ok()) return r.status();
  if (r->status != 200 || r->body != "OK") {
    return WithDockerStatusCode(
        absl::InternalError(absl::StrCat("Docker daemon at ", http_.description(),
                                         " answered the ping with HTTP ", r->status, " '",
                                         r->body.substr(0, 100), "'")),
        StatusCode::kBuildDockerSystemErr);
  }
  return absl::OkStatus();
}

namespace {

// The classic builder found a step in its cache, and the image that held it
// was removed before the build could read it: another client (a second
// devloop pruning its images, `docker image prune`, a test's clean-up)
// removed an image whose layers this build shares. Building again does not
// find that entry.
bool LostCachedLayer(const absl::Status& status) {
  return absl::StrContains(status.message(), "failed to get digest") &&
         absl::StrContains(status.message(), "no such file or directory");
}

}  // namespace

absl::StatusOr<BuildResult> EngineApiDocker::Build(const BuildRequest& request) {
  absl::StatusOr<BuildResult> built = BuildOnce(request);
  if (built.ok() || !LostCachedLayer(built.status()) ||
      (request.cancellation != nullptr && request.cancellation->cancelled())) {
    return built;
  }
  DEVLOOP_LOG(WARNING) << "docker: building " << request.context_dir
                       << " again: the engine lost a cached layer while it built ("
                       << built.status().message() << ")";
  return BuildOnce(request);
}

absl::StatusOr<BuildResult> EngineApiDocker::BuildOnce(const BuildRequest& request) {
  const std::string dockerfile_path = absl::StrCat(request.context_dir, "/", request.dockerfile);
  struct stat st;
  if (stat(dockerfile_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return WithDockerStatusCode(
        absl::FailedPreconditionError(absl::StrCat(
            "Dockerfile not found: ", dockerfile_path,
            " does not exist; check the artifact's context and docker.dockerfile")),
        StatusCode::kBuildDockerfileNotFound);
  }
  absl::StatusOr<domain::DockerIgnore> ignore = fs::ReadDockerIgnore(request.context_dir);
  if (!ignore.ok()) {
    return WithDockerStatusCode(
        absl::InvalidArgumentError(absl::StrCat("cannot build ", request.context_dir, ": ",
                                                ignore.status().message())),
        StatusCode::kBuildUserError);
  }
  TarDirectoryOptions tar_options;
  tar_options.exclude = [&](absl::string_view path) {
    return ignore->Excludes(path) || (request.exclude != nullptr && request.exclude(path));
  };
  tar_options.can_skip_directory = [&](absl::string_view dir) {
    return ignore->CanSkipDirectory(dir);
  };
  tar_options.always_include = {request.dockerfile, ".dockerignore"};
  absl::StatusOr<std::string> context = TarDirectory(request.context_dir, tar_options);
  if (!context.ok()) {
    return WithDockerStatusCode(
        absl::Status(context.status().code(), absl::StrCat("cannot send build context: ",
                                                           context.status().message())),
        StatusCode::kBuildUserError);
  }

  std::string query = absl::StrCat("?dockerfile=", UrlEncode(request.dockerfile), "&rm=1&forcerm=1");
  for (const std::string& tag : request.tags) absl::StrAppend(&query, "&t=", UrlEncode(tag));
  if (!request.build_args.empty()) {
    absl::StrAppend(&query, "&buildargs=", UrlEncode(JsonStringMap(request.build_args)));
  }
  if (!request.labels.empty()) {
    absl::StrAppend(&query, "&labels=", UrlEncode(JsonStringMap(request.labels)));
  }
  if (!request.target.empty()) absl::StrAppend(&query, "&target=", UrlEncode(request.target));
  if (request.no_cache) absl::StrAppend(&query, "&nocache=1");
  if (!request.platform.empty()) {
    absl::StrAppend(&query, "&platform=", UrlEncode(request.platform));
  }

  int status = 0;
  std::string error_body;
  ProgressReader progress(request.on_output);
  DEVLOOP_VLOG(1) << "docker: POST /build (" << context->size() << " bytes of context)";
  absl::Status result = http_.Stream(
      "POST", Path(absl::StrCat("/build", query)), *std::move(context), "application/x-tar",
      absl::Now() + request.timeout, [&](int s, absl::string_view) { status = s; },
      [&](absl::string_view data) {
        if (status != 200) {
          error_body.append(data.data(), data.size());
        } else {
          progress.Append(data);
        }
        return true;
      },
      [&](internal::Interrupter interrupt) {
        if (request.cancellation != nullptr &&
            !request.cancellation->Register(interrupt)) {
          interrupt();
        }
      });
  if (request.cancellation != nullptr) request.cancellation->Unregister();
  progress.Finish();
  if (request.cancellation != nullptr && request.cancellation->cancelled()) {
    return WithDockerStatusCode(absl::CancelledError("build cancelled"),
                                StatusCode::kBuildDockerCancelled);
  }
  if (!result.ok()) return result;
  if (status != 200) {
    HttpResponse response{.status = status, .body = error_body};
    std::string message = EngineMessage(response);
    if (absl::StrContains(message, "Cannot locate specified Dockerfile") ||
        (absl::StrContains(message, "Dockerfile") && absl::StrContains(message, "no such file"))) {
      return WithDockerStatusCode(absl::FailedPreconditionError(absl::StrCat(
                                      "Dockerfile not found in ", request.context_dir, ": ",
                                      message)),
                                  StatusCode::kBuildDockerfileNotFound);
    }
    if (status == 400 || status == 500) {
      // A Dockerfile parse error, an unknown instruction or a bad option.
      return WithDockerStatusCode(
          absl::AbortedError(absl::StrCat("building ", request.context_dir, ": ", message)),
          StatusCode::kBuildUserError);
    }
    return HttpError(response, absl::StrCat("building ", request.context_dir));
  }
  if (!progress.error().empty()) {
    return WithDockerStatusCode(
        absl::AbortedError(absl::StrCat("building ", request.context_dir, ": ", progress.error())),
        StatusCode::kBuildUserError);
  }
  if (progress.image_id().empty()) {
    return WithDockerStatusCode(
        absl::InternalError(absl::StrCat("building ", request.context_dir,
                                         ": the Docker daemon did not say which image it built")),
        StatusCode::kBuildDockerGetDigestErr);
  }
  return BuildResult{.image_id = progress.image_id()};
}

absl::Status EngineApiDocker::Tag(const std::string& image, const std::string& tag) {
  auto [repo, tag_part] = SplitTag(tag);
  absl::StatusOr<HttpResponse> r =
      Call("POST", absl::StrCat("/images/", UrlEncode(image), "/tag?repo=", UrlEncode(repo),
                                "&tag=", UrlEncode(tag_part)));
  if (!r.ok()) return r.status();
  if (r->status != 201 && r->status != 200) {
    return HttpError(*r, absl::StrCat("tagging ", image, " as ", tag));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EngineApiDocker::Push(const std::string& image) {
  auto [repo, tag] = SplitTag(image);
  int status = 0;
  std::string error_body;
  ProgressReader progress(nullptr);
  DEVLOOP_VLOG(1) << "docker: POST /images/" << repo << "/push?tag=" << tag;
  // No credentials: the engine takes an empty auth config from the body when
  // the X-Registry-Auth header is absent.
  absl::Status result = http_.Stream(
      "POST", Path(absl::StrCat("/images/", UrlEncode(repo), "/push?tag=", UrlEncode(tag))), "{}",
      "application/json", absl::Now() + options_.call_timeout + absl::Minutes(10),
      [&](int s, absl::string_view) { status = s; },
      [&](absl::string_view data) {
        if (status != 200) {
          error_body.append(data.data(), data.size());
        } else {
          progress.Append(data);
        }
        return true;
      },
      nullptr);
  progress.Finish();
  if (!result.ok()) return result;
  if (status != 200) {
    return HttpError({.status = status, .body = error_body}, absl::StrCat("pushing ", image));
  }
  const std::string& push_error = progress.error();
  if (!push_error.empty()) {
    std::string message = absl::StrCat("pushing ", image, ": ", push_error);
    if (absl::StrContains(push_error, "denied") || absl::StrContains(push_error, "unauthorized")) {
      return WithDockerStatusCode(absl::PermissionDeniedError(message),
                                  StatusCode::kBuildPushAccessDenied);
    }
    if (absl::StrContains(push_error, "connection refused") ||
        absl::StrContains(push_error, "no such host") || absl::StrContains(push_error, "timeout")) {
      // Not the engine's unavailability (whose hint is "is docker running?").
      return WithDockerStatusCode(
          absl::UnavailableError(absl::StrCat(message, " (is the registry running?)")),
          StatusCode::kBuildUnknown);
    }
    return WithDockerStatusCode(absl::InternalError(message), StatusCode::kBuildDockerSystemErr);
  }
  if (progress.digest().empty()) {
    return WithDockerStatusCode(
        absl::InternalError(absl::StrCat("pushing ", image,
                                         ": the Docker daemon did not say which digest it pushed")),
        StatusCode::kBuildDockerGetDigestErr);
  }
  return progress.digest();
}

absl::Status EngineApiDocker::RemoveImage(const std::string& image, bool force) {
  absl::StatusOr<HttpResponse> r = Call(
      "DELETE", absl::StrCat("/images/", UrlEncode(image), force ? "?force=1" : "?force=0"));
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, absl::StrCat("removing image ", image));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> EngineApiDocker::ListImages(
    const std::string& label_key, const std::string& label_value) {
  absl::StatusOr<HttpResponse> r =
      Call("GET", absl::StrCat("/images/json?filters=", LabelFilter(label_key, label_value)));
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, "listing images");
  absl::StatusOr<Json> json = ParseAnswer(*r, "listing images");
  if (!json.ok()) return json.status();
  // The engine lists newest first today; sorted here so callers can rely on it.
  std::vector<std::pair<int64_t, std::string>> found;
  for (const Json& image : json->elements()) {
    found.emplace_back(image["Created"].AsInt(), image["Id"].AsString());
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> ids;
  for (auto& [created, id] : found) ids.push_back(std::move(id));
  return ids;
}

absl::StatusOr<ImageInfo> EngineApiDocker::InspectImage(const std::string& image) {
  absl::StatusOr<HttpResponse> r = Call("GET", absl::StrCat("/images/", UrlEncode(image), "/json"));
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, absl::StrCat("inspecting image ", image));
  absl::StatusOr<Json> json = ParseAnswer(*r, "inspecting an image");
  if (!json.ok()) return json.status();
  ImageInfo info{.id = (*json)["Id"].AsString()};
  for (const Json& t : (*json)["RepoTags"].elements()) info.repo_tags.push_back(t.AsString());
  for (const Json& d : (*json)["RepoDigests"].elements()) info.repo_digests.push_back(d.AsString());
  const Json& config = (*json)["Config"];
  for (const Json& w : config["Entrypoint"].elements()) info.config.entrypoint.push_back(w.AsString());
  for (const Json& w : config["Cmd"].elements()) info.config.cmd.push_back(w.AsString());
  for (const Json& e : config["Env"].elements()) info.config.env.push_back(e.AsString());
  info.config.working_dir = config["WorkingDir"].AsString();
  info.config.labels = StringMap(config["Labels"]);
  for (const auto& [port, unused] : config["ExposedPorts"].members()) {
    info.config.exposed_ports.push_back(port);
  }
  for (const auto& [volume, unused] : config["Volumes"].members()) {
    info.config.volumes.push_back(volume);
  }
  std::sort(info.config.exposed_ports.begin(), info.config.exposed_ports.end());
  std::sort(info.config.volumes.begin(), info.config.volumes.end());
  info.config.user = config["User"].AsString();
  return info;
}

absl::StatusOr<std::string> EngineApiDocker::CreateNetwork(
    const std::string& name, const std::map<std::string, std::string>& labels) {
  std::string body = absl::StrCat(R"({"Name":)", JsonQuote(name),
                                  R"(,"CheckDuplicate":true,"Driver":"bridge","Labels":)",
                                  JsonStringMap(labels), "}");
  absl::StatusOr<HttpResponse> r = Call("POST", "/networks/create", body, "application/json");
  if (!r.ok()) return r.status();
  if (r->status != 201 && r->status != 200) {
    return HttpError(*r, absl::StrCat("creating network ", name));
  }
  absl::StatusOr<Json> json = ParseAnswer(*r, "creating a network");
  if (!json.ok()) return json.status();
  return (*json)["Id"].AsString();
}

absl::Status EngineApiDocker::RemoveNetwork(const std::string& name_or_id) {
  absl::StatusOr<HttpResponse> r = Call("DELETE", absl::StrCat("/networks/", UrlEncode(name_or_id)));
  if (!r.ok()) return r.status();
  if (r->status != 204 && r->status != 200) {
    return HttpError(*r, absl::StrCat("removing network ", name_or_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> EngineApiDocker::ListNetworks(
    const std::string& label_key, const std::string& label_value) {
  absl::StatusOr<HttpResponse> r =
      Call("GET", absl::StrCat("/networks?filters=", LabelFilter(label_key, label_value)));
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, "listing networks");
  absl::StatusOr<Json> json = ParseAnswer(*r, "listing networks");
  if (!json.ok()) return json.status();
  std::vector<std::string> ids;
  for (const Json& network : json->elements()) ids.push_back(network["Id"].AsString());
  return ids;
}

absl::Status EngineApiDocker::CreateVolume(const std::string& name,
                                           const std::map<std::string, std::string>& labels) {
  std::string body = absl::StrCat(R"({"Name":)", JsonQuote(name), R"(,"Driver":"local","Labels":)",
                                  JsonStringMap(labels), "}");
  absl::StatusOr<HttpResponse> r = Call("POST", "/volumes/create", body, "application/json");
  if (!r.ok()) return r.status();
  if (r->status != 201 && r->status != 200) {
    return HttpError(*r, absl::StrCat("creating volume ", name));
  }
  return absl::OkStatus();
}

absl::Status EngineApiDocker::RemoveVolume(const std::string& name) {
  absl::StatusOr<HttpResponse> r = Call("DELETE", absl::StrCat("/volumes/", UrlEncode(name)));
  if (!r.ok()) return r.status();
  if (r->status == 409) {
    return WithDockerStatusCode(
        absl::FailedPreconditionError(
            absl::StrCat("removing volume ", name, ": ", EngineMessage(*r))),
        StatusCode::kBuildDockerInvalidParamErr);
  }
  if (r->status != 204 && r->status != 200) {
    return HttpError(*r, absl::StrCat("removing volume ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> EngineApiDocker::ListVolumes(
    const std::string& label_key, const std::string& label_value) {
  absl::StatusOr<HttpResponse> r =
      Call("GET", absl::StrCat("/volumes?filters=", LabelFilter(label_key, label_value)));
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, "listing volumes");
  absl::StatusOr<Json> json = ParseAnswer(*r, "listing volumes");
  if (!json.ok()) return json.status();
  std::vector<std::string> names;
  for (const Json& volume : (*json)["Volumes"].elements()) {
    names.push_back(volume["Name"].AsString());
  }
  return names;
}

absl::StatusOr<std::string> EngineApiDocker::Run(const RunRequest& request) {
  std::vector<std::string> env;
  for (const auto& [k, v] : request.env) env.push_back(absl::StrCat(k, "=", v));
  std::string exposed = "{", bindings = "{";
  for (const PortMapping& port : request.ports) {
    std::string key = JsonQuote(absl::StrCat(port.container_port, "/", port.protocol));
    if (exposed.size() > 1) {
      exposed += ",";
      bindings += ",";
    }
    absl::StrAppend(&exposed, key, ":{}");
    absl::StrAppend(&bindings, key, R"(:[{"HostIp":)", JsonQuote(port.host_ip),
                    R"(,"HostPort":)",
                    JsonQuote(port.host_port == 0 ? "" : absl::StrCat(port.host_port)), "}]");
  }
  exposed += "}";
  bindings += "}";
  std::string body = absl::StrCat(R"({"Image":)", JsonQuote(request.image), R"(,"Labels":)",
                                  JsonStringMap(request.labels), R"(,"Env":)",
                                  JsonStringList(env), R"(,"ExposedPorts":)", exposed);
  if (!request.entrypoint.empty()) {
    absl::StrAppend(&body, R"(,"Entrypoint":)", JsonStringList(request.entrypoint));
  }
  if (!request.cmd.empty()) absl::StrAppend(&body, R"(,"Cmd":)", JsonStringList(request.cmd));
  absl::StrAppend(&body, R"(,"HostConfig":{"PortBindings":)", bindings);
  if (!request.mounts.empty()) {
    std::vector<std::string> mounts;
    for (const VolumeMount& m : request.mounts) {
      mounts.push_back(absl::StrCat(R"({"Type":"volume","Source":)", JsonQuote(m.volume),
                                    R"(,"Target":)", JsonQuote(m.target), R"(,"ReadOnly":)",
                                    m.read_only ? "true" : "false", "}"));
    }
    absl::StrAppend(&body, R"(,"Mounts":[)", absl::StrJoin(mounts, ","), "]");
  }
  if (!request.network.empty()) {
    absl::StrAppend(&body, R"(,"NetworkMode":)", JsonQuote(request.network));
  }
  body += "}";
  if (!request.network.empty()) {
    absl::StrAppend(&body, R"(,"NetworkingConfig":{"EndpointsConfig":{)",
                    JsonQuote(request.network), R"(:{"Aliases":)",
                    JsonStringList(request.network_aliases), "}}}");
  }
  body += "}";
  std::string path = "/containers/create";
  if (!request.name.empty()) absl::StrAppend(&path, "?name=", UrlEncode(request.name));
  absl::StatusOr<HttpResponse> r = Call("POST", path, body, "application/json");
  if (!r.ok()) return r.status();
  if (r->status != 201) {
    return HttpError(*r, absl::StrCat("creating container ", request.name, " from ",
                                      request.image));
  }
  absl::StatusOr<Json> json = ParseAnswer(*r, "creating a container");
  if (!json.ok()) return json.status();
  std::string id = (*json)["Id"].AsString();
  if (!request.start) return id;
  r = Call("POST", absl::StrCat("/containers/", id, "/start"));
  absl::Status started = r.ok() ? absl::OkStatus() : r.status();
  if (started.ok() && r->status != 204 && r->status != 304) {
    started = WithDockerStatusCode(
        HttpError(*r, absl::StrCat("starting container ", request.name, " from ", request.image)),
        StatusCode::kStatusCheckRunContainerErr);
  }
  if (!started.ok()) {
    // Leave nothing behind that the caller does not know about.
    (void)Remove(id, /*force=*/true);
    return started;
  }
  return id;
}

absl::Status EngineApiDocker::Stop(const std::string& container, absl::Duration grace) {
  int64_t seconds = std::max<int64_t>(0, absl::ToInt64Seconds(absl::Ceil(grace, absl::Seconds(1))));
  absl::StatusOr<HttpResponse> r =
      Call("POST", absl::StrCat("/containers/", UrlEncode(container), "/stop?t=", seconds), "", "",
           absl::Seconds(seconds));
  if (!r.ok()) return r.status();
  if (r->status != 204 && r->status != 304) {
    return HttpError(*r, absl::StrCat("stopping container ", container));
  }
  return absl::OkStatus();
}

absl::Status EngineApiDocker::Remove(const std::string& container, bool force) {
  absl::StatusOr<HttpResponse> r =
      Call("DELETE", absl::StrCat("/containers/", UrlEncode(container), "?v=1&force=",
                                  force ? "1" : "0"));
  if (!r.ok()) return r.status();
  if (r->status != 204) return HttpError(*r, absl::StrCat("removing container ", container));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ContainerSummary>> EngineApiDocker::ListContainers(
    const std::string& label_key, const std::string& label_value) {
  absl::StatusOr<HttpResponse> r = Call(
      "GET", absl::StrCat("/containers/json?all=1&filters=", LabelFilter(label_key, label_value)));
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, "listing containers");
  absl::StatusOr<Json> json = ParseAnswer(*r, "listing containers");
  if (!json.ok()) return json.status();
  std::vector<ContainerSummary> out;
  for (const Json& c : json->elements()) {
    ContainerSummary summary;
    summary.id = c["Id"].AsString();
    if (!c["Names"].elements().empty()) {
      summary.name = c["Names"].elements()[0].AsString();
      if (absl::StartsWith(summary.name, "/")) summary.name.erase(0, 1);
    }
    summary.labels = StringMap(c["Labels"]);
    summary.status = ParseContainerStatus(c["State"].AsString());
    out.push_back(std::move(summary));
  }
  return out;
}

absl::StatusOr<containerfs::RootFs> EngineApiDocker::OpenDirectRoot(const std::string& container) {
  if (!maybe_local_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the Docker Engine at ", http_.description(), " is not on a local unix socket"));
  }
  if (no_openat2_.load()) {
    return absl::UnimplementedError("this kernel has no openat2 (needs Linux 5.6 or later)");
  }
  std::optional<containerfs::ContainerProcess> cached;
  {
    absl::MutexLock lock(&mu_);
    auto it = processes_.find(container);
    if (it != processes_.end() && it->second.expires > absl::Now()) cached = it->second.process;
  }
  if (cached.has_value()) {
    absl::StatusOr<containerfs::RootFs> root = containerfs::OpenContainerRoot(*cached);
    if (root.ok()) return root;
    // Restarted or stopped: ask the Engine again.
    absl::MutexLock lock(&mu_);
    processes_.erase(container);
  }
  DEVLOOP_ASSIGN_OR_RETURN(ContainerState state, Inspect(container));
  if (state.pid <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container, " has no running process"));
  }
  DEVLOOP_ASSIGN_OR_RETURN(containerfs::ContainerProcess process,
                           containerfs::IdentifyContainerProcess(state.pid, state.id));
  DEVLOOP_ASSIGN_OR_RETURN(containerfs::RootFs root, containerfs::OpenContainerRoot(process));
  absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  absl::erase_if(processes_, [now](const auto& entry) { return entry.second.expires <= now; });
  processes_[container] = {.process = process, .expires = now + options_.pid_cache_ttl};
  return root;
}

absl::Status EngineApiDocker::DirectFileOp(
    const std::string& container,
    const std::function<absl::Status(const containerfs::RootFs&)>& op) {
  absl::StatusOr<containerfs::RootFs> root = OpenDirectRoot(container);
  if (!root.ok()) return root.status();
  absl::Status status = op(*root);
  if (status.code() == absl::StatusCode::kUnimplemented) no_openat2_ = true;
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("in container ", container, ": ", status.message()));
  }
  return status;
}

void EngineApiDocker::NoteFallback(const absl::Status& why, absl::string_view what) {
  {
    absl::MutexLock lock(&mu_);
    ++stats_.fallbacks;
    stats_.last_fallback_reason = std::string(why.message());
  }
  // A missing container is the caller's business, not a slow path to explain.
  if (why.code() != absl::StatusCode::kNotFound && !warned_.exchange(true)) {
    DEVLOOP_LOG(WARNING) << "docker: " << what
                         << " through the Docker Engine's API (tens of milliseconds per sync) "
                            "because the fast local path cannot be used: "
                         << why.message();
  } else {
    DEVLOOP_VLOG(1) << "docker: " << what << " through the Engine's API: " << why.message();
  }
}

DirectFilesStats EngineApiDocker::direct_files_stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::Status EngineApiDocker::CopyInto(const std::string& container,
                                       const std::vector<FileCopy>& files) {
  if (files.empty()) return absl::OkStatus();
  if (options_.direct_files != DirectFiles::kOff) {
    // The host side first, so a bad request changes nothing in the container
    // (as with the archive, which is complete before it is sent).
    for (const FileCopy& file : files) {
      if (!absl::StartsWith(file.container_path, "/")) {
        return absl::InvalidArgumentError(absl::StrCat("container path ", file.container_path,
                                                       " of ", file.host_path,
                                                       " is not absolute"));
      }
      struct stat st;
      if (lstat(file.host_path.c_str(), &st) != 0) {
        return absl::NotFoundError(absl::StrCat("cannot copy ", file.host_path, ": ",
                                                strerror(errno)));
      }
    }
    absl::Status direct = DirectFileOp(container, [&](const containerfs::RootFs& root) {
      for (const FileCopy& file : files) {
        DEVLOOP_RETURN_IF_ERROR(root.CopyFile(file.host_path, file.container_path));
      }
      return absl::OkStatus();
    });
    if (direct.ok()) {
      absl::MutexLock lock(&mu_);
      stats_.files_copied += files.size();
      return absl::OkStatus();
    }
    if (options_.direct_files == DirectFiles::kRequired) return direct;
    NoteFallback(direct, absl::StrCat("copying ", files.size(), " files into ", container));
  }
  absl::StatusOr<std::string> tar = TarFiles(files);
  if (!tar.ok()) return tar.status();
  absl::StatusOr<HttpResponse> r =
      Call("PUT", absl::StrCat("/containers/", UrlEncode(container), "/archive?path=%2F"),
           *std::move(tar), "application/x-tar");
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return HttpError(*r, absl::StrCat("copying ", files.size(), " files into ", container));
  }
  return absl::OkStatus();
}

absl::StatusOr<PathEntry> EngineApiDocker::ReadPath(const std::string& container,
                                                    const std::string& path) {
  absl::StatusOr<HttpResponse> r = Call(
      "GET", absl::StrCat("/containers/", UrlEncode(container), "/archive?path=", UrlEncode(path)));
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return HttpError(*r, absl::StrCat("reading ", path, " in container ", container));
  }
  absl::StatusOr<PathEntry> entry = FirstTarEntry(r->body);
  if (!entry.ok()) {
    return WithDockerStatusCode(
        absl::InternalError(absl::StrCat("reading ", path, " in container ", container, ": ",
                                         entry.status().message())),
        StatusCode::kBuildDockerSystemErr);
  }
  return entry;
}

absl::StatusOr<std::string> EngineApiDocker::Commit(const std::string& container) {
  absl::StatusOr<HttpResponse> r =
      Call("POST", absl::StrCat("/commit?container=", UrlEncode(container)), "{}",
           "application/json");
  if (!r.ok()) return r.status();
  if (r->status != 201) return HttpError(*r, absl::StrCat("committing container ", container));
  absl::StatusOr<Json> json = ParseAnswer(*r, "committing a container");
  if (!json.ok()) return json.status();
  return (*json)["Id"].AsString();
}

absl::StatusOr<ExecResult> EngineApiDocker::Exec(const std::string& container,
                                                 const std::vector<std::string>& cmd) {
  std::string body = absl::StrCat(R"({"AttachStdout":true,"AttachStderr":true,"Cmd":)",
                                  JsonStringList(cmd), "}");
  absl::StatusOr<HttpResponse> r = Call(
      "POST", absl::StrCat("/containers/", UrlEncode(container), "/exec"), body, "application/json");
  if (!r.ok()) return r.status();
  if (r->status != 201) return HttpError(*r, absl::StrCat("exec in ", container));
  absl::StatusOr<Json> json = ParseAnswer(*r, "creating an exec");
  if (!json.ok()) return json.status();
  std::string exec_id = (*json)["Id"].AsString();
  // Without Detach the Engine streams the output and closes the connection
  // when the command ends, so reading to the end is waiting for it.
  r = Call("POST", absl::StrCat("/exec/", exec_id, "/start"), R"({"Detach":false,"Tty":false})",
           "application/json");
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, absl::StrCat("exec in ", container));
  std::string output;
  StreamDemuxer demuxer(/*raw=*/false, [&output](LogStream, absl::string_view line) {
    absl::StrAppend(&output, line, "\n");
  });
  demuxer.Append(r->body);
  demuxer.Finish();
  r = Call("GET", absl::StrCat("/exec/", exec_id, "/json"));
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, absl::StrCat("exec in ", container));
  json = ParseAnswer(*r, "inspecting an exec");
  if (!json.ok()) return json.status();
  return ExecResult{static_cast<int>((*json)["ExitCode"].AsInt()), std::move(output)};
}

absl::Status EngineApiDocker::DeleteIn(const std::string& container,
                                       const std::vector<std::string>& container_paths) {
  if (container_paths.empty()) return absl::OkStatus();
  if (options_.direct_files != DirectFiles::kOff) {
    absl::Status direct = DirectFileOp(container, [&](const containerfs::RootFs& root) {
      for (const std::string& path : container_paths) DEVLOOP_RETURN_IF_ERROR(root.Remove(path));
      return absl::OkStatus();
    });
    if (direct.ok()) {
      absl::MutexLock lock(&mu_);
      stats_.paths_deleted += container_paths.size();
      return absl::OkStatus();
    }
    if (options_.direct_files == DirectFiles::kRequired) return direct;
    NoteFallback(direct, absl::StrCat("deleting ", container_paths.size(), " paths in ",
                                      container));
  }
  // `rm` from the image's PATH; images FROM scratch with a static busybox
  // (devloop's examples) have no PATH entry for it, but busybox itself can.
  std::string last_output;
  for (std::vector<std::string> cmd : {std::vector<std::string>{"rm", "-rf", "--"},
                                       std::vector<std::string>{"/bin/busybox", "rm", "-rf", "--"}}) {
    cmd.insert(cmd.end(), container_paths.begin(), container_paths.end());
    absl::StatusOr<ExecResult> result = Exec(container, cmd);
    if (!result.ok()) return result.status();
    const int code = result->exit_code;
    const std::string& output = result->output;
    if (code == 0) return absl::OkStatus();
    last_output = output;
    // 126/127: the command could not be found or run; try the next way.
    if (code != 126 && code != 127) {
      return WithDockerStatusCode(
          absl::InternalError(absl::StrCat("deleting ", container_paths.size(), " files in ",
                                           container, ": rm exited with ", code, ": ", output)),
          StatusCode::kSyncUnknown);
    }
  }
  return WithDockerStatusCode(
      absl::UnimplementedError(absl::StrCat(
          "cannot delete files in ", container, ": the image has no rm (",
          absl::StripAsciiWhitespace(last_output), "); rebuilding instead")),
      StatusCode::kSyncUnknown);
}

absl::StatusOr<std::unique_ptr<LogFollower>> EngineApiDocker::FollowLogs(
    const std::string& container, LogCallback callback, absl::Time since) {
  // The stream is multiplexed unless the container has a TTY.
  absl::StatusOr<HttpResponse> r = Call("GET", absl::StrCat("/containers/", UrlEncode(container), "/json"));
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, absl::StrCat("following logs of ", container));
  absl::StatusOr<Json> json = ParseAnswer(*r, "inspecting a container");
  if (!json.ok()) return json.status();
  bool tty = (*json)["Config"]["Tty"].AsBool();
  std::string target = Path(absl::StrCat("/containers/", UrlEncode(container),
                                         "/logs?follow=1&stdout=1&stderr=1"));
  if (since != absl::InfinitePast()) {
    absl::StrAppend(&target, "&since=",
                    absl::FormatTime("%E9f", since, absl::UTCTimeZone()));
  }
  return std::make_unique<EngineLogFollower>(http_, std::move(target), tty, std::move(callback));
}

absl::StatusOr<ContainerState> EngineApiDocker::Inspect(const std::string& container) {
  absl::StatusOr<HttpResponse> r = Call("GET", absl::StrCat("/containers/", UrlEncode(container), "/json"));
  if (!r.ok()) return r.status();
  if (r->status != 200) return HttpError(*r, absl::StrCat("inspecting container ", container));
  absl::StatusOr<Json> json = ParseAnswer(*r, "inspecting a container");
  if (!json.ok()) return json.status();
  const Json& c = *json;
  ContainerState state;
  state.id = c["Id"].AsString();
  state.name = c["Name"].AsString();
  if (absl::StartsWith(state.name, "/")) state.name.erase(0, 1);
  state.image_id = c["Image"].AsString();
  const Json& s = c["State"];
  state.status = ParseContainerStatus(s["Status"].AsString());
  state.exit_code = static_cast<int>(s["ExitCode"].AsInt());
  state.oom_killed = s["OOMKilled"].AsBool();
  state.error = s["Error"].AsString();
  state.restart_count = static_cast<int>(c["RestartCount"].AsInt());
  state.pid = static_cast<int>(s["Pid"].AsInt());
  state.health = s["Health"]["Status"].AsString();
  const std::vector<Json>& log = s["Health"]["Log"].elements();
  if (!log.empty()) state.last_health_output = log.back()["Output"].AsString();
  state.labels = StringMap(c["Config"]["Labels"]);
  for (const auto& [key, bindings] : c["NetworkSettings"]["Ports"].members()) {
    std::pair<std::string, std::string> port_proto = absl::StrSplit(key, absl::MaxSplits('/', 1));
    int container_port = std::atoi(port_proto.first.c_str());
    for (const Json& b : bindings.elements()) {
      state.ports.push_back({.container_port = container_port,
                             .protocol = port_proto.second,
                             .host_ip = b["HostIp"].AsString(),
                             .host_port = std::atoi(b["HostPort"].AsString().c_str())});
    }
  }
  return state;
}

}  // namespace devloop::docker
