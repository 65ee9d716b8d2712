#include "auth/api_keys.h"

#include <chrono>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/hex.h"

namespace om::auth {
namespace {

constexpr size_t kIdHexDigits = 12;
constexpr size_t kSecretHexDigits = 64;
constexpr size_t kMaxNameBytes = 200;

constexpr struct {
  Scope scope;
  std::string_view name;
} kScopes[] = {
    {kReportWrite, "report:write"}, {kIncidentWrite, "incident:write"}, {kAdmin, "admin"}};

// SHA-256 of `data` as 64 hex digits (stored as text: SQLite text must not hold NUL bytes).
std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), n));
}

bool IsHex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<uint32_t> ParseScopes(std::string_view list) {
  uint32_t scopes = 0;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    bool known = false;
    for (const auto& s : kScopes) {
      if (s.name == name) {
        scopes |= s.scope;
        known = true;
      }
    }
    if (!known) {
      return Status::InvalidArgument("scopes: unknown scope \"" + std::string(name.substr(0, 40)) +
                                     "\" (report:write, incident:write, admin)");
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (scopes == 0) return Status::InvalidArgument("scopes: give at least one scope");
  return scopes;
}

std::string ScopeNames(uint32_t scopes) {
  std::string out;
  for (const auto& s : kScopes) {
    if (scopes & s.scope) out.append(out.empty() ? "" : ",").append(s.name);
  }
  return out;
}

Result<std::unique_ptr<ApiKeys>> ApiKeys::Open(db::MetaStore& meta) {
  return std::unique_ptr<ApiKeys>(new ApiKeys(meta));
}

Result<ApiKeys::Created> ApiKeys::Create(std::string_view name, uint32_t scopes, Timestamp now) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return Status::InvalidArgument("name: must be 1 to 200 bytes");
  }
  if (scopes == 0 || scopes > (kReportWrite | kIncidentWrite | kAdmin)) {
    return Status::InvalidArgument("scopes: give at least one scope");
  }
  Created created;
  OM_ASSIGN_OR_RETURN(created.key.id, RandomHex(kIdHexDigits / 2));
  OM_ASSIGN_OR_RETURN(std::string secret, RandomHex(kSecretHexDigits / 2));
  created.key.name = std::string(name);
  created.key.scopes = scopes;
  created.key.created_ms = ToUnixMillis(now);
  created.token = "om_" + created.key.id + "_" + secret;
  std::string secret_sha256 = Sha256Hex(secret);
  OM_RETURN_IF_ERROR(meta_.Write([&](db::MetaStore::Transaction& tx) {
    return tx.Run(
        "INSERT INTO api_keys(id, name, scopes, secret_sha256, created_ms) VALUES (?, ?, ?, ?, ?)",
        {created.key.id, created.key.name, int64_t{scopes}, secret_sha256, created.key.created_ms});
  }));
  ReloadOnNextCheck();
  return created;
}

Result<std::vector<ApiKey>> ApiKeys::List() {
  return meta_.Read([&](db::Database& db) -> Result<std::vector<ApiKey>> {
    OM_ASSIGN_OR_RETURN(db::Statement select,
                        db.Prepare("SELECT id, name, scopes, created_ms, revoked_ms FROM api_keys "
                                   "ORDER BY created_ms DESC, id"));
    std::vector<ApiKey> keys;
    for (;;) {
      OM_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      keys.push_back({select.ColumnText(0), select.ColumnText(1),
                      static_cast<uint32_t>(select.ColumnInt(2)), select.ColumnInt(3),
                      select.ColumnInt(4)});
    }
    return keys;
  });
}

Status ApiKeys::Revoke(std::string_view id, Timestamp now) {
  int64_t changed = 0;
  OM_RETURN_IF_ERROR(meta_.Write([&](db::MetaStore::Transaction& tx) {
    OM_RETURN_IF_ERROR(tx.Run("UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms = 0",
                              {ToUnixMillis(now), id}));
    changed = tx.changes();
    return Status::Ok();
  }));
  if (changed == 0) {
    // Revoked already (nothing to do), or no such key.
    Result<bool> found = meta_.Read([&](db::Database& db) -> Result<bool> {
      OM_ASSIGN_OR_RETURN(db::Statement exists, db.Prepare("SELECT 1 FROM api_keys WHERE id = ?"));
      exists.Bind(1, id);
      return exists.Step();
    });
    if (!found.ok()) return found.status();
    if (!*found) {
      return Status::NotFound("no key with id \"" + std::string(id.substr(0, 40)) + "\"");
    }
  }
  ReloadOnNextCheck();
  return Status::Ok();
}

void ApiKeys::ReloadOnNextCheck() {
  // SQLite's data_version moves only for other connections' commits, not for our own.
  MutexLock lock(mu_);
  next_check_ms_ = 0;
  data_version_ = -1;
}

Status ApiKeys::RefreshIfChanged() {
  int64_t now = SteadyMillis();
  if (now < next_check_ms_) return Status::Ok();
  next_check_ms_ = now + 1000;
  // Read into locals: the function runs under the MetaStore's lock, not reasoned about as ours.
  const int64_t known = data_version_;
  int64_t version = known;
  absl::flat_hash_map<std::string, Cached> fresh;
  OM_RETURN_IF_ERROR(meta_.Read([&](db::Database& db) -> Status {
    OM_ASSIGN_OR_RETURN(version, db.DataVersion());
    if (version == known) return Status::Ok();
    OM_ASSIGN_OR_RETURN(db::Statement select,
                        db.Prepare("SELECT id, name, scopes, created_ms, revoked_ms, secret_sha256 "
                                   "FROM api_keys"));
    for (;;) {
      OM_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      Cached c{
          {select.ColumnText(0), select.ColumnText(1), static_cast<uint32_t>(select.ColumnInt(2)),
           select.ColumnInt(3), select.ColumnInt(4)},
          select.ColumnText(5)};
      std::string id = c.key.id;
      fresh.emplace(std::move(id), std::move(c));
    }
    return Status::Ok();
  }));
  if (version == known) return Status::Ok();
  cache_ = std::move(fresh);
  data_version_ = version;
  return Status::Ok();
}

Result<ApiKey> ApiKeys::Authenticate(std::string_view authorization, uint32_t scope) {
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer)) {
    return Status::Unauthenticated("Authorization: expected \"Bearer om_<id>_<secret>\"");
  }
  std::string_view token = authorization.substr(kBearer.size());
  // "om_" + id + "_" + secret
  if (token.size() != 3 + kIdHexDigits + 1 + kSecretHexDigits || !token.starts_with("om_") ||
      token[3 + kIdHexDigits] != '_') {
    return Status::Unauthenticated("Authorization: not an outagemap API key");
  }
  std::string id(token.substr(3, kIdHexDigits));
  std::string_view secret = token.substr(3 + kIdHexDigits + 1);
  if (!IsHex(id) || !IsHex(secret)) {
    return Status::Unauthenticated("Authorization: not an outagemap API key");
  }
  std::string digest = Sha256Hex(secret);
  MutexLock lock(mu_);
  OM_RETURN_IF_ERROR(RefreshIfChanged());
  auto it = cache_.find(absl::string_view(id.data(), id.size()));
  // Unknown, wrong and revoked keys get one answer, so that it tells an attacker nothing.
  if (it == cache_.end() || it->second.secret_sha256.size() != digest.size() ||
      CRYPTO_memcmp(it->second.secret_sha256.data(), digest.data(), digest.size()) != 0 ||
      it->second.key.revoked_ms != 0) {
    return Status::Unauthenticated("Authorization: unknown or revoked API key");
  }
  const ApiKey& key = it->second.key;
  if (!(key.scopes & scope) && !(key.scopes & kAdmin)) {
    return Status::PermissionDenied("this API key lacks the scope " + ScopeNames(scope));
  }
  return key;
}

}  // namespace om::auth
