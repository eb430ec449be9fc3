#include "testing/deploy/deployer_contract.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "domain/events/status_payload.h"
#include "gmock/gmock.h"

namespace devloop::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Collects application log lines from the deployer's threads.
class Lines {
 public:
  deploy::LogSink Sink() {
    return [this](const deploy::LogSource& source, absl::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.push_back(absl::StrCat(source.name, ": ", line));
      pods_.push_back(source.pod);
    };
  }
  std::vector<std::string> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  // The pod of each line, in the same order ("" on Docker).
  std::vector<std::string> Pods() {
    std::lock_guard<std::mutex> lock(mu_);
    return pods_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<std::string> pods_;
};

// Real deployers act asynchronously (a container starts, a log line arrives):
// polls `pred` for up to 30 s. Only a hang fails; no timing is asserted.
bool Eventually(const std::function<bool()>& pred) {
  const absl::Time end = absl::Now() + absl::Seconds(30);
  while (absl::Now() < end) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return pred();
}

std::string RunId() {
  std::random_device rd;
  return absl::StrFormat("ct%08x", rd());
}

}  // namespace

std::string HttpGet(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "refused";
  }
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\n\r\n");
  (void)!::write(fd, request.data(), request.size());
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) reply.append(buf, n);
  ::close(fd);
  const size_t body = reply.find("\r\n\r\n");
  if (body == std::string::npos) return reply.empty() ? "closed" : reply;
  if (reply.find(" 200 ") == std::string::npos) return reply.substr(0, reply.find("\r\n"));
  return reply.substr(body + 4);
}

namespace {

bool Ready(deploy::Deployer* d, int64_t id) {
  absl::StatusOr<std::vector<domain::ResourceObservation>> seen = d->Observe(id);
  return seen.ok() && seen->size() == 1 && (*seen)[0].ready_replicas == 1;
}

TEST_P(DeployerContractTest, DeployObserveForwardRedeployStopCleanup) {
  const std::string run = RunId();
  env_->MakeBystander();
  Lines logs;
  std::unique_ptr<deploy::Deployer> d = env_->Make(
      run, {env_->WebForward()}, logs.Sink());
  auto* syncer = dynamic_cast<deploy::Syncer*>(d.get());
  ASSERT_NE(syncer, nullptr);
  const std::string v1 = env_->Image("one");
  const std::string v2 = env_->Image("two");

  // Deploy: the resources, named as the API names them.
  absl::StatusOr<std::vector<std::string>> resources = d->Deploy(1, {{"web", v1}});
  ASSERT_TRUE(resources.ok()) << resources.status();
  EXPECT_THAT(*resources, ElementsAre(env_->WebResource()));
  EXPECT_GT(env_->Owned(run), 0);

  // Observe: ready, under the same name.
  ASSERT_TRUE(Eventually([&] { return Ready(d.get(), 1); }));
  EXPECT_EQ((*d->Observe(1))[0].resource, env_->WebResource());

  // Forward: a local port that serves the app.
  std::vector<domain::PortEvent> ports = d->ForwardPorts(1);
  ASSERT_EQ(ports.size(), 1u);
  const int local = ports[0].local_port;
  EXPECT_GT(local, 0);
  EXPECT_EQ(ports[0].remote_port, 8080);
  EXPECT_EQ(ports[0].resource_name, env_->WebForward().resource_name);
  EXPECT_EQ(ports[0].address, "127.0.0.1");
  if (env_->Fetch(local, "/").has_value()) {
    EXPECT_TRUE(Eventually([&] { return env_->Fetch(local, "/") == "one\n"; }));
  }

  // Logs: the app's start line, from source "web" (in a pod of web's on Kubernetes).
  EXPECT_TRUE(Eventually([&] {
    for (const std::string& line : logs.Get()) {
      if (absl::StartsWith(line, "web: ")) return true;
    }
    return false;
  }));
  const bool in_pods = absl::StartsWith(env_->WebResource(), "deployment/");
  for (const std::string& pod : logs.Pods()) {
    if (in_pods) {
      EXPECT_TRUE(absl::StartsWith(pod, "web-")) << "pod \"" << pod << "\"";
    } else {
      EXPECT_EQ(pod, "");
    }
  }

  // Redeploy beside it: the forward keeps its local port and serves the new app.
  ASSERT_TRUE(d->Deploy(2, {{"web", v2}}).ok());
  ASSERT_TRUE(Eventually([&] { return Ready(d.get(), 2); }));
  std::vector<domain::PortEvent> again = d->ForwardPorts(2);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].local_port, local);
  if (env_->Fetch(local, "/").has_value()) {
    EXPECT_TRUE(Eventually([&] { return env_->Fetch(local, "/") == "two\n"; }));
  }

  // Stop the old one: the new one keeps running.
  ASSERT_TRUE(d->Stop(1).ok());
  EXPECT_TRUE(d->Observe(1).value_or(std::vector<domain::ResourceObservation>{1}).empty());
  EXPECT_TRUE(Ready(d.get(), 2));
  EXPECT_TRUE(d->Stop(1).ok()) << "stopping twice is OK";

  // Sync into what runs.
  char tmpl[] = "/tmp/devloop-deployer-contract-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/synced.html") << "synced\n";
  ASSERT_TRUE(syncer->Sync(2, "web", {.copies = {{dir + "/synced.html", "/www/synced.html"}}}).ok());
  EXPECT_EQ(env_->ReadSynced(d.get(), local, "/www/synced.html"), "synced\n");
  EXPECT_EQ(syncer->Sync(2, "db", {.copies = {{dir + "/synced.html", "/x"}}}).code(),
            absl::StatusCode::kFailedPrecondition);
  (void)std::system(absl::StrCat("rm -rf '", dir, "'").c_str());

  // Cleanup: nothing with the run id, the bystander untouched, the port closed.
  ASSERT_TRUE(d->Cleanup(/*remove=*/true).ok());
  EXPECT_EQ(env_->Owned(run), 0);
  EXPECT_TRUE(env_->Bystander());
  if (env_->Fetch(local, "/").has_value()) {
    EXPECT_EQ(env_->Fetch(local, "/"), "refused");
  }

  // After cleanup a deploy is refused as cancelled.
  absl::StatusOr<std::vector<std::string>> late = d->Deploy(3, {{"web", v2}});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(domain::AttachedStatusCode(late.status()), domain::StatusCode::kDeployCancelled);
}

TEST_P(DeployerContractTest, CleanupWithoutRemoveLeavesTheWorkloadsRunning) {
  const std::string run = RunId();
  std::unique_ptr<deploy::Deployer> d = env_->Make(run, {}, nullptr);
  ASSERT_TRUE(d->Deploy(1, {{"web", env_->Image("kept")}}).ok());
  ASSERT_TRUE(d->Cleanup(/*remove=*/false).ok());
  EXPECT_GT(env_->Owned(run), 0);
  // A cleanup that removes still finds them (by the run's label).
  ASSERT_TRUE(d->Cleanup(/*remove=*/true).ok());
  EXPECT_EQ(env_->Owned(run), 0);
}

}  // namespace
}  // namespace devloop::testing
