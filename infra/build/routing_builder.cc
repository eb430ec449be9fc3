#include "infra/build/routing_builder.h"

#include <set>

namespace devloop::build {

Builder* RoutingBuilder::For(const std::string& image) const {
  auto it = routes_.find(image);
  return it != routes_.end() ? it->second : fallback_;
}

absl::StatusOr<std::string> RoutingBuilder::Build(const BuildRequest& request) {
  return For(request.image)->Build(request);
}

void RoutingBuilder::Cancel(const std::string& image) { For(image)->Cancel(image); }

absl::Status RoutingBuilder::Cleanup() {
  std::set<Builder*> builders = {fallback_};
  for (const auto& [image, builder] : routes_) builders.insert(builder);
  absl::Status result;
  for (Builder* b : builders) result.Update(b->Cleanup());
  return result;
}

}  // namespace devloop::build
