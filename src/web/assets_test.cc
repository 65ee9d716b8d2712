#include "web/assets.h"

#include <zlib.h>

#include <gtest/gtest.h>

namespace om::web {
namespace {

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(AssetsTest, BuiltinHasThePageTheBundleAndTheMaps) {
  auto assets = Assets::LoadBuiltin();
  const Asset& page = assets->index_html();
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.bytes.find("/assets/app.js"), std::string_view::npos);
  for (const char* path : {"/assets/app.js", "/assets/app.css", "/assets/maps/countries-110m.json",
                           "/assets/maps/countries-50m.json", "/assets/maps/states-10m.json"}) {
    const Asset* a = assets->Find(path);
    ASSERT_NE(a, nullptr) << path;
    EXPECT_GT(a->bytes.size(), 100u) << path;
    EXPECT_LT(a->gzip.size(), a->bytes.size()) << path;
    // The copy made at build time is the file itself, compressed.
    EXPECT_EQ(Gunzip(std::string(a->gzip)), a->bytes) << path;
  }
  // TopoJSON files start with their type.
  EXPECT_NE(assets->Find("/assets/maps/states-10m.json")->bytes.find("\"Topology\""),
            std::string_view::npos);
  EXPECT_EQ(assets->Find("/assets/nope.js"), nullptr);
}

TEST(AssetsTest, GzipRoundTripsAndEtagFollowsContent) {
  auto assets = Assets::FromFiles({{"/a.js", std::string(5000, 'x') + "tail"},
                                   {"/b.css", "body{}"},
                                   {"/c.js", std::string(5000, 'x') + "tail"}});
  const Asset* a = assets->Find("/a.js");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Gunzip(std::string(a->gzip)), std::string(5000, 'x') + "tail");
  EXPECT_EQ(assets->Find("/b.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(a->etag, assets->Find("/c.js")->etag);  // same bytes, same tag
  EXPECT_NE(a->etag, assets->Find("/b.css")->etag);
  EXPECT_EQ(a->etag.front(), '"');
  EXPECT_EQ(a->etag.back(), '"');
}

TEST(AssetsTest, MediaTypes) {
  EXPECT_EQ(MediaTypeFor("/x/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(MediaTypeFor("/m.json"), "application/json");
  EXPECT_EQ(MediaTypeFor("/b.svg"), "image/svg+xml");
  EXPECT_EQ(MediaTypeFor("/s.png"), "image/png");
  EXPECT_EQ(MediaTypeFor("/x.bin"), "application/octet-stream");
}

TEST(AssetsTest, AcceptEncoding) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
}

TEST(AssetsTest, IfNoneMatch) {
  EXPECT_TRUE(EtagMatches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagMatches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagMatches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagMatches("*", "\"abc\""));
  EXPECT_FALSE(EtagMatches("\"abd\"", "\"abc\""));
  EXPECT_FALSE(EtagMatches("", "\"abc\""));
}

}  // namespace
}  // namespace om::web
