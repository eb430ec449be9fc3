// Target platforms of a build ("os/arch[/variant]"), and which ones each
// artifact is built for, as Skaffold decides it:
//
//  - the targets are --platform's when given, else the pipeline's
//    build.platforms (each config of a multi-config project has its own);
//  - an artifact's own build.artifacts[].platforms constrain them: it is built
//    for the targets it also lists, in the targets' order, and it is an error
//    when it lists none of them; without targets, for its own list;
//  - without either, the list is empty: the builder's default (the engine's
//    own platform).
//
//   absl::StatusOr<std::string> p = ParsePlatform("Linux/aarch64");  // "linux/arm64"
//   ArtifactPlatforms({.pipeline = {"linux/amd64", "linux/arm64"}, .artifact = {"linux/arm64"}});
//   // {"linux/arm64"}
//
// Platforms are compared after ParsePlatform's normalization, so that
// "linux/x86_64" and "linux/amd64" are one platform.
//
// Pure functions; thread-safe.
#ifndef DEVLOOP_DOMAIN_CONFIG_PLATFORMS_H_
#define DEVLOOP_DOMAIN_CONFIG_PLATFORMS_H_

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
};

// Returns the platforms one artifact is built for (see the file comment).
// REQUIRES: every entry is in ParsePlatform's normal form.
// FailedPrecondition when the artifact's platforms share none with the
// targets; the message names both lists and where the targets came from.
absl::StatusOr<std::vector<std::string>> ArtifactPlatforms(const PlatformSources& sources);

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_PLATFORMS_H_
