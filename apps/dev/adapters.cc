#include "apps/dev/adapters.h"

#include <utility>
#include <vector>

#include "infra/build/docker/docker_builder.h"
#include "infra/deploy/docker/docker_deployer.h"
#include "infra/deploy/labels.h"

namespace devloop::apps {

absl::StatusOr<LoopAdapters> MakeLoopAdapters(docker::Docker* docker, const Pipeline& pipeline,
                                              const AdapterOptions& options) {
  LoopAdapters adapters;
  std::map<std::string, std::string> labels = options.labels;
  labels[deploy::kRunIdLabel] = options.run_id;

  build::DockerBuilder::Options b;
  b.artifacts = pipeline.loop.artifacts;
  b.tagger = options.tagger;
  b.cache_artifacts = options.cache_artifacts;
  b.labels = labels;
  b.owner_label = {deploy::kRunIdLabel, options.run_id};
  b.prebuilt = options.prebuilt;
  adapters.builder = std::make_unique<build::DockerBuilder>(docker, std::move(b));

  switch (pipeline.deployer) {
    case DeployerKind::kDocker: {
      std::vector<std::string> images;
      for (const build::ArtifactBuildSpec& a : pipeline.loop.artifacts) {
        images.push_back(a.spec.image);
      }
      absl::StatusOr<std::unique_ptr<deploy::DockerDeployer>> deployer =
          deploy::DockerDeployer::Make(docker,
                                       {.run_id = options.run_id,
                                        .labels = options.labels,
                                        .port_forwards = pipeline.port_forwards,
                                        .on_log = options.on_log},
                                       images);
      if (!deployer.ok()) return deployer.status();
      adapters.syncer = deployer->get();
      adapters.deployer = *std::move(deployer);
      break;
    }
  }
  return adapters;
}

}  // namespace devloop::apps
