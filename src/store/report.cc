#include "store/report.h"

#include <cstring>

namespace om::store {
namespace {

constexpr uint8_t kPayloadVersion = 1;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

void PutDouble(std::string& out, double d) {
  char buf[8];
  std::memcpy(buf, &d, 8);
  out.append(buf, 8);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (pos_ >= in_.size()) return false;
      uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool String(std::string& s, size_t max) {
    uint64_t n;
    if (!Varint(n) || n > max || n > in_.size() - pos_) return false;
    s.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool Double(double& d) {
    if (in_.size() - pos_ < 8) return false;
    std::memcpy(&d, in_.data() + pos_, 8);
    pos_ += 8;
    return true;
  }
  bool Byte(uint8_t& b) {
    if (pos_ >= in_.size()) return false;
    b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

bool SameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

std::string_view SourceName(Source s) {
  switch (s) {
    case Source::kApi:
      return "api";
    case Source::kWeb:
      return "web";
    case Source::kApp:
      return "app";
    case Source::kSocial:
      return "social";
    case Source::kProbe:
      return "probe";
  }
  return "api";
}

bool ParseSource(std::string_view name, Source& out) {
  static constexpr std::pair<std::string_view, Source> kNames[] = {{"api", Source::kApi},
                                                                   {"web", Source::kWeb},
                                                                   {"app", Source::kApp},
                                                                   {"social", Source::kSocial},
                                                                   {"probe", Source::kProbe}};
  for (const auto& [n, s] : kNames) {
    if (n == name) {
      out = s;
      return true;
    }
  }
  return false;
}

bool Report::operator==(const Report& o) const {
  return ts_ms == o.ts_ms && received_ms == o.received_ms && service == o.service &&
         problem == o.problem && reporter_key == o.reporter_key && geonameid == o.geonameid &&
         region == o.region && country == o.country && SameDouble(lat, o.lat) &&
         SameDouble(lon, o.lon) && city == o.city && text == o.text && source == o.source &&
         duplicate == o.duplicate;
}

// Layout (all varints unless noted): version byte, flags byte (bit0 duplicate, bit1 has lat/lon),
// source byte, zigzag ts_ms, zigzag (received_ms - ts_ms), reporter_key, geonameid, service,
// problem, region, country, city, text as length-prefixed strings, then lat, lon as 8-byte IEEE
// doubles when bit1 is set.
void EncodeReport(const Report& r, std::string& out) {
  bool has_location = !std::isnan(r.lat) && !std::isnan(r.lon);
  out.push_back(static_cast<char>(kPayloadVersion));
  out.push_back(static_cast<char>((r.duplicate ? 1 : 0) | (has_location ? 2 : 0)));
  out.push_back(static_cast<char>(r.source));
  PutVarint(out, ZigZag(r.ts_ms));
  // Unsigned wrap-around is defined; the decoder adds it back with an overflow check.
  PutVarint(out, ZigZag(static_cast<int64_t>(static_cast<uint64_t>(r.received_ms) -
                                             static_cast<uint64_t>(r.ts_ms))));
  PutVarint(out, r.reporter_key);
  PutVarint(out, r.geonameid);
  PutString(out, r.service);
  PutString(out, r.problem);
  PutString(out, r.region);
  PutString(out, r.country);
  PutString(out, r.city);
  PutString(out, r.text);
  if (has_location) {
    PutDouble(out, r.lat);
    PutDouble(out, r.lon);
  }
}

Result<Report> DecodeReport(std::string_view payload) {
  Reader in(payload);
  Report r;
  uint8_t version, flags, source;
  uint64_t ts, delta, key, geonameid;
  if (!in.Byte(version) || version != kPayloadVersion) {
    return Status::Corruption("report record: unknown payload version");
  }
  if (!in.Byte(flags) || !in.Byte(source) || source > static_cast<uint8_t>(Source::kProbe) ||
      (flags & ~3u) != 0 || !in.Varint(ts) || !in.Varint(delta) || !in.Varint(key) ||
      !in.Varint(geonameid) || geonameid > 0xffffffffu || !in.String(r.service, kMaxStringBytes) ||
      !in.String(r.problem, kMaxStringBytes) || !in.String(r.region, kMaxStringBytes) ||
      !in.String(r.country, kMaxStringBytes) || !in.String(r.city, kMaxStringBytes) ||
      !in.String(r.text, kMaxTextBytes)) {
    return Status::Corruption("report record: truncated or malformed field");
  }
  r.duplicate = flags & 1;
  r.source = static_cast<Source>(source);
  r.ts_ms = UnZigZag(ts);
  if (__builtin_add_overflow(r.ts_ms, UnZigZag(delta), &r.received_ms)) {
    return Status::Corruption("report record: received time out of range");
  }
  r.reporter_key = key;
  r.geonameid = static_cast<uint32_t>(geonameid);
  if (flags & 2) {
    if (!in.Double(r.lat) || !in.Double(r.lon)) {
      return Status::Corruption("report record: truncated location");
    }
    // The encoder writes a location only when both coordinates are numbers in range.
    if (!(r.lat >= -90 && r.lat <= 90 && r.lon >= -180 && r.lon <= 180)) {
      return Status::Corruption("report record: location out of range");
    }
  }
  if (!in.done()) return Status::Corruption("report record: trailing bytes");
  return r;
}

}  // namespace om::store
