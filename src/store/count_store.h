#pragma once
// CountStore: the counts detection and the API read, as they see them: the per-minute Aggregates
// of every counted report (after de-duplication), and where a restart would replay from. Today's
// Store (store.h) implements it from its local log and snapshot; cluster mode can implement it
// from a stream, with its own replay position.
//
// Thread-safety: every method may be called from any thread.

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "store/aggregates.h"

namespace om::store {

class CountStore {
 public:
  virtual ~CountStore() = default;

  // Runs `fn` with shared (read) access to the aggregates; writers wait until it returns, so it
  // must be quick and must not call back into the store.
  virtual void ReadAggregates(const std::function<void(const Aggregates&)>& fn) const = 0;

  // Where counting would resume after a restart from the newest snapshot, opaque to callers and
  // meant for people ("log 3 @ 1048576" for the local log; a stream sequence elsewhere).
  virtual std::string replay_position() const = 0;

  // ReadAggregates for a function that returns a value: Read([](const Aggregates& a) { ... }).
  template <typename Fn>
  auto Read(Fn&& fn) const {
    using Answer = std::invoke_result_t<Fn&, const Aggregates&>;
    if constexpr (std::is_void_v<Answer>) {
      ReadAggregates([&](const Aggregates& a) { fn(a); });
    } else {
      std::optional<Answer> answer;
      ReadAggregates([&](const Aggregates& a) { answer.emplace(fn(a)); });
      return std::move(*answer);
    }
  }
};

}  // namespace om::store
