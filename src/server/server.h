#pragma once
// Server is the composition root: it builds the catalog, gazetteer, IP locator, store, ingestor,
// API and HTTP server from a ServerConfig, and starts and stops them in dependency order
// (store writer, then HTTP; stopped in reverse: HTTP stops accepting, the store drains and
// snapshots).
//
// Embedded mode (the default): the local Store is the intake and the counts. Cluster mode
// (ServerConfig::cluster.servers set, docs/cluster.md): reports go to the replicated report
// stream (cluster::StreamIntake), this node counts the whole stream (cluster::StreamCounts),
// /readyz follows its reach of a quorum (cluster::ClusterRole), and meta.db follows the journal
// of writes (cluster::JetStreamJournal). The node holding the leader lease takes over (catches up
// the journal and the counts, claims the lease's term, restores the last committed detection
// state), then commits the judged minutes, sends notifications and polls official pages under
// its fence. Every other node judges the same counts for its own views and adopts the leader's
// detection state each time the journal brings it.
//
// Thread-safety: Start/Stop from the owning (main) thread.

#include <atomic>
#include <memory>
#include <optional>

#include "alerts/notifier.h"
#include "alerts/subscriptions.h"
#include "api/admin_routes.h"
#include "api/http_server.h"
#include "api/incident_routes.h"
#include "api/live_events.h"
#include "api/report_routes.h"
#include "api/router.h"
#include "api/service_routes.h"
#include "api/statuspage_routes.h"
#include "api/web_routes.h"
#include "auth/api_keys.h"
#include "base/metrics.h"
#include "base/periodic_thread.h"
#include "base/status.h"
#include "base/time.h"
#include "cluster/cluster_role.h"
#include "cluster/jetstream_journal.h"
#include "cluster/report_stream.h"
#include "cluster/stream_counts.h"
#include "cluster/stream_intake.h"
#include "db/meta_store.h"
#include "detect/detector.h"
#include "geo/gazetteer.h"
#include "geo/ip_locator.h"
#include "incidents/incident_records.h"
#include "incidents/incident_tracker.h"
#include "incidents/maintenances.h"
#include "incidents/status_pages.h"
#include "ingest/ingestor.h"
#include "ingest/service_registry.h"
#include "official/official_status.h"
#include "pipeline/learned_dispersion.h"
#include "pipeline/pipeline.h"
#include "server/detector_thread.h"
#include "server/leader_writes.h"
#include "server/server_config.h"
#include "store/store.h"
#include "web/assets.h"

namespace om::server {

class Server {
 public:
  // Loads the catalog and gazetteer and recovers the store (may take seconds on a large log).
  // Errors name the failing part: catalog file, IP database, data dir, listen address.
  static Result<std::unique_ptr<Server>> Create(const ServerConfig& config, const Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the store, the HTTP server and the background work; with `detect` false, all but the
  // detector thread, which StartDetection() starts later: the demo writes its history first, so
  // that no service's baseline or day profile is read from a half-written history.
  void Start(bool detect = true);
  void StartDetection();
  void Stop();

  uint16_t port() const { return http_->port(); }
  ingest::Ingestor& ingestor() { return *ingestor_; }
  // The embedded store. REQUIRES: embedded mode (the demo and the importer write to it).
  store::Store& store() { return *store_; }
  store::ReportIntake& intake() { return *intake_; }
  const store::CountStore& counts() const { return *counts_; }
  const geo::Gazetteer& gazetteer() const { return *gazetteer_; }
  ingest::ServiceRegistry& registry() { return *registry_; }
  MetricsRegistry& metrics() { return metrics_; }
  const detect::Detector& detector() const { return *detector_; }

 private:
  Server() = default;
  // Opens the intake and the counts: the local store, or the report stream and its follower.
  Status OpenReports(const ServerConfig& config, const Clock& clock);
  // Builds every resource of the HTTP API on the parts above and registers it on router_.
  void RegisterRoutes(const api::ApiOptions& options, const Clock& clock);
  // Cluster mode (docs/cluster.md). Opens the journal of meta.db writes, applies what it holds
  // and journals this node's writes from then on.
  Status OpenJournal();
  // One round of the cluster's detection thread: takes over when this node got the leader lease
  // (TakeOver), steps down when it lost it, refreshes what the journal changed, and judges the
  // completed minutes: committing them under the leader's fence when leading, for this node's
  // own views otherwise.
  void ClusterDetectionRound();
  // Catches up the journal and the counts, claims the lease's term in meta.db, and restores the
  // pipeline from the last state committed; kUnavailable while not caught up (retried).
  Status TakeOver();
  // Re-reads the repositories' caches; a follower also adopts the leader's detection state.
  void RefreshFromJournal();

  MetricsRegistry metrics_;
  std::unique_ptr<geo::Gazetteer> gazetteer_;
  std::unique_ptr<geo::IpLocator> ip_locator_;
  std::unique_ptr<ingest::ServiceRegistry> registry_;
  // Embedded mode: the store is the intake and the counts. Cluster mode: the stream's.
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<cluster::ReportStream> stream_;
  std::unique_ptr<cluster::StreamIntake> stream_intake_;
  std::unique_ptr<cluster::StreamCounts> stream_counts_;
  std::unique_ptr<cluster::ClusterRole> role_;
  store::ReportIntake* intake_ = nullptr;
  store::CountStore* counts_ = nullptr;
  // Cluster mode: notifications and official polls, run while this node leads.
  PeriodicThread leader_work_;
  // Cluster mode: detection rounds (ClusterDetectionRound).
  PeriodicThread cluster_detection_;
  std::unique_ptr<cluster::JetStreamJournal> journal_;  // outlives meta_, which journals to it
  // Set by the journal's applier after each entry; taken by the detection round.
  std::atomic<bool> journal_changed_{false};
  // The term this node leads at, once it took over; 0 while it follows.
  std::atomic<int64_t> leader_term_{0};
  Gauge* committed_minute_ = nullptr;  // om_detection_committed_timestamp_seconds
  int64_t adopted_saved_ms_ = 0;  // saved_ms of the leader's state adopted last (detection round)
  std::string takeover_trouble_;  // the last reason a takeover failed (the detection round only)
  // The stream's last sequence when detection started (the detection round only).
  std::optional<uint64_t> counted_at_start_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<detect::Detector> detector_;
  std::unique_ptr<db::MetaStore> meta_;  // borrowed by the repositories below
  std::unique_ptr<pipeline::LearnedDispersions> learned_;
  std::unique_ptr<incidents::IncidentRecords> records_;
  std::unique_ptr<incidents::Maintenances> maintenances_;
  std::unique_ptr<incidents::StatusPages> pages_;
  std::unique_ptr<incidents::IncidentTracker> incidents_;
  std::unique_ptr<pipeline::PipelineStateStore> pipeline_state_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<DetectorThread> detector_thread_;
  std::unique_ptr<auth::ApiKeys> keys_;
  std::unique_ptr<alerts::Subscriptions> subscriptions_;
  std::unique_ptr<alerts::Notifier> notifier_;
  std::unique_ptr<official::OfficialStatus> official_;
  std::unique_ptr<web::Assets> assets_;
  std::unique_ptr<api::LiveEvents> live_;
  // The HTTP API: every resource registered on one router (RegisterRoutes).
  std::unique_ptr<api::ReportRoutes> report_routes_;
  std::unique_ptr<api::ServiceRoutes> service_routes_;
  std::unique_ptr<api::IncidentRoutes> incident_routes_;
  std::unique_ptr<api::AdminRoutes> admin_routes_;
  std::unique_ptr<api::StatuspageRoutes> statuspage_routes_;
  std::unique_ptr<api::WebRoutes> web_routes_;
  std::unique_ptr<api::OpsRoutes> ops_routes_;
  std::unique_ptr<api::Router> router_;
  // Cluster mode: operator writes go to the leader (after router_, which it answers them with).
  std::unique_ptr<LeaderWrites> leader_writes_;
  std::unique_ptr<api::HttpServer> http_;
  bool started_ = false;
  bool detecting_ = false;
  const Clock* clock_ = nullptr;  // the server's clock (event time in the demo)
  bool official_enabled_ = false;
};

// The SQLite file of a data dir's metadata (docs/formats/meta-db.md).
inline std::string MetaDatabasePath(const std::string& data_dir) { return data_dir + "/meta.db"; }

// Loads the built-in catalog merged with the user catalog at `user_file` (empty: none).
Result<catalog::Catalog> LoadCatalog(const std::string& user_file);

}  // namespace om::server
