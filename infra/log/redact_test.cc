#include "infra/log/redact.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::log {
namespace {

using ::testing::ElementsAre;

TEST(LooksSecret, NamesThatHoldSecrets) {
  for (const char* name : {"TOKEN", "GITHUB_TOKEN", "db.password", "DB_PASSWD", "client-secret",
                           "API_KEY", "apikey", "aws_secret_access_key", "credentials",
                           "registryCredential", "SSH_PRIVATE_KEY"}) {
    EXPECT_TRUE(LooksSecret(name)) << name;
  }
}

TEST(LooksSecret, OrdinaryNames) {
  for (const char* name : {"PATH", "HOME", "image.tag", "replicaCount", "KEYBOARD_LAYOUT",
                           "namespace", "SKAFFOLD_RUN_ID", "monkeys", ""}) {
    EXPECT_FALSE(LooksSecret(name)) << name;
  }
}

TEST(RedactArgv, HidesSecretValuesInEveryForm) {
  EXPECT_THAT(RedactArgv({"helm", "template", "--set", "db.password=hunter2,user=me"}),
              ElementsAre("helm", "template", "--set", "db.password=<redacted>"));
  EXPECT_THAT(RedactArgv({"helm", "--set=auth.token=abc"}),
              ElementsAre("helm", "--set=auth.token=<redacted>"));
  EXPECT_THAT(RedactArgv({"kubectl", "--token=abc", "get", "pods"}),
              ElementsAre("kubectl", "--token=<redacted>", "get", "pods"));
  EXPECT_THAT(RedactArgv({"kubectl", "--token", "abc", "get", "pods"}),
              ElementsAre("kubectl", "--token", "<redacted>", "get", "pods"));
  EXPECT_THAT(RedactArgv({"env", "NPM_TOKEN=abc", "HOME=/root", "make"}),
              ElementsAre("env", "NPM_TOKEN=<redacted>", "HOME=/root", "make"));
}

TEST(RedactArgv, LeavesTheRestAlone) {
  const std::vector<std::string> argv = {"kubectl", "--kubeconfig=/tmp/k", "apply", "-f", "-",
                                         "--set", "image.tag=v1", "a=b=c"};
  EXPECT_EQ(RedactArgv(argv), argv);
  EXPECT_EQ(DescribeCommand({"helm", "--set", "x.apiKey=1"}), "helm --set x.apiKey=<redacted>");
}

}  // namespace
}  // namespace devloop::log
