// `outagemap keys create|list|revoke`: manages the API keys of a data dir (auth/api_keys.h). Safe
// to run beside a running server: the keys live in SQLite (<data_dir>/meta.db), which the server
// re-reads within a second of a change. With --cluster, the keys of a cluster: every node's
// meta.db follows one journal of writes, which a write to one node's file would bypass, so the
// command builds a meta.db of its own in a temporary directory, catches it up with the journal,
// and journals its write like a node (every node applies it within a second).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "auth/api_keys.h"
#include "cluster/jetstream_journal.h"
#include "cluster/report_stream.h"
#include "db/meta_store.h"
#include "server/commands.h"
#include "server/server.h"

namespace om::server {
namespace {

// A meta.db that follows a cluster's journal (see above), removed when this object goes.
class ClusterMeta {
 public:
  static Result<std::unique_ptr<ClusterMeta>> Open(const std::string& servers) {
    std::unique_ptr<ClusterMeta> c(new ClusterMeta());
    std::string dir_template =
        (std::filesystem::temp_directory_path() / "outagemap-keys-XXXXXX").string();
    if (mkdtemp(dir_template.data()) == nullptr) {
      return Status::IoError("a temporary directory for the journal's meta.db: " +
                             ErrnoText(errno));
    }
    c->dir_ = dir_template;
    cluster::ClusterOptions options;
    options.servers = SplitCommas(servers);
    options.node_id = "keys";
    OM_ASSIGN_OR_RETURN(c->stream_, cluster::ReportStream::Connect(options));
    OM_ASSIGN_OR_RETURN(c->journal_, cluster::JetStreamJournal::Open(*c->stream_));
    OM_ASSIGN_OR_RETURN(c->meta_, db::MetaStore::Open(MetaDatabasePath(c->dir_)));
    OM_RETURN_IF_ERROR(c->journal_->Attach(*c->meta_, nullptr));
    return c;
  }
  ~ClusterMeta() {
    if (journal_ != nullptr) journal_->Stop();
    meta_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  ClusterMeta(const ClusterMeta&) = delete;
  ClusterMeta& operator=(const ClusterMeta&) = delete;

  db::MetaStore& meta() { return *meta_; }

 private:
  ClusterMeta() = default;
  std::string dir_;
  std::unique_ptr<cluster::ReportStream> stream_;
  std::unique_ptr<cluster::JetStreamJournal> journal_;
  std::unique_ptr<db::MetaStore> meta_;
};

}  // namespace

int RunKeys(const KeysFlags& flags) {
  std::unique_ptr<ClusterMeta> cluster_meta;
  Result<std::unique_ptr<db::MetaStore>> meta = std::unique_ptr<db::MetaStore>();
  if (!flags.cluster.empty()) {
    Result<std::unique_ptr<ClusterMeta>> opened = ClusterMeta::Open(flags.cluster);
    if (!opened.ok()) {
      std::fprintf(stderr, "outagemap keys: cluster: %s\n", opened.status().message().c_str());
      return 1;
    }
    cluster_meta = std::move(*opened);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(flags.data_dir, ec);
    if (ec) {
      std::fprintf(stderr, "outagemap keys: --data %s: %s\n", flags.data_dir.c_str(),
                   ec.message().c_str());
      return 1;
    }
    meta = db::MetaStore::Open(MetaDatabasePath(flags.data_dir));
  }
  auto keys = cluster_meta ? auth::ApiKeys::Open(cluster_meta->meta())
              : meta.ok()  ? auth::ApiKeys::Open(**meta)
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
