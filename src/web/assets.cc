#include "web/assets.h"

#include <zlib.h>

#include <cstdio>
#include <cstdlib>

#include "base/check.h"
#include "base/crc32c.h"

// Symbols of the files (and their gzip copies) embedded by om_embed_file() in CMakeLists.txt.
#define OM_WEB_EMBEDDED(symbol)                         \
  extern "C" const char om_embed_##symbol##_begin[];    \
  extern "C" const char om_embed_##symbol##_end[];      \
  extern "C" const char om_embed_##symbol##_gz_begin[]; \
  extern "C" const char om_embed_##symbol##_gz_end[];
OM_WEB_EMBEDDED(web_index_html)
OM_WEB_EMBEDDED(web_app_js)
OM_WEB_EMBEDDED(web_app_css)
OM_WEB_EMBEDDED(web_countries_110m)
OM_WEB_EMBEDDED(web_countries_50m)
OM_WEB_EMBEDDED(web_states_10m)
#undef OM_WEB_EMBEDDED

namespace om::web {
namespace {

std::string Gzip(std::string_view bytes) {
  z_stream z{};
  // windowBits 15 + 16: write a gzip header and trailer instead of zlib's.
  int rc = deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  OM_CHECK(rc == Z_OK) << "deflateInit2: " << rc;
  std::string out(deflateBound(&z, bytes.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  rc = deflate(&z, Z_FINISH);
  OM_CHECK(rc == Z_STREAM_END) << "deflate: " << rc;
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `fn(item)` for each comma-separated item of a header list, trimmed.
template <typename Fn>
bool AnyListItem(std::string_view list, Fn fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = Trim(list.substr(0, comma));
    if (!item.empty() && fn(item)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view MediaTypeFor(std::string_view path) {
  auto ends = [&](std::string_view suffix) { return path.ends_with(suffix); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

bool AcceptsGzip(std::string_view accept_encoding) {
  return AnyListItem(accept_encoding, [](std::string_view item) {
    std::string_view coding = Trim(item.substr(0, item.find(';')));
    if (!IEquals(coding, "gzip") && !IEquals(coding, "x-gzip") && coding != "*") return false;
    // "gzip;q=0" refuses it; any other q (or none) admits it.
    size_t q = item.find("q=");
    if (q == std::string_view::npos) return true;
    std::string value(Trim(item.substr(q + 2)));
    return std::strtod(value.c_str(), nullptr) > 0;
  });
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  if (Trim(if_none_match) == "*") return true;
  auto opaque = [](std::string_view tag) {
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    return tag;
  };
  return AnyListItem(if_none_match,
                     [&](std::string_view item) { return opaque(item) == opaque(etag); });
}

void Assets::Add(std::string path, std::string_view bytes, std::string_view gzip) {
  Asset a;
  a.content_type = std::string(MediaTypeFor(path));
  a.path = std::move(path);
  a.bytes = bytes;
  a.gzip = gzip;
  char tag[40];
  std::snprintf(tag, sizeof tag, "\"%08x-%zx\"", crc32c::Value(bytes.data(), bytes.size()),
                bytes.size());
  a.etag = tag;
  assets_.push_back(std::move(a));
}

std::unique_ptr<Assets> Assets::LoadBuiltin() {
  std::unique_ptr<Assets> assets(new Assets());
  auto embedded = [](const char* begin, const char* end) {
    return std::string_view(begin, static_cast<size_t>(end - begin));
  };
#define OM_WEB_ADD(path, symbol)                                                  \
  assets->Add(path, embedded(om_embed_##symbol##_begin, om_embed_##symbol##_end), \
              embedded(om_embed_##symbol##_gz_begin, om_embed_##symbol##_gz_end))
  OM_WEB_ADD("/index.html", web_index_html);
  OM_WEB_ADD("/assets/app.js", web_app_js);
  OM_WEB_ADD("/assets/app.css", web_app_css);
  OM_WEB_ADD("/assets/maps/countries-110m.json", web_countries_110m);
  OM_WEB_ADD("/assets/maps/countries-50m.json", web_countries_50m);
  OM_WEB_ADD("/assets/maps/states-10m.json", web_states_10m);
#undef OM_WEB_ADD
  return assets;
}

std::unique_ptr<Assets> Assets::FromFiles(
    const std::vector<std::pair<std::string, std::string>>& files) {
  std::unique_ptr<Assets> assets(new Assets());
  // Reserved up front: each Asset's string_views point into owned_, which must not reallocate.
  assets->owned_.reserve(2 * files.size());
  for (const auto& [path, bytes] : files) {
    const std::string& raw = assets->owned_.emplace_back(bytes);
    const std::string& gz = assets->owned_.emplace_back(Gzip(bytes));
    assets->Add(path, raw, gz);
  }
  return assets;
}

const Asset* Assets::Find(std::string_view path) const {
  for (const Asset& a : assets_) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

const Asset& Assets::index_html() const {
  const Asset* page = Find("/index.html");
  OM_CHECK(page != nullptr) << "the web UI has no /index.html";
  return *page;
}

}  // namespace om::web
