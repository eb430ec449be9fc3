// The file system as the config loader sees it: read a file, ask whether a
// directory or a file exists. A port, so the fuzzer and table tests can serve
// configs from memory (testing/configs) while devloop reads the disk.
//
//   LocalConfigFiles files;
//   absl::StatusOr<std::string> text = files.Read("/src/skaffold.yaml");
//
// Implementations are thread-safe.
#ifndef DEVLOOP_INFRA_CONFIG_CONFIG_FILES_H_
#define DEVLOOP_INFRA_CONFIG_CONFIG_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace devloop::config {

class ConfigFiles {
 public:
  virtual ~ConfigFiles() = default;
  // Returns the whole file. NotFound when it does not exist; other errors
  // (permission, a directory) as their status, naming the path.
  virtual absl::StatusOr<std::string> Read(const std::string& path) const = 0;
  virtual bool IsDirectory(const std::string& path) const = 0;
  virtual bool IsFile(const std::string& path) const = 0;
};

// Reads the local disk. Files above 16 MiB are refused (a config is small; a
// huge file is a mistake, e.g. a wrong -f).
class LocalConfigFiles : public ConfigFiles {
 public:
  absl::StatusOr<std::string> Read(const std::string& path) const override;
  bool IsDirectory(const std::string& path) const override;
  bool IsFile(const std::string& path) const override;
};

}  // namespace devloop::config

#endif  // DEVLOOP_INFRA_CONFIG_CONFIG_FILES_H_
