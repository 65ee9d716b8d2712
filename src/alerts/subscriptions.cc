#include "alerts/subscriptions.h"

#include <algorithm>

#include "base/hex.h"
#include "net/http_client.h"
#include "net/smtp_client.h"

namespace om::alerts {

namespace {

constexpr std::string_view kChannelNames[] = {"webhook", "slack", "teams", "alertmanager", "email"};

constexpr std::string_view kColumns =
    "id, channel, url, secret, service, min_impact, created_ms, cursor_seq, attempts, "
    "next_attempt_ms, last_error, delivered, region";

}  // namespace

std::string_view ChannelName(Channel channel) {
  return kChannelNames[static_cast<size_t>(channel)];
}

Result<Channel> ParseChannel(std::string_view name) {
  for (size_t i = 0; i < std::size(kChannelNames); ++i) {
    if (kChannelNames[i] == name) return static_cast<Channel>(i);
  }
  return Status::InvalidArgument(
      "channel: must be one of webhook, slack, teams, alertmanager, email");
}

Result<std::unique_ptr<Subscriptions>> Subscriptions::Open(db::MetaStore& meta) {
  return std::unique_ptr<Subscriptions>(new Subscriptions(meta));
}

bool ValidRegion(std::string_view region) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto alnum = [&](char c) { return upper(c) || (c >= '0' && c <= '9'); };
  if (region.size() < 2 || !upper(region[0]) || !upper(region[1])) return false;
  if (region.size() == 2) return true;
  if (region[2] != '-' || region.size() < 4 || region.size() > 6) return false;
  return std::all_of(region.begin() + 3, region.end(), alnum);
}

bool InRegion(const std::vector<std::string>& regions, std::string_view region) {
  return std::any_of(regions.begin(), regions.end(), [&](const std::string& r) {
    return r == region ||
           (r.size() > region.size() && r.starts_with(region) && r[region.size()] == '-');
  });
}

Result<Subscription> Subscriptions::Create(Channel channel, std::string_view url,
                                           std::string_view service, std::string_view region,
                                           incidents::Impact min_impact, int64_t first_seq,
                                           Timestamp now) {
  if (url.size() > 2000) return Status::InvalidArgument("url: longer than 2000 bytes");
  if (!region.empty() && !ValidRegion(region)) {
    return Status::InvalidArgument(
        "region: must be a country (ISO 3166-1 alpha-2, \"US\") or a region (ISO 3166-2, "
        "\"US-MN\")");
  }
  // E-mail goes to an SMTP server (smtp://…?to=…), everything else over HTTP.
  OM_RETURN_IF_ERROR(channel == Channel::kEmail ? net::ParseSmtpUrl(url).status()
                                                : net::ParseHttpUrl(url).status());
  Subscription s;
  OM_ASSIGN_OR_RETURN(s.id, RandomHex(6));
  if (channel == Channel::kWebhook) {
    OM_ASSIGN_OR_RETURN(s.secret, RandomHex(32));
  }
  s.channel = channel;
  s.url = std::string(url);
  s.service = std::string(service);
  s.region = std::string(region);
  s.min_impact = min_impact;
  s.created_ms = ToUnixMillis(now);
  s.cursor_seq = first_seq;
  OM_RETURN_IF_ERROR(meta_.Write([&](db::MetaStore::Transaction& tx) {
    return tx.Run("INSERT INTO subscriptions(" + std::string(kColumns) +
                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', 0, ?)",
                  {s.id, ChannelName(s.channel), s.url, s.secret, s.service,
                   incidents::ImpactName(s.min_impact), s.created_ms, s.cursor_seq, s.region});
  }));
  return s;
}

std::vector<Subscription> Subscriptions::List() const {
  return meta_.Read([&](db::Database& db) { return ListRows(db); });
}

std::vector<Subscription> Subscriptions::ListRows(db::Database& db) {
  std::vector<Subscription> out;
  auto select =
      db.Prepare("SELECT " + std::string(kColumns) + " FROM subscriptions ORDER BY created_ms, id");
  if (!select.ok()) return out;
  for (;;) {
    Result<bool> row = select->Step();
    if (!row.ok() || !*row) break;
    Subscription s;
    s.id = select->ColumnText(0);
    Result<Channel> channel = ParseChannel(select->ColumnText(1));
    Result<incidents::Impact> impact = incidents::ParseImpact(select->ColumnText(5), "min_impact");
    if (!channel.ok() || !impact.ok()) continue;  // written by a newer version: leave it alone
    s.channel = *channel;
    s.url = select->ColumnText(2);
    s.secret = select->ColumnText(3);
    s.service = select->ColumnText(4);
    s.min_impact = *impact;
    s.created_ms = select->ColumnInt(6);
    s.cursor_seq = select->ColumnInt(7);
    s.attempts = select->ColumnInt(8);
    s.next_attempt_ms = select->ColumnInt(9);
    s.last_error = select->ColumnText(10);
    s.delivered = select->ColumnInt(11);
    s.region = select->ColumnText(12);
    out.push_back(std::move(s));
  }
  return out;
}

Status Subscriptions::Delete(std::string_view id) {
  return meta_.Write([&](db::MetaStore::Transaction& tx) {
    return tx.DeleteById("subscriptions", id, "no subscription with id");
  });
}

Status Subscriptions::SaveProgress(const Subscription& s) {
  return meta_.Write([&](db::MetaStore::Transaction& tx) {
    return tx.Run(
        "UPDATE subscriptions SET cursor_seq = ?, attempts = ?, next_attempt_ms = ?, "
        "last_error = ?, delivered = ? WHERE id = ?",
        {s.cursor_seq, s.attempts, s.next_attempt_ms, s.last_error, s.delivered, s.id});
  });
}

}  // namespace om::alerts
