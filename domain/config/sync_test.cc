#include "domain/config/sync.h"

#include "gtest/gtest.h"

namespace devloop::config {
namespace {

TEST(StaysInContextTest, Table) {
  EXPECT_TRUE(StaysInContext("src/*.js"));
  EXPECT_TRUE(StaysInContext("a/../b"));
  EXPECT_FALSE(StaysInContext("../x/*.js"));
  EXPECT_FALSE(StaysInContext("a/../../x"));
  EXPECT_FALSE(StaysInContext("/etc/passwd"));
}

}  // namespace
}  // namespace devloop::config
