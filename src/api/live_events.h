#pragma once
// LiveEvents feeds GET /api/v1/events, the Server-Sent Events stream (text/event-stream, WHATWG
// HTML §9.2) that keeps the web UI current without reloads. One thread wakes every `interval`
// (and at once when a client connects), reads the detection snapshot, the incident snapshot and
// each service's report counts, and sends every connected client what its view shows:
//   event: services    on connecting, the view's services; afterwards only the services whose
//                      shown fields changed since the last round (nothing when none did)
//   event: incidents   the view's open incident ids and the ids of its incidents that changed,
//                      when any did (and on connecting)
//   : ping             a comment after `ping_every` without an event, so proxies keep the stream
// A view is what one page shows (LiveView): on an outage day most viewers sit on one service's
// page, and sending each of them every service's counts (about 1.9 MB at 10,000 services) would
// cost more than the page. Every event carries `id: <epoch>.<round>`; a client that comes back
// with that id (the Last-Event-ID header browsers send on reconnecting, or `last_event_id=`) is
// greeted with only what changed since that round, so a reconnect storm after a restart of a
// proxy costs deltas, not full states. The epoch is random per process: an id from another
// process or node gets the full greeting. Payload fields are documented in docs/api/README.md.
//
// Limits: at most `max_streams` clients at once (Attach refuses more; the API answers 503). A
// client more than 1 MiB behind is dropped by the HTTP server (StreamSink).
//
// Thread-safety: Attach() from any thread; Start/Stop from the owning thread. PublishNow() is for
// tests that drive rounds by hand without Start().

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "api/http.h"
#include "base/metrics.h"
#include "base/mutex.h"
#include "base/option_key.h"
#include "base/periodic_thread.h"
#include "base/status.h"
#include "base/time.h"
#include "detect/detector.h"
#include "incidents/incident_tracker.h"
#include "ingest/service_registry.h"
#include "store/count_store.h"

namespace om::api {

struct LiveEventsOptions {
  // Time between rounds.
  std::chrono::milliseconds interval{2000};
  // Keep-alive comment after this long without an event.
  std::chrono::milliseconds ping_every{15000};
  // Most clients streaming at once.
  size_t max_streams = 1000;
  // How often the home view is told the hourly counts of services in normal status. Status
  // changes and services in trouble go every round; the quiet services' counts, most of the home
  // list's bytes, move slowly enough for a person at this pace.
  std::chrono::milliseconds home_counts_every{10000};
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kLiveEventsOptionKeys[] = {
    {"api.max_event_streams", OptionType::kInt, "", 1, 1000000,
     "most clients on `/api/v1/events` at once; past it 503"},
    {"api.event_interval_ms", OptionType::kInt, "ms", 100, 600000,
     "time between rounds of live events"},
    {"api.home_counts_interval_ms", OptionType::kInt, "ms", 100, 3600000,
     "how often the home list's event stream carries the hourly counts of normal services "
     "(status changes and services in trouble go every round)"},
};

// What one client's page shows, so that it is sent nothing else.
enum class LiveView {
  kAll,      // every service with every field: API clients, and pages without a view of their own
  kHome,     // the home list: every service's status and 60-minute count; the services not
             // "normal" with every field (their cards show since, 15-minute count and ratio)
  kService,  // one service's page: that service with every field, and its incidents only
  kMap,      // the outage map: the services not "normal" with every field, a service only by
             // its status when it returns to normal; every incident
};

struct LiveViewRequest {
  LiveView view = LiveView::kAll;
  std::string service;        // kService: the service's id (its existence is the caller's check)
  std::string last_event_id;  // the id of the last event the client had; empty: none
};

// Reads `view=` (all, home, service, map), `service=` and `last_event_id=` from a query string;
// `last_event_id_header` (Last-Event-ID) wins over the parameter. kInvalidArgument names the field.
Result<LiveViewRequest> ParseLiveViewRequest(std::string_view query,
                                             std::string_view last_event_id_header);

class LiveEvents {
 public:
  // Everything is borrowed and must outlive this object.
  LiveEvents(LiveEventsOptions options, const ingest::ServiceRegistry& registry,
             const store::CountStore& counts, const detect::Detector& detector,
             const incidents::IncidentTracker& incidents, MetricsRegistry& metrics,
             const Clock& clock);
  ~LiveEvents();
  LiveEvents(const LiveEvents&) = delete;
  LiveEvents& operator=(const LiveEvents&) = delete;

  void Start();
  // Stops the thread and drops every client's sink. Idempotent.
  void Stop();

  // Adds a client watching `view`; it gets its first events within one round. False when
  // `max_streams` clients are connected.
  bool Attach(std::shared_ptr<StreamSink> sink, LiveViewRequest view = {});

  // Runs one round now, on the calling thread.
  void PublishNow();

  size_t streams() const;

 private:
  // What a client is told about one service; a change of a field its view shows is sent.
  struct ServiceRow {
    std::string status;
    int64_t status_since_minute = 0;  // 0: never evaluated
    uint64_t last_minute = 0, last_15m = 0, last_60m = 0, last_24h = 0;
    double expected_per_minute = 0;  // NaN: no baseline yet
  };
  // Views whose changes are tracked: all (and service pages), home, map.
  static constexpr size_t kTrackedViewCount = 3;
  struct TrackedService {
    ServiceRow row;  // as read this round
    // What each tracked view was last told of the service, and the round it was told.
    ServiceRow told[kTrackedViewCount];
    uint64_t changed_round[kTrackedViewCount] = {};
  };
  struct TrackedIncident {
    std::string fingerprint;  // what the UI shows of it, to see changes
    std::string service;
    uint64_t changed_round = 0;
  };
  struct Client {
    std::shared_ptr<StreamSink> sink;
    LiveView view = LiveView::kAll;
    std::string service;       // kService
    uint64_t resume_from = 0;  // the round the client already has (0: greet with everything)
    bool greeted = false;      // has had its first state
    std::chrono::steady_clock::time_point last_sent;  // wall time, for pings
  };
  // Whether `view` shows a difference between `a` and `b`.
  static bool ShowsDifference(LiveView view, const ServiceRow& a, const ServiceRow& b);
  // Whether `view` is to be told `fresh` now, having been told `told`: a difference it shows, and
  // for the home view's quiet services a count change only on `counts_round`.
  static bool TellNow(LiveView view, const ServiceRow& told, const ServiceRow& fresh,
                      bool counts_round);
  // The round id of this process's events: "<epoch>.<round>".
  std::string EventId() const OM_REQUIRES(round_mu_);
  // The round a Last-Event-ID names, when it is this process's and not ahead; else 0.
  uint64_t ResumeRound(const std::string& last_event_id) const;

  // The "services" event for `client`'s view: its greeting (`greeting`), or this round's delta.
  std::string ServicesEvent(const Client& client, bool greeting) const OM_REQUIRES(round_mu_);
  std::string IncidentsEvent(const Client& client, bool greeting) const OM_REQUIRES(round_mu_);
  // Whether this round changed what `client`'s view shows of incidents.
  bool IncidentsChanged(const Client& client) const OM_REQUIRES(round_mu_);
  // The incidents of `incident_ids` that `client`'s view shows, in their order.
  std::vector<std::string> OfView(const std::vector<std::string>& incident_ids,
                                  const Client& client) const OM_REQUIRES(round_mu_);
  // Sends `client` this round's events; false when its stream has ended. `built` keeps the
  // round's events by view, so that clients of one view share one build.
  bool SendRound(Client& client, absl::flat_hash_map<std::string, std::string>& built,
                 std::chrono::steady_clock::time_point now) OM_REQUIRES(round_mu_, mu_);

  const LiveEventsOptions options_;
  const ingest::ServiceRegistry& registry_;
  const store::CountStore& counts_;
  const detect::Detector& detector_;
  const incidents::IncidentTracker& incidents_;
  const Clock& clock_;
  const std::string epoch_;  // random per process: ids of other processes do not resume here
  Counter& events_total_;
  Counter& bytes_total_;
  Counter& resumed_total_;
  Counter& ended_total_;

  // Round state: only the thread running a round touches it (round_mu_ serialises rounds).
  mutable Mutex round_mu_;
  uint64_t round_ OM_GUARDED_BY(round_mu_) = 0;
  std::chrono::steady_clock::time_point home_counts_told_ OM_GUARDED_BY(round_mu_){};
  int64_t evaluated_minute_ OM_GUARDED_BY(round_mu_) = 0;
  std::vector<std::string> order_ OM_GUARDED_BY(round_mu_);  // service ids in catalog order
  absl::flat_hash_map<std::string, TrackedService> services_ OM_GUARDED_BY(round_mu_);
  absl::flat_hash_map<std::string, TrackedIncident> incidents_seen_ OM_GUARDED_BY(round_mu_);
  std::vector<std::string> open_incidents_ OM_GUARDED_BY(round_mu_);      // this round's
  std::vector<std::string> was_open_incidents_ OM_GUARDED_BY(round_mu_);  // the last round's
  // This round's changes: services per tracked view, and incidents.
  std::vector<std::string> changed_services_[kTrackedViewCount] OM_GUARDED_BY(round_mu_);
  std::vector<std::string> changed_incidents_ OM_GUARDED_BY(round_mu_);

  mutable Mutex mu_;
  std::vector<Client> clients_ OM_GUARDED_BY(mu_);
  bool stopped_ OM_GUARDED_BY(mu_) = false;  // no new clients after Stop
  PeriodicThread worker_;
};

}  // namespace om::api
