#include "testing/dev/shell_harness.h"

#include <stdlib.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "infra/deploy/labels.h"
#include "infra/docker/docker_status.h"

namespace devloop::testing {

// Passes every call on to the Docker deployer and keeps the sink of
// ReportForwardMoves for MoveForward.
class ShellHarness::MoveTap final : public deploy::Deployer {
 public:
  explicit MoveTap(deploy::Deployer* base) : base_(base) {}
  void Move(domain::PortEvent port) {
    ASSERT_TRUE(sink_) << "the loop gave no ReportForwardMoves sink";
    sink_(std::move(port));
  }

  void ReportDebugging(deploy::DebugSink sink) override {
    base_->ReportDebugging(std::move(sink));
  }
  void ReportForwardMoves(deploy::PortSink sink) override { sink_ = std::move(sink); }
  void Prepare() override { base_->Prepare(); }
  absl::StatusOr<std::vector<std::string>> Deploy(int64_t deploy_id,
                                                  const domain::ImageTags& images) override {
    return base_->Deploy(deploy_id, images);
  }
  absl::StatusOr<std::vector<domain::ResourceObservation>> Observe(int64_t deploy_id) override {
    return base_->Observe(deploy_id);
  }
  std::vector<domain::PortEvent> ForwardPorts(int64_t deploy_id) override {
    return base_->ForwardPorts(deploy_id);
  }
  void StreamPortForwards(int64_t deploy_id,
                          const std::function<void(domain::PortEvent)>& on_event) override {
    base_->StreamPortForwards(deploy_id, on_event);
  }
  absl::Status Stop(int64_t deploy_id) override { return base_->Stop(deploy_id); }
  absl::Status Cleanup(bool remove) override { return base_->Cleanup(remove); }

 private:
  deploy::Deployer* const base_;
  deploy::PortSink sink_;  // the test's thread only, as the whole harness
};

absl::Status DaemonGone() {
  return docker::WithDockerStatusCode(
      absl::UnavailableError("Cannot connect to the Docker daemon"),
      domain::StatusCode::kBuildDockerDaemonNotRunning);
}

ShellHarness::ShellHarness() {
  char tmpl[] = "/tmp/devloop-shell-test-XXXXXX";
  context_ = ::mkdtemp(tmpl);
  std::ofstream(context_ + "/Dockerfile")
      << "FROM scratch\nCOPY index.html /www/index.html\nCOPY main.c /main.c\n"
         "CMD [\"sh\", \"-c\", \"echo booting; echo listening on 8080\"]\n";
  std::ofstream(context_ + "/index.html") << "hello\n";
  std::ofstream(context_ + "/main.c") << "int main() {}\n";

  build::ArtifactBuildSpec web;
  web.spec.image = "web";
  web.spec.sync = {{.src = "*.html", .dest = "/www", .strip = ""}};
  web.context_dir = context_;
  options_.artifacts.push_back(web);

  builder_options_.artifacts = options_.artifacts;
  builder_options_.labels = {{deploy::kRunIdLabel, kRunId}};
  builder_options_.owner_label = {deploy::kRunIdLabel, kRunId};
  deployer_options_.run_id = kRunId;
  deployer_options_.answer_wait = absl::ZeroDuration();  // the fake engine publishes nothing
  deployer_options_.port_forwards = {{.resource_name = "web", .port = 8080, .local_port = 0}};
}

ShellHarness::~ShellHarness() {
  loop_.reset();
  for (Replaced& r : replaced_) r.loop.reset();
  runtime_.RunUntilIdle();  // what the loop left queued finds it gone
  tap_.reset();
  deployer_.reset();
  replaced_.clear();
  (void)std::system(absl::StrCat("rm -rf '", context_, "'").c_str());
}

void ShellHarness::Start() {
  Make();
  if (loop_ != nullptr) loop_->Start();
}

void ShellHarness::Make() {
  builder_ = std::make_unique<build::DockerBuilder>(&faulty_, builder_options_);
  std::vector<std::string> images;
  for (const build::ArtifactBuildSpec& a : options_.artifacts) images.push_back(a.spec.image);
  absl::StatusOr<std::unique_ptr<deploy::DockerDeployer>> deployer =
      deploy::DockerDeployer::Make(&faulty_, deployer_options_, images);
  ASSERT_TRUE(deployer.ok()) << deployer.status();
  deployer_ = *std::move(deployer);
  tap_ = std::make_unique<MoveTap>(deployer_.get());
  absl::StatusOr<std::shared_ptr<dev::DevLoop>> loop =
      dev::DevLoop::Make(options_, {.builder = builder_.get(),
                                    .deployer = tap_.get(),
                                    .syncer = deployer_.get(),
                                    .hub = &hub_,
                                    .executor = &runtime_,
                                    .pool = &runtime_});
  ASSERT_TRUE(loop.ok()) << loop.status();
  loop_ = *std::move(loop);
}

void ShellHarness::Reload(const std::function<void(ShellHarness&)>& change) {
  ASSERT_NE(loop_, nullptr) << "Reload needs a started loop";
  change(*this);
  builder_options_.artifacts = options_.artifacts;
  Replaced old{std::move(builder_), std::move(deployer_), std::move(tap_), std::move(loop_)};
  old.loop->ReplacedSoon(/*run_goes_on=*/true);
  old.loop->RequestStop();
  ASSERT_TRUE(RunUntil([&] { return old.loop->stopped(); })) << "the replaced loop did not stop";
  deploy::DockerDeployer::Handover handover = old.deployer->HandOver();
  replaced_.push_back(std::move(old));
  Make();
  ASSERT_NE(loop_, nullptr);
  ASSERT_TRUE(deployer_->TakeOver(std::move(handover)).ok());
  loop_->Start();
}

bool ShellHarness::RunUntil(const std::function<bool()>& pred, absl::Duration limit) {
  runtime_.RunUntilIdle();
  for (absl::Duration passed; !pred(); passed += absl::Milliseconds(100)) {
    if (passed >= limit) return false;
    runtime_.AdvanceAndRun(absl::Milliseconds(100));
  }
  return true;
}

bool ShellHarness::StepUntil(const std::function<bool()>& pred) {
  while (true) {
    runtime_.RunTasks();
    if (pred()) return true;
    if (!runtime_.RunOneJob()) return false;
    if (pred()) return true;
  }
}

void ShellHarness::RunFor(absl::Duration d) {
  runtime_.RunUntilIdle();
  for (absl::Duration passed; passed < d; passed += absl::Milliseconds(100)) {
    runtime_.AdvanceAndRun(absl::Milliseconds(100));
  }
}

void ShellHarness::Edit(const std::string& path, const std::string& content) {
  std::ofstream(absl::StrCat(context_, "/", path)) << content;
  loop_->FilesChanged("web", {{.path = path}});
}

void ShellHarness::MoveForward(domain::PortEvent port) {
  ASSERT_NE(tap_, nullptr) << "MoveForward needs a started loop";
  tap_->Move(std::move(port));
}

bool ShellHarness::Idle() const {
  const domain::State s = State();
  return s.status_check_state.status == "Succeeded" && s.deploy_state.status == "Complete" &&
         const_cast<ManualRuntime&>(runtime_).queued_jobs() == 0;
}

std::vector<std::string> ShellHarness::Entries() const {
  auto sub = hub_.Subscribe([] {});
  std::vector<hub::Hub::EntryPtr> batch;
  while (sub->Read(1 << 20, &batch) == hub::Hub::ReadResult::kData) {
  }
  std::vector<std::string> out;
  for (const auto& e : batch) {
    const std::string& j = e->json_line;
    const size_t at = j.rfind("\"entry\":\"");
    if (at == std::string::npos) continue;
    out.push_back(j.substr(at + 9, j.rfind('"') - at - 9));
  }
  return out;
}

std::vector<docker::ContainerSummary> ShellHarness::Containers() {
  return docker_.ListContainers(deploy::kRunIdLabel, kRunId)
      .value_or(std::vector<docker::ContainerSummary>{});
}

}  // namespace devloop::testing
