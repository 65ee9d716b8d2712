#pragma once
// Stable 64-bit hashes: the same bytes give the same value in every process and release, unlike
// absl::Hash (seeded per process). For identifiers that are stored or compared across nodes
// (a report's stream message id, partition leadership) and for reproducible random draws.

#include <cstdint>
#include <string_view>

namespace om {

// FNV-1a, 64 bits (Fowler, Noll, Vo; http://www.isthe.com/chongo/tech/comp/fnv/).
inline uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The finaliser of SplitMix64 (Steele, Lea and Flood, 2014): every input bit affects every output
// bit, so nearby inputs (counters, keys that differ in their last byte) spread over the range.
inline uint64_t SplitMix64Finalize(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace om
