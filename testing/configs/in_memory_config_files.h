// ConfigFiles served from memory, for table tests and the fuzzer: a map from
// absolute path to contents; directories are implied by the files under them
// plus any added explicitly.
//
//   InMemoryConfigFiles files;
//   files.Add("/p/skaffold.yaml", "apiVersion: skaffold/v4beta13\nkind: Config\n");
//   LoadConfigs({.working_directory = "/p"}, files);
//
// Thread-compatible: fill it, then read it from any number of threads.
#ifndef DEVLOOP_TESTING_CONFIGS_IN_MEMORY_CONFIG_FILES_H_
#define DEVLOOP_TESTING_CONFIGS_IN_MEMORY_CONFIG_FILES_H_

#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "infra/config/config_files.h"

namespace devloop::config {

class InMemoryConfigFiles : public ConfigFiles {
 public:
  // Adds a file (absolute path) and every directory above it.
  void Add(const std::string& path, std::string text) {
    files_[path] = std::move(text);
    for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
         slash = path.rfind('/', slash - 1)) {
      dirs_.insert(path.substr(0, slash));
    }
    dirs_.insert("/");
  }
  void AddDirectory(const std::string& path) { dirs_.insert(path); }

  absl::StatusOr<std::string> Read(const std::string& path) const override {
    auto it = files_.find(path);
    if (it == files_.end()) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return it->second;
  }
  bool IsDirectory(const std::string& path) const override { return dirs_.contains(path); }
  bool IsFile(const std::string& path) const override { return files_.contains(path); }

 private:
  std::map<std::string, std::string> files_;
  std::set<std::string> dirs_;
};

}  // namespace devloop::config

#endif  // DEVLOOP_TESTING_CONFIGS_IN_MEMORY_CONFIG_FILES_H_
