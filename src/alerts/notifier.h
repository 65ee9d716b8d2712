#pragma once
// Notifier delivers incident updates to subscriptions (subscriptions.h) on its own thread. Every
// `poll` it asks each subscription's next updates (IncidentRecords::UpdatesSince past the
// subscription's cursor), skips those its filter does not want (quiet updates of an incident
// that is part of another, an incident not covering its service or not reaching its region, a
// lower impact), and POSTs the rest in order:
//   webhook  our JSON, signed: X-Outagemap-Signature: sha256=<HMAC-SHA256(secret, body), hex>
//   slack    {"text": …}, what Slack's incoming webhooks accept
//   teams    a MessageCard, what Microsoft Teams' incoming webhooks accept
//   alertmanager  one alert to Alertmanager's v2 API (POST <url>/api/v2/alerts), so that it
//            groups, routes, silences and forwards it: labels alertname=OutagemapIncident,
//            service, incident (stable for the incident's life); status, impact and the update
//            in annotations; endsAt the resolution time, or `alert_horizon` ahead while the
//            incident is unresolved (Alertmanager resolves an alert that is not sent again by
//            then; every update sends it again)
//   email    a text/plain message over SMTP with STARTTLS (smtp_client.h) to one recipient
// A 2xx answer moves the cursor; anything else (or no answer within `timeout`) is retried after
// 2^attempts seconds, at most `max_backoff`, in order (a later update never overtakes an earlier
// one). After `max_attempts` the update is skipped, with the error kept on the subscription.
// Cursors and retry state are saved right after each delivery and after each failed attempt, so
// a restart resumes where it stopped; a crash between a receiver's answer and that save sends the
// same update again, with the same X-Outagemap-Delivery id (at least once, never a new one).
// With `hold_down`, short-lived incidents (blips that detection opened and resolved within it)
// are not told at all.
//
// Thread-safety: Start/Stop from the owning thread; RunOnce (tests) when the thread is not started.

#include <chrono>
#include <functional>
#include <string>

#include "alerts/subscriptions.h"
#include "base/metrics.h"
#include "base/option_key.h"
#include "base/periodic_thread.h"
#include "base/time.h"
#include "incidents/incident_records.h"

namespace om::alerts {

struct NotifierOptions {
  std::chrono::milliseconds poll{1000};
  std::chrono::milliseconds timeout{5000};
  int max_attempts = 20;
  std::chrono::seconds max_backoff{3600};
  // Base of the links in notifications: "http://status.example.org".
  std::string public_url = "http://127.0.0.1:8080";
  // How long Alertmanager keeps an unresolved incident's alert firing without a new update.
  std::chrono::hours alert_horizon{24};
  // Flapping control: an incident detection opened is told only once it has lasted this long
  // (its updates wait, in order, until then); one resolved sooner is never told at all, neither
  // its opening nor its resolution. 0 tells at once.
  std::chrono::minutes hold_down{0};
  // A subscription to a region waits this long at most for a new incident's footprint to be
  // known before it judges whether the incident is in its region.
  std::chrono::minutes region_wait{15};
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kNotifierOptionKeys[] = {
    {"server.public_url", OptionType::kString, "", 0, 0,
     "base of the links in notifications (`http://status.example.org`); empty: `http://` + "
     "`server.listen`"},
    {"notify.timeout_ms", OptionType::kInt, "ms", 100, 60000,
     "a notification not answered within this is a failed attempt"},
    {"notify.max_attempts", OptionType::kInt, "", 1, 1000,
     "failed attempts at one update before it is skipped (the error stays on the subscription)"},
    {"notify.max_backoff_seconds", OptionType::kInt, "s", 1, 86400,
     "longest wait between attempts (they wait 2, 4, 8, … s)"},
    {"notify.hold_down_minutes", OptionType::kInt, "min", 0, 1440,
     "flapping control: an incident detection opened is notified only once it has lasted this "
     "long; one resolved sooner (and not written about by an operator) is never notified"},
};

class Notifier {
 public:
  using ServiceName = std::function<std::string(const std::string& service_id)>;
  // All borrowed; they must outlive the Notifier.
  Notifier(NotifierOptions options, incidents::IncidentRecords& records,
           Subscriptions& subscriptions, ServiceName service_name, MetricsRegistry& metrics,
           const Clock& clock);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void Start();
  void Stop();
  // One pass over every subscription, on the calling thread.
  void RunOnce();

  // The body sent to `s` for `event`.
  std::string Payload(const Subscription& s,
                      const incidents::IncidentRecords::UpdateEvent& event) const;

 private:
  // Delivers what is due for `s`; saves its progress.
  void Serve(Subscription& s, int64_t now_ms);
  // One attempt at one update: Ok when the receiver took it.
  Status Deliver(const Subscription& s, const incidents::IncidentRecords::UpdateEvent& e) const;

  const NotifierOptions options_;
  incidents::IncidentRecords& records_;
  Subscriptions& subscriptions_;
  const ServiceName service_name_;
  const Clock& clock_;
  Counter& sent_total_;
  Counter& failed_total_;

  PeriodicThread worker_;
};

// "sha256=" + hex HMAC-SHA256 of `body` under `secret`: the webhook signature header's value.
std::string WebhookSignature(std::string_view secret, std::string_view body);

}  // namespace om::alerts
