// libFuzzer target for the config parser: any bytes as skaffold.yaml must give
// configs or errors, never a crash, a hang or a leak. Built with clang by
// config_fuzz_test.sh (Bazel's toolchain is GCC).
#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/config/dockerfile.h"
#include "domain/config/template.h"
#include "infra/config/loader.h"
#include "infra/config/to_yaml.h"
#include "testing/configs/in_memory_config_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  devloop::config::InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml", text);
  files.Add("/p/other/skaffold.yaml", text);  // so `requires` has something to load
  files.Add("/p/Dockerfile", "FROM scratch AS dev\nWORKDIR /app\nCOPY . .\n");
  devloop::config::LoadOptions options;
  options.working_directory = "/p";
  options.env = {{"USER", "fuzz"}, {"CI", "true"}};
  options.kube_context = "kind";
  absl::StatusOr<std::vector<devloop::config::Config>> configs =
      devloop::config::LoadConfigs(options, files);
  if (configs.ok()) (void)devloop::config::ToYaml(*configs);
  (void)devloop::config::ExpandTemplate(text, options.env);
  (void)devloop::config::ParseDockerfile(text, "dev");
  return 0;
}
