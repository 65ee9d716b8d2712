#include "geo/ip_locator.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "geo/testing_gazetteer.h"
#include "testing/temp_dir.h"

namespace om::geo {
namespace {

const Gazetteer& Builtin() { return TestingBuiltinGazetteer(); }

class IpLocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Not a skip: without the fixture the IP path would go untested, so say what to install.
    const std::string script = std::string(OM_GEO_TOOLS_DIR) + "/make_test_mmdb.pl";
    path_ = dir_.str() + "/city.mmdb";
    const std::string command = "perl '" + script + "' '" + path_ + "' 2>'" + dir_.str() + "/err'";
    const int rc = std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe): test setup
    if (rc != 0) {
      std::ifstream err(dir_.str() + "/err");
      const std::string stderr_text((std::istreambuf_iterator<char>(err)),
                                    std::istreambuf_iterator<char>());
      FAIL() << "building the .mmdb fixture failed (exit " << rc << "): " << command
             << "\nIt needs perl and MaxMind::DB::Writer::Tree "
                "(apt-get install libmaxmind-db-writer-perl).\n"
             << stderr_text;
    }
    auto opened = IpLocator::Open(path_, Builtin());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    locator_ = std::move(opened).value();
  }

  uint32_t GeonameIdOf(std::string_view ip) const {
    const CityId id = locator_->Lookup(ip);
    return id == kNoCity ? 0 : Builtin().city(id).geonameid;
  }

  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<IpLocator> locator_;
};

TEST_F(IpLocatorTest, MapsGeonameIdToCity) {
  EXPECT_EQ(locator_->database_type(), "GeoIP2-City");
  EXPECT_EQ(GeonameIdOf("81.2.69.160"), 2643743u);  // London
  EXPECT_EQ(GeonameIdOf("2001:db8::1"), 5037649u);  // Minneapolis
  EXPECT_EQ(GeonameIdOf("2001:db8:ffff::abcd"), 5037649u);
}

TEST_F(IpLocatorTest, FallsBackToLocation) {
  EXPECT_EQ(GeonameIdOf("89.160.20.128"), 2694762u);  // location near Linköping, no city
  EXPECT_EQ(GeonameIdOf("175.16.199.1"), 2038180u);   // unknown geoname_id, Changchun location
}

TEST_F(IpLocatorTest, NoCityWithoutUsableRecord) {
  EXPECT_EQ(locator_->Lookup("67.43.156.1"), kNoCity);  // country only
  EXPECT_EQ(locator_->Lookup("8.8.8.8"), kNoCity);      // not in the database
  EXPECT_EQ(locator_->Lookup("2001:db9::1"), kNoCity);
}

TEST_F(IpLocatorTest, MalformedAddressesAreNoCity) {
  for (std::string_view ip :
       {"", "81.2.69", "81.2.69.160.1", "81.2.69.999", "not an ip", "81.2.69.160:80",
        "[2001:db8::1]", "2001:db8::1%eth0", "127.1", " 81.2.69.160", "2001:db8:::1"}) {
    EXPECT_EQ(locator_->Lookup(ip), kNoCity) << ip;
  }
  EXPECT_EQ(locator_->Lookup(std::string(1000, '1')), kNoCity);
  EXPECT_EQ(locator_->Lookup(std::string("81.2.69.1\0", 10)), kNoCity);
}

TEST(IpLocatorOpenTest, MissingFileIsNotFound) {
  testing::TempDir dir;
  auto opened = IpLocator::Open(dir.str() + "/nope.mmdb", Builtin());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kNotFound);
  EXPECT_NE(opened.status().message().find("nope.mmdb"), std::string::npos);
}

TEST(IpLocatorOpenTest, GarbageFileIsCorruption) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/bad.mmdb";
  std::ofstream(path) << "this is not a maxmind database";
  auto opened = IpLocator::Open(path, Builtin());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_NE(opened.status().message().find("bad.mmdb"), std::string::npos);
}

TEST(IpLocatorOpenTest, DirectoryIsIoError) {
  testing::TempDir dir;
  auto opened = IpLocator::Open(dir.str(), Builtin());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kIoError) << opened.status().ToString();
}

}  // namespace
}  // namespace om::geo
