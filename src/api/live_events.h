#pragma once
// LiveEvents feeds GET /api/v1/events, the Server-Sent Events stream (text/event-stream, WHATWG
// HTML §9.2) that keeps the web UI current without reloads. One thread wakes every `interval`
// (and at once when a client connects), reads the detection snapshot, the incident snapshot and
// each service's report counts, and sends every connected client:
//   event: services    on connecting, every service; afterwards only the services whose counts or
//                      status changed since the last round (nothing when none did)
//   event: incidents   the open incident ids and the ids of incidents that changed, when any did
//                      (and on connecting)
//   : ping             a comment after `ping_every` without an event, so proxies keep the stream
// Payload fields are documented in docs/api/README.md.
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
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kLiveEventsOptionKeys[] = {
    {"api.max_event_streams", OptionType::kInt, "", 1, 1000000,
     "most clients on `/api/v1/events` at once; past it 503"},
    {"api.event_interval_ms", OptionType::kInt, "ms", 100, 600000,
     "time between rounds of live events"},
};

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

  // Adds a client; it gets its first events within one round. False when `max_streams` clients
  // are connected.
  bool Attach(std::shared_ptr<StreamSink> sink);

  // Runs one round now, on the calling thread.
  void PublishNow();

  size_t streams() const;

 private:
  // What a client is told about one service; a change of any field is sent.
  struct ServiceRow {
    std::string status;
    int64_t status_since_minute = 0;  // 0: never evaluated
    uint64_t last_minute = 0, last_15m = 0, last_60m = 0, last_24h = 0;
    double expected_per_minute = 0;  // NaN: no baseline yet
    bool operator==(const ServiceRow& o) const;
  };
  struct Client {
    std::shared_ptr<StreamSink> sink;
    bool greeted = false;                             // has had the full state
    std::chrono::steady_clock::time_point last_sent;  // wall time, for pings
  };

  // The "services" event with the rows of `ids` (all when `ids` is null).
  std::string ServicesEvent(const std::vector<std::string>* ids) const OM_REQUIRES(round_mu_);
  std::string IncidentsEvent(const std::vector<std::string>& changed) const OM_REQUIRES(round_mu_);

  const LiveEventsOptions options_;
  const ingest::ServiceRegistry& registry_;
  const store::CountStore& counts_;
  const detect::Detector& detector_;
  const incidents::IncidentTracker& incidents_;
  const Clock& clock_;
  Counter& events_total_;
  Counter& ended_total_;

  // Round state: only the thread running a round touches it (round_mu_ serialises rounds).
  mutable Mutex round_mu_;
  int64_t evaluated_minute_ OM_GUARDED_BY(round_mu_) = 0;
  std::vector<std::string> order_ OM_GUARDED_BY(round_mu_);  // service ids in catalog order
  absl::flat_hash_map<std::string, ServiceRow> rows_ OM_GUARDED_BY(round_mu_);
  absl::flat_hash_map<std::string, std::string> incident_fingerprints_ OM_GUARDED_BY(round_mu_);
  std::vector<std::string> open_incidents_ OM_GUARDED_BY(round_mu_);

  mutable Mutex mu_;
  std::vector<Client> clients_ OM_GUARDED_BY(mu_);
  bool stopped_ OM_GUARDED_BY(mu_) = false;  // no new clients after Stop
  PeriodicThread worker_;
};

}  // namespace om::api
