// Renders resolved Configs as YAML in Skaffold's schema, for `devloop diagnose`.
//
//   std::cout << ToYaml(configs);  // documents separated by "---"
//
// Profiles are already applied (a comment names them) and defaults are written
// out, so the output shows what devloop will run. Reading the output back with
// LoadConfigs gives the same Configs (positions aside).
//
// Free functions: thread-compatible.
#ifndef DEVLOOP_INFRA_CONFIG_TO_YAML_H_
#define DEVLOOP_INFRA_CONFIG_TO_YAML_H_

#include <string>
#include <vector>

#include "domain/config/config.h"

namespace devloop::config {

// Returns one YAML document for `config`.
std::string ToYaml(const Config& config);

// Returns every config, each a document starting with "---".
std::string ToYaml(const std::vector<Config>& configs);

}  // namespace devloop::config

#endif  // DEVLOOP_INFRA_CONFIG_TO_YAML_H_
