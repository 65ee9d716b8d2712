#include "api/live_events.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "api/counts.h"
#include "base/hex.h"
#include "base/json_writer.h"

namespace om::api {
namespace {

std::string Sse(std::string_view event, std::string_view id, std::string_view data) {
  std::string out;
  out.reserve(event.size() + id.size() + data.size() + 24);
  out.append("event: ").append(event).append("\nid: ").append(id);
  out.append("\ndata: ").append(data).append("\n\n");
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

// The views whose changes are tracked per service. A service page shows every field of its
// service, as the full view does, so it reads the full view's slot.
constexpr LiveView kTrackedViews[] = {LiveView::kAll, LiveView::kHome, LiveView::kMap};

size_t Slot(LiveView view) {
  switch (view) {
    case LiveView::kAll:
    case LiveView::kService:
      return 0;
    case LiveView::kHome:
      return 1;
    case LiveView::kMap:
      return 2;
  }
  return 0;
}

// The fields of a service row that a view shows, as bits.
enum Field : unsigned {
  kStatus = 1,
  kSince = 2,
  kLastMinute = 4,
  kLast15m = 8,
  kLast60m = 16,
  kLast24h = 32,
  kExpected = 64,
  kEveryField = 127,
};

unsigned FieldsShown(LiveView view, std::string_view status) {
  bool normal = status == "normal";
  switch (view) {
    case LiveView::kAll:
    case LiveView::kService:
      return kEveryField;
    case LiveView::kHome:
      return normal ? (kStatus | kLast60m) : kEveryField;
    case LiveView::kMap:
      return normal ? kStatus : kEveryField;
  }
  return kEveryField;
}

bool SameDouble(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace

Result<LiveViewRequest> ParseLiveViewRequest(std::string_view query,
                                             std::string_view last_event_id_header) {
  LiveViewRequest out;
  std::string view;
  if (QueryParam(query, "view", view)) {
    if (view == "all") {
      out.view = LiveView::kAll;
    } else if (view == "home") {
      out.view = LiveView::kHome;
    } else if (view == "service") {
      out.view = LiveView::kService;
    } else if (view == "map") {
      out.view = LiveView::kMap;
    } else {
      return Status::InvalidArgument("view: must be one of all, home, service, map");
    }
  }
  bool has_service = QueryParam(query, "service", out.service);
  if (out.view == LiveView::kService && (!has_service || out.service.empty())) {
    return Status::InvalidArgument("service: view=service needs the id of a service");
  }
  if (out.view != LiveView::kService && has_service) {
    return Status::InvalidArgument("service: only with view=service");
  }
  if (!last_event_id_header.empty()) {
    out.last_event_id = std::string(last_event_id_header);
  } else {
    QueryParam(query, "last_event_id", out.last_event_id);
  }
  if (out.last_event_id.size() > 64) {
    return Status::InvalidArgument("last_event_id: longer than 64 bytes");
  }
  return out;
}

bool LiveEvents::ShowsDifference(LiveView view, const ServiceRow& a, const ServiceRow& b) {
  unsigned shown = FieldsShown(view, a.status);
  if (shown != FieldsShown(view, b.status)) return true;
  return ((shown & kStatus) && a.status != b.status) ||
         ((shown & kSince) && a.status_since_minute != b.status_since_minute) ||
         ((shown & kLastMinute) && a.last_minute != b.last_minute) ||
         ((shown & kLast15m) && a.last_15m != b.last_15m) ||
         ((shown & kLast60m) && a.last_60m != b.last_60m) ||
         ((shown & kLast24h) && a.last_24h != b.last_24h) ||
         ((shown & kExpected) && !SameDouble(a.expected_per_minute, b.expected_per_minute));
}

bool LiveEvents::TellNow(LiveView view, const ServiceRow& told, const ServiceRow& fresh,
                         bool counts_round) {
  if (!ShowsDifference(view, told, fresh)) return false;
  if (view != LiveView::kHome || counts_round) return true;
  // A normal service that stays normal differs only by its hourly count: that waits.
  return told.status != "normal" || fresh.status != "normal";
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
      // Without the kernel's randomness, the start time in milliseconds still tells processes
      // apart.
      epoch_(RandomHex(4).value_or(
          std::to_string(std::chrono::system_clock::now().time_since_epoch().count()))),
      events_total_(metrics.GetCounter("om_sse_events_total",
                                       "Server-Sent Events sent (per client, pings excluded).")),
      bytes_total_(metrics.GetCounter("om_sse_bytes_total",
                                      "Bytes of Server-Sent Events sent, over all clients.")),
      resumed_total_(metrics.GetCounter(
          "om_sse_streams_resumed_total",
          "Event streams greeted with only the changes since their Last-Event-ID.")),
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

uint64_t LiveEvents::ResumeRound(const std::string& last_event_id) const {
  size_t dot = last_event_id.find('.');
  if (dot == std::string::npos || std::string_view(last_event_id).substr(0, dot) != epoch_) {
    return 0;
  }
  uint64_t round = 0;  // checked against the rounds reached when the client is greeted
  const char* begin = last_event_id.data() + dot + 1;
  const char* end = last_event_id.data() + last_event_id.size();
  auto [ptr, ec] = std::from_chars(begin, end, round);
  if (ec != std::errc() || ptr != end) return 0;
  return round;
}

bool LiveEvents::Attach(std::shared_ptr<StreamSink> sink, LiveViewRequest view) {
  uint64_t resume_from = ResumeRound(view.last_event_id);
  {
    MutexLock lock(mu_);
    if (stopped_) return false;
    if (clients_.size() >= options_.max_streams) return false;
    // The reconnection delay browsers use after a drop (EventSource's default is 3 s, too).
    if (!sink->Send("retry: 3000\n\n")) return true;
    clients_.push_back({.sink = std::move(sink),
                        .view = view.view,
                        .service = std::move(view.service),
                        .resume_from = resume_from,
                        .greeted = false,
                        .last_sent = std::chrono::steady_clock::now()});
  }
  // The new client gets its first state at once, not at the end of the interval.
  worker_.Wake();
  return true;
}

size_t LiveEvents::streams() const {
  MutexLock lock(mu_);
  return clients_.size();
}

std::string LiveEvents::EventId() const { return epoch_ + "." + std::to_string(round_); }

void LiveEvents::PublishNow() {
  MutexLock round(round_mu_);
  ++round_;
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
  for (auto& changed : changed_services_) changed.clear();
  auto round_start = std::chrono::steady_clock::now();
  const bool counts_round = round_start - home_counts_told_ >= options_.home_counts_every;
  if (counts_round) home_counts_told_ = round_start;
  for (size_t i = 0; i < services.size(); ++i) {
    const std::string& id = services[i].id;
    order_.push_back(id);
    auto [it, inserted] = services_.try_emplace(id);
    TrackedService& tracked = it->second;
    for (LiveView view : kTrackedViews) {
      ServiceRow& told = tracked.told[Slot(view)];
      if (inserted || TellNow(view, told, fresh[i], counts_round)) {
        told = fresh[i];
        tracked.changed_round[Slot(view)] = round_;
        changed_services_[Slot(view)].push_back(id);
      }
    }
    tracked.row = std::move(fresh[i]);
  }
  auto snapshot = incidents_.Snapshot();
  changed_incidents_.clear();
  was_open_incidents_ = std::move(open_incidents_);
  open_incidents_.clear();
  for (const auto& incident : snapshot->incidents) {
    if (incident.open()) open_incidents_.push_back(incident.id);
    std::string fingerprint = Fingerprint(incident);
    auto [it, inserted] = incidents_seen_.try_emplace(incident.id);
    TrackedIncident& tracked = it->second;
    // A resolved incident that was never seen open is old news, not a change.
    if (inserted ? incident.open() : tracked.fingerprint != fingerprint) {
      tracked.changed_round = round_;
      changed_incidents_.push_back(incident.id);
    }
    tracked.fingerprint = std::move(fingerprint);
    tracked.service = incident.service;
  }

  // 2. Build each view's events once, send each client what its view has not seen.
  absl::flat_hash_map<std::string, std::string> built;
  auto now = std::chrono::steady_clock::now();
  MutexLock lock(mu_);
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (SendRound(*it, built, now)) {
      ++it;
    } else {
      ended_total_.Add();
      it = clients_.erase(it);
    }
  }
}

bool LiveEvents::SendRound(Client& client, absl::flat_hash_map<std::string, std::string>& built,
                           std::chrono::steady_clock::time_point now) {
  const bool greeting = !client.greeted;
  // A round this process has not reached is not ours to resume from (an id made up, or kept
  // from a process with the same epoch by chance): greet with everything.
  if (greeting && client.resume_from > round_) client.resume_from = 0;
  // Clients of one view (and service, and resume round) get the same bytes: build them once.
  std::string key = std::to_string(Slot(client.view)) + (greeting ? "g" : "d") +
                    std::to_string(greeting ? client.resume_from : 0) + "/" + client.service;
  bool ok = true;
  size_t sent = 0;
  auto send = [&](const std::string& bytes) {
    if (!ok || bytes.empty()) return;
    ok = client.sink->Send(bytes);
    if (ok) {
      ++sent;
      bytes_total_.Add(bytes.size());
    }
  };
  auto [services, services_new] = built.try_emplace(key + 's');
  if (services_new) services->second = ServicesEvent(client, greeting);
  send(services->second);
  if (greeting || IncidentsChanged(client)) {
    auto [incidents, incidents_new] = built.try_emplace(key + 'i');
    if (incidents_new) incidents->second = IncidentsEvent(client, greeting);
    send(incidents->second);
  }
  if (greeting) {
    client.greeted = true;
    if (client.resume_from != 0) resumed_total_.Add();
  }
  if (sent == 0 && ok && now - client.last_sent >= options_.ping_every) {
    ok = client.sink->Send(": ping\n\n");
    if (ok) client.last_sent = now;
  }
  if (sent > 0) client.last_sent = now;
  events_total_.Add(sent);
  return ok;
}

std::vector<std::string> LiveEvents::OfView(const std::vector<std::string>& incident_ids,
                                            const Client& client) const {
  if (client.view != LiveView::kService) return incident_ids;
  std::vector<std::string> out;
  for (const std::string& id : incident_ids) {
    auto it = incidents_seen_.find(id);
    if (it != incidents_seen_.end() && it->second.service == client.service) out.push_back(id);
  }
  return out;
}

bool LiveEvents::IncidentsChanged(const Client& client) const {
  return !OfView(changed_incidents_, client).empty() ||
         OfView(open_incidents_, client) != OfView(was_open_incidents_, client);
}

std::string LiveEvents::ServicesEvent(const Client& client, bool greeting) const {
  const size_t slot = Slot(client.view);
  // Which services: a delta carries this round's changes; a greeting everything the view shows,
  // or, resuming, what changed after the client's round.
  const std::vector<std::string> just_one{client.service};
  const std::vector<std::string>& candidates = client.view == LiveView::kService ? just_one
                                               : greeting                        ? order_
                                                          : changed_services_[slot];
  std::vector<const std::string*> ids;
  for (const std::string& id : candidates) {
    auto it = services_.find(id);
    if (it == services_.end()) continue;
    const TrackedService& t = it->second;
    bool include = !greeting                       ? t.changed_round[slot] == round_
                   : client.resume_from != 0       ? t.changed_round[slot] > client.resume_from
                   : client.view == LiveView::kMap ? t.row.status != "normal"
                                                   : true;
    if (include) ids.push_back(&it->first);
  }
  if (!greeting && ids.empty()) return {};

  JsonWriter w;
  w.BeginObject();
  if (evaluated_minute_ != 0) {
    w.Key("evaluated_at").String(FormatRfc3339(FromUnixMillis(evaluated_minute_ * 60000)));
  } else {
    w.Key("evaluated_at").Null();
  }
  w.Key("services").BeginArray();
  for (const std::string* id : ids) {
    // The current row: what a view was told lags only for the home list's quiet counts, and a
    // row sent is always sent whole, so a fresher value than told is never contradicted.
    const ServiceRow& r = services_.find(*id)->second.row;
    unsigned shown = FieldsShown(client.view, r.status);
    w.BeginObject().Key("id").String(*id).Key("status").String(r.status);
    if (shown & kSince) {
      if (r.status_since_minute != 0) {
        w.Key("status_since").String(FormatRfc3339(FromUnixMillis(r.status_since_minute * 60000)));
      } else {
        w.Key("status_since").Null();
      }
    }
    if (shown & kLastMinute) w.Key("reports_last_minute").Uint(r.last_minute);
    if (shown & kLast15m) w.Key("reports_last_15m").Uint(r.last_15m);
    if (shown & kLast60m) w.Key("reports_last_60m").Uint(r.last_60m);
    if (shown & kLast24h) w.Key("reports_last_24h").Uint(r.last_24h);
    if (shown & kExpected) {
      if (std::isnan(r.expected_per_minute)) {
        w.Key("expected_per_minute").Null();
      } else {
        w.Key("expected_per_minute").Double(r.expected_per_minute, 4);
      }
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Sse("services", EventId(), w.str());
}

std::string LiveEvents::IncidentsEvent(const Client& client, bool greeting) const {
  std::vector<std::string> changed;
  if (!greeting) {
    changed = OfView(changed_incidents_, client);
  } else if (client.resume_from != 0) {
    for (const auto& [id, t] : incidents_seen_) {
      if (t.changed_round > client.resume_from) changed.push_back(id);
    }
    std::sort(changed.begin(), changed.end());
    changed = OfView(changed, client);
  }
  JsonWriter w;
  w.BeginObject().Key("open").BeginArray();
  for (const auto& id : OfView(open_incidents_, client)) w.String(id);
  w.EndArray().Key("changed").BeginArray();
  for (const auto& id : changed) w.String(id);
  w.EndArray().EndObject();
  return Sse("incidents", EventId(), w.str());
}

}  // namespace om::api
