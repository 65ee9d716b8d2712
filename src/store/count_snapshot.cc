#include "store/count_snapshot.h"

#include <cstring>

#include "base/crc32c.h"

namespace om::store {
namespace {

constexpr size_t kMagicBytes = 8;
constexpr size_t kHeaderBytes = kMagicBytes + 4 + 8;  // magic, masked CRC, body length
constexpr size_t kDedupeEntryBytes = 16;

template <typename T>
void PutRaw(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
bool GetRaw(std::string_view data, size_t& pos, T& v) {
  if (pos > data.size() || data.size() - pos < sizeof(T)) return false;
  std::memcpy(&v, data.data() + pos, sizeof(T));
  pos += sizeof(T);
  return true;
}

}  // namespace

std::string EncodeCountSnapshot(std::string_view magic, SnapshotPosition position,
                                const Deduplicator& dedupe, const Aggregates& aggregates) {
  std::string body;
  PutRaw(body, position.first);
  PutRaw(body, position.second);
  PutRaw<uint64_t>(body, dedupe.size());
  dedupe.Serialize(body);
  aggregates.Serialize(body);
  std::string file(magic.substr(0, kMagicBytes));
  PutRaw(file, crc32c::Mask(crc32c::Value(body.data(), body.size())));
  PutRaw<uint64_t>(file, body.size());
  file += body;
  return file;
}

Status DecodeCountSnapshot(std::string_view file, std::string_view magic,
                           SnapshotPosition& position, Deduplicator& dedupe,
                           Aggregates& aggregates) {
  size_t pos = 0;
  uint32_t masked;
  uint64_t length;
  if (file.size() < kHeaderBytes || file.substr(0, kMagicBytes) != magic.substr(0, kMagicBytes)) {
    return Status::Corruption("snapshot: bad magic");
  }
  pos = kMagicBytes;
  if (!GetRaw(file, pos, masked) || !GetRaw(file, pos, length) || length != file.size() - pos) {
    return Status::Corruption("snapshot: bad length");
  }
  std::string_view body(file.data() + pos, length);
  if (crc32c::Unmask(masked) != crc32c::Value(body.data(), body.size())) {
    return Status::Corruption("snapshot: checksum mismatch");
  }
  size_t p = 0;
  uint64_t entries;
  if (!GetRaw(body, p, position.first) || !GetRaw(body, p, position.second) ||
      !GetRaw(body, p, entries) || entries > body.size() / kDedupeEntryBytes) {
    return Status::Corruption("snapshot: bad header");
  }
  if (!dedupe.Deserialize(body, p, entries)) {
    return Status::Corruption("snapshot: truncated de-dup table");
  }
  return aggregates.Deserialize(body.substr(p));
}

}  // namespace om::store
