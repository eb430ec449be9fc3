#include "testing/e2e/dev_session.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "testing/e2e/example.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"

namespace devloop::e2e {
namespace {

// Unique across test processes, also when each runs in its own PID namespace
// (the sandbox), where PIDs repeat.
std::string UniqueRepository() {
  std::random_device rd;
  return absl::StrFormat("e2e-%d-%08x", getpid(), rd());
}

std::vector<std::string> Lines(absl::string_view text) {
  return absl::StrSplit(text, '\n', absl::SkipWhitespace());
}

}  // namespace

absl::StatusOr<std::string> Docker(std::vector<std::string> args, absl::Duration timeout) {
  args.insert(args.begin(), "docker");
  absl::StatusOr<CommandResult> r = RunCommand(args, timeout);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::UnknownError(
        absl::StrCat("\"", absl::StrJoin(args, " "), "\" exited ", r->exit_code, ": ", r->output));
  }
  return r->output;
}

absl::StatusOr<std::string> WaitServed(int port, absl::string_view path, absl::string_view marker,
                                       absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "nothing";
  while (true) {
    absl::StatusOr<HttpResponse> r = Http(port, "GET", path, "", absl::Seconds(5));
    if (r.ok()) {
      if (r->status == 200 && absl::StrContains(r->body, marker)) return r->body;
      last = absl::StrCat("HTTP ", r->status, " \"", r->body, "\"");
    } else {
      last = r.status().ToString();
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("127.0.0.1:", port, path, " did not serve \"", marker, "\" within ",
                       absl::FormatDuration(timeout), "; last: ", last));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::StatusOr<std::unique_ptr<DevSession>> DevSession::Prepare(
    absl::string_view name, const std::vector<std::string>& images) {
  std::unique_ptr<DevSession> s(new DevSession());
  s->repository_ = UniqueRepository();
  s->test_label_ = absl::StrCat(kTestLabelKey, "=", s->repository_);
  absl::StatusOr<std::string> dir = CopyExample(name);
  if (!dir.ok()) return dir.status();
  s->dir_ = *dir;
  const std::string config = s->dir_ + "/skaffold.yaml";
  // The artifact ("image: X") and the deploy list ("- X") name each image.
  for (const std::string& image : images) {
    const std::string renamed = s->Image(image);
    absl::Status r = ReplaceInFile(config, absl::StrCat("image: ", image, "\n"),
                                   absl::StrCat("image: ", renamed, "\n"));
    if (!r.ok()) return r;
    r = ReplaceInFile(config, absl::StrCat("- ", image, "\n"), absl::StrCat("- ", renamed, "\n"));
    if (!r.ok()) return r;
  }
  // The Kubernetes manifests (k8s/*.yaml) name the images as well.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(s->dir_ + "/k8s", ec)) {
    if (entry.path().extension() != ".yaml") continue;
    absl::StatusOr<std::string> manifest = ReadFile(entry.path().string());
    if (!manifest.ok()) return manifest.status();
    std::string renamed = *manifest;
    for (const std::string& image : images) {
      absl::StrReplaceAll({{absl::StrCat("image: ", image, "\n"),
                            absl::StrCat("image: ", s->Image(image), "\n")}},
                          &renamed);
    }
    if (renamed == *manifest) continue;
    absl::Status w = WriteFile(entry.path().string(), renamed);
    if (!w.ok()) return w;
  }
  absl::StatusOr<std::string> text = ReadFile(config);
  if (!text.ok()) return text.status();
  static const std::regex kLocalPort(R"(localPort: (\d+))");
  std::string rewritten;
  std::sregex_iterator it(text->begin(), text->end(), kLocalPort), end;
  size_t copied = 0;
  for (; it != end; ++it) {
    int example_port = std::stoi((*it)[1].str());
    // The same port in two places (a profile's portForward beside the
    // default one) gets the same free port.
    if (!s->ports_.count(example_port)) {
      absl::StatusOr<int> free_port = PickFreePort();
      if (!free_port.ok()) return free_port.status();
      s->ports_[example_port] = *free_port;
    }
    const int free_port = s->ports_[example_port];
    rewritten += text->substr(copied, it->position() - copied);
    absl::StrAppend(&rewritten, "localPort: ", free_port);
    copied = it->position() + it->length();
  }
  rewritten += text->substr(copied);
  absl::Status w = WriteFile(config, rewritten);
  if (!w.ok()) return w;
  absl::Status held = s->HoldBaseLayer();
  if (!held.ok()) return held;
  return s;
}

DevSession::~DevSession() {
  absl::Status s = Sweep();
  if (!s.ok()) fprintf(stderr, "DevSession cleanup: %s\n", s.ToString().c_str());
}

std::string DevSession::Image(absl::string_view name) const {
  return absl::StrCat(repository_, "/", name);
}

int DevSession::LocalPort(int example_port) const {
  auto it = ports_.find(example_port);
  return it == ports_.end() ? -1 : it->second;
}

std::map<std::string, std::string> DevSession::DevloopEnv() const {
  return {{"XDG_CACHE_HOME", absl::StrCat(dir_, ".cache")}};
}

absl::Status DevSession::Start(std::vector<std::string> args,
                               const std::function<void(DevloopProcess::Options&)>& adjust) {
  DevloopProcess::Options options;
  options.binary = Runfile("apps/devloop");
  options.dir = dir_;
  options.args = {"dev"};
  options.args.insert(options.args.end(), args.begin(), args.end());
  options.env = DevloopEnv();
  if (adjust) adjust(options);
  absl::StatusOr<std::unique_ptr<DevloopProcess>> d = DevloopProcess::Start(options);
  if (!d.ok()) return d.status();
  devloop_ = *std::move(d);
  absl::StatusOr<std::unique_ptr<EventsClient>> e =
      EventsClient::Connect(devloop_->grpc_target(), absl::Seconds(10));
  if (!e.ok()) return e.status();
  events_ = *std::move(e);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> DevSession::RepositoryImages() {
  absl::StatusOr<std::string> out =
      Docker({"images", "--filter", absl::StrCat("reference=", repository_, "/*"), "--format",
              "{{.Repository}}:{{.Tag}}"});
  if (!out.ok()) return out.status();
  absl::StatusOr<std::string> cached =
      Docker({"images", "--filter", absl::StrCat("reference=", repository_, "/*"), "--filter",
              absl::StrCat("label=", kCacheLabel), "--format", "{{.Repository}}:{{.Tag}}"});
  if (!cached.ok()) return cached.status();
  const std::vector<std::string> kept = Lines(*cached);
  std::vector<std::string> images;
  for (std::string& image : Lines(*out)) {
    if (std::find(kept.begin(), kept.end(), image) == kept.end()) images.push_back(std::move(image));
  }
  return images;
}

absl::StatusOr<std::vector<std::string>> DevSession::CachedImages() {
  absl::StatusOr<std::string> out =
      Docker({"images", "-q", "--no-trunc", "--filter",
              absl::StrCat("reference=", repository_, "/*"), "--filter",
              absl::StrCat("label=", kCacheLabel)});
  if (!out.ok()) return out.status();
  std::vector<std::string> ids;
  for (std::string& id : Lines(*out)) {
    // One line per tag: an image tagged twice is listed twice.
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  }
  return ids;
}

absl::StatusOr<std::string> DevSession::RunId() {
  std::set<std::string> found;
  // Images carry the run id when the artifact cache is off; containers always.
  absl::StatusOr<std::string> ids =
      Docker({"images", "-q", "--filter", absl::StrCat("reference=", repository_, "/*"), "--filter",
              absl::StrCat("label=", kRunIdLabel)});
  if (!ids.ok()) return ids.status();
  for (const std::string& id : Lines(*ids)) {
    absl::StatusOr<std::string> label = Docker(
        {"image", "inspect", "--format",
         absl::StrCat("{{index .Config.Labels \"", kRunIdLabel, "\"}}"), id});
    if (!label.ok()) return label.status();
    found.insert(std::string(absl::StripAsciiWhitespace(*label)));
  }
  absl::StatusOr<std::string> containers = Docker(
      {"ps", "-a", "--filter", absl::StrCat("label=", kRunIdLabel), "--format",
       absl::StrCat("{{.Label \"", kRunIdLabel, "\"}} {{.Label \"dev.devloop.image\"}}")});
  if (!containers.ok()) return containers.status();
  for (const std::string& line : Lines(*containers)) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() == 2 && absl::StartsWith(parts[1], absl::StrCat(repository_, "/"))) {
      found.insert(parts[0]);
    }
  }
  run_ids_.insert(found.begin(), found.end());
  if (found.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no image or container of ", repository_, " carries ", kRunIdLabel, " yet"));
  }
  if (found.size() > 1) {
    return absl::InternalError(absl::StrCat("images of ", repository_, " carry run ids ",
                                            absl::StrJoin(found, ", ")));
  }
  return *found.begin();
}

absl::StatusOr<std::string> DevSession::RunningImage(absl::string_view name) {
  absl::StatusOr<std::pair<std::string, std::string>> newest = Newest(name);
  if (!newest.ok()) return newest.status();
  return newest->second;
}

absl::StatusOr<std::string> DevSession::RunningContainer(absl::string_view name) {
  absl::StatusOr<std::pair<std::string, std::string>> newest = Newest(name);
  if (!newest.ok()) return newest.status();
  return newest->first;
}

absl::StatusOr<std::pair<std::string, std::string>> DevSession::Newest(absl::string_view name) {
  absl::StatusOr<std::string> run_id = RunId();
  if (!run_id.ok()) return run_id.status();
  absl::StatusOr<std::string> ids =
      Docker({"ps", "-q", "--filter", absl::StrCat("label=", kRunIdLabel, "=", *run_id)});
  if (!ids.ok()) return ids.status();
  std::vector<std::string> args = {"inspect", "--format",
                                   "{{index .Config.Labels \"dev.devloop.deploy-id\"}} "
                                   "{{index .Config.Labels \"dev.devloop.image\"}} {{.Id}}"};
  // One container at a time: one that a redeploy removes between `ps` and
  // `inspect` is simply not among them.
  std::string text;
  for (const std::string& id : Lines(*ids)) {
    std::vector<std::string> one = args;
    one.push_back(id);
    absl::StatusOr<std::string> line = Docker(one);
    if (line.ok()) {
      text += *line;
    } else if (!absl::StrContains(line.status().message(), "No such object")) {
      return line.status();
    }
  }
  absl::StatusOr<std::string> out = text;
  int64_t newest = -1;
  std::pair<std::string, std::string> found;
  const std::string want = absl::StrCat(Image(name), ":");
  for (const std::string& line : Lines(*out)) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    int64_t id = 0;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &id) ||
        !absl::StartsWith(parts[1], want)) {
      continue;
    }
    if (id > newest) {
      newest = id;
      found = {parts[2], parts[1]};
    }
  }
  if (newest < 0) {
    return absl::NotFoundError(
        absl::StrCat("no container of ", Image(name), " runs; docker inspect:\n", *out));
  }
  return found;
}

absl::StatusOr<int> DevSession::Interrupt(absl::Duration timeout) {
  if (devloop_ == nullptr) return absl::FailedPreconditionError("devloop was not started");
  return devloop_->Interrupt(timeout);
}

absl::Status DevSession::InterruptAndCheckNothingLeft(const std::string& run_id,
                                                      absl::Duration timeout) {
  absl::StatusOr<int> code = Interrupt(timeout);
  if (!code.ok()) {
    return absl::Status(code.status().code(),
                        absl::StrCat(code.status().message(), "\n", devloop_->process().Output()));
  }
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("devloop exited ", *code, " on SIGINT\n", devloop_->process().Output()));
  }
  absl::StatusOr<DockerObjects> left = ListDockerObjects(absl::StrCat(kRunIdLabel, "=", run_id));
  if (!left.ok()) return left.status();
  if (!left->empty()) {
    return absl::InternalError(absl::StrCat(left->containers.size(), " containers, ",
                                            left->networks.size(), " networks, ",
                                            left->images.size(), " images, ",
                                            left->volumes.size(), " volumes left"));
  }
  absl::StatusOr<std::vector<std::string>> images = RepositoryImages();
  if (!images.ok()) return images.status();
  if (!images->empty()) {
    return absl::InternalError(absl::StrCat(images->size(), " images of ", repository_,
                                            " left: ", absl::StrJoin(*images, " ")));
  }
  return absl::OkStatus();
}

absl::Status DevSession::HoldBaseLayer() {
  absl::StatusOr<std::string> dir = MakeTempDir("base-layer");
  if (!dir.ok()) return dir.status();
  absl::Status made = WriteFile(absl::StrCat(*dir, "/Dockerfile"),
                                "FROM scratch\nCOPY busybox /bin/busybox\n");
  if (made.ok()) made = PlaceBusybox(*dir).status();
  // The label puts an image of the session's (swept with it) above the layer.
  if (made.ok()) {
    made = Docker({"build", "--quiet", "--label", test_label_, "--tag",
                   absl::StrCat(repository_, "-base/busybox"), *dir})
               .status();
  }
  std::error_code ignored;
  std::filesystem::remove_all(*dir, ignored);
  return made;
}

absl::Status DevSession::Sweep() {
  events_.reset();
  if (devloop_ != nullptr && devloop_->process().Running()) {
    // Let devloop clean up after itself first; then kill it.
    (void)devloop_->Interrupt(absl::Seconds(10));
  }
  devloop_.reset();
  (void)RunId();  // collects every run id still on an image
  absl::Status first;
  auto keep = [&first](absl::Status s) {
    if (first.ok()) first = std::move(s);
  };
  for (const std::string& id : run_ids_) {
    keep(SweepDockerObjects(absl::StrCat(kRunIdLabel, "=", id)));
  }
  keep(SweepDockerObjects(test_label_));
  // Every image of the repository, the artifact cache's too.
  absl::StatusOr<std::string> images =
      Docker({"images", "--filter", absl::StrCat("reference=", repository_, "/*"), "--format",
              "{{.Repository}}:{{.Tag}}"});
  if (!images.ok()) {
    keep(images.status());
  } else if (std::vector<std::string> names = Lines(*images); !names.empty()) {
    std::vector<std::string> args = {"rmi", "-f"};
    args.insert(args.end(), names.begin(), names.end());
    keep(Docker(args).status());
  }
  keep(SweepCachedImages());
  return first;
}

absl::Status DevSession::SweepCachedImages() {
  // The artifact cache's label names the image as the config does
  // (PROJECT/REPOSITORY/NAME), whatever the image is called now: an older
  // build that lost its tag to a newer one has no name at all, and one built
  // for --default-repo is REGISTRY/REPOSITORY_NAME. Neither matches the
  // reference filter, so the cache's images are found by their label.
  absl::StatusOr<std::string> ids =
      Docker({"images", "-q", "--no-trunc", "--filter", absl::StrCat("label=", kCacheLabel)});
  if (!ids.ok()) return ids.status();
  std::vector<std::string> all = Lines(*ids);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());  // a line per tag
  if (all.empty()) return absl::OkStatus();
  std::vector<std::string> inspect = {
      "image", "inspect", "--format",
      absl::StrCat("{{.Id}} {{index .Config.Labels \"", kCacheLabel, "\"}}")};
  inspect.insert(inspect.end(), all.begin(), all.end());
  absl::StatusOr<std::string> labels = Docker(inspect);
  if (!labels.ok()) return labels.status();
  std::vector<std::string> ours = {"rmi", "-f"};
  const std::string mine = absl::StrCat("/", repository_, "/");
  for (const std::string& line : Lines(*labels)) {
    std::vector<std::string> fields = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (fields.size() == 2 && absl::StrContains(fields[1], mine)) ours.push_back(fields[0]);
  }
  if (ours.size() == 2) return absl::OkStatus();
  return Docker(ours).status();
}

}  // namespace devloop::e2e
