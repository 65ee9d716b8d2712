#pragma once
// Subscriptions: who is told about incidents, and how far each has been told. Kept in SQLite
// (<data_dir>/meta.db, table subscriptions). A subscription follows the stream of incident updates
// (IncidentRecords::UpdatesSince) with a cursor of its own, so the updates themselves are the
// persistent outbox: nothing is lost across a restart, and a subscription that could not deliver
// resumes where it stopped, in order.
//
// Thread-safety: every method may be called from any thread (one mutex around the connection).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/time.h"
#include "db/meta_store.h"
#include "incidents/incident_records.h"

namespace om::alerts {

enum class Channel { kWebhook, kSlack, kTeams, kAlertmanager, kEmail };
// "webhook", "slack", "teams", "alertmanager", "email"
std::string_view ChannelName(Channel channel);
Result<Channel> ParseChannel(std::string_view name);

struct Subscription {
  std::string id;  // 12 hex digits
  Channel channel = Channel::kWebhook;
  std::string url;
  std::string secret;   // webhook: the HMAC-SHA256 key (64 hex digits); empty for the others
  std::string service;  // only incidents covering this service; empty for every service
  // Only incidents whose footprint reaches this country ("US") or region ("US-MN"); empty for
  // everywhere.
  std::string region;
  incidents::Impact min_impact = incidents::Impact::kNone;
  int64_t created_ms = 0;
  // Delivery state.
  int64_t cursor_seq = 0;       // the last update delivered or skipped
  int64_t attempts = 0;         // failed attempts at the update after the cursor
  int64_t next_attempt_ms = 0;  // no attempt before this
  std::string last_error;
  int64_t delivered = 0;  // updates delivered in all
};

// "US" or "US-MN" (ISO 3166-1 alpha-2, or ISO 3166-2 with a 1 to 3 character subdivision).
bool ValidRegion(std::string_view region);
// Whether `regions` (ISO 3166-2 codes) lie in `region`: the same code, or a subdivision of the
// country `region` names.
bool InRegion(const std::vector<std::string>& regions, std::string_view region);

class Subscriptions {
 public:
  // The subscriptions of table subscriptions in `meta` (borrowed; it must outlive this object).
  static Result<std::unique_ptr<Subscriptions>> Open(db::MetaStore& meta);

  // A new subscription that starts after `first_seq` (updates before it are not sent). The secret
  // is generated for webhooks. kInvalidArgument naming the field for a bad url, channel or region.
  Result<Subscription> Create(Channel channel, std::string_view url, std::string_view service,
                              std::string_view region, incidents::Impact min_impact,
                              int64_t first_seq, Timestamp now);
  std::vector<Subscription> List() const;
  // kNotFound for an unknown id.
  Status Delete(std::string_view id);
  // Saves the delivery state of `s` (cursor, attempts, next attempt, error, count).
  Status SaveProgress(const Subscription& s);

 private:
  explicit Subscriptions(db::MetaStore& meta) : meta_(meta) {}
  static std::vector<Subscription> ListRows(db::Database& db);

  db::MetaStore& meta_;
};

}  // namespace om::alerts
