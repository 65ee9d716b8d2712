#include "server/server.h"

#include <sys/resource.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "base/log.h"

namespace om::server {
namespace {

// Most incident records of one service that an official page's accuracy is judged on.
constexpr size_t kMaxCrowdHistory = 10000;

// Every connection is a descriptor, and a server that runs out of them cannot even accept a
// connection to refuse it. The soft limit (often 1024) is raised to the hard one, as servers do;
// when even that is short of max_connections, the operator is told which one to raise.
void RaiseOpenFileLimit(size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  }
  // Besides connections: the store's files, the listening socket, the event loops.
  constexpr rlim_t kDescriptorsBesidesConnections = 256;
  if (limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < max_connections + kDescriptorsBesidesConnections) {
    OM_LOG(kWarning) << "the open file limit (" << limit.rlim_cur
                     << ") is below server.max_connections (" << max_connections
                     << ") plus 256: past it connections wait in the listen backlog; raise "
                        "the limit (ulimit -n, LimitNOFILE=) or lower server.max_connections";
  }
}

}  // namespace

Result<catalog::Catalog> LoadCatalog(const std::string& user_file) {
  OM_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::Catalog::LoadBuiltin());
  if (!user_file.empty()) {
    OM_ASSIGN_OR_RETURN(catalog::Catalog user, catalog::Catalog::LoadFile(user_file));
    OM_RETURN_IF_ERROR(catalog.Merge(user));
  }
  return catalog;
}

Result<std::unique_ptr<Server>> Server::Create(const ServerConfig& config, const Clock& clock) {
  std::unique_ptr<Server> s(new Server());
  OM_ASSIGN_OR_RETURN(catalog::Catalog catalog, LoadCatalog(config.catalog_file));
  s->registry_ = std::make_unique<ingest::ServiceRegistry>(std::move(catalog), config.registry);
  OM_ASSIGN_OR_RETURN(s->gazetteer_, geo::Gazetteer::LoadBuiltin());
  if (!config.ip_database.empty()) {
    Result<std::unique_ptr<geo::IpLocator>> locator =
        geo::IpLocator::Open(config.ip_database, *s->gazetteer_);
    if (!locator.ok()) return locator.status().WithPrefix("geo.ip_database");
    s->ip_locator_ = std::move(*locator);
  }
  OM_RETURN_IF_ERROR(s->OpenReports(config, clock));
  s->ingestor_ = std::make_unique<ingest::Ingestor>(config.ingest, *s->registry_, *s->gazetteer_,
                                                    s->ip_locator_.get(), clock, s->metrics_);
  s->detector_ = std::make_unique<detect::Detector>(config.detect, s->gazetteer_.get());
  // meta.db: one connection for every repository below, migrated to this release's schema.
  Result<std::unique_ptr<db::MetaStore>> meta =
      db::MetaStore::Open(MetaDatabasePath(config.store.data_dir));
  if (!meta.ok()) return meta.status();
  s->meta_ = std::move(*meta);
  if (s->stream_ != nullptr) OM_RETURN_IF_ERROR(s->OpenJournal());
  // Each service starts from the dispersion it had learned before the restart.
  Result<std::unique_ptr<pipeline::LearnedDispersions>> learned =
      pipeline::LearnedDispersions::Open(*s->meta_);
  if (!learned.ok()) return learned.status().WithPrefix("learned dispersions");
  s->learned_ = std::move(*learned);
  Result<std::unordered_map<std::string, double>> seeds = s->learned_->Load();
  if (!seeds.ok()) return seeds.status().WithPrefix("learned dispersions");
  s->detector_->SeedDispersions(std::move(*seeds));
  s->clock_ = &clock;
  s->official_enabled_ = config.official.enabled;
  ingest::ServiceRegistry* registry = s->registry_.get();
  Result<std::unique_ptr<incidents::IncidentRecords>> records =
      incidents::IncidentRecords::Open(*s->meta_);
  if (!records.ok()) return records.status().WithPrefix("incident records");
  s->records_ = std::move(*records);
  s->records_->SetReminderInterval(config.remind_every);
  s->records_->SetGroupDependents(config.group_dependents);
  s->records_->SetGroupWait(config.group_wait);
  s->records_->SetServiceNames([registry = s->registry_.get()](const std::string& service) {
    auto found = registry->Find(service);
    return found ? found->name : service;
  });
  Result<std::unique_ptr<incidents::Maintenances>> maintenances =
      incidents::Maintenances::Open(*s->meta_);
  if (!maintenances.ok()) return maintenances.status().WithPrefix("maintenances");
  s->maintenances_ = std::move(*maintenances);
  incidents::Maintenances* windows = s->maintenances_.get();
  Result<std::unique_ptr<incidents::StatusPages>> pages = incidents::StatusPages::Open(*s->meta_);
  if (!pages.ok()) return pages.status().WithPrefix("status pages");
  s->pages_ = std::move(*pages);
  incidents::IncidentOptions incident_options;
  // Never reuse an id a record already has.
  incident_options.first_number =
      std::max(incident_options.first_number, s->records_->MaxNumber() + 1);
  s->incidents_ = std::make_unique<incidents::IncidentTracker>(
      incident_options,
      [registry](const std::string& service) {
        auto found = registry->Find(service);
        return found ? found->depends_on : std::vector<std::string>{};
      },
      [windows](const std::string& service, int64_t minute) {
        return windows->Active(service, minute);
      });
  // Learned dependencies survive a restart: the tracker relearns them from the records.
  std::vector<incidents::IncidentTracker::PastIncident> past;
  for (const auto& record : s->records_->List(10000)) {
    past.push_back({record.service, record.started_minute});
  }
  s->incidents_->SeedHistory(std::move(past));
  Result<std::unique_ptr<pipeline::PipelineStateStore>> pipeline_state =
      pipeline::PipelineStateStore::Open(*s->meta_);
  if (!pipeline_state.ok()) return pipeline_state.status().WithPrefix("pipeline state");
  s->pipeline_state_ = std::move(*pipeline_state);
  const store::CountStore* counts = s->counts_;
  s->pipeline_ = std::make_unique<pipeline::Pipeline>(pipeline::PipelineParts{
      .detector = *s->detector_,
      .tracker = *s->incidents_,
      .read_counts =
          [counts](const auto& read) {
            counts->Read([&](const store::Aggregates& a) {
              read(a);
              return 0;
            });
          },
      .records = s->records_.get(),
      .gazetteer = s->gazetteer_.get(),
      .learned = s->learned_.get(),
      .state = s->pipeline_state_.get(),
  });
  // A restart continues the incidents and statuses it had (same ids, no second opening).
  Result<bool> restored = s->pipeline_->Restore(MinuteOf(clock.Now()));
  if (!restored.ok()) {
    // Detection starts afresh, as before this state existed; the records and counts are intact.
    OM_LOG(kError) << restored.status().ToString() << "; detection starts afresh";
  } else if (*restored) {
    OM_LOG(kInfo) << "detection continues from minute " << s->pipeline_->last_minute();
  }
  s->detector_thread_ =
      std::make_unique<DetectorThread>(*s->pipeline_, clock, std::chrono::seconds(5));
  Result<std::unique_ptr<auth::ApiKeys>> keys = auth::ApiKeys::Open(*s->meta_);
  if (!keys.ok()) return keys.status().WithPrefix("API keys");
  s->keys_ = std::move(*keys);
  Result<std::unique_ptr<alerts::Subscriptions>> subscriptions =
      alerts::Subscriptions::Open(*s->meta_);
  if (!subscriptions.ok()) return subscriptions.status().WithPrefix("subscriptions");
  s->subscriptions_ = std::move(*subscriptions);
  alerts::NotifierOptions notifier_options = config.notifier;
  if (notifier_options.public_url.empty()) {
    notifier_options.public_url = "http://" + config.http.listen;
  }
  s->notifier_ = std::make_unique<alerts::Notifier>(
      notifier_options, *s->records_, *s->subscriptions_,
      [registry](const std::string& service) {
        auto found = registry->Find(service);
        return found ? found->name : service;
      },
      s->metrics_, clock);
  std::vector<official::Source> sources;
  for (const catalog::Service& service : s->registry_->Services()) {
    bool chosen = config.official_services.empty() ||
                  std::find(config.official_services.begin(), config.official_services.end(),
                            service.id) != config.official_services.end();
    if (chosen && service.status_format != "none" && !service.status_url.empty()) {
      sources.push_back({service.id, service.status_url, service.status_format});
    }
  }
  // How an official page followed the crowd is judged on the incident records.
  official::CrowdHistory crowd_history = [records = s->records_.get()](std::string_view service,
                                                                       int64_t since_ms) {
    std::vector<official::CrowdIncident> crowd;
    auto detected_since = [&](const incidents::IncidentRecord& r) {
      return r.service == service && r.detected_minute * 60000 >= since_ms;
    };
    for (const auto& r : records->List(kMaxCrowdHistory, detected_since)) {
      crowd.push_back({r.detected_minute * 60000, r.crowd_resolved_minute * 60000});
    }
    return crowd;
  };
  Result<std::unique_ptr<official::OfficialStatus>> official = official::OfficialStatus::Open(
      config.official, std::move(sources), *s->meta_, s->metrics_, clock, std::move(crowd_history));
  if (!official.ok()) return official.status().WithPrefix("official status");
  s->official_ = std::move(*official);
  s->assets_ = web::Assets::LoadBuiltin();
  s->live_ = std::make_unique<api::LiveEvents>(config.live, *s->registry_, *s->counts_,
                                               *s->detector_, *s->incidents_, s->metrics_, clock);
  s->RegisterRoutes(config.api, clock);
  if (s->role_ != nullptr) {
    Result<std::unique_ptr<LeaderWrites>> leader_writes = LeaderWrites::Open(
        *s->stream_, *s->role_, *s->router_,
        [server = s.get()] { return server->leader_term_ != 0; }, s->metrics_);
    if (!leader_writes.ok()) return leader_writes.status().WithPrefix("cluster: operator writes");
    s->leader_writes_ = std::move(*leader_writes);
    s->router_->SetWriteForwarder(s->leader_writes_.get());
  }
  api::Router* router = s->router_.get();
  RaiseOpenFileLimit(config.http.max_connections);
  Result<std::unique_ptr<api::HttpServer>> http = api::HttpServer::Create(
      config.http,
      [router](api::HttpRequest&& request, api::Responder respond) {
        router->Handle(std::move(request), std::move(respond));
      },
      s->metrics_);
  if (!http.ok()) return http.status().WithPrefix("server");
  s->http_ = std::move(*http);
  return s;
}

void Server::RegisterRoutes(const api::ApiOptions& options, const Clock& clock) {
  report_routes_ =
      std::make_unique<api::ReportRoutes>(options, *ingestor_, *intake_, metrics_, clock);
  service_routes_ = std::make_unique<api::ServiceRoutes>(
      options, *registry_, *counts_, *gazetteer_, *detector_, *incidents_, *official_, clock);
  incident_routes_ = std::make_unique<api::IncidentRoutes>(
      options, *registry_, *counts_, *gazetteer_, *detector_, *incidents_, *records_, clock);
  admin_routes_ = std::make_unique<api::AdminRoutes>(*registry_, *subscriptions_, *records_,
                                                     *maintenances_, *pages_, clock);
  statuspage_routes_ = std::make_unique<api::StatuspageRoutes>(
      options, *registry_, *detector_, *records_, *maintenances_, *pages_, clock);
  web_routes_ = std::make_unique<api::WebRoutes>(options, *assets_, *registry_, *gazetteer_,
                                                 *detector_, *incidents_, *live_);
  if (role_ != nullptr) {
    ops_routes_ =
        std::make_unique<api::OpsRoutes>(metrics_, [role = role_.get()] { return role->ready(); });
  } else {
    ops_routes_ = std::make_unique<api::OpsRoutes>(
        metrics_, [store = store_.get()] { return store->write_failure(); });
  }
  router_ = std::make_unique<api::Router>(keys_.get(), options.read_max_age);
  report_routes_->Register(*router_);
  service_routes_->Register(*router_);
  incident_routes_->Register(*router_);
  admin_routes_->Register(*router_);
  statuspage_routes_->Register(*router_);
  web_routes_->Register(*router_);
  ops_routes_->Register(*router_);
}

Status Server::OpenReports(const ServerConfig& config, const Clock& clock) {
  if (config.cluster.servers.empty()) {
    Result<std::unique_ptr<store::Store>> store = store::Store::Open(config.store, clock, metrics_);
    if (!store.ok()) return store.status().WithPrefix("store");
    store_ = std::move(*store);
    const store::RecoveryInfo& rec = store_->recovery();
    OM_LOG(kInfo) << "store recovered in " << rec.seconds << " s: snapshot "
                  << (rec.snapshot_loaded ? "loaded" : "absent") << ", " << rec.replayed_records
                  << " log records replayed, " << rec.truncated_bytes << " torn bytes truncated";
    intake_ = store_.get();
    counts_ = store_.get();
    return Status::Ok();
  }
  cluster::ClusterOptions options = config.cluster;
  // The stream keeps reports as long as the embedded log would.
  options.retention = std::chrono::duration_cast<std::chrono::hours>(config.store.log_retention);
  Result<std::unique_ptr<cluster::ReportStream>> stream = cluster::ReportStream::Connect(options);
  if (!stream.ok()) return stream.status().WithPrefix("cluster");
  stream_ = std::move(*stream);
  if (Status ensured = stream_->EnsureStream(); !ensured.ok()) {
    return ensured.WithPrefix("cluster");
  }
  Result<std::unique_ptr<cluster::StreamIntake>> intake =
      cluster::StreamIntake::Create(*stream_, metrics_);
  if (!intake.ok()) return intake.status().WithPrefix("cluster");
  stream_intake_ = std::move(*intake);
  cluster::StreamCountsOptions counts_options{
      .data_dir = config.store.data_dir,
      .dedupe = store::DedupeOptions{config.store.dedupe_window, config.store.dedupe_max_entries},
      .aggregates = config.store.aggregates,
      .snapshot_every_reports = config.store.snapshot_every_reports,
      .env = config.store.env,
  };
  Result<std::unique_ptr<cluster::StreamCounts>> counts =
      cluster::StreamCounts::Open(counts_options, *stream_, metrics_);
  if (!counts.ok()) return counts.status().WithPrefix("store");
  stream_counts_ = std::move(*counts);
  cluster::StreamCounts* followed = stream_counts_.get();
  Result<std::unique_ptr<cluster::ClusterRole>> role = cluster::ClusterRole::Open(
      cluster::ClusterRoleOptions{}, *stream_, clock,
      [followed] { return followed->applied_sequence(); }, metrics_);
  if (!role.ok()) return role.status().WithPrefix("cluster");
  role_ = std::move(*role);
  OM_LOG(kInfo) << "cluster node " << options.node_id << ": stream " << options.stream << " ("
                << options.replicas << " replicas), counted up to sequence "
                << stream_counts_->applied_sequence();
  intake_ = stream_intake_.get();
  counts_ = stream_counts_.get();
  return Status::Ok();
}

Status Server::OpenJournal() {
  Result<std::unique_ptr<cluster::JetStreamJournal>> journal =
      cluster::JetStreamJournal::Open(*stream_);
  if (!journal.ok()) return journal.status().WithPrefix("cluster: meta.db journal");
  journal_ = std::move(*journal);
  // This node's meta.db takes every entry written so far before anything reads it, then
  // journals its own writes on top of them.
  OM_RETURN_IF_ERROR(journal_->Attach(*meta_, [this](uint64_t) { journal_changed_ = true; })
                         .WithPrefix("cluster: meta.db journal"));
  OM_LOG(kInfo) << "meta.db follows the journal, at entry " << meta_->journal_position();
  db::MetaStore* meta = meta_.get();
  metrics_.AddCallbackGauge("om_meta_journal_position",
                            "The last entry of the journal of meta.db writes applied here.",
                            [meta] { return static_cast<double>(meta->journal_position()); });
  metrics_.AddCallbackGauge(
      "om_cluster_term",
      "The fencing token this node leads at, once it took over; 0 while it follows.",
      [this] { return static_cast<double>(leader_term_.load()); });
  committed_minute_ = &metrics_.GetGauge(
      "om_detection_committed_timestamp_seconds",
      "Start of the last minute this node judged and committed as the leader (0: none).");
  return Status::Ok();
}

void Server::ClusterDetectionRound() {
  // Judging waits until this node has counted what the stream held when it started: a minute
  // judged on half its reports would open or resolve incidents wrongly.
  if (!counted_at_start_) {
    Result<cluster::StreamState> state = stream_->State();
    if (!state.ok()) return;
    counted_at_start_ = state->last_sequence;
  }
  if (stream_counts_->applied_sequence() < *counted_at_start_) return;
  const bool leading = role_->leading();
  if (leading && leader_term_ == 0) {
    if (Status taken = TakeOver(); !taken.ok()) {
      // Retried every round: told once per distinct reason.
      if (taken.ToString() != takeover_trouble_) {
        takeover_trouble_ = taken.ToString();
        OM_LOG(kWarning) << "taking over as leader: " << takeover_trouble_ << "; retrying";
      }
      return;
    }
    takeover_trouble_.clear();
  } else if (!leading && leader_term_ != 0) {
    OM_LOG(kWarning) << "no longer the leader (term " << leader_term_.load()
                     << "): following the journal";
    leader_term_ = 0;
    pipeline_->SetCommitting(false);
  }
  if (journal_changed_.exchange(false)) RefreshFromJournal();
  const int64_t term = leader_term_.load();
  if (term == 0) {
    detector_thread_->Round();
    return;
  }
  // A leader paused past its lease finds its late commits refused.
  db::MetaStore::LeaderFence fence(*meta_, term);
  detector_thread_->Round();
  if (pipeline_->last_minute() != INT64_MIN) {
    committed_minute_->Set(static_cast<double>(pipeline_->last_minute() * 60));
  }
}

Status Server::TakeOver() {
  // 1. meta.db holds every entry of the journal: the last leader's commits, its cursors.
  Result<uint64_t> journal_last = journal_->LastSequence();
  if (!journal_last.ok()) return journal_last.status().WithPrefix("meta.db journal");
  if (!meta_->WaitForJournal(*journal_last, std::chrono::seconds(5))) {
    return Status::Unavailable("meta.db journal: applied " +
                               std::to_string(meta_->journal_position()) + " of " +
                               std::to_string(*journal_last));
  }
  // 2. The counts hold every report the stream held now.
  Result<cluster::StreamState> state = stream_->State();
  if (!state.ok()) return state.status().WithPrefix("report stream");
  constexpr int kCountWaitRounds = 50;  // 10 s at 200 ms
  for (int i = 0; stream_counts_->applied_sequence() < state->last_sequence; ++i) {
    if (i == kCountWaitRounds) {
      return Status::Unavailable("counted " + std::to_string(stream_counts_->applied_sequence()) +
                                 " of " + std::to_string(state->last_sequence) + " reports");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // 3. The claim, journaled: from it on, the previous leader's writes are fenced off.
  const auto term = static_cast<int64_t>(role_->leader_token());
  if (term == 0) return Status::Unavailable("the leader lease was lost");
  OM_RETURN_IF_ERROR(
      meta_->ClaimLeaderTerm(term, stream_->options().node_id, ToUnixMillis(clock_->Now())));
  // 4. Detection continues from the last state the previous leader committed.
  RefreshFromJournal();
  Result<bool> restored = pipeline_->Restore(MinuteOf(clock_->Now()));
  if (!restored.ok()) return restored.status().WithPrefix("pipeline state");
  pipeline_->SetCommitting(true);
  leader_term_ = term;
  OM_LOG(kInfo) << "leading at term " << term << ": detection continues from minute "
                << pipeline_->last_minute() << ", meta.db at journal entry "
                << meta_->journal_position();
  return Status::Ok();
}

void Server::RefreshFromJournal() {
  // What this node keeps in memory of meta.db, as the journal brought other nodes' writes.
  for (const Status& s : {records_->Reload(), maintenances_->Reload(), pages_->Reload()}) {
    if (!s.ok()) OM_LOG(kError) << "refreshing from meta.db: " << s.ToString();
  }
  keys_->ReloadOnNextCheck();
  if (leader_term_ != 0) return;
  // A follower shows what its leader polled and judged: the official levels, and the detector's
  // run states and the incidents as of the leader's last commit, judged on from there.
  if (Status s = official_->Reload(); !s.ok()) {
    OM_LOG(kError) << "refreshing from meta.db: " << s.ToString();
  }
  // Only when the leader committed since the last adoption: most entries are other writes
  // (notification cursors, operators'), and each adoption has the minutes after it judged again.
  Result<int64_t> saved_ms = pipeline_state_->SavedMs();
  if (!saved_ms.ok() || *saved_ms == adopted_saved_ms_) return;
  Result<bool> adopted = pipeline_->Restore(MinuteOf(clock_->Now()));
  if (!adopted.ok()) {
    OM_LOG(kError) << "adopting the leader's state: " << adopted.status().ToString();
    return;
  }
  adopted_saved_ms_ = *saved_ms;
}

Server::~Server() {
  Stop();
  // The journal's applier tells this object; it stops before the members go.
  if (journal_ != nullptr) journal_->Stop();
}

void Server::Start(bool detect) {
  if (started_) return;
  started_ = true;
  if (store_ != nullptr) store_->Start();
  if (stream_counts_ != nullptr) {
    stream_counts_->Start();
    stream_intake_->Start();
    role_->Start();
  }
  if (detect) StartDetection();
  live_->Start();
  if (role_ == nullptr) {
    notifier_->Start();
    official_->Start();
  } else {
    // One sender in a cluster: the leader, once it took over (ClusterDetectionRound), under its
    // fence. Its rounds run on this thread instead of their own.
    leader_work_.Start(std::chrono::seconds(1), [this] {
      const int64_t term = leader_term_.load();
      if (term == 0 || !role_->leading()) return;
      db::MetaStore::LeaderFence fence(*meta_, term);
      notifier_->RunOnce();
      if (official_enabled_) official_->PollDue();
    });
  }
  http_->Start();
  ops_routes_->SetReady(true);
}

void Server::StartDetection() {
  if (detecting_) return;
  detecting_ = true;
  if (role_ == nullptr) {
    detector_thread_->Start();
    return;
  }
  // Cluster mode: every node judges for its own views; the leader alone commits.
  pipeline_->SetCommitting(false);
  cluster_detection_.Start(std::chrono::milliseconds(200), [this] { ClusterDetectionRound(); });
}

void Server::Stop() {
  if (!started_) return;
  started_ = false;
  ops_routes_->SetReady(false);
  live_->Stop();
  http_->Stop();
  leader_work_.Stop();
  notifier_->Stop();
  official_->Stop();
  detector_thread_->Stop();
  cluster_detection_.Stop();
  detecting_ = false;
  // In a cluster, only the leader keeps what detection learned, under its fence.
  if (role_ == nullptr || leader_term_ != 0) {
    std::optional<db::MetaStore::LeaderFence> fence;
    if (leader_term_ != 0) fence.emplace(*meta_, leader_term_.load());
    if (Status saved = pipeline_->SaveLearned(clock_->Now()); !saved.ok()) {
      OM_LOG(kError) << saved.ToString();
    }
  }
  if (store_ != nullptr) store_->Stop();
  if (stream_counts_ != nullptr) {
    leader_term_ = 0;
    journal_->Stop();
    role_->Stop();
    stream_intake_->Stop();
    stream_counts_->Stop();
  }
}

}  // namespace om::server
