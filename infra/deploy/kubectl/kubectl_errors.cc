#include "infra/deploy/kubectl/kubectl_errors.h"

#include <initializer_list>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "domain/events/status_code.h"
#include "domain/events/status_payload.h"
#include "infra/log/redact.h"

namespace devloop::deploy::kubectl {
namespace {

using domain::StatusCode;

// What kind of failure kubectl's stderr describes.
enum class Failure { kConnection, kContext, kCredentials, kManifest, kOther };

bool ContainsAny(absl::string_view text, std::initializer_list<absl::string_view> needles) {
  for (absl::string_view needle : needles) {
    if (absl::StrContains(text, needle)) return true;
  }
  return false;
}

// The matching is case-sensitive on purpose: a field error in an invalid
// manifest reads "spec: Forbidden: ...", which is not the RBAC "is forbidden".
Failure FailureOf(absl::string_view text) {
  // A dead server first: kubectl wraps it in other errors too ("error
  // validating \"STDIN\": ... failed to download openapi: ... connection refused").
  if (ContainsAny(text, {"The connection to the server", "connection refused",
                         "Unable to connect to the server", "dial tcp", "i/o timeout",
                         "no such host", "TLS handshake timeout", "connection reset by peer",
                         "no route to host", "Client.Timeout exceeded",
                         "context deadline exceeded"})) {
    return Failure::kConnection;
  }
  if (ContainsAny(text,
                  {"context was not found", "no context exists", "cannot locate context"}) ||
      (absl::StrContains(text, "context \"") && absl::StrContains(text, "\" does not exist"))) {
    return Failure::kContext;
  }
  // Before the manifests: a 401 while validating reads "error validating ...:
  // the server has asked for the client to provide credentials".
  if (ContainsAny(text, {"Unauthorized", "You must be logged in", "provide credentials",
                         "(Forbidden)", "is forbidden"})) {
    return Failure::kCredentials;
  }
  if (ContainsAny(text, {"error validating", "is invalid", "error parsing", "no matches for kind",
                         "unknown field", "error converting YAML"})) {
    return Failure::kManifest;
  }
  return Failure::kOther;
}

// A klog line ("E1204 08:38:29.189548   14520 memcache.go:265] ..."): kubectl's
// internal log, repeated for every retry, not its answer.
bool IsKlogLine(absl::string_view line) {
  if (line.size() < 6 || !absl::StrContains(line, "] ")) return false;
  if (line[0] != 'I' && line[0] != 'W' && line[0] != 'E' && line[0] != 'F') return false;
  for (int i = 1; i <= 4; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(line[i]))) return false;
  }
  return line[5] == ' ';
}

// kubectl's own words: the last lines of stderr that are not klog lines (or
// the last klog line when there is nothing else).
std::string KubectlWords(absl::string_view stderr_text) {
  constexpr int kMaxLines = 3;
  std::vector<absl::string_view> lines;
  absl::string_view last_klog;
  for (absl::string_view line : absl::StrSplit(stderr_text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (IsKlogLine(line)) {
      last_klog = line;
      continue;
    }
    lines.push_back(line);
  }
  if (lines.empty() && !last_klog.empty()) lines.push_back(last_klog);
  if (lines.empty()) return "(nothing on stderr)";
  if (lines.size() > kMaxLines) lines.erase(lines.begin(), lines.end() - kMaxLines);
  return absl::StrJoin(lines, " / ");
}

// argv as a shell would take it back (arguments with spaces or quotes quoted).
std::string CommandLine(const std::vector<std::string>& argv) {
  return absl::StrJoin(log::RedactArgv(argv), " ", [](std::string* out, const std::string& arg) {
    if (!arg.empty() && arg.find_first_of(" \t\"'$\\") == std::string::npos) {
      absl::StrAppend(out, arg);
      return;
    }
    std::string quoted = "'";
    for (char c : arg) {
      if (c == '\'') {
        quoted += "'\\''";
      } else {
        quoted += c;
      }
    }
    absl::StrAppend(out, quoted, "'");
  });
}

std::string Suggestion(Failure failure, absl::string_view text) {
  switch (failure) {
    case Failure::kConnection:
      if (absl::StrContains(text, "localhost:8080")) {
        // kubectl's fallback when no kubeconfig names a cluster.
        return "kubectl found no cluster in its configuration and tried localhost:8080: set "
               "KUBECONFIG or pass --kube-context";
      }
      return "check that the cluster is running and reachable (`kubectl cluster-info`) and that "
             "--kube-context / KUBECONFIG select it";
    case Failure::kContext:
      return "list the contexts with `kubectl config get-contexts` and pass one with "
             "--kube-context";
    case Failure::kCredentials:
      return "the cluster refused these credentials: log in again or refresh them, and check "
             "what they may do with `kubectl auth can-i`";
    case Failure::kManifest:
      return "fix the manifest kubectl names above and save it to deploy again";
    case Failure::kOther:
      return "run the command above yourself to see the whole answer";
  }
  return "";
}

StatusCode CodeOf(Failure failure, Phase phase) {
  const bool status_check = phase == Phase::kStatusCheck;
  switch (failure) {
    case Failure::kConnection:
      return status_check ? StatusCode::kStatusCheckKubectlConnectionErr
                          : StatusCode::kDeployClusterConnectionErr;
    case Failure::kCredentials:
      return status_check ? StatusCode::kStatusCheckKubectlClientFetchErr
                          : StatusCode::kDeployKubectlUserErr;
    case Failure::kContext:
    case Failure::kManifest:
      return StatusCode::kDeployKubectlUserErr;
    case Failure::kOther:
      switch (phase) {
        case Phase::kDeploy:
          return StatusCode::kDeployKubectlUserErr;
        case Phase::kStatusCheck:
          return StatusCode::kStatusCheckKubectlClientFetchErr;
        case Phase::kCleanup:
          return StatusCode::kDeployCleanupErr;
      }
  }
  return StatusCode::kDeployKubectlUserErr;
}

absl::StatusCode CanonicalCodeOf(Failure failure) {
  switch (failure) {
    case Failure::kConnection:
      return absl::StatusCode::kUnavailable;
    case Failure::kCredentials:
      return absl::StatusCode::kPermissionDenied;
    case Failure::kContext:
    case Failure::kManifest:
      return absl::StatusCode::kInvalidArgument;
    case Failure::kOther:
      return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kInternal;
}

}  // namespace

absl::Status KubectlError(Phase phase, absl::string_view what,
                          const std::vector<std::string>& argv, int exit_code,
                          absl::string_view stderr_text) {
  const Failure failure = FailureOf(stderr_text);
  std::string message =
      absl::StrCat(what, " failed: `", CommandLine(argv), "` exited with code ", exit_code, ": ",
                   KubectlWords(stderr_text), "; ", Suggestion(failure, stderr_text));
  return domain::WithStatusCode(absl::Status(CanonicalCodeOf(failure), message),
                                CodeOf(failure, phase));
}

absl::Status KubectlMissing(const std::string& binary, const absl::Status& start) {
  const std::string what_to_do =
      start.code() == absl::StatusCode::kPermissionDenied
          ? "make it executable, or install kubectl (https://kubernetes.io/docs/tasks/tools/)"
          : "install kubectl (https://kubernetes.io/docs/tasks/tools/) or put it on PATH";
  return domain::WithStatusCode(
      absl::FailedPreconditionError(absl::StrCat("cannot run kubectl \"", binary,
                                                 "\": ", start.message(), "; ", what_to_do)),
      StatusCode::kDeployKubectlVersionErr);
}

}  // namespace devloop::deploy::kubectl
