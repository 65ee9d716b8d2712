#pragma once
// ApiKeys: the API keys that unlock outagemap's write endpoints, kept in SQLite
// (<data_dir>/meta.db, table api_keys) and managed with `outagemap keys create|list|revoke`.
//
// A key reads "om_<id>_<secret>": a 12-hex-digit id, which is stored and shown in listings, and a
// 64-hex-digit secret (256 random bits from the kernel's CSPRNG, getrandom(2)), of which only the
// SHA-256 is stored. The full key is shown once, when created. Because the secret is random and
// long, one SHA-256 is enough (a slow password hash guards guessable secrets, which these are not),
// and a check costs microseconds. Comparisons are constant-time (CRYPTO_memcmp).
//
// Scopes: report:write (bulk intake without the per-client limit), incident:write (the operator
// API), admin (everything). A key has one or more.
//
// A running server sees keys created or revoked by another process within a second: Authenticate
// re-reads the table when SQLite's data_version changed, at most once a second.
//
// Thread-safety: every method may be called from any thread (one mutex around the connection).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "base/status.h"
#include "base/time.h"
#include "db/meta_store.h"

namespace om::auth {

enum Scope : uint32_t {
  kReportWrite = 1,
  kIncidentWrite = 2,
  kAdmin = 4,
};

// "report:write,incident:write" -> bits. kInvalidArgument naming an unknown scope or an empty list.
Result<uint32_t> ParseScopes(std::string_view comma_separated);
// Bits -> "report:write,incident:write" (in that order).
std::string ScopeNames(uint32_t scopes);

struct ApiKey {
  std::string id;    // 12 hex digits
  std::string name;  // what the operator called it
  uint32_t scopes = 0;
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;  // 0 while valid
};

class ApiKeys {
 public:
  // The keys of table api_keys in `meta` (borrowed; it must outlive this object).
  static Result<std::unique_ptr<ApiKeys>> Open(db::MetaStore& meta);

  struct Created {
    ApiKey key;
    std::string token;  // "om_<id>_<secret>": give it to the client; it cannot be shown again
  };
  // kInvalidArgument for an empty or over-long name or no scope.
  Result<Created> Create(std::string_view name, uint32_t scopes, Timestamp now);
  // Every key, newest first, revoked ones included.
  Result<std::vector<ApiKey>> List();
  // kNotFound for an unknown id; revoking twice is not an error.
  Status Revoke(std::string_view id, Timestamp now);

  // Checks an Authorization header value, "Bearer om_<id>_<secret>", for `scope`. The key when
  // valid; kUnauthenticated when the header is malformed or the key unknown, wrong or revoked;
  // kPermissionDenied when the key lacks the scope (admin has them all).
  Result<ApiKey> Authenticate(std::string_view authorization, uint32_t scope);

  // The next Authenticate re-reads the table: after this process created or revoked a key, and
  // after the journal of writes brought another node's (cluster mode; SQLite's data_version
  // does not move for writes of the same connection).
  void ReloadOnNextCheck() OM_EXCLUDES(mu_);

 private:
  struct Cached {
    ApiKey key;
    std::string secret_sha256;  // 64 hex digits
  };
  explicit ApiKeys(db::MetaStore& meta) : meta_(meta) {}
  // Re-reads the table when another process changed it (checked at most once a second).
  Status RefreshIfChanged() OM_REQUIRES(mu_);

  db::MetaStore& meta_;
  Mutex mu_;
  absl::flat_hash_map<std::string, Cached> cache_ OM_GUARDED_BY(mu_);
  int64_t data_version_ OM_GUARDED_BY(mu_) = -1;
  int64_t next_check_ms_ OM_GUARDED_BY(mu_) = 0;  // steady clock
};

}  // namespace om::auth
