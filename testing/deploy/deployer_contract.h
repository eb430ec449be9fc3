// The contract every deployer keeps (infra/deploy/deployer.h), as one
// parameterized suite run against the FakeDeployer (a small test) and each real
// deployer (the Docker Engine today: a large, requires-docker test), so the
// fake cannot drift from what the shell really gets.
//
// The walk each deployer takes: deploy -> observe -> forward -> logs ->
// redeploy keeps the local port -> sync -> stop -> cleanup leaves nothing with
// the run id and nothing without it touched.
#ifndef DEVLOOP_TESTING_DEPLOY_DEPLOYER_CONTRACT_H_
#define DEVLOOP_TESTING_DEPLOY_DEPLOYER_CONTRACT_H_

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "infra/deploy/deployer.h"

namespace devloop::testing {

// What the suite needs from the world a deployer runs in. One per test.
class DeployerEnv {
 public:
  virtual ~DeployerEnv() = default;

  // Returns a deployer of run `run_id` that forwards `forwards` and sends
  // application logs to `on_log`. Its Syncer is the same object.
  virtual std::unique_ptr<deploy::Deployer> Make(const std::string& run_id,
                                                 std::vector<deploy::PortForwardSpec> forwards,
                                                 deploy::LogSink on_log) = 0;

  // Returns a reference for artifact "web" whose app serves `content` at "/" on
  // port 8080 and prints a line when it starts.
  virtual std::string Image(const std::string& content) = 0;

  // The body served at `path` through local port `port`, or std::nullopt when
  // this deployer's forwards carry no traffic (the fake).
  virtual std::optional<std::string> Fetch(int port, const std::string& path) = 0;

  // What the live workload of "web" has at `dest` (under /www), after a sync.
  virtual std::string ReadSynced(deploy::Deployer* deployer, int port,
                                 const std::string& dest) = 0;

  // How many objects (containers, networks, ...) carry run id `run_id`.
  virtual int Owned(const std::string& run_id) = 0;

  // The port forward that reaches artifact "web"'s app on port 8080 (local
  // port 0), and the name the API gives web's workload.
  virtual deploy::PortForwardSpec WebForward() {
    return {.resource_type = "container", .resource_name = "web", .port = 8080};
  }
  virtual std::string WebResource() { return "container/web"; }

  // Makes an object no run of devloop created; Bystander() says it still exists.
  virtual void MakeBystander() = 0;
  virtual bool Bystander() = 0;
};

// One HTTP/1.0 GET of `path` on 127.0.0.1:`port`: the body of a 200, the
// status line otherwise, "refused" when nothing listens.
std::string HttpGet(int port, const std::string& path);

struct DeployerFactory {
  std::string name;
  std::function<std::unique_ptr<DeployerEnv>()> make;
};
inline std::ostream& operator<<(std::ostream& os, const DeployerFactory& f) {
  return os << f.name;
}

class DeployerContractTest : public ::testing::TestWithParam<DeployerFactory> {
 protected:
  void SetUp() override { env_ = GetParam().make(); }
  void TearDown() override { env_.reset(); }

  std::unique_ptr<DeployerEnv> env_;
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_DEPLOY_DEPLOYER_CONTRACT_H_
