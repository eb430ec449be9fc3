// RoutingBuilder: one builder port over several builders, each owning some
// images -- the composition root's way of building docker artifacts with
// DockerBuilder and custom ones with CustomBuilder in one dev loop.
//
//   RoutingBuilder builder({{"web", &custom}}, /*fallback=*/&docker);
//   builder.Build({.image = "web"});   // runs on `custom`
//   builder.Build({.image = "api"});   // runs on `docker`
//   builder.Cleanup();                 // cleans up both, each once
//
// Thread-safe when the builders it routes to are.
#ifndef DEVLOOP_INFRA_BUILD_ROUTING_BUILDER_H_
#define DEVLOOP_INFRA_BUILD_ROUTING_BUILDER_H_

#include <map>
#include <string>

#include "infra/build/builder.h"

namespace devloop::build {

class RoutingBuilder final : public Builder {
 public:
  // `routes`: image -> the builder that builds it; every other image goes to
  // `fallback`. None is owned; all must outlive this builder.
  RoutingBuilder(std::map<std::string, Builder*> routes, Builder* fallback)
      : routes_(std::move(routes)), fallback_(fallback) {}

  absl::StatusOr<std::string> Build(const BuildRequest& request) override;
  void Cancel(const std::string& image) override;
  // Cleans up every builder, even after one failed; returns the first error.
  absl::Status Cleanup() override;

 private:
  Builder* For(const std::string& image) const;

  const std::map<std::string, Builder*> routes_;
  Builder* const fallback_;
};

}  // namespace devloop::build

#endif  // DEVLOOP_INFRA_BUILD_ROUTING_BUILDER_H_
