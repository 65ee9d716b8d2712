#pragma once
// OM_CHECK(cond) << "context": aborts with file, line and message when an invariant is broken.
// A CHECK documents a programmer error; anything input, disk or network can trigger is a Status.
// OM_DCHECK is the same in debug builds and compiles to nothing with NDEBUG.

#include <sstream>

namespace om::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets `OM_CHECK(x) << ...` be an expression of type void.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace om::internal

// The replacement cannot be parenthesised: `<<` must bind to the stream at its end.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define OM_CHECK(cond)                 \
  (cond) ? (void)0                     \
         : ::om::internal::Voidify() & \
               ::om::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()
// NOLINTEND(bugprone-macro-parentheses)

#ifdef NDEBUG
#define OM_DCHECK(cond)              \
  true ? (void)0                     \
       : ::om::internal::Voidify() & \
             ::om::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()
#else
#define OM_DCHECK(cond) OM_CHECK(cond)
#endif
