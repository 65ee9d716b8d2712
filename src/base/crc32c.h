#pragma once
// CRC-32C (Castagnoli), used on every report log record. Uses the SSE4.2 instruction when the CPU
// has it, a table otherwise. Masked form as in LevelDB's log format, so a CRC stored inside data
// that is itself CRC'd does not produce degenerate values.

#include <cstddef>
#include <cstdint>

namespace om::crc32c {

// Returns the CRC-32C of data[0, n) continuing from `init` (0 for a fresh CRC).
uint32_t Extend(uint32_t init, const void* data, size_t n);
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }

inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace om::crc32c
