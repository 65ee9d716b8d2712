#include "base/status.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace om {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument("value: must be even");
  return v / 2;
}

Result<int> Quarter(int v) {
  OM_ASSIGN_OR_RETURN(int h, Half(v));
  OM_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkIsDefaultAndPrintsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::NotFound("service \"x\" is not in the catalog");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not_found: service \"x\" is not in the catalog");
  EXPECT_EQ(s.WithPrefix("line 3").message(), "line 3: service \"x\" is not in the catalog");
}

TEST(StatusTest, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "value: must be even");
}

TEST(StatusTest, ErrnoTextNamesTheError) {
  EXPECT_EQ(ErrnoText(ENOENT), "No such file or directory");
  EXPECT_FALSE(ErrnoText(123456).empty());
}

}  // namespace
}  // namespace om
