// Checks that need the whole resolved pipeline, after every file is decoded and
// profiles are applied: duplicate images, artifact dependencies that name no
// artifact, sync rules that leave the context or are malformed globs, and
// contexts that do not exist.
// (Checks of one field alone, such as port ranges, happen while decoding.) All
// errors of the pass are returned together.
//
//   std::vector<ConfigError> errors = Validate(configs, [&](const std::string& dir) {
//     return fs.IsDirectory(dir);  // the file system is the caller's
//   });
//
// Free functions: thread-compatible.
#ifndef DEVLOOP_DOMAIN_CONFIG_VALIDATE_H_
#define DEVLOOP_DOMAIN_CONFIG_VALIDATE_H_

#include <functional>
#include <string>
#include <vector>

#include "domain/config/config.h"
#include "domain/config/errors.h"

namespace devloop::config {

// Answers whether `absolute_path` is an existing directory.
using DirectoryExists = std::function<bool(const std::string& absolute_path)>;

// Returns every problem found in `configs` (empty when they are valid), in the
// order of the configs and their fields.
std::vector<ConfigError> Validate(const std::vector<Config>& configs,
                                  const DirectoryExists& directory_exists);

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_VALIDATE_H_
