// `outagemap keys create|list|revoke`: manages the API keys of a data dir (auth/api_keys.h). Safe
// to run beside a running server: the keys live in SQLite (<data_dir>/meta.db), which the server
// re-reads within a second of a change.
#include <cstdio>
#include <filesystem>

#include "auth/api_keys.h"
#include "db/meta_store.h"
#include "server/commands.h"
#include "server/server.h"

namespace om::server {

int RunKeys(const KeysFlags& flags) {
  std::error_code ec;
  std::filesystem::create_directories(flags.data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "outagemap keys: --data %s: %s\n", flags.data_dir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  auto meta = db::MetaStore::Open(MetaDatabasePath(flags.data_dir));
  auto keys = meta.ok() ? auth::ApiKeys::Open(**meta)
                        : Result<std::unique_ptr<auth::ApiKeys>>(meta.status());
  if (!keys.ok()) {
    std::fprintf(stderr, "outagemap keys: %s\n", keys.status().ToString().c_str());
    return 1;
  }
  Timestamp now = SystemClock::Instance().Now();
  if (flags.action == "create") {
    Result<uint32_t> scopes = auth::ParseScopes(flags.scopes);
    if (!scopes.ok()) {
      std::fprintf(stderr, "outagemap keys create: --%s\n", scopes.status().message().c_str());
      return 2;
    }
    auto created = (*keys)->Create(flags.name, *scopes, now);
    if (!created.ok()) {
      std::fprintf(stderr, "outagemap keys create: %s\n", created.status().message().c_str());
      return created.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
    }
    std::printf("%s\n", created->token.c_str());
    std::fprintf(stderr,
                 "created key %s (\"%s\", %s). The line above is the key; it is not stored and "
                 "cannot be shown again. Send it as: Authorization: Bearer <key>\n",
                 created->key.id.c_str(), created->key.name.c_str(),
                 auth::ScopeNames(created->key.scopes).c_str());
    return 0;
  }
  if (flags.action == "list") {
    auto list = (*keys)->List();
    if (!list.ok()) {
      std::fprintf(stderr, "outagemap keys list: %s\n", list.status().ToString().c_str());
      return 1;
    }
    std::printf("%-12s  %-20s  %-10s  %-32s  %s\n", "ID", "CREATED", "STATE", "SCOPES", "NAME");
    for (const auto& k : *list) {
      std::printf("%-12s  %-20s  %-10s  %-32s  %s\n", k.id.c_str(),
                  FormatRfc3339(FromUnixMillis(k.created_ms - k.created_ms % 1000)).c_str(),
                  k.revoked_ms ? "revoked" : "active", auth::ScopeNames(k.scopes).c_str(),
                  k.name.c_str());
    }
    return 0;
  }
  Status s = (*keys)->Revoke(flags.id, now);
  if (!s.ok()) {
    std::fprintf(stderr, "outagemap keys revoke: %s\n", s.message().c_str());
    return s.code() == StatusCode::kNotFound ? 2 : 1;
  }
  std::fprintf(stderr, "revoked key %s\n", flags.id.c_str());
  return 0;
}

}  // namespace om::server
