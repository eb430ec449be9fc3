// EngineApiDocker over TLS, as minikube's engine (`minikube docker-env`) and a
// DOCKER_TLS_VERIFY setup are reached: the real local Engine behind a TLS
// front (testdata/tls_engine_proxy.py) that requires a client certificate,
// with certificates made by the openssl CLI for each test.
#include <signal.h>
#include <stdio.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "domain/events/status_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/docker/docker_status.h"
#include "infra/docker/engine_api_docker.h"

namespace devloop::docker {
namespace {

using ::testing::HasSubstr;

int Shell(const std::string& command) { return std::system(command.c_str()); }

// A CA, a server certificate for 127.0.0.1 and a client certificate in `dir`
// (the names DOCKER_CERT_PATH holds: ca.pem, cert.pem, key.pem).
void MakeCertificates(const std::string& dir) {
  const std::string q = "cd '" + dir + "' && ";
  ASSERT_EQ(Shell("mkdir -p '" + dir + "'"), 0);
  ASSERT_EQ(Shell(q + "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca "
                      "-keyout ca-key.pem -out ca.pem 2>/dev/null"),
            0);
  ASSERT_EQ(Shell(q + "openssl req -newkey rsa:2048 -nodes -subj /CN=engine "
                      "-keyout server-key.pem -out server.csr 2>/dev/null && "
                      "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
                      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem "
                      "-CAcreateserial -days 1 -extfile san.ext -out server-cert.pem 2>/dev/null"),
            0);
  ASSERT_EQ(Shell(q + "openssl req -newkey rsa:2048 -nodes -subj /CN=client "
                      "-keyout key.pem -out client.csr 2>/dev/null && "
                      "printf 'extendedKeyUsage=clientAuth\\n' > client.ext && "
                      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem "
                      "-CAcreateserial -days 1 -extfile client.ext -out cert.pem 2>/dev/null"),
            0);
}

class EngineTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/certs";
    MakeCertificates(dir_);
    if (HasFatalFailure()) return;
    const std::string proxy = std::string(std::getenv("TEST_SRCDIR")) +
                              "/devloop/infra/docker/testdata/tls_engine_proxy.py";
    const std::string command = absl::StrCat("exec '", proxy, "' '", dir_,
                                             "' /var/run/docker.sock & echo $!");
    FILE* p = popen(command.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char line[64] = {};
    ASSERT_NE(fgets(line, sizeof(line), p), nullptr);  // the pid, then the port
    pid_ = std::atoi(line);
    ASSERT_NE(fgets(line, sizeof(line), p), nullptr);
    port_ = std::string(absl::StripAsciiWhitespace(line));
    proxy_out_ = p;
  }
  void TearDown() override {
    if (pid_ > 0) kill(pid_, SIGKILL);
    if (proxy_out_ != nullptr) pclose(proxy_out_);
  }

  EngineApiDockerOptions Options() const {
    EngineApiDockerOptions o;
    o.docker_host = "tcp://127.0.0.1:" + port_;
    o.tls = true;
    o.tls_verify = true;
    o.cert_path = dir_;
    o.call_timeout = absl::Seconds(10);
    return o;
  }

  std::string dir_;
  std::string port_;
  int pid_ = 0;
  FILE* proxy_out_ = nullptr;
};

TEST_F(EngineTlsTest, ReachesTheEngineWithAClientCertificate) {
  absl::StatusOr<std::unique_ptr<EngineApiDocker>> docker = EngineApiDocker::Create(Options());
  ASSERT_TRUE(docker.ok()) << docker.status();
  EXPECT_TRUE((*docker)->Ping().ok()) << (*docker)->Ping();
  // A real call with a body to read: the engine's list of images.
  absl::StatusOr<std::vector<std::string>> images =
      (*docker)->ListImages("dev.devloop.tls-test", "none");
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_TRUE(images->empty());
}

TEST_F(EngineTlsTest, AServerTheCaDidNotSignIsRefused) {
  const std::string other = std::string(std::getenv("TEST_TMPDIR")) + "/other-ca";
  MakeCertificates(other);
  ASSERT_FALSE(HasFatalFailure());
  EngineApiDockerOptions o = Options();
  o.cert_path = other;  // another CA, and a client certificate the server does not know
  absl::StatusOr<std::unique_ptr<EngineApiDocker>> docker = EngineApiDocker::Create(o);
  ASSERT_TRUE(docker.ok()) << docker.status();
  absl::Status ping = (*docker)->Ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_THAT(ping.message(), HasSubstr("TLS handshake"));
  EXPECT_THAT(ping.message(), HasSubstr("certificate verify failed"));
}

TEST_F(EngineTlsTest, WithoutVerifyTheServerIsNotChecked) {
  const std::string other = std::string(std::getenv("TEST_TMPDIR")) + "/client-only";
  ASSERT_EQ(Shell("mkdir -p '" + other + "' && cp '" + dir_ + "/cert.pem' '" + dir_ +
                  "/key.pem' '" + other + "/'"),
            0);
  EngineApiDockerOptions o = Options();
  o.tls_verify = false;  // DOCKER_TLS without DOCKER_TLS_VERIFY: no ca.pem needed
  o.cert_path = other;
  absl::StatusOr<std::unique_ptr<EngineApiDocker>> docker = EngineApiDocker::Create(o);
  ASSERT_TRUE(docker.ok()) << docker.status();
  EXPECT_TRUE((*docker)->Ping().ok()) << (*docker)->Ping();
}

TEST(EngineTlsOptionsTest, MissingCertificatesAreNamed) {
  EngineApiDockerOptions o;
  o.docker_host = "tcp://127.0.0.1:2376";
  o.tls = o.tls_verify = true;
  o.cert_path = "/nonexistent/certs";
  absl::StatusOr<std::unique_ptr<EngineApiDocker>> docker = EngineApiDocker::Create(o);
  EXPECT_EQ(docker.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(docker.status().message(), HasSubstr("/nonexistent/certs/ca.pem"));
  o.docker_host = "unix:///var/run/docker.sock";
  EXPECT_THAT(EngineApiDocker::Create(o).status().message(), HasSubstr("needs a tcp:// host"));
}

TEST(EngineTlsOptionsTest, ReadsTheDockerClisVariables) {
  std::map<std::string, std::string> env = {{"DOCKER_HOST", "tcp://10.0.0.2"},
                                            {"DOCKER_TLS_VERIFY", "1"},
                                            {"DOCKER_CERT_PATH", "/c"}};
  auto get = [&env](const std::string& k) { return env.count(k) ? env[k] : std::string(); };
  EngineApiDockerOptions o = DockerOptionsFrom(get);
  EXPECT_EQ(o.docker_host, "tcp://10.0.0.2");
  EXPECT_TRUE(o.tls);
  EXPECT_TRUE(o.tls_verify);
  EXPECT_EQ(o.cert_path, "/c");
  env = {{"DOCKER_TLS", "1"}};
  o = DockerOptionsFrom(get);
  EXPECT_EQ(o.docker_host, "unix:///var/run/docker.sock");
  EXPECT_TRUE(o.tls);
  EXPECT_FALSE(o.tls_verify);
  env.clear();
  EXPECT_FALSE(DockerOptionsFrom(get).tls);
}

}  // namespace
}  // namespace devloop::docker
