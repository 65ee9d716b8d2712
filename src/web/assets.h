#pragma once
// Assets: the files of the browser UI, built from web/ by esbuild at build time and embedded in
// the binary (src/web/CMakeLists.txt lists them) together with their gzip copies, made at build
// time too. Each comes with its media type and a strong ETag, so that the server answers
// conditional and compressed requests without per-request or start-up work. The UI needs nothing
// from the network: the map data (Natural Earth via world-atlas, US Census via us-atlas) is among
// these files.
//
// Paths served:
//   /index.html                        the page every UI route (/, /map, /services/..) answers with
//   /assets/app.js, /assets/app.css    the bundle
//   /assets/maps/countries-110m.json   world outline, loaded for the world view
//   /assets/maps/countries-50m.json    finer outline, loaded when zoomed into a region
//   /assets/maps/states-10m.json       US states, loaded when the view is on the United States
//
// Thread-safety: immutable after loading; every const method may be called from any thread.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace om::web {

struct Asset {
  std::string path;          // "/assets/app.js"
  std::string content_type;  // "text/javascript; charset=utf-8"
  std::string_view bytes;    // the file itself (embedded, or owned by the Assets)
  std::string gzip;          // RFC 1952 gzip of `bytes`
  std::string etag;          // strong validator, quoted: "\"3f2a9c1e-1b2f0\""
};

class Assets {
 public:
  // The files embedded at build time, with their embedded gzip copies.
  static std::unique_ptr<Assets> LoadBuiltin();
  // Assets from (path, bytes) pairs, for tests, compressed here. The media type follows the
  // extension.
  static std::unique_ptr<Assets> FromFiles(
      const std::vector<std::pair<std::string, std::string>>& files);

  // The asset at `path` ("/assets/app.js"), or null.
  const Asset* Find(std::string_view path) const;
  // The UI page, "/index.html". REQUIRES: present (it is, in every built binary).
  const Asset& index_html() const;
  const std::vector<Asset>& all() const { return assets_; }

 private:
  Assets() = default;
  void Add(std::string path, std::string_view bytes, std::string_view gzip);

  std::vector<std::string> owned_;  // bytes and gzip copies of FromFiles assets
  std::vector<Asset> assets_;
};

// The media type served for a path, by its extension: .html, .js, .css, .json, .svg, .png;
// anything else is application/octet-stream.
std::string_view MediaTypeFor(std::string_view path);

// Whether an Accept-Encoding header value admits gzip (RFC 9110 §12.5.3): "gzip" or "*" listed
// without q=0.
bool AcceptsGzip(std::string_view accept_encoding);

// Whether an If-None-Match header value matches `etag` (a list of tags, or "*"; weak tags compare
// by their opaque part, as RFC 9110 §13.1.2 asks for GET).
bool EtagMatches(std::string_view if_none_match, std::string_view etag);

}  // namespace om::web
