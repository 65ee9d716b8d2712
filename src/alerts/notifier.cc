#include "alerts/notifier.h"

#include <algorithm>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/hex.h"
#include "base/json_writer.h"
#include "base/log.h"
#include "net/http_client.h"
#include "net/smtp_client.h"

namespace om::alerts {

namespace {

std::string Time(int64_t ms) { return FormatRfc3339(FromUnixMillis(ms)); }

bool Wanted(const Subscription& s, const incidents::IncidentRecords::UpdateEvent& e) {
  // Quiet updates are a member's notes; its group's incident tells the news.
  if (e.update.quiet) return false;
  if (!s.service.empty() && !e.incident.Covers(s.service)) return false;
  if (!s.region.empty() && !InRegion(e.incident.regions, s.region)) return false;
  return static_cast<int>(e.incident.impact) >= static_cast<int>(s.min_impact);
}

// "Microsoft 365", or "Microsoft 365 and 29 more services" for a group.
std::string GroupName(const incidents::IncidentRecord& i, const std::string& name) {
  if (i.services.size() <= 1) return name;
  size_t n = i.services.size() - 1;
  return name + " and " + std::to_string(n) + (n == 1 ? " more service" : " more services");
}

// Slack reads <, > and & in message text as markup (links, mentions): its formatting guide asks
// for them to be escaped as HTML entities.
std::string SlackEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

// Okabe–Ito colours of the badge, by status.
std::string_view Colour(const incidents::IncidentRecord& i) {
  return i.resolved() ? "009E73" : i.impact == incidents::Impact::kMinor ? "E69F00" : "D55E00";
}

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &n);
  return "sha256=" + HexEncode(std::string_view(reinterpret_cast<const char*>(mac), n));
}

Notifier::Notifier(NotifierOptions options, incidents::IncidentRecords& records,
                   Subscriptions& subscriptions, ServiceName service_name, MetricsRegistry& metrics,
                   const Clock& clock)
    : options_(std::move(options)),
      records_(records),
      subscriptions_(subscriptions),
      service_name_(std::move(service_name)),
      clock_(clock),
      sent_total_(metrics.GetCounter("om_notifications_sent_total",
                                     "Incident updates delivered to subscriptions (2xx).")),
      failed_total_(metrics.GetCounter(
          "om_notifications_failed_total",
          "Delivery attempts that failed (no answer, or not 2xx); they are retried.")) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  worker_.Start(options_.poll, [this] { RunOnce(); });
}

void Notifier::Stop() { worker_.Stop(); }

void Notifier::RunOnce() {
  int64_t now_ms = ToUnixMillis(clock_.Now());
  for (Subscription& s : subscriptions_.List()) Serve(s, now_ms);
}

std::string Notifier::Payload(const Subscription& s,
                              const incidents::IncidentRecords::UpdateEvent& e) const {
  const incidents::IncidentRecord& i = e.incident;
  std::string name = service_name_ ? service_name_(i.service) : i.service;
  std::string url = options_.public_url + "/incidents/" + i.id;
  std::string title = GroupName(i, name) + ": " +
                      std::string(incidents::StatusName(e.update.status)) + " (" + i.id +
                      ", impact " + std::string(incidents::ImpactName(i.impact)) + ")";
  JsonWriter w;
  switch (s.channel) {
    case Channel::kWebhook:
      w.BeginObject().Key("event").String("incident.update");
      w.Key("incident").BeginObject().Key("id").String(i.id).Key("service").String(i.service);
      w.Key("service_name").String(name).Key("status").String(incidents::StatusName(i.status));
      w.Key("impact").String(incidents::ImpactName(i.impact)).Key("url").String(url);
      for (auto [key, items] :
           {std::pair{"services", &i.services}, std::pair{"components", &i.components},
            std::pair{"regions", &i.regions}}) {
        w.Key(key).BeginArray();
        for (const auto& item : *items) w.String(item);
        w.EndArray();
      }
      w.EndObject();
      w.Key("update").BeginObject().Key("seq").Int(e.update.seq);
      w.Key("at").String(Time(e.update.at_ms));
      w.Key("status").String(incidents::StatusName(e.update.status));
      w.Key("body").String(e.update.body).Key("author").String(e.update.author).EndObject();
      w.EndObject();
      break;
    case Channel::kSlack:
      // Slack's mrkdwn: *bold* title, the update, and a link.
      w.BeginObject().Key("text").String("*" + SlackEscape(title) + "*\n" +
                                         SlackEscape(e.update.body) + "\n<" + url +
                                         "|Incident page>");
      w.EndObject();
      break;
    case Channel::kAlertmanager: {
      int64_t now_ms = ToUnixMillis(clock_.Now());
      int64_t ends = i.resolved() ? i.resolved_ms
                                  : now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 options_.alert_horizon)
                                                 .count();
      w.BeginArray().BeginObject().Key("labels").BeginObject();
      w.Key("alertname").String("OutagemapIncident").Key("service").String(i.service);
      w.Key("incident").String(i.id).EndObject();
      w.Key("annotations").BeginObject().Key("summary").String(title);
      w.Key("description").String(e.update.body).Key("service_name").String(name);
      // The services of a group: an annotation, since labels are the alert's identity.
      std::string services;
      for (const auto& service : i.services) {
        services.append(services.empty() ? "" : ",").append(service);
      }
      w.Key("services").String(services);
      w.Key("status").String(incidents::StatusName(i.status));
      w.Key("impact").String(incidents::ImpactName(i.impact)).EndObject();
      w.Key("startsAt").String(Time(i.created_ms)).Key("endsAt").String(Time(ends));
      w.Key("generatorURL").String(url).EndObject().EndArray();
      break;
    }
    case Channel::kEmail:  // not JSON: Deliver() writes the message
      w.BeginObject().Key("text").String(title + "\n" + e.update.body).EndObject();
      break;
    case Channel::kTeams:
      w.BeginObject().Key("@type").String("MessageCard");
      w.Key("@context").String("https://schema.org/extensions");
      w.Key("summary").String(title).Key("themeColor").String(Colour(i));
      w.Key("title").String(title).Key("text").String(e.update.body);
      w.Key("potentialAction").BeginArray().BeginObject().Key("@type").String("OpenUri");
      w.Key("name").String("Incident page").Key("targets").BeginArray().BeginObject();
      w.Key("os").String("default").Key("uri").String(url).EndObject().EndArray();
      w.EndObject().EndArray().EndObject();
      break;
  }
  return std::move(w).Take();
}

Status Notifier::Deliver(const Subscription& s,
                         const incidents::IncidentRecords::UpdateEvent& e) const {
  if (s.channel == Channel::kEmail) {
    OM_ASSIGN_OR_RETURN(net::SmtpTarget target, net::ParseSmtpUrl(s.url));
    const incidents::IncidentRecord& i = e.incident;
    std::string name = service_name_ ? service_name_(i.service) : i.service;
    std::string subject = GroupName(i, name) + ": " +
                          std::string(incidents::StatusName(e.update.status)) + " (" + i.id +
                          ", impact " + std::string(incidents::ImpactName(i.impact)) + ")";
    std::string body = e.update.body + "\n\n" + options_.public_url + "/incidents/" + i.id +
                       "\n\n-- \noutagemap: you subscribed to incidents of " +
                       (s.service.empty() ? std::string("every service") : name) + ".\n";
    return net::SendMail(target, subject, body, options_.timeout, ToUnixMillis(clock_.Now()));
  }
  OM_ASSIGN_OR_RETURN(net::HttpUrl url, net::ParseHttpUrl(s.url));
  if (s.channel == Channel::kAlertmanager) {
    // The subscription names Alertmanager itself; alerts go to its v2 API.
    while (url.target.size() > 1 && url.target.back() == '/') url.target.pop_back();
    url.target = (url.target == "/" ? "" : url.target) + "/api/v2/alerts";
  }
  std::string body = Payload(s, e);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Outagemap-Event", "incident.update"},
      {"X-Outagemap-Delivery", s.id + "-" + std::to_string(e.update.seq)}};
  if (!s.secret.empty()) {
    headers.emplace_back("X-Outagemap-Signature", WebhookSignature(s.secret, body));
  }
  OM_ASSIGN_OR_RETURN(int status, net::PostJson(url, body, headers, options_.timeout));
  if (status < 200 || status >= 300) return Status::Unavailable("HTTP " + std::to_string(status));
  return Status::Ok();
}

void Notifier::Serve(Subscription& s, int64_t now_ms) {
  if (s.next_attempt_ms > now_ms) return;
  Subscription saved_state = s;
  // Saves the cursor and retry state when they changed. Called right after each delivery, so
  // that a crash re-sends at most the one update whose answer it was saving (with the same
  // X-Outagemap-Delivery id), and once at the end for skipped updates and failed attempts.
  const auto save_progress = [this, &s, &saved_state] {
    if (s.cursor_seq == saved_state.cursor_seq && s.attempts == saved_state.attempts &&
        s.last_error == saved_state.last_error) {
      return;
    }
    Status saved = subscriptions_.SaveProgress(s);
    if (!saved.ok()) OM_LOG(kError) << "subscription " << s.id << ": " << saved.ToString();
    saved_state = s;
  };
  const int64_t hold_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.hold_down).count();
  const int64_t region_wait_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.region_wait).count();
  for (const auto& e : records_.UpdatesSince(s.cursor_seq, 50)) {
    // A blip: resolved within the hold-down of its creation, and nobody wrote about it but
    // detection. Told to nobody.
    bool operator_spoke = false;
    if (hold_ms > 0 && e.incident.resolved()) {
      if (auto full = records_.Find(e.incident.id)) {
        for (const auto& u : full->updates) operator_spoke |= u.author != "outagemap";
      }
    }
    bool blip = hold_ms > 0 && e.incident.resolved() && !operator_spoke &&
                e.incident.resolved_ms - e.incident.created_ms < hold_ms;
    // Where an incident is becomes known once its footprint is significant, often a minute or
    // two after detection: a region subscription waits for it (in order) rather than miss the
    // opening, for at most `region_wait`.
    if (!s.region.empty() && e.incident.regions.empty() && !e.incident.resolved() &&
        !e.update.quiet && now_ms - e.incident.created_ms < region_wait_ms) {
      break;
    }
    if (!Wanted(s, e) || blip) {
      s.cursor_seq = e.update.seq;
      continue;
    }
    // Still inside its hold-down: wait (later updates wait behind it, to keep the order).
    if (hold_ms > 0 && !e.incident.resolved() && now_ms - e.incident.created_ms < hold_ms) break;
    Status delivered = Deliver(s, e);
    if (delivered.ok()) {
      sent_total_.Add();
      s.cursor_seq = e.update.seq;
      s.attempts = 0;
      s.next_attempt_ms = 0;
      s.last_error.clear();
      ++s.delivered;
      save_progress();
      continue;
    }
    failed_total_.Add();
    ++s.attempts;
    s.last_error = delivered.message();
    if (s.attempts >= options_.max_attempts) {
      OM_LOG(kWarning) << "subscription " << s.id << ": gave up on update " << e.update.seq
                       << " after " << s.attempts << " attempts: " << s.last_error;
      s.last_error = "gave up after " + std::to_string(s.attempts) + " attempts: " + s.last_error;
      s.cursor_seq = e.update.seq;
      s.attempts = 0;
      s.next_attempt_ms = 0;
      continue;
    }
    int64_t backoff_s = std::min<int64_t>(int64_t{1} << std::min<int64_t>(s.attempts, 30),
                                          options_.max_backoff.count());
    s.next_attempt_ms = now_ms + backoff_s * 1000;
    break;
  }
  save_progress();
}

}  // namespace om::alerts
