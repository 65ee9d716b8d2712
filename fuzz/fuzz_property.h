#pragma once
// What every fuzz target does when a property of its parser does not hold: trap, so that
// libFuzzer keeps the input as a crash (and the replay test fails on it).

namespace om::fuzz {

inline void Require(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace om::fuzz
