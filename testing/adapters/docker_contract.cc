#include "testing/adapters/docker_contract.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "domain/config/platforms.h"
#include "domain/events/status_code.h"
#include "gmock/gmock.h"
#include "infra/docker/docker_status.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::testing {

using docker::ContainerStatus;
using docker::DockerStatusCode;
using docker::LogStream;
using domain::StatusCode;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace {

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// Polls `condition` until it holds; a bound keeps a broken adapter from
// hanging the suite (this is not a timing assertion: the bound is generous).
bool Eventually(const std::function<bool()>& condition) {
  absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (absl::Now() < give_up) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return condition();
}

constexpr char kServeDockerfile[] =
    "FROM scratch\nCOPY busybox /bin/busybox\nCMD [\"/bin/busybox\", \"sleep\", \"1000\"]\n";

}  // namespace

void DockerContractTest::SetUp() {
  docker_ = GetParam().make();
  std::random_device rd;
  token_ = absl::StrFormat("%08x%08x", rd(), rd());
  char tmpl[] = "/tmp/devloop-docker-contract-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  temp_dir_ = tmpl;
  Sweep();
}

void DockerContractTest::TearDown() {
  Sweep();
  std::error_code ignored;
  std::filesystem::remove_all(temp_dir_, ignored);
}

void DockerContractTest::Sweep() {
  if (auto containers = docker_->ListContainers(kTestLabel, token_); containers.ok()) {
    for (const auto& c : *containers) (void)docker_->Remove(c.id, /*force=*/true);
  }
  if (auto networks = docker_->ListNetworks(kTestLabel, token_); networks.ok()) {
    for (const auto& n : *networks) (void)docker_->RemoveNetwork(n);
  }
  if (auto images = docker_->ListImages(kTestLabel, token_); images.ok()) {
    for (const auto& i : *images) (void)docker_->RemoveImage(i, /*force=*/true);
  }
  if (auto volumes = docker_->ListVolumes(kTestLabel, token_); volumes.ok()) {
    for (const auto& v : *volumes) (void)docker_->RemoveVolume(v);
  }
}

std::string DockerContractTest::UniqueName(const std::string& what) {
  return absl::StrCat("devloop-test-", what, "-", token_, "-", counter_++);
}

std::string DockerContractTest::MakeContext(const std::string& dockerfile) {
  std::string dir = absl::StrCat(temp_dir_, "/ctx", counter_++);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file("/bin/busybox", dir + "/busybox");
  WriteFile(dir + "/Dockerfile", dockerfile);
  return dir;
}

std::string DockerContractTest::BuildImage(const std::string& dockerfile) {
  std::string tag = absl::StrCat(UniqueName("image"), ":dev");
  absl::StatusOr<docker::BuildResult> result = docker_->Build(
      {.context_dir = MakeContext(dockerfile.empty() ? kServeDockerfile : dockerfile),
       .tags = {tag},
       .labels = Labels()});
  EXPECT_TRUE(result.ok()) << result.status();
  return tag;
}

TEST_P(DockerContractTest, BuildStreamsOutputAndTags) {
  std::vector<std::string> output;
  std::string tag = absl::StrCat(UniqueName("image"), ":v1");
  absl::StatusOr<docker::BuildResult> result =
      docker_->Build({.context_dir = MakeContext(kServeDockerfile),
                      .tags = {tag},
                      .labels = Labels(),
                      .on_output = [&](absl::string_view l) { output.emplace_back(l); }});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->image_id, HasSubstr("sha256:"));
  EXPECT_THAT(output, Contains(HasSubstr("COPY busybox /bin/busybox")));
  absl::StatusOr<std::vector<std::string>> images = docker_->ListImages(kTestLabel, token_);
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_THAT(*images, Contains(result->image_id));

  std::string other = absl::StrCat(UniqueName("image"), ":v2");
  ASSERT_TRUE(docker_->Tag(tag, other).ok());
  absl::StatusOr<std::string> id = docker_->Run(
      {.image = other, .name = UniqueName("c"), .labels = Labels()});
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<docker::ContainerState> state = docker_->Inspect(*id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->image_id, result->image_id);
}

// A build for the engine's own platform (what a --platform naming this
// machine's asks for) is an ordinary build: the engine takes the parameter.
TEST_P(DockerContractTest, BuildForThisMachinesPlatform) {
  struct utsname host;
  ASSERT_EQ(uname(&host), 0);
  absl::StatusOr<std::string> platform =
      config::ParsePlatform(absl::StrCat("linux/", host.machine));
  ASSERT_TRUE(platform.ok()) << platform.status();
  std::string tag = absl::StrCat(UniqueName("image"), ":platform");
  absl::StatusOr<docker::BuildResult> result =
      docker_->Build({.context_dir = MakeContext(kServeDockerfile),
                      .tags = {tag},
                      .labels = Labels(),
                      .platform = *platform});
  ASSERT_TRUE(result.ok()) << *platform << ": " << result.status();
  absl::StatusOr<docker::ImageInfo> image = docker_->InspectImage(tag);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->id, result->image_id);
}

// The custom builder finds what a script built by its name.
TEST_P(DockerContractTest, InspectImageByTagAndId) {
  std::string tag = absl::StrCat(UniqueName("image"), ":v1");
  absl::StatusOr<docker::BuildResult> result = docker_->Build(
      {.context_dir = MakeContext(kServeDockerfile), .tags = {tag}, .labels = Labels()});
  ASSERT_TRUE(result.ok()) << result.status();
  absl::StatusOr<docker::ImageInfo> by_tag = docker_->InspectImage(tag);
  ASSERT_TRUE(by_tag.ok()) << by_tag.status();
  EXPECT_EQ(by_tag->id, result->image_id);
  EXPECT_THAT(by_tag->repo_tags, Contains(tag));
  absl::StatusOr<docker::ImageInfo> by_id = docker_->InspectImage(result->image_id);
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->id, result->image_id);
  absl::StatusOr<docker::ImageInfo> missing =
      docker_->InspectImage(absl::StrCat(UniqueName("image"), ":none"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
}

TEST_P(DockerContractTest, InspectImageReportsWhatItsContainersRun) {
  std::string tag = BuildImage(
      "FROM scratch\nCOPY busybox /bin/busybox\nENV GREETING=hi\nWORKDIR /srv\n"
      "ENTRYPOINT [\"/bin/busybox\"]\nCMD [\"httpd\", \"-f\"]\n");
  absl::StatusOr<docker::ImageInfo> info = docker_->InspectImage(tag);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->config.entrypoint, std::vector<std::string>{"/bin/busybox"});
  EXPECT_EQ(info->config.cmd, (std::vector<std::string>{"httpd", "-f"}));
  EXPECT_THAT(info->config.env, Contains("GREETING=hi"));
  EXPECT_EQ(info->config.working_dir, "/srv");
  EXPECT_EQ(info->config.labels.at(kTestLabel), token_);
}

TEST_P(DockerContractTest, VolumesAreLabelledListedAndMounted) {
  std::string volume = UniqueName("vol");
  ASSERT_TRUE(docker_->CreateVolume(volume, Labels()).ok());
  EXPECT_TRUE(docker_->CreateVolume(volume, Labels()).ok()) << "creating it again is fine";
  absl::StatusOr<std::vector<std::string>> listed = docker_->ListVolumes(kTestLabel, token_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, Contains(volume));

  // Created, not started: the volume is in use all the same.
  absl::StatusOr<std::string> id =
      docker_->Run({.image = BuildImage(),
                    .name = UniqueName("c"),
                    .labels = Labels(),
                    .mounts = {{.volume = volume, .target = "/data", .read_only = true}},
                    .start = false});
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<docker::ContainerState> state = docker_->Inspect(*id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->status, ContainerStatus::kCreated);
  EXPECT_EQ(docker_->RemoveVolume(volume).code(), absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(docker_->Remove(*id, /*force=*/true).ok());
  ASSERT_TRUE(docker_->RemoveVolume(volume).ok());
  EXPECT_EQ(docker_->RemoveVolume(volume).code(), absl::StatusCode::kNotFound);
}

// Ctrl-C can cancel a build before its request is even sent; the call must
// then end Cancelled, not crash (it once called a moved-from callback).
TEST_P(DockerContractTest, BuildCancelledBeforeItStartsIsCancelled) {
  docker::Cancellation cancellation;
  cancellation.Cancel();
  absl::StatusOr<docker::BuildResult> result =
      docker_->Build({.context_dir = MakeContext(kServeDockerfile),
                      .tags = {absl::StrCat(UniqueName("image"), ":v1")},
                      .labels = Labels(),
                      .cancellation = &cancellation});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled) << result.status();
  EXPECT_EQ(docker::DockerStatusCode(result.status()), domain::StatusCode::kBuildDockerCancelled);
}

TEST_P(DockerContractTest, FailedBuildStepIsUserError) {
  std::vector<std::string> output;
  absl::StatusOr<docker::BuildResult> result = docker_->Build(
      {.context_dir = MakeContext("FROM scratch\nCOPY missing-file /x\n"),
       .tags = {absl::StrCat(UniqueName("image"), ":bad")},
       .labels = Labels(),
       .on_output = [&](absl::string_view l) { output.emplace_back(l); }});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted) << result.status();
  EXPECT_EQ(DockerStatusCode(result.status()), StatusCode::kBuildUserError);
  EXPECT_THAT(result.status().message(), HasSubstr("missing-file"));
  EXPECT_THAT(output, Not(IsEmpty()));
}

TEST_P(DockerContractTest, MissingDockerfileIsDockerfileNotFound) {
  absl::StatusOr<docker::BuildResult> result = docker_->Build(
      {.context_dir = MakeContext(kServeDockerfile), .dockerfile = "Nope.Dockerfile",
       .labels = Labels()});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << result.status();
  EXPECT_EQ(DockerStatusCode(result.status()), StatusCode::kBuildDockerfileNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("Nope.Dockerfile"));
}

TEST_P(DockerContractTest, RunInspectStopRemove) {
  std::string image = BuildImage();
  std::string name = UniqueName("c");
  std::map<std::string, std::string> labels = Labels();
  labels["dev.devloop.run-id"] = "run-1";
  absl::StatusOr<std::string> id = docker_->Run(
      {.image = image, .name = name, .labels = labels, .env = {{"GREETING", "hi"}},
       .ports = {{.container_port = 8080}}});
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<docker::ContainerState> state = docker_->Inspect(name);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->id, *id);
  EXPECT_EQ(state->name, name);
  EXPECT_EQ(state->status, ContainerStatus::kRunning);
  EXPECT_EQ(state->labels["dev.devloop.run-id"], "run-1");
  EXPECT_EQ(state->health, "");
  ASSERT_EQ(state->ports.size(), 1u);
  EXPECT_EQ(state->ports[0].container_port, 8080);
  EXPECT_EQ(state->ports[0].host_ip, "127.0.0.1");
  EXPECT_GT(state->ports[0].host_port, 0);

  absl::StatusOr<std::vector<docker::ContainerSummary>> listed =
      docker_->ListContainers("dev.devloop.run-id", "run-1");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, name);

  // The name is taken while the container exists.
  EXPECT_EQ(docker_->Run({.image = image, .name = name, .labels = Labels()}).status().code(),
            absl::StatusCode::kAlreadyExists);

  ASSERT_TRUE(docker_->Stop(*id, absl::Seconds(0)).ok());
  state = docker_->Inspect(*id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->status, ContainerStatus::kExited);
  EXPECT_TRUE(docker_->Stop(*id, absl::Seconds(0)).ok()) << "stopping twice is fine";
  ASSERT_TRUE(docker_->Remove(*id, /*force=*/false).ok());
  EXPECT_EQ(docker_->Inspect(*id).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(DockerContractTest, ExitCodeIsReported) {
  std::string image = BuildImage();
  absl::StatusOr<std::string> id =
      docker_->Run({.image = image, .name = UniqueName("c"), .labels = Labels(),
                    .cmd = {"/bin/busybox", "sh", "-c", "exit 3"}});
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<docker::ContainerState> state;
  ASSERT_TRUE(Eventually([&] {
    state = docker_->Inspect(*id);
    return state.ok() && state->status == ContainerStatus::kExited;
  }));
  EXPECT_EQ(state->exit_code, 3);
}

TEST_P(DockerContractTest, UnknownThingsAreNotFound) {
  std::string ghost = UniqueName("ghost");
  for (const absl::Status& s :
       {docker_->Inspect(ghost).status(), docker_->Remove(ghost, true),
        docker_->Stop(ghost, absl::ZeroDuration()), docker_->RemoveImage(ghost, true),
        docker_->Tag(ghost, "x:y"), docker_->RemoveNetwork(ghost),
        docker_->CopyInto(ghost, {{"/bin/busybox", "/x"}}),
        docker_->Run({.image = ghost, .labels = Labels()}).status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_EQ(DockerStatusCode(s), StatusCode::kBuildDockerErrorNotFound) << s;
  }
}

TEST_P(DockerContractTest, CopyIntoAndDeleteIn) {
  std::string image = BuildImage();
  absl::StatusOr<std::string> id = docker_->Run({.image = image, .name = UniqueName("c"),
                                                 .labels = Labels()});
  ASSERT_TRUE(id.ok()) << id.status();
  std::string a = temp_dir_ + "/a.txt", b = temp_dir_ + "/b.txt";
  WriteFile(a, "alpha\n");
  WriteFile(b, "bravo\n");
  ASSERT_TRUE(docker_->CopyInto(*id, {{a, "/app/a.txt"}, {b, "/app/new/dir/b.txt"}}).ok());
  const auto& read = GetParam().read_file;
  EXPECT_EQ(read(docker_.get(), *id, "/app/a.txt").value_or("<missing>"), "alpha\n");
  EXPECT_EQ(read(docker_.get(), *id, "/app/new/dir/b.txt").value_or("<missing>"), "bravo\n");

  WriteFile(a, "alpha 2\n");
  ASSERT_TRUE(docker_->CopyInto(*id, {{a, "/app/a.txt"}}).ok());
  EXPECT_EQ(read(docker_.get(), *id, "/app/a.txt").value_or("<missing>"), "alpha 2\n");

  absl::Status deleted = docker_->DeleteIn(*id, {"/app/a.txt"});
  ASSERT_TRUE(deleted.ok()) << deleted;
  EXPECT_FALSE(read(docker_.get(), *id, "/app/a.txt").ok());
  EXPECT_TRUE(read(docker_.get(), *id, "/app/new/dir/b.txt").ok());

  absl::Status missing = docker_->CopyInto(*id, {{temp_dir_ + "/nope", "/app/x"}});
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
}

TEST_P(DockerContractTest, ReadPathAndCommit) {
  std::string image = BuildImage();
  absl::StatusOr<std::string> id = docker_->Run({.image = image, .name = UniqueName("c"),
                                                 .labels = Labels()});
  ASSERT_TRUE(id.ok()) << id.status();
  std::string a = temp_dir_ + "/a.txt";
  WriteFile(a, "alpha\n");
  ASSERT_EQ(chmod(a.c_str(), 0644), 0);
  ASSERT_TRUE(docker_->CopyInto(*id, {{a, "/app/a.txt"}}).ok());

  absl::StatusOr<docker::PathEntry> file = docker_->ReadPath(*id, "/app/a.txt");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->mode, 0100644u);
  EXPECT_EQ(file->content, "alpha\n");
  absl::StatusOr<docker::PathEntry> dir = docker_->ReadPath(*id, "/app");
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_TRUE(S_ISDIR(dir->mode)) << std::oct << dir->mode;
  absl::Status missing = docker_->ReadPath(*id, "/app/nope").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
  EXPECT_EQ(docker_->ReadPath(UniqueName("ghost"), "/").status().code(),
            absl::StatusCode::kNotFound);

  absl::StatusOr<std::string> committed = docker_->Commit(*id);
  ASSERT_TRUE(committed.ok()) << committed.status();
  absl::StatusOr<std::vector<std::string>> images = docker_->ListImages(kTestLabel, token_);
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_THAT(*images, Contains(*committed));
  absl::StatusOr<std::string> second = docker_->Run(
      {.image = *committed, .name = UniqueName("c"), .labels = Labels(), .start = false});
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<docker::PathEntry> kept = docker_->ReadPath(*second, "/app/a.txt");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->content, "alpha\n");
  EXPECT_EQ(docker_->Commit(UniqueName("ghost")).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(DockerContractTest, ExecRunsACommandInTheContainer) {
  std::string image = BuildImage();
  absl::StatusOr<std::string> id = docker_->Run({.image = image, .name = UniqueName("c"),
                                                 .labels = Labels()});
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<docker::ExecResult> ran =
      docker_->Exec(*id, {"/bin/busybox", "sh", "-c", "echo out; echo err >&2; exit 4"});
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_EQ(ran->exit_code, 4);
  EXPECT_THAT(ran->output, HasSubstr("out\n"));
  EXPECT_THAT(ran->output, HasSubstr("err\n"));
  absl::StatusOr<docker::ExecResult> ok = docker_->Exec(*id, {"/bin/busybox", "true"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->exit_code, 0);
  absl::Status ghost = docker_->Exec(UniqueName("ghost"), {"/bin/busybox", "true"}).status();
  EXPECT_EQ(ghost.code(), absl::StatusCode::kNotFound) << ghost;
}

TEST_P(DockerContractTest, FollowLogsSeparatesStdoutAndStderr) {
  std::string image = BuildImage();
  absl::StatusOr<std::string> id = docker_->Run(
      {.image = image, .name = UniqueName("c"), .labels = Labels(),
       .cmd = {"/bin/busybox", "sh", "-c", "echo one; echo two >&2; echo three; sleep 1000"}});
  ASSERT_TRUE(id.ok()) << id.status();
  absl::Mutex mu;
  std::vector<std::pair<LogStream, std::string>> lines;
  absl::StatusOr<std::unique_ptr<docker::LogFollower>> follower = docker_->FollowLogs(
      *id, [&](LogStream s, absl::string_view line) {
        absl::MutexLock lock(&mu);
        lines.emplace_back(s, std::string(line));
      });
  ASSERT_TRUE(follower.ok()) << follower.status();
  ASSERT_TRUE(Eventually([&] {
    absl::MutexLock lock(&mu);
    return lines.size() >= 3;
  }));
  {
    absl::MutexLock lock(&mu);
    std::vector<std::string> out, err;
    for (const auto& [s, l] : lines) (s == LogStream::kStdout ? out : err).push_back(l);
    EXPECT_THAT(out, ::testing::ElementsAre("one", "three"));
    EXPECT_THAT(err, ::testing::ElementsAre("two"));
  }
  (*follower)->Stop();
  EXPECT_TRUE((*follower)->Wait().ok());
}

TEST_P(DockerContractTest, LogFollowerEndsWhenTheContainerStops) {
  std::string image = BuildImage();
  absl::StatusOr<std::string> id =
      docker_->Run({.image = image, .name = UniqueName("c"), .labels = Labels()});
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<std::unique_ptr<docker::LogFollower>> follower =
      docker_->FollowLogs(*id, [](LogStream, absl::string_view) {});
  ASSERT_TRUE(follower.ok()) << follower.status();
  EXPECT_FALSE((*follower)->WaitEnded(absl::Milliseconds(50))) << "the container still runs";
  ASSERT_TRUE(docker_->Stop(*id, absl::ZeroDuration()).ok());
  EXPECT_TRUE((*follower)->WaitEnded(absl::Seconds(30)));
  EXPECT_TRUE((*follower)->Wait().ok());
}

TEST_P(DockerContractTest, AnExitedContainersFollowerHasDeliveredEveryLineWhenItEnds) {
  std::string image = BuildImage();
  absl::StatusOr<std::string> id = docker_->Run(
      {.image = image, .name = UniqueName("c"), .labels = Labels(),
       .cmd = {"/bin/busybox", "sh", "-c", "echo one; echo two >&2; exit 3"}});
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<docker::ContainerState> state = docker_->Inspect(*id);
    return state.ok() && state->status == docker::ContainerStatus::kExited;
  }));
  absl::Mutex mu;
  std::vector<std::string> lines;
  absl::StatusOr<std::unique_ptr<docker::LogFollower>> follower = docker_->FollowLogs(
      *id, [&](LogStream, absl::string_view line) {
        absl::MutexLock lock(&mu);
        lines.emplace_back(line);
      });
  ASSERT_TRUE(follower.ok()) << follower.status();
  ASSERT_TRUE((*follower)->WaitEnded(absl::Seconds(30)));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(lines, ::testing::UnorderedElementsAre("one", "two"));
}

TEST_P(DockerContractTest, Networks) {
  std::string name = UniqueName("net");
  absl::StatusOr<std::string> net = docker_->CreateNetwork(name, Labels());
  ASSERT_TRUE(net.ok()) << net.status();
  absl::StatusOr<std::string> again = docker_->CreateNetwork(name, Labels());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  absl::StatusOr<std::vector<std::string>> listed = docker_->ListNetworks(kTestLabel, token_);
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, Contains(*net));

  std::string image = BuildImage();
  absl::StatusOr<std::string> id = docker_->Run(
      {.image = image, .name = UniqueName("c"), .labels = Labels(), .network = name});
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(docker_->Remove(*id, /*force=*/true).ok());
  ASSERT_TRUE(docker_->RemoveNetwork(name).ok());
  EXPECT_EQ(docker_->RemoveNetwork(name).code(), absl::StatusCode::kNotFound);
}

absl::StatusOr<std::string> ReadThroughEngineArchive(docker::Docker*, const std::string& container,
                                                     const std::string& path) {
  process::PosixProcessRunner runner;
  std::string content;
  absl::StatusOr<process::ExitStatus> exit = runner.Run(
      {.argv = {"sh", "-c",
                absl::StrCat("curl -sf --unix-socket /var/run/docker.sock "
                             "'http://docker/v1.41/containers/",
                             container, "/archive?path=", path, "' | tar -xOf -")},
       .timeout = absl::Seconds(30),
       .on_stdout = [&](absl::string_view line) { absl::StrAppend(&content, line, "\n"); }});
  if (!exit.ok()) return exit.status();
  if (!exit->success()) return absl::NotFoundError(absl::StrCat(path, " not in ", container));
  return content;
}

}  // namespace devloop::testing
