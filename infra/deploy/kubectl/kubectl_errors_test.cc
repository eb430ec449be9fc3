#include "infra/deploy/kubectl/kubectl_errors.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "domain/events/status_code.h"
#include "domain/events/status_payload.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::deploy::kubectl {
namespace {

using domain::StatusCode;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kApply = {"kubectl", "--context", "kind-dev", "apply", "-f", "-"};

// What kubectl v1.32 printed (captured against an unreachable server, an empty
// kubeconfig and a stub API server) or, where noted, what a real cluster
// answers through it.
constexpr char kRefused[] =
    "E1204 08:38:29.189548   14520 memcache.go:265] \"Unhandled Error\" err=\"couldn't get "
    "current server API group list: Get \\\"https://127.0.0.1:6443/api?timeout=32s\\\": dial tcp "
    "127.0.0.1:6443: connect: connection refused\"\n"
    "E1204 08:38:29.191516   14520 memcache.go:265] \"Unhandled Error\" err=\"couldn't get "
    "current server API group list: Get \\\"https://127.0.0.1:6443/api?timeout=32s\\\": dial tcp "
    "127.0.0.1:6443: connect: connection refused\"\n"
    "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or "
    "port?\n";
constexpr char kUnableToConnect[] =
    "Unable to connect to the server: dial tcp 127.0.0.1:1: connect: connection refused\n";
constexpr char kNoSuchHost[] =
    "Unable to connect to the server: dial tcp: lookup no-such-host.invalid on 10.255.255.53:53: "
    "no such host\n";
constexpr char kValidateWhileDown[] =
    "error: error validating \"STDIN\": error validating data: failed to download openapi: Get "
    "\"https://127.0.0.1:1/openapi/v2?timeout=32s\": dial tcp 127.0.0.1:1: connect: connection "
    "refused; if you choose to ignore these errors, turn validation off with --validate=false\n";
// Seen on the test cluster with its API server paused (SIGSTOP) and
// --request-timeout=3s.
constexpr char kValidateWhilePaused[] =
    "error: error validating \"STDIN\": error validating data: failed to download openapi: Get "
    "\"https://127.0.0.1:28298/openapi/v2?timeout=3s\": net/http: request canceled while waiting "
    "for connection (Client.Timeout exceeded while awaiting headers); if you choose to ignore "
    "these errors, turn validation off with --validate=false\n";
constexpr char kNoKubeconfig[] =
    "The connection to the server localhost:8080 was refused - did you specify the right host or "
    "port?\n";
constexpr char kContextDoesNotExist[] = "error: context \"nope\" does not exist\n";
constexpr char kNoContextExists[] = "error: no context exists with the name: \"nope\"\n";
constexpr char kContextNotFound[] =
    "Error in configuration: context was not found for specified context: nope\n";
constexpr char kUnauthorized[] = "error: You must be logged in to the server (Unauthorized)\n";
constexpr char kValidateUnauthorized[] =
    "error: error validating \"STDIN\": error validating data: failed to download openapi: the "
    "server has asked for the client to provide credentials; if you choose to ignore these "
    "errors, turn validation off with --validate=false\n";
constexpr char kForbidden[] =
    "Error from server (Forbidden): deployments.apps is forbidden: User \"dev\" cannot list "
    "resource \"deployments\" in API group \"apps\" in the namespace \"default\"\n";
constexpr char kValidationError[] =
    "error: error validating \"STDIN\": error validating data: ValidationError(Deployment.spec): "
    "missing required field \"selector\" in io.k8s.api.apps.v1.DeploymentSpec; if you choose to "
    "ignore these errors, turn validation off with --validate=false\n";
// Server-side field validation (kubectl's default --validate=strict).
constexpr char kStrictDecoding[] =
    "Error from server (BadRequest): error when creating \"STDIN\": Deployment in version "
    "\"v1\" cannot be handled as a Deployment: strict decoding error: unknown field "
    "\"spec.template.spec.containers[0].bogus\"\n";
constexpr char kInvalid[] =
    "The Deployment \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
    "map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`\n";
// A field error says "Forbidden:" too; it is the manifest, not the credentials.
constexpr char kInvalidForbiddenField[] =
    "The Pod \"web\" is invalid: spec: Forbidden: pod updates may not change fields other than "
    "`spec.containers[*].image`\n";
constexpr char kParse[] =
    "error: error parsing STDIN: error converting YAML to JSON: yaml: line 7: mapping values are "
    "not allowed in this context\n";
constexpr char kNoMatches[] =
    "error: resource mapping not found for name: \"web\" namespace: \"\" from \"STDIN\": no "
    "matches for kind \"Deploymnet\" in version \"apps/v1\"\n"
    "ensure CRDs are installed first\n";
constexpr char kOther[] = "error: timed out waiting for the condition on deployments/web\n";

constexpr char kConnectionHint[] =
    "; check that the cluster is running and reachable (`kubectl cluster-info`) and that "
    "--kube-context / KUBECONFIG select it";
constexpr char kContextHint[] =
    "; list the contexts with `kubectl config get-contexts` and pass one with --kube-context";
constexpr char kCredentialsHint[] =
    "; the cluster refused these credentials: log in again or refresh them, and check what they "
    "may do with `kubectl auth can-i`";
constexpr char kManifestHint[] =
    "; fix the manifest kubectl names above and save it to deploy again";
constexpr char kOtherHint[] = "; run the command above yourself to see the whole answer";

TEST(KubectlErrorTest, Table) {
  struct Case {
    const char* stderr_text;
    Phase phase;
    absl::StatusCode code;
    StatusCode status_code;
    const char* hint;
  };
  const std::vector<Case> cases = {
      {kRefused, Phase::kDeploy, absl::StatusCode::kUnavailable,
       StatusCode::kDeployClusterConnectionErr, kConnectionHint},
      {kRefused, Phase::kStatusCheck, absl::StatusCode::kUnavailable,
       StatusCode::kStatusCheckKubectlConnectionErr, kConnectionHint},
      {kRefused, Phase::kCleanup, absl::StatusCode::kUnavailable,
       StatusCode::kDeployClusterConnectionErr, kConnectionHint},
      {kUnableToConnect, Phase::kDeploy, absl::StatusCode::kUnavailable,
       StatusCode::kDeployClusterConnectionErr, kConnectionHint},
      {kNoSuchHost, Phase::kStatusCheck, absl::StatusCode::kUnavailable,
       StatusCode::kStatusCheckKubectlConnectionErr, kConnectionHint},
      {kValidateWhileDown, Phase::kDeploy, absl::StatusCode::kUnavailable,
       StatusCode::kDeployClusterConnectionErr, kConnectionHint},
      {kValidateWhilePaused, Phase::kDeploy, absl::StatusCode::kUnavailable,
       StatusCode::kDeployClusterConnectionErr, kConnectionHint},
      {kContextDoesNotExist, Phase::kDeploy, absl::StatusCode::kInvalidArgument,
       StatusCode::kDeployKubectlUserErr, kContextHint},
      {kNoContextExists, Phase::kStatusCheck, absl::StatusCode::kInvalidArgument,
       StatusCode::kDeployKubectlUserErr, kContextHint},
      {kContextNotFound, Phase::kCleanup, absl::StatusCode::kInvalidArgument,
       StatusCode::kDeployKubectlUserErr, kContextHint},
      {kUnauthorized, Phase::kDeploy, absl::StatusCode::kPermissionDenied,
       StatusCode::kDeployKubectlUserErr, kCredentialsHint},
      {kUnauthorized, Phase::kStatusCheck, absl::StatusCode::kPermissionDenied,
       StatusCode::kStatusCheckKubectlClientFetchErr, kCredentialsHint},
      {kValidateUnauthorized, Phase::kDeploy, absl::StatusCode::kPermissionDenied,
       StatusCode::kDeployKubectlUserErr, kCredentialsHint},
      {kForbidden, Phase::kStatusCheck, absl::StatusCode::kPermissionDenied,
       StatusCode::kStatusCheckKubectlClientFetchErr, kCredentialsHint},
      {kForbidden, Phase::kCleanup, absl::StatusCode::kPermissionDenied,
       StatusCode::kDeployKubectlUserErr, kCredentialsHint},
      {kValidationError, Phase::kDeploy, absl::StatusCode::kInvalidArgument,
       StatusCode::kDeployKubectlUserErr, kManifestHint},
      {kStrictDecoding, Phase::kDeploy, absl::StatusCode::kInvalidArgument,
       StatusCode::kDeployKubectlUserErr, kManifestHint},
      {kInvalid, Phase::kDeploy, absl::StatusCode::kInvalidArgument,
       StatusCode::kDeployKubectlUserErr, kManifestHint},
      {kInvalidForbiddenField, Phase::kDeploy, absl::StatusCode::kInvalidArgument,
       StatusCode::kDeployKubectlUserErr, kManifestHint},
      {kParse, Phase::kDeploy, absl::StatusCode::kInvalidArgument,
       StatusCode::kDeployKubectlUserErr, kManifestHint},
      {kNoMatches, Phase::kDeploy, absl::StatusCode::kInvalidArgument,
       StatusCode::kDeployKubectlUserErr, kManifestHint},
      {kOther, Phase::kDeploy, absl::StatusCode::kInternal, StatusCode::kDeployKubectlUserErr,
       kOtherHint},
      {kOther, Phase::kStatusCheck, absl::StatusCode::kInternal,
       StatusCode::kStatusCheckKubectlClientFetchErr, kOtherHint},
      {kOther, Phase::kCleanup, absl::StatusCode::kInternal, StatusCode::kDeployCleanupErr,
       kOtherHint},
      {"", Phase::kDeploy, absl::StatusCode::kInternal, StatusCode::kDeployKubectlUserErr,
       kOtherHint},
  };
  for (const Case& c : cases) {
    absl::Status s = KubectlError(c.phase, "applying manifests", kApply, 1, c.stderr_text);
    EXPECT_EQ(s.code(), c.code) << c.stderr_text;
    EXPECT_EQ(domain::AttachedStatusCode(s), c.status_code) << c.stderr_text;
    EXPECT_THAT(std::string(s.message()), EndsWith(c.hint)) << c.stderr_text;
  }
}

TEST(KubectlErrorTest, MessageSaysWhatFailedKubectlsLastWordsAndWhatToDo) {
  absl::Status s = KubectlError(Phase::kDeploy, "applying manifests", kApply, 1, kInvalid);
  EXPECT_EQ(s.message(),
            "applying manifests failed: `kubectl --context kind-dev apply -f -` exited with code "
            "1: The Deployment \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
            "map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`; "
            "fix the manifest kubectl names above and save it to deploy again");
}

TEST(KubectlErrorTest, KlogRetryLinesAreLeftOutWhenKubectlSaysMore) {
  absl::Status s =
      KubectlError(Phase::kStatusCheck, "reading the cluster",
                   {"kubectl", "get", "deployments,pods", "-o", "json"}, 1, kRefused);
  EXPECT_EQ(s.message(),
            "reading the cluster failed: `kubectl get deployments,pods -o json` exited with code "
            "1: The connection to the server 127.0.0.1:6443 was refused - did you specify the "
            "right host or port?" +
                std::string(kConnectionHint));
}

TEST(KubectlErrorTest, OnlyKlogLinesKeepTheLastOne) {
  absl::Status s = KubectlError(
      Phase::kDeploy, "applying manifests", kApply, 1,
      "E1204 08:38:29.189548   14520 memcache.go:265] first\n"
      "W1204 08:38:29.191516   14520 loader.go:222] last one\n");
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("exited with code 1: W1204 08:38:29.191516   14520 "
                        "loader.go:222] last one; run the command"));
}

TEST(KubectlErrorTest, KeepsTheLastThreeLinesJoined) {
  absl::Status s = KubectlError(Phase::kDeploy, "applying manifests", kApply, 1,
                                "one\ntwo\n\nthree\nfour\n");
  EXPECT_THAT(std::string(s.message()), HasSubstr("exited with code 1: two / three / four; "));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("one")));
  absl::Status no_matches =
      KubectlError(Phase::kDeploy, "applying manifests", kApply, 1, kNoMatches);
  EXPECT_THAT(std::string(no_matches.message()),
              HasSubstr("in version \"apps/v1\" / ensure CRDs are installed first; "));
}

TEST(KubectlErrorTest, NoKubeconfigSaysKubectlFellBackToLocalhost) {
  absl::Status s = KubectlError(Phase::kDeploy, "applying manifests", kApply, 1, kNoKubeconfig);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              EndsWith("; kubectl found no cluster in its configuration and tried "
                       "localhost:8080: set KUBECONFIG or pass --kube-context"));
}

TEST(KubectlErrorTest, CommandLineQuotesArgumentsAShellWouldSplit) {
  absl::Status s = KubectlError(Phase::kCleanup, "deleting",
                                {"/opt/k 8s/kubectl", "delete", "-l", "run=it's", ""}, 137, "");
  EXPECT_EQ(s.message(),
            "deleting failed: `'/opt/k 8s/kubectl' delete -l 'run=it'\\''s' ''` exited with code "
            "137: (nothing on stderr); run the command above yourself to see the whole answer");
  EXPECT_EQ(domain::AttachedStatusCode(s), StatusCode::kDeployCleanupErr);
}

TEST(KubectlMissingTest, NotFoundSuggestsInstalling) {
  absl::Status s = KubectlMissing("kubectl", absl::NotFoundError("no such file or directory"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(domain::AttachedStatusCode(s), StatusCode::kDeployKubectlVersionErr);
  EXPECT_EQ(s.message(),
            "cannot run kubectl \"kubectl\": no such file or directory; install kubectl "
            "(https://kubernetes.io/docs/tasks/tools/) or put it on PATH");
}

TEST(KubectlMissingTest, PermissionDeniedSuggestsMakingItExecutable) {
  absl::Status s =
      KubectlMissing("/usr/local/bin/kubectl", absl::PermissionDeniedError("permission denied"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(domain::AttachedStatusCode(s), StatusCode::kDeployKubectlVersionErr);
  EXPECT_EQ(s.message(),
            "cannot run kubectl \"/usr/local/bin/kubectl\": permission denied; make it "
            "executable, or install kubectl (https://kubernetes.io/docs/tasks/tools/)");
}

}  // namespace
}  // namespace devloop::deploy::kubectl
