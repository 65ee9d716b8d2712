#include "incidents/status_pages.h"

#include <gtest/gtest.h>

#include "db/testing_meta_store.h"
#include "testing/temp_dir.h"

namespace om::incidents {
namespace {

TEST(StatusPagesTest, PutReplacesDeletesAndSurvivesARestart) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  Timestamp now = FromUnixMillis(1'769'000'000'000);
  {
    auto pages = std::move(*StatusPages::Open(*dir_meta));
    auto put = pages->Put({"vendors", "Our vendors", {"okta", "azure-ad"}, 0}, now);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    EXPECT_EQ(put->created_ms, ToUnixMillis(now));
    ASSERT_TRUE(pages->Put({"comms", "Comms", {"slack"}, 0}, now).ok());
    // Put again replaces.
    ASSERT_TRUE(pages->Put({"vendors", "Vendors", {"okta", "azure-ad", "github"}, 0}, now).ok());
    auto listed = pages->List();
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, "comms");
    EXPECT_EQ(listed[1].services, (std::vector<std::string>{"okta", "azure-ad", "github"}));
    EXPECT_EQ(pages->Delete("comms").code(), StatusCode::kOk);
    EXPECT_EQ(pages->Delete("comms").code(), StatusCode::kNotFound);
  }
  auto reopened = std::move(*StatusPages::Open(*dir_meta));
  auto vendors = reopened->Find("vendors");
  ASSERT_TRUE(vendors.has_value());
  EXPECT_EQ(vendors->name, "Vendors");
  EXPECT_EQ(vendors->services, (std::vector<std::string>{"okta", "azure-ad", "github"}));
  EXPECT_FALSE(reopened->Find("comms").has_value());
}

TEST(StatusPagesTest, BadPagesAreRefusedNamingTheField) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  auto pages = std::move(*StatusPages::Open(*dir_meta));
  Timestamp now = FromUnixMillis(0);
  auto message = [&](StatusPage p) { return pages->Put(std::move(p), now).status().message(); };
  EXPECT_EQ(message({"Our Vendors", "x", {"okta"}, 0}), "id: must be 1 to 64 of a-z, 0-9 and -");
  EXPECT_EQ(message({"", "x", {"okta"}, 0}), "id: must be 1 to 64 of a-z, 0-9 and -");
  EXPECT_EQ(message({"v", "", {"okta"}, 0}), "name: must be 1 to 200 bytes");
  EXPECT_EQ(message({"v", "x", {}, 0}), "services: must list 1 to 1000 services");
  EXPECT_EQ(message({"v", "x", {"okta", "okta"}, 0}), "services: \"okta\" is listed twice");
  EXPECT_TRUE(pages->List().empty());
}

}  // namespace
}  // namespace om::incidents
