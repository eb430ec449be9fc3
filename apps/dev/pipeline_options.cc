#include "apps/dev/pipeline_options.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace devloop::apps {
namespace {

std::string Where(const config::SourcePos& pos) {
  if (pos.file.empty()) return "";
  return absl::StrCat(pos.file, ":", pos.line, ":", pos.column, ": ");
}

}  // namespace

absl::StatusOr<Pipeline> MakePipeline(const std::vector<config::Config>& configs,
                                      const cli::CliOptions& cli) {
  Pipeline p;
  std::vector<std::string> errors;
  dev::DevLoopOptions& o = p.loop;
  o.auto_build = cli.auto_build;
  o.auto_sync = cli.auto_sync;
  o.auto_deploy = cli.auto_deploy;
  o.status_check = cli.status_check;
  o.status_check_deadline = cli.status_check_deadline;
  o.port_forward = !cli.port_forward.empty();
  o.cleanup = cli.cleanup;
  std::set<std::string> deployed;
  bool any_docker_deploy = false;
  for (const config::Config& c : configs) {
    p.config_files.push_back(c.source_file);
    if (c.status_check.has_value() && !*c.status_check) o.status_check = false;
    if (c.deploy.status_check_deadline_seconds.has_value() &&
        cli.status_check_deadline == absl::Minutes(10)) {
      o.status_check_deadline = absl::Seconds(*c.deploy.status_check_deadline_seconds);
    }
    if (c.deploy.kubectl.has_value()) {
      errors.push_back(absl::StrCat(
          c.source_file, ": deploy.kubectl is not supported yet: devloop deploys with the Docker "
                         "deployer (deploy.docker) for now"));
    }
    if (c.deploy.docker.has_value()) {
      any_docker_deploy = true;
      for (const std::string& image : c.deploy.docker->images) deployed.insert(image);
    }
    for (const config::Artifact& a : c.build.artifacts) {
      if (a.custom.has_value()) {
        errors.push_back(absl::StrCat(Where(a.pos), "build.artifacts[", a.image,
                                      "].custom: custom builders are not supported by devloop dev "
                                      "yet; use the docker builder"));
        continue;
      }
      build::ArtifactBuildSpec spec;
      spec.spec.image = a.image;
      spec.context_dir = a.absolute_context;
      if (a.docker.has_value()) {
        spec.dockerfile = a.docker->dockerfile;
        spec.build_args = a.docker->build_args;
        spec.target = a.docker->target;
        spec.no_cache = a.docker->no_cache;
      }
      for (const config::ArtifactDependency& d : a.required_artifacts) {
        spec.spec.required.push_back(d.image);
        spec.require_aliases[d.image] = d.alias.empty() ? d.image : d.alias;
      }
      if (a.sync.has_value()) {
        for (const config::SyncRule& r : a.sync->manual) {
          spec.spec.sync.push_back({r.src, r.dest, r.strip});
        }
      }
      p.watched.push_back({a.image, a.absolute_context, spec.dockerfile});
      o.artifacts.push_back(std::move(spec));
    }
    for (const config::PortForward& f : c.port_forward) {
      if (f.resource_type != "container") {
        errors.push_back(absl::StrCat(
            Where(f.pos), "portForward resourceType \"", f.resource_type,
            "\" needs the kubectl deployer, which is not supported yet; the Docker deployer "
            "forwards resourceType \"container\""));
        continue;
      }
      p.port_forwards.push_back({.resource_type = f.resource_type,
                                 .resource_name = f.resource_name,
                                 .port = f.port,
                                 .local_port = f.local_port.value_or(f.port),
                                 .address = f.address});
    }
  }
  // With no deploy section, every artifact runs (the Docker deployer is the
  // default); with deploy.docker.images, only those.
  if (any_docker_deploy) {
    std::vector<build::ArtifactBuildSpec> kept;
    for (build::ArtifactBuildSpec& a : o.artifacts) {
      bool is_required = false;
      for (const build::ArtifactBuildSpec& other : o.artifacts) {
        for (const std::string& r : other.spec.required) is_required |= r == a.spec.image;
      }
      if (!deployed.count(a.spec.image) && !is_required) continue;
      kept.push_back(std::move(a));
    }
    o.artifacts = std::move(kept);
  }
  p.deployer = DeployerKind::kDocker;
  p.deployer_reason = any_docker_deploy
                          ? "the config says deploy.docker"
                          : "the config has no deploy section (devloop's default for now)";
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return p;
}

}  // namespace devloop::apps
