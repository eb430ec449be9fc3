#include "apps/dev/command_support.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "apps/dev/adapters.h"
#include "infra/json/json.h"
#include "infra/config/config_files.h"
#include "infra/config/loader.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/deploy/kubectl/node_platforms.h"
#include "infra/process/posix_process_runner.h"
#include "domain/config/platforms.h"

namespace devloop::apps {

std::string ProjectId(const std::string& config_path) {
  std::string path = config_path;
  if (char* real = ::realpath(config_path.c_str(), nullptr); real != nullptr) {
    path = real;
    ::free(real);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(path.data(), path.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < 8 && i < size; ++i) absl::StrAppendFormat(&hex, "%02x", digest[i]);
  return hex;
}

absl::StatusOr<std::vector<const build::ArtifactBuildSpec*>> BuildOrder(
    const std::vector<build::ArtifactBuildSpec>& artifacts) {
  std::map<std::string, const build::ArtifactBuildSpec*> by_image;
  for (const build::ArtifactBuildSpec& a : artifacts) by_image[a.spec.image] = &a;
  for (const build::ArtifactBuildSpec& a : artifacts) {
    for (const std::string& r : a.spec.required) {
      if (by_image.count(r) == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "artifact ", a.spec.image, " requires ", r, ", which is not an artifact of the build"));
      }
    }
  }
  std::vector<const build::ArtifactBuildSpec*> order;
  std::set<std::string> done;
  // Repeatedly take, in config order, every artifact whose requirements are
  // done: stable, and a pass that takes nothing means a cycle.
  while (order.size() < artifacts.size()) {
    bool progressed = false;
    for (const build::ArtifactBuildSpec& a : artifacts) {
      if (done.count(a.spec.image)) continue;
      bool ready = true;
      for (const std::string& r : a.spec.required) ready &= done.count(r) > 0;
      if (!ready) continue;
      order.push_back(&a);
      done.insert(a.spec.image);
      progressed = true;
    }
    if (!progressed) {
      std::vector<std::string> stuck;
      for (const build::ArtifactBuildSpec& a : artifacts) {
        if (!done.count(a.spec.image)) stuck.push_back(a.spec.image);
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "the artifacts ", absl::StrJoin(stuck, ", "), " require each other in a cycle"));
    }
  }
  return order;
}


std::string BuildOutputJson(const std::vector<BuildOutput>& builds) {
  // Written by hand: field order is part of the format people diff and grep
  // (protobuf's Struct would order a map's keys as it likes).
  std::vector<std::string> entries;
  for (const BuildOutput& b : builds) {
    entries.push_back(absl::StrCat("{\"imageName\":", json::JsonQuote(b.image_name),
                                   ",\"tag\":", json::JsonQuote(b.tag), "}"));
  }
  return absl::StrCat("{\"builds\":[", absl::StrJoin(entries, ","), "]}");
}

absl::StatusOr<std::vector<BuildOutput>> ParseBuildOutput(absl::string_view json,
                                                          absl::string_view source) {
  google::protobuf::Struct root;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &root);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": not valid JSON (", status.message().as_string(),
        "); expected {\"builds\":[{\"imageName\":\"web\",\"tag\":\"web:v1\"}]}"));
  }
  auto builds = root.fields().find("builds");
  if (builds == root.fields().end() || !builds->second.has_list_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": expected a \"builds\" list, as `devloop build --file-output` "
                             "writes it"));
  }
  std::vector<BuildOutput> out;
  int i = 0;
  for (const google::protobuf::Value& v : builds->second.list_value().values()) {
    auto field = [&](const char* name) -> std::string {
      if (!v.has_struct_value()) return "";
      auto f = v.struct_value().fields().find(name);
      return f == v.struct_value().fields().end() ? "" : f->second.string_value();
    };
    BuildOutput b{field("imageName"), field("tag")};
    if (b.image_name.empty() || b.tag.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": builds[", i, "] needs a string \"imageName\" and a string \"tag\""));
    }
    out.push_back(std::move(b));
    ++i;
  }
  return out;
}

absl::StatusOr<DeployPlan> PlanDeploy(const std::vector<build::ArtifactBuildSpec>& configured,
                                      const std::vector<BuildOutput>& images) {
  if (images.empty()) {
    return absl::InvalidArgumentError(
        "devloop deploy needs images: pass --build-artifacts FILE (from `devloop build "
        "--file-output FILE`) or --images web:v1,...");
  }
  DeployPlan plan;
  for (const BuildOutput& given : images) {
    const std::string name = build::ImageWithoutTag(given.image_name);
    const build::ArtifactBuildSpec* match = nullptr;
    for (const build::ArtifactBuildSpec& a : configured) {
      if (a.spec.image == given.image_name || build::ImageWithoutTag(a.spec.image) == name) {
        match = &a;
      }
    }
    build::ArtifactBuildSpec spec;
    if (match != nullptr) {
      spec = *match;
    } else {
      spec.spec.image = name;
    }
    // Nothing is built: requirements are the builder's business.
    spec.spec.required.clear();
    spec.require_aliases.clear();
    if (plan.prebuilt.count(spec.spec.image)) {
      return absl::InvalidArgumentError(
          absl::StrCat("two images given for ", spec.spec.image, ": pass one per artifact"));
    }
    plan.prebuilt[spec.spec.image] = given.tag;
    plan.artifacts.push_back(std::move(spec));
  }
  return plan;
}

absl::StatusOr<std::unique_ptr<build::Tagger>> MakeTagger(const std::vector<config::Config>& configs,
                                                        const cli::CliOptions& cli,
                                                        process::ProcessRunner* runner) {
  build::TaggerOptions options;
  if (!configs.empty()) options.policy = configs.front().build.tag_policy;
  options.override_tag = cli.tag;
  options.runner = runner;
  options.env = config::CurrentEnvironment();
  for (const config::Config& c : configs) options.config_files.push_back(ConfigFilePath(c));
  return build::Tagger::Make(std::move(options));
}

absl::StatusOr<std::vector<config::Config>> LoadConfigs(const cli::CliOptions& cli) {
  config::LoadOptions load;
  // The default name lets the loader prefer devloop.yaml when one exists.
  if (cli.filename != "skaffold.yaml") load.path = cli.filename;
  load.profiles = cli.profiles;
  load.modules = cli.modules;
  load.env = config::CurrentEnvironment();
  load.kube_context = cli.kube_context;
  load.command = std::string(cli::CommandName(cli.command));
  return config::LoadConfigs(load, config::LocalConfigFiles{});
}

std::string HostPlatform() {
  struct utsname names;
  if (::uname(&names) != 0) return "";
  absl::StatusOr<std::string> platform =
      config::ParsePlatform(absl::StrCat(names.sysname, "/", names.machine));
  return platform.ok() ? *std::move(platform) : "";
}

PlatformProbe ClusterPlatformProbe() {
  return {.cluster_platforms =
              [](const KubectlPlan& plan) -> absl::StatusOr<std::vector<std::string>> {
            process::PosixProcessRunner runner;
            const deploy::kubectl::KubectlCli kubectl(&runner, KubectlOptionsOf(plan));
            return deploy::kubectl::ClusterNodePlatforms(kubectl);
          },
          .host = HostPlatform()};
}

absl::StatusOr<Project> LoadProject(const cli::CliOptions& cli) {
  absl::StatusOr<std::vector<config::Config>> configs = LoadConfigs(cli);
  if (!configs.ok()) return configs.status();
  absl::StatusOr<Pipeline> pipeline = MakePipeline(*configs, cli, ClusterPlatformProbe());
  if (!pipeline.ok()) return pipeline.status();
  return Project{*std::move(configs), *std::move(pipeline)};
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<std::vector<BuildOutput>> ReadBuildArtifacts(const cli::CliOptions& cli) {
  if (cli.build_artifacts.empty()) return std::vector<BuildOutput>{};
  absl::StatusOr<std::string> text = ReadFile(cli.build_artifacts);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("--build-artifacts: ", text.status().message()));
  }
  return ParseBuildOutput(*text, cli.build_artifacts);
}

absl::StatusOr<ConfigsAndImages> LoadConfigsAndImages(const cli::CliOptions& cli) {
  ConfigsAndImages out;
  absl::StatusOr<std::vector<config::Config>> configs = LoadConfigs(cli);
  if (!configs.ok()) return configs.status();
  out.configs = *std::move(configs);
  absl::StatusOr<std::vector<BuildOutput>> images = ReadBuildArtifacts(cli);
  if (!images.ok()) return images.status();
  for (const BuildOutput& b : *images) out.built[b.image_name] = b.tag;
  return out;
}

void AttachConsole(console::Console* console, bool tail, dev::DevLoopOptions* options,
                   deploy::LogSink* on_log, hub::AppLogs* app_logs) {
  if (tail) {
    *on_log = [console, app_logs](const deploy::LogSource& source, absl::string_view line) {
      std::string printed = console->ApplicationLog(source.name, line);
      if (app_logs == nullptr) return;
      app_logs->Append({.time = absl::Now(),
                        .container_name = source.name,
                        .pod_name = source.pod,
                        .prefix = absl::StrCat("[", source.name, "]"),
                        .message = std::string(console::Console::WithoutLineEnd(line)),
                        .rich_message = std::move(printed)});
    };
  }
  options->on_build_output = [console](const std::string& image, absl::string_view line) {
    console->Debug(absl::StrCat("[build ", image, "] ", line));
  };
  options->on_test_output = [console](const std::string& image, absl::string_view line) {
    console->Info(absl::StrCat("[test ", image, "] ", line));
  };
}

}  // namespace devloop::apps
