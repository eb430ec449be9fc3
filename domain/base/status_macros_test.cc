#include "domain/base/status_macros.h"

#include <string>

#include "gtest/gtest.h"

namespace devloop {
namespace {

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  DEVLOOP_ASSIGN_OR_RETURN(int half, Half(n));
  DEVLOOP_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status Check(int n) {
  DEVLOOP_RETURN_IF_ERROR(Half(n).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagatesErrorsAndValues) {
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Check(2).ok());
  EXPECT_EQ(Check(3).message(), "odd");
}

}  // namespace
}  // namespace devloop
