// Target platforms of a build ("os/arch[/variant]"), and which ones each
// artifact is built for, as Skaffold decides it:
//
//  - the targets are --platform's when given, else the pipeline's
//    build.platforms (each config of a multi-config project has its own);
//  - when the command deploys what it builds to a Kubernetes cluster (dev,
//    debug and run; AsksClusterPlatforms), the platforms of the cluster's
//    nodes narrow them: without targets they are the targets; with targets,
//    the targets the nodes also run, and when the nodes run none of them the
//    targets stay, with a warning;
//  - an artifact's own build.artifacts[].platforms constrain them: it is built
//    for the targets it also lists, in the targets' order, and it is an error
//    when it lists none of them; without targets, for its own list;
//  - of several, dev and debug build one (--disable-multi-platform-build, on
//    by default there): this machine's platform when it is one of them, else
//    the first; and so does a builder that makes one platform at a time (the
//    Docker builder) when the several came from a mixed cluster rather than
//    from the user;
//  - without any, the list is empty: the builder's default (the engine's
//    own platform).
//
//   absl::StatusOr<std::string> p = ParsePlatform("Linux/aarch64");  // "linux/arm64"
//   ArtifactPlatforms({.pipeline = {"linux/amd64", "linux/arm64"}, .artifact = {"linux/arm64"}});
//   // {.platforms = {"linux/arm64"}}
//   ArtifactPlatforms({.cluster = {"linux/amd64", "linux/arm64"}, .single = true,
//                      .host = "linux/arm64"});
//   // {.platforms = {"linux/arm64"}, .note = "... builds one platform ..."}
//
// Platforms are compared after ParsePlatform's normalization, so that
// "linux/x86_64" and "linux/amd64" are one platform.
//
// Pure functions; thread-safe.
#ifndef DEVLOOP_DOMAIN_CONFIG_PLATFORMS_H_
#define DEVLOOP_DOMAIN_CONFIG_PLATFORMS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::config {

// Returns `text` ("linux/amd64", "linux/arm/v7") in its normal form: lower
// case, the architecture's usual aliases written as the OCI image spec names
// them (x86_64 -> amd64, aarch64 -> arm64, armhf -> arm/v7, i386 -> 386), a
// variant that only restates the default dropped (arm64/v8, amd64/v1) and 32-bit
// arm without a variant given v7. InvalidArgument, saying the expected form,
// for anything that is not two or three non-empty parts of letters, digits,
// '.', '_' and '-' separated by '/'.
absl::StatusOr<std::string> ParsePlatform(absl::string_view text);

// Returns the normal forms of the comma-separated platforms of `text`
// (--platform's value), in order, each once. InvalidArgument naming the
// first bad one; an empty list is not an error.
absl::StatusOr<std::vector<std::string>> ParsePlatformList(absl::string_view text);

struct PlatformSources {
  // --platform (every occurrence, in order); empty: not given.
  std::vector<std::string> cli;
  // The artifact's config's build.platforms.
  std::vector<std::string> pipeline;
  // build.artifacts[].platforms.
  std::vector<std::string> artifact;
  // The platforms of the cluster's nodes, sorted; empty when the cluster was
  // not asked (AsksClusterPlatforms) or did not say.
  std::vector<std::string> cluster;
  // Build one platform of several (dev and debug: --disable-multi-platform-build).
  bool single = false;
  // The artifact's builder makes one platform per build (the Docker builder).
  bool builder_takes_one = false;
  // This machine's platform, chosen first when one is picked of several.
  std::string host;
};

struct PlatformChoice {
  std::vector<std::string> platforms;
  // What the user should hear once, or empty: the targets match none of the
  // cluster's nodes, or one platform was picked of several.
  std::string note;
  bool operator==(const PlatformChoice&) const = default;
};
std::ostream& operator<<(std::ostream& os, const PlatformChoice& choice);

// Returns the platforms one artifact is built for (see the file comment).
// REQUIRES: every entry is in ParsePlatform's normal form.
// FailedPrecondition when the artifact's platforms share none with the
// targets; the message names both lists and where the targets came from.
absl::StatusOr<PlatformChoice> ArtifactPlatforms(const PlatformSources& sources);

// Returns whether the cluster's nodes are asked for their platforms:
// --check-cluster-node-platforms (on by default for dev, debug and run, the
// commands that deploy what they build) with a Kubernetes deployer. Not for
// the Docker deployer, whose containers run on the local engine whatever the
// cluster (Skaffold asks the current kube-context there too, to no use).
bool AsksClusterPlatforms(bool check_cluster_node_platforms, bool kubernetes_deployer);

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_PLATFORMS_H_
