#include "api/live_events.h"

#include <cmath>

#include "api/counts.h"
#include "base/json_writer.h"

namespace om::api {
namespace {

std::string Sse(std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(event.size() + data.size() + 16);
  out.append("event: ").append(event).append("\ndata: ").append(data).append("\n\n");
  return out;
}

// Everything about an incident that the UI shows and that can change while it is open.
std::string Fingerprint(const incidents::Incident& i) {
  std::string f = std::to_string(i.resolved_minute) + "/" + std::to_string(i.peak_minute) + "/" +
                  std::to_string(i.peak_reports_per_minute) + "/" + std::to_string(i.reports) +
                  "/" + i.upstream_incident;
  for (const auto& r : i.related) f.append("/").append(r);
  return f;
}

}  // namespace

bool LiveEvents::ServiceRow::operator==(const ServiceRow& o) const {
  bool same_expected = expected_per_minute == o.expected_per_minute ||
                       (std::isnan(expected_per_minute) && std::isnan(o.expected_per_minute));
  return status == o.status && status_since_minute == o.status_since_minute &&
         last_minute == o.last_minute && last_15m == o.last_15m && last_60m == o.last_60m &&
         last_24h == o.last_24h && same_expected;
}

LiveEvents::LiveEvents(LiveEventsOptions options, const ingest::ServiceRegistry& registry,
                       const store::CountStore& counts, const detect::Detector& detector,
                       const incidents::IncidentTracker& incidents, MetricsRegistry& metrics,
                       const Clock& clock)
    : options_(options),
      registry_(registry),
      counts_(counts),
      detector_(detector),
      incidents_(incidents),
      clock_(clock),
      events_total_(metrics.GetCounter("om_sse_events_total",
                                       "Server-Sent Events sent (per client, pings excluded).")),
      ended_total_(metrics.GetCounter("om_sse_streams_ended_total",
                                      "Event streams ended: the client left, fell 1 MiB behind, "
                                      "or the server stopped.")) {
  metrics.AddCallbackGauge("om_sse_streams_open", "Clients on GET /api/v1/events.",
                           [this] { return static_cast<double>(streams()); });
}

LiveEvents::~LiveEvents() { Stop(); }

void LiveEvents::Start() {
  {
    MutexLock lock(mu_);
    stopped_ = false;
  }
  worker_.Start(options_.interval, [this] { PublishNow(); });
}

void LiveEvents::Stop() {
  {
    MutexLock lock(mu_);
    stopped_ = true;
    clients_.clear();
  }
  worker_.Stop();
}

bool LiveEvents::Attach(std::shared_ptr<StreamSink> sink) {
  {
    MutexLock lock(mu_);
    if (stopped_) return false;
    if (clients_.size() >= options_.max_streams) return false;
    // The reconnection delay browsers use after a drop (EventSource's default is 3 s, too).
    if (!sink->Send("retry: 3000\n\n")) return true;
    clients_.push_back({std::move(sink), false, std::chrono::steady_clock::now()});
  }
  // The new client gets its first state at once, not at the end of the interval.
  worker_.Wake();
  return true;
}

size_t LiveEvents::streams() const {
  MutexLock lock(mu_);
  return clients_.size();
}

void LiveEvents::PublishNow() {
  MutexLock round(round_mu_);
  // 1. Read the state of every service and incident.
  auto services = registry_.Services();
  auto detection = detector_.Snapshot();
  int64_t now_minute = MinuteOf(clock_.Now());
  evaluated_minute_ = detection->minute;
  std::vector<ServiceRow> fresh;
  fresh.reserve(services.size());
  counts_.Read([&](const store::Aggregates& a) {
    for (const auto& s : services) {
      ServiceRow row;
      const detect::ServiceState* state = detection->Find(s.id);
      row.status = state ? std::string(detect::StatusName(state->status)) : "normal";
      row.status_since_minute = state ? state->since_minute : 0;
      row.expected_per_minute = state ? state->expected_per_minute : NAN;
      RecentCounts c = CountRecent(a, a.ServiceIndex(s.id), now_minute);
      row.last_minute = c.last_minute;
      row.last_15m = c.last_15m;
      row.last_60m = c.last_60m;
      row.last_24h = c.last_24h;
      fresh.push_back(std::move(row));
    }
    return 0;
  });
  order_.clear();
  std::vector<std::string> changed_services;
  for (size_t i = 0; i < services.size(); ++i) {
    const std::string& id = services[i].id;
    order_.push_back(id);
    auto [it, inserted] = rows_.try_emplace(id, fresh[i]);
    if (inserted || !(it->second == fresh[i])) {
      it->second = std::move(fresh[i]);
      changed_services.push_back(id);
    }
  }
  auto snapshot = incidents_.Snapshot();
  std::vector<std::string> changed_incidents;
  std::vector<std::string> open;
  for (const auto& incident : snapshot->incidents) {
    if (incident.open()) open.push_back(incident.id);
    std::string f = Fingerprint(incident);
    auto [it, inserted] = incident_fingerprints_.try_emplace(incident.id, f);
    // A resolved incident that was never seen open is old news, not a change.
    if (inserted ? incident.open() : it->second != f) changed_incidents.push_back(incident.id);
    it->second = std::move(f);
  }
  bool open_changed = open != open_incidents_;
  open_incidents_ = std::move(open);

  // 2. Build the events once, send each client what it has not seen.
  std::string full, delta, incidents_full, incidents_delta;
  auto now = std::chrono::steady_clock::now();
  MutexLock lock(mu_);
  for (auto it = clients_.begin(); it != clients_.end();) {
    Client& c = *it;
    bool ok = true;
    size_t sent = 0;
    auto send = [&](const std::string& event) {
      if (!ok) return;
      ok = c.sink->Send(event);
      sent += ok;
    };
    if (!c.greeted) {
      if (full.empty()) full = ServicesEvent(nullptr);
      if (incidents_full.empty()) incidents_full = IncidentsEvent({});
      send(full);
      send(incidents_full);
      c.greeted = true;
    } else {
      if (!changed_services.empty()) {
        if (delta.empty()) delta = ServicesEvent(&changed_services);
        send(delta);
      }
      if (!changed_incidents.empty() || open_changed) {
        if (incidents_delta.empty()) incidents_delta = IncidentsEvent(changed_incidents);
        send(incidents_delta);
      }
      if (sent == 0 && now - c.last_sent >= options_.ping_every) {
        ok = c.sink->Send(": ping\n\n");
        if (ok) c.last_sent = now;
      }
    }
    if (sent > 0) c.last_sent = now;
    events_total_.Add(sent);
    if (!ok) {
      ended_total_.Add();
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string LiveEvents::ServicesEvent(const std::vector<std::string>* ids) const {
  JsonWriter w;
  w.BeginObject();
  if (evaluated_minute_ != 0) {
    w.Key("evaluated_at").String(FormatRfc3339(FromUnixMillis(evaluated_minute_ * 60000)));
  } else {
    w.Key("evaluated_at").Null();
  }
  w.Key("services").BeginArray();
  for (const std::string& id : ids ? *ids : order_) {
    auto it = rows_.find(id);
    if (it == rows_.end()) continue;
    const ServiceRow& r = it->second;
    w.BeginObject().Key("id").String(id).Key("status").String(r.status);
    if (r.status_since_minute != 0) {
      w.Key("status_since").String(FormatRfc3339(FromUnixMillis(r.status_since_minute * 60000)));
    } else {
      w.Key("status_since").Null();
    }
    w.Key("reports_last_minute").Uint(r.last_minute).Key("reports_last_15m").Uint(r.last_15m);
    w.Key("reports_last_60m").Uint(r.last_60m).Key("reports_last_24h").Uint(r.last_24h);
    if (std::isnan(r.expected_per_minute)) {
      w.Key("expected_per_minute").Null();
    } else {
      w.Key("expected_per_minute").Double(r.expected_per_minute, 4);
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Sse("services", w.str());
}

std::string LiveEvents::IncidentsEvent(const std::vector<std::string>& changed) const {
  JsonWriter w;
  w.BeginObject().Key("open").BeginArray();
  for (const auto& id : open_incidents_) w.String(id);
  w.EndArray().Key("changed").BeginArray();
  for (const auto& id : changed) w.String(id);
  w.EndArray().EndObject();
  return Sse("incidents", w.str());
}

}  // namespace om::api
