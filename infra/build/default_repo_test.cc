#include "infra/build/default_repo.h"

#include <string>

#include "gtest/gtest.h"

namespace devloop::build {
namespace {

struct Case {
  const char* repo;
  std::string image;
  std::string want;
};

TEST(ImageUnderRepoTest, SkaffoldsRewriteRules) {
  const std::string long_name(300, 'a');
  const Case cases[] = {
      // No repository: no rewrite.
      {"", "gcr.io/k8s-skaffold/skaffold-example1", "gcr.io/k8s-skaffold/skaffold-example1"},
      // Skaffold's documented examples (Image Repository Handling).
      {"aws_account_id.dkr.ecr.region.amazonaws.com", "gcr.io/k8s-skaffold/skaffold-example1",
       "aws_account_id.dkr.ecr.region.amazonaws.com/gcr_io_k8s-skaffold_skaffold-example1"},
      {"gcr.io/myproject/myimage", "gcr.io/k8s-skaffold/skaffold-example1",
       "gcr.io/myproject/myimage/gcr.io/k8s-skaffold/skaffold-example1"},
      {"gcr.io/k8s-skaffold", "gcr.io/k8s-skaffold/skaffold-example1",
       "gcr.io/k8s-skaffold/skaffold-example1"},
      {"gcr.io/k8s-skaffold/myimage", "gcr.io/k8s-skaffold/skaffold-example1",
       "gcr.io/k8s-skaffold/myimage/skaffold-example1"},
      // A plain registry: concatenated, '/', '.', ':' escaped.
      {"localhost:5000", "web", "localhost:5000/web"},
      {"localhost:5000", "example.com:443/team/web", "localhost:5000/example_com_443_team_web"},
      {"docker.io/me", "gcr.io/x_y/web", "docker.io/me/gcr_io_x_y_web"},
      // Already under the repository: kept (Skaffold compares the text prefix).
      {"localhost:5000", "localhost:5000/web", "localhost:5000/web"},
      // Artifact Registry nests paths like gcr.io; regional gcr.io hosts too.
      {"us-docker.pkg.dev/my-project/repo", "web", "us-docker.pkg.dev/my-project/repo/web"},
      {"us-docker.pkg.dev/my-project/repo", "us-docker.pkg.dev/my-project/other/web",
       "us-docker.pkg.dev/my-project/repo/other/web"},
      {"eu.gcr.io/my-project", "gcr.io/k8s-skaffold/web",
       "eu.gcr.io/my-project/gcr.io/k8s-skaffold/web"},
      // gcr.io without a project-shaped path is an ordinary repository.
      {"gcr.io/ab", "x/web", "gcr.io/ab/x_web"},
      // A tag and a digest survive the rewrite, untouched.
      {"localhost:5000", "gcr.io/p/web:v1", "localhost:5000/gcr_io_p_web:v1"},
      {"localhost:5000", "web:v1@sha256:abc", "localhost:5000/web:v1@sha256:abc"},
      {"gcr.io/me-project", "web:v1", "gcr.io/me-project/web:v1"},
      // Names are cut to 255 characters (before the tag).
      {"r.io", long_name + ":t", "r.io/" + long_name.substr(0, 250) + ":t"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ImageUnderRepo(c.repo, c.image), c.want) << "repo \"" << c.repo << "\", image "
                                                       << c.image;
  }
}

}  // namespace
}  // namespace devloop::build
