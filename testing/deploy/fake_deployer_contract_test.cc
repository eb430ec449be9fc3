// The deployer contract against the FakeDeployer.
#include <fstream>
#include <map>
#include <sstream>

#include "testing/deploy/deployer_contract.h"
#include "testing/fakes/fake_deployer.h"

namespace devloop::testing {
namespace {

class FakeEnv : public DeployerEnv {
 public:
  std::unique_ptr<deploy::Deployer> Make(const std::string& run_id,
                                         std::vector<deploy::PortForwardSpec> forwards,
                                         deploy::LogSink on_log) override {
    auto d = std::make_unique<FakeDeployer>(FakeDeployer::Options{
        .run_id = run_id, .port_forwards = std::move(forwards), .on_log = std::move(on_log)});
    made_.emplace(run_id, d.get());
    return d;
  }
  std::string Image(const std::string& content) override { return "web:" + content; }
  std::optional<std::string> Fetch(int, const std::string&) override { return std::nullopt; }
  std::string ReadSynced(deploy::Deployer* deployer, int, const std::string& dest) override {
    const std::string host = static_cast<FakeDeployer*>(deployer)->synced("web", dest);
    std::ifstream in(host);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }
  int Owned(const std::string& run_id) override {
    int n = 0;
    for (auto [it, end] = made_.equal_range(run_id); it != end; ++it) {
      n += static_cast<int>(it->second->live().size());
    }
    return n;
  }
  // The fake's world holds nothing but what a deployer made.
  void MakeBystander() override {}
  bool Bystander() override { return true; }

 private:
  std::multimap<std::string, FakeDeployer*> made_;
};

INSTANTIATE_TEST_SUITE_P(Fake, DeployerContractTest,
                         ::testing::Values(DeployerFactory{
                             "FakeDeployer", [] { return std::make_unique<FakeEnv>(); }}));

}  // namespace
}  // namespace devloop::testing
