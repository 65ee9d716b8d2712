#pragma once
// Status and Result<T>: expected failures as values. Our code does not throw.
//
// A Status is OK (cheap: no allocation) or carries a code and a message that names what went wrong,
// e.g. Status::InvalidArgument("lat: must be between -90 and 90"). Result<T> holds a T or a non-OK
// Status. Both are [[nodiscard]] value types, safe to copy and move between threads.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace om {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kResourceExhausted,
  kUnavailable,
  kCorruption,
  kIoError,
  kInternal,
  kUnauthenticated,   // no credentials, or credentials that are not valid
  kPermissionDenied,  // valid credentials without the right to do this
  kTooLarge,  // a request or body past a size limit (HTTP 413), unlike a rate or queue limit
};

// Returns a stable lower_snake name for the code ("invalid_argument"), used in logs and the API.
std::string_view StatusCodeName(StatusCode code);

// The text of the errno value `error_number` ("No such file or directory"), for messages. Unlike
// std::strerror it uses no shared buffer, so any thread may call it.
std::string ErrnoText(int error_number);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: lat: must be between -90 and 90", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is "`prefix`: <message>"; OK stays OK.
  Status WithPrefix(std::string_view prefix) const;

  bool operator==(const Status&) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor): like expected
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result needs a non-OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  bool has_value() const { return ok(); }
  // The error, or OK when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  // The value, or `fallback` on error.
  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : std::move(fallback); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace om

#define OM_STATUS_CONCAT_INNER(a, b) a##b
#define OM_STATUS_CONCAT(a, b) OM_STATUS_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK. (The name is made
// unique per line, so that a lambda inside `expr` may use the macro too.)
#define OM_RETURN_IF_ERROR(expr) \
  OM_RETURN_IF_ERROR_IMPL(OM_STATUS_CONCAT(om_status_, __LINE__), expr)
// `status`, `tmp` and `lhs` name variables (or declare one), which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define OM_RETURN_IF_ERROR_IMPL(status, expr) \
  do {                                        \
    ::om::Status status = (expr);             \
    if (!status.ok()) return status;          \
  } while (0)

// `lhs = value of expr`, or returns its Status from the enclosing function.
#define OM_ASSIGN_OR_RETURN(lhs, expr) \
  OM_ASSIGN_OR_RETURN_IMPL(OM_STATUS_CONCAT(om_result_, __LINE__), lhs, expr)
#define OM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
