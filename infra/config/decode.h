// Decodes one YAML document (profiles already applied) into a Config, collecting
// every error. Internal to infra/config; LoadConfigs() is the public entry.
//
//   std::vector<ConfigError> errors;
//   Config c = DecodeConfig(doc, {.file = "skaffold.yaml", .directory = "/src", .env = env},
//                           &errors);
//
// Thread-compatible.
#ifndef DEVLOOP_INFRA_CONFIG_DECODE_H_
#define DEVLOOP_INFRA_CONFIG_DECODE_H_

#include <map>
#include <string>
#include <vector>

#include "domain/config/config.h"
#include "domain/config/errors.h"
#include "yaml-cpp/yaml.h"

namespace devloop::config::internal {

struct DecodeContext {
  std::string file;       // as shown in errors
  std::string directory;  // absolute; contexts are resolved against it
  std::map<std::string, std::string> env;  // for templates in image names and buildArgs
};

// Returns true when `api_version` is one devloop reads (skaffold/v1alpha1 ..
// skaffold/v4beta13; UpgradeConfig brings the older ones to the newest).
bool IsSupportedApiVersion(const std::string& api_version);

// Checks apiVersion and kind of a document; reports into `errors` and returns
// false when the document cannot be read as a Config.
bool CheckHeader(const YAML::Node& doc, const std::string& file, std::vector<ConfigError>* errors);

// Decodes `doc`. Never throws; problems go to `errors`.
Config DecodeConfig(const YAML::Node& doc, const DecodeContext& context,
                    std::vector<ConfigError>* errors);

}  // namespace devloop::config::internal

#endif  // DEVLOOP_INFRA_CONFIG_DECODE_H_
