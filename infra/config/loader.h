// Reads a project's skaffold.yaml (or devloop.yaml) into resolved Configs: every
// document of the file and of the files it `requires`, profiles applied, env
// templates expanded, sync.infer resolved from the Dockerfile, and validated.
//
//   LoadOptions options;
//   options.working_directory = "/src/app";
//   options.profiles = {"dev"};          // -p dev
//   options.env = CurrentEnvironment();  // the caller's, so this stays testable
//   LocalConfigFiles files;
//   absl::StatusOr<std::vector<Config>> configs = LoadConfigs(options, files);
//   if (!configs.ok()) std::cerr << configs.status().message();  // file:line:col: ...
//
// Two configs with the same metadata.name (documents of one file, or configs of
// the files it requires) are an error at the second, naming the first:
//   other/skaffold.yaml:4:9: duplicate config name "app" (first defined at skaffold.yaml:3:18)
//
// Every problem found is reported at once, one "file:line:column: message" line
// each, in one InvalidArgument status. Nothing here throws: yaml-cpp's exceptions
// are caught and turned into errors with their place.
//
// Free functions: thread-compatible; LoadConfigs only reads through `files`.
#ifndef DEVLOOP_INFRA_CONFIG_LOADER_H_
#define DEVLOOP_INFRA_CONFIG_LOADER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/config/config.h"
#include "infra/config/config_files.h"

namespace devloop::config {

struct LoadOptions {
  // -f/--filename, relative to working_directory. Empty: devloop.yaml when it
  // exists there, else skaffold.yaml.
  std::string path;
  // Absolute. Empty: the process's current directory.
  std::string working_directory;
  // -p/--profile, in order; "-name" turns off a profile activation would apply.
  std::vector<std::string> profiles;
  // -m/--module: keep only configs with these metadata.names (and what they require).
  std::vector<std::string> modules;
  // For profile activation and templates.
  std::map<std::string, std::string> env;
  std::string kube_context;
  std::string command = "dev";
};

// Returns the configs in dependency order (a required config before the one
// requiring it). NotFound when the top file does not exist; InvalidArgument with
// every config error otherwise.
absl::StatusOr<std::vector<Config>> LoadConfigs(const LoadOptions& options,
                                                const ConfigFiles& files);

// Returns the environment of this process as a map, for LoadOptions::env.
std::map<std::string, std::string> CurrentEnvironment();

}  // namespace devloop::config

#endif  // DEVLOOP_INFRA_CONFIG_LOADER_H_
