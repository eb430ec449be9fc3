#include "infra/build/routing_builder.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace devloop::build {
namespace {

// Records what reaches it; its name goes into every reference it returns.
class RecordingBuilder : public Builder {
 public:
  explicit RecordingBuilder(std::string name, absl::Status cleanup = absl::OkStatus())
      : name_(std::move(name)), cleanup_(std::move(cleanup)) {}
  absl::StatusOr<std::string> Build(const BuildRequest& request) override {
    return absl::StrCat(request.image, "@", name_);
  }
  void Cancel(const std::string& image) override { cancelled.push_back(image); }
  absl::Status Cleanup() override {
    ++cleanups;
    return cleanup_;
  }
  std::vector<std::string> cancelled;
  int cleanups = 0;

 private:
  std::string name_;
  absl::Status cleanup_;
};

TEST(RoutingBuilderTest, SendsEachImageToItsBuilder) {
  RecordingBuilder custom("custom");
  RecordingBuilder docker("docker");
  RoutingBuilder builder({{"web", &custom}, {"worker", &custom}}, &docker);
  EXPECT_EQ(*builder.Build({.image = "web"}), "web@custom");
  EXPECT_EQ(*builder.Build({.image = "api"}), "api@docker");
  builder.Cancel("worker");
  builder.Cancel("api");
  EXPECT_EQ(custom.cancelled, std::vector<std::string>{"worker"});
  EXPECT_EQ(docker.cancelled, std::vector<std::string>{"api"});
}

TEST(RoutingBuilderTest, CleansUpEveryBuilderOnceEvenAfterAFailure) {
  RecordingBuilder custom("custom", absl::UnavailableError("engine gone"));
  RecordingBuilder docker("docker");
  RoutingBuilder builder({{"web", &custom}, {"worker", &custom}}, &docker);
  EXPECT_EQ(builder.Cleanup().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(custom.cleanups, 1);
  EXPECT_EQ(docker.cleanups, 1);
}

}  // namespace
}  // namespace devloop::build
