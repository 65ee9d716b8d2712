#include "official/official_status.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

#include "base/log.h"
#include "json/json_fields.h"
#include "net/http_client.h"

namespace om::official {
namespace {

constexpr std::string_view kLevelNames[] = {"operational", "degraded", "partial", "major",
                                            "maintenance"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The text of the first <tag>...</tag> in `xml` from `from`, CDATA unwrapped; empty if none.
std::string TagText(std::string_view xml, std::string_view tag, size_t from = 0) {
  std::string open = "<" + std::string(tag);
  size_t start = xml.find(open, from);
  while (start != std::string_view::npos) {
    char next = start + open.size() < xml.size() ? xml[start + open.size()] : '\0';
    if (next == '>' || next == ' ' || next == '\t' || next == '\n' || next == '\r') break;
    start = xml.find(open, start + 1);
  }
  if (start == std::string_view::npos) return "";
  size_t body = xml.find('>', start);
  size_t end = xml.find("</" + std::string(tag), body);
  if (body == std::string_view::npos || end == std::string_view::npos) return "";
  std::string_view text = xml.substr(body + 1, end - body - 1);
  if (text.starts_with("<![CDATA[") && text.ends_with("]]>")) {
    text = text.substr(9, text.size() - 12);
  }
  std::string out(text);
  // The five predefined entities; feeds escape titles with them.
  for (auto [from_s, to_s] : {std::pair<std::string_view, std::string_view>{"&lt;", "<"},
                              {"&gt;", ">"},
                              {"&quot;", "\""},
                              {"&apos;", "'"},
                              {"&amp;", "&"}}) {
    for (size_t p = 0; (p = out.find(from_s, p)) != std::string::npos; p += to_s.size()) {
      out.replace(p, from_s.size(), to_s);
    }
  }
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  size_t first = out.find_first_not_of(" \t\r\n");
  return first == std::string::npos ? "" : out.substr(first);
}

// RFC 822 dates of RSS ("Thu, 22 Jan 2026 14:37:00 GMT", "+0000", "-0500"); 0 if unreadable.
int64_t ParseRfc822(const std::string& s) {
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!rest) rest = strptime(s.c_str(), "%d %b %Y %H:%M:%S", &tm);
  if (!rest) return 0;
  int64_t t = static_cast<int64_t>(timegm(&tm));
  std::string_view zone(rest);
  while (!zone.empty() && zone.front() == ' ') zone.remove_prefix(1);
  if ((zone.starts_with("+") || zone.starts_with("-")) && zone.size() >= 5) {
    int hh = 0, mm = 0;
    std::from_chars(zone.data() + 1, zone.data() + 3, hh);
    std::from_chars(zone.data() + 3, zone.data() + 5, mm);
    int64_t offset = (int64_t{hh} * 60 + mm) * 60;
    t += zone.front() == '+' ? -offset : offset;
  }
  return t * 1000;
}

int64_t RetryAfterMs(std::string_view value) {
  int64_t seconds = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  return ec == std::errc() && seconds > 0 ? std::min<int64_t>(seconds, 86400) * 1000 : 0;
}

}  // namespace

std::string_view LevelName(Level level) { return kLevelNames[static_cast<size_t>(level)]; }

Result<Level> LevelFromIndicator(std::string_view indicator) {
  if (indicator == "none") return Level::kOperational;
  if (indicator == "minor") return Level::kDegraded;
  if (indicator == "major") return Level::kPartial;
  if (indicator == "critical") return Level::kMajor;
  if (indicator == "maintenance") return Level::kMaintenance;
  return Status::InvalidArgument("unknown status indicator \"" +
                                 std::string(indicator.substr(0, 40)) + "\"");
}

Result<FeedVerdict> JudgeFeed(std::string_view xml, int64_t now_ms,
                              std::chrono::hours feed_window) {
  bool atom = xml.find("<entry") != std::string_view::npos;
  size_t entry = xml.find(atom ? "<entry" : "<item");
  if (entry == std::string_view::npos) return Status::InvalidArgument("feed: no entry");
  std::string_view rest = xml.substr(entry);
  FeedVerdict v;
  v.title = TagText(rest, "title");
  if (atom) {
    std::string when = TagText(rest, "updated");
    if (when.empty()) when = TagText(rest, "published");
    if (auto t = ParseRfc3339(when)) v.entry_ms = ToUnixMillis(*t);
  } else {
    v.entry_ms = ParseRfc822(TagText(rest, "pubDate"));
  }
  if (v.entry_ms == 0) {
    return Status::InvalidArgument("feed: the newest entry has no readable date");
  }
  std::string title = Lower(v.title);
  bool over = false;
  for (std::string_view word : {"resolved", "completed", "restored", "operational", "closed"}) {
    over |= title.find(word) != std::string::npos;
  }
  int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(feed_window).count();
  v.level = !over && now_ms - v.entry_ms < window_ms ? Level::kDegraded : Level::kOperational;
  return v;
}

OfficialStatus::OfficialStatus(OfficialOptions options, db::MetaStore& meta,
                               MetricsRegistry& metrics, const Clock& clock)
    : options_(options),
      clock_(clock),
      polls_total_(
          metrics.GetCounter("om_official_polls_total", "Polls of official status sources.")),
      failures_total_(metrics.GetCounter(
          "om_official_poll_failures_total",
          "Polls of official status sources that failed (no answer, not 2xx/304, unreadable).")),
      meta_(meta) {}

OfficialStatus::~OfficialStatus() { Stop(); }

namespace {

// The level each source's service had when last recorded in official_status_history (with its
// since and description); the others as `sources` has them (unknown).
Status ReadLastRecorded(db::MetaStore& meta, std::vector<OfficialState>& states) {
  return meta.Read([&](db::Database& db) -> Status {
    OM_ASSIGN_OR_RETURN(db::Statement last, db.Prepare("SELECT at_ms, level, description FROM "
                                                       "official_status_history WHERE service = ? "
                                                       "ORDER BY at_ms DESC LIMIT 1"));
    for (OfficialState& state : states) {
      last.Bind(1, state.service);
      OM_ASSIGN_OR_RETURN(bool row, last.Step());
      if (row) {
        for (size_t i = 0; i < std::size(kLevelNames); ++i) {
          if (kLevelNames[i] == last.ColumnText(1)) state.level = static_cast<Level>(i);
        }
        state.since_ms = last.ColumnInt(0);
        state.description = last.ColumnText(2);
      }
      last.Reset();
    }
    return Status::Ok();
  });
}

}  // namespace

Result<std::unique_ptr<OfficialStatus>> OfficialStatus::Open(
    OfficialOptions options, std::vector<Source> sources, db::MetaStore& meta,
    MetricsRegistry& metrics, const Clock& clock, CrowdHistory crowd_history) {
  std::vector<OfficialState> states;
  for (const Source& source : sources) {
    OfficialState state;
    state.service = source.service;
    state.url = source.url;
    states.push_back(std::move(state));
  }
  // The level last recorded survives a restart (with its since), until the next poll.
  OM_RETURN_IF_ERROR(ReadLastRecorded(meta, states));
  std::vector<Tracked> tracked;
  for (size_t i = 0; i < sources.size(); ++i) {
    Tracked t;
    t.state = std::move(states[i]);
    t.source = std::move(sources[i]);
    tracked.push_back(std::move(t));
  }
  std::unique_ptr<OfficialStatus> o(new OfficialStatus(options, meta, metrics, clock));
  o->crowd_history_ = std::move(crowd_history);
  MutexLock lock(o->mu_);
  o->tracked_ = std::move(tracked);
  return o;
}

Status OfficialStatus::Reload() {
  std::vector<OfficialState> states;
  {
    MutexLock lock(mu_);
    for (const Tracked& t : tracked_) states.push_back(t.state);
  }
  OM_RETURN_IF_ERROR(ReadLastRecorded(meta_, states));
  MutexLock lock(mu_);
  for (size_t i = 0; i < states.size() && i < tracked_.size(); ++i) {
    if (tracked_[i].state.service != states[i].service) continue;
    tracked_[i].state.level = states[i].level;
    tracked_[i].state.since_ms = states[i].since_ms;
    tracked_[i].state.description = states[i].description;
  }
  return Status::Ok();
}

void OfficialStatus::Start() {
  if (!options_.enabled || worker_.running()) return;
  worker_.Start(std::chrono::seconds(1), [this] { PollDue(); });
}

void OfficialStatus::Stop() { worker_.Stop(); }

OfficialStatus::Tracked OfficialStatus::Poll(Tracked t, int64_t now_ms) const {
  int64_t interval_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.interval).count();
  auto fail = [&](std::string error, int64_t at_least_ms) {
    ++t.state.failures;
    t.state.error = std::move(error);
    int64_t backoff = std::min<int64_t>(
        interval_ms << std::min(t.state.failures, 20),
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.max_backoff).count());
    t.next_poll_ms = now_ms + std::max(backoff, at_least_ms);
    return t;
  };
  Result<net::HttpUrl> url = net::ParseHttpUrl(t.source.url);
  if (!url.ok()) return fail(url.status().message(), 0);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Accept", t.source.format == "statuspage" ? "application/json"
                                                 : "application/rss+xml, application/atom+xml"}};
  if (!t.etag.empty()) headers.emplace_back("If-None-Match", t.etag);
  if (!t.last_modified.empty()) headers.emplace_back("If-Modified-Since", t.last_modified);
  Result<net::HttpAnswer> answer =
      net::Fetch(*url, headers, options_.timeout, options_.max_body_bytes);
  if (!answer.ok()) return fail(answer.status().message(), 0);
  if (answer->status == 304) {
    t.state.checked_ms = now_ms;
    t.state.error.clear();
    t.state.failures = 0;
    t.next_poll_ms = now_ms + interval_ms;
    return t;
  }
  if (answer->status != 200) {
    int64_t wait = answer->status == 429 || answer->status == 503
                       ? RetryAfterMs(answer->Header("retry-after"))
                       : 0;
    return fail("HTTP " + std::to_string(answer->status), wait);
  }
  Level level;
  std::string description;
  if (t.source.format == "statuspage") {
    Result<std::string> indicator = json::StringAtPointer(answer->body, "/status/indicator");
    if (!indicator.ok()) return fail(indicator.status().message(), 0);
    Result<Level> parsed = LevelFromIndicator(*indicator);
    if (!parsed.ok()) return fail(parsed.status().message(), 0);
    level = *parsed;
    Result<std::string> said = json::StringAtPointer(answer->body, "/status/description");
    description = said.ok() ? *said : "";
  } else {
    Result<FeedVerdict> verdict = JudgeFeed(answer->body, now_ms, options_.feed_window);
    if (!verdict.ok()) return fail(verdict.status().message(), 0);
    level = verdict->level;
    description = verdict->title;
  }
  if (!t.state.level || *t.state.level != level) t.state.since_ms = now_ms;
  t.state.level = level;
  t.state.description = description.substr(0, 500);
  t.state.checked_ms = now_ms;
  t.state.error.clear();
  t.state.failures = 0;
  t.etag = std::string(answer->Header("etag"));
  t.last_modified = std::string(answer->Header("last-modified"));
  t.next_poll_ms = now_ms + interval_ms;
  return t;
}

void OfficialStatus::PollDue() {
  int64_t now_ms = ToUnixMillis(clock_.Now());
  std::vector<Tracked> due;
  {
    MutexLock lock(mu_);
    for (const Tracked& t : tracked_) {
      if (t.next_poll_ms <= now_ms) due.push_back(t);
    }
  }
  for (Tracked& t : due) {
    std::optional<Level> before = t.state.level;
    Tracked after = Poll(t, now_ms);
    polls_total_.Add();
    if (!after.state.error.empty()) failures_total_.Add();
    if (after.state.level && after.state.level != before) {
      // A change of level is history; a failed poll or an unchanged level is not.
      Status s = meta_.Write([&](db::MetaStore::Transaction& tx) {
        return tx.Run(
            "INSERT INTO official_status_history(service, at_ms, level, description) "
            "VALUES (?, ?, ?, ?)",
            {after.state.service, now_ms, LevelName(*after.state.level), after.state.description});
      });
      if (!s.ok()) OM_LOG(kError) << "official status history: " << s.ToString();
    }
    MutexLock lock(mu_);
    for (Tracked& mine : tracked_) {
      if (mine.source.service == after.source.service) {
        mine = std::move(after);
        break;  // one source per service
      }
    }
  }
}

std::optional<OfficialState> OfficialStatus::Find(std::string_view service) const {
  MutexLock lock(mu_);
  for (const Tracked& t : tracked_) {
    if (t.source.service == service) return t.state;
  }
  return std::nullopt;
}

std::vector<HistoryEntry> OfficialStatus::History(std::string_view service,
                                                  int64_t since_ms) const {
  return meta_.Read([&](db::Database& db) {
    std::vector<HistoryEntry> out;
    auto select = db.Prepare(
        "SELECT at_ms, level, description FROM official_status_history WHERE service = ? AND "
        "at_ms >= ? ORDER BY at_ms");
    if (!select.ok()) return out;
    select->Bind(1, service).Bind(2, since_ms);
    for (;;) {
      Result<bool> row = select->Step();
      if (!row.ok() || !*row) break;
      HistoryEntry e;
      e.at_ms = select->ColumnInt(0);
      for (size_t i = 0; i < std::size(kLevelNames); ++i) {
        if (kLevelNames[i] == select->ColumnText(1)) e.level = static_cast<Level>(i);
      }
      e.description = select->ColumnText(2);
      out.push_back(std::move(e));
    }
    return out;
  });
}

Accuracy OfficialStatus::RecentAccuracy(std::string_view service, int64_t now_ms) const {
  if (!crowd_history_) return {};
  return AccuracyOf(service, crowd_history_(service, now_ms - kAccuracyPeriodDays * 86400000LL),
                    now_ms);
}

Accuracy OfficialStatus::AccuracyOf(std::string_view service,
                                    const std::vector<CrowdIncident>& incidents,
                                    int64_t now_ms) const {
  constexpr int64_t kLeadMs =
      30 * kMillisPerMinute;  // a page may speak a little before the crowd does
  std::vector<HistoryEntry> history = History(service, 0);
  Accuracy a;
  std::vector<int64_t> delays;
  for (const CrowdIncident& i : incidents) {
    ++a.incidents;
    int64_t from = i.detected_ms - kLeadMs, to = i.resolved_ms ? i.resolved_ms : now_ms;
    // The level in effect at `from`, then every change inside the window.
    std::optional<int64_t> acknowledged_at;
    for (size_t k = 0; k < history.size(); ++k) {
      const HistoryEntry& h = history[k];
      bool in_effect_at_from =
          h.at_ms <= from && (k + 1 == history.size() || history[k + 1].at_ms > from);
      bool inside = h.at_ms > from && h.at_ms < to;
      if ((in_effect_at_from || inside) && h.level != Level::kOperational) {
        acknowledged_at = std::max(h.at_ms, from);
        break;
      }
    }
    if (!acknowledged_at) continue;
    ++a.acknowledged;
    delays.push_back(std::max<int64_t>(0, *acknowledged_at - i.detected_ms));
  }
  if (!delays.empty()) {
    std::nth_element(delays.begin(), delays.begin() + static_cast<ptrdiff_t>(delays.size() / 2),
                     delays.end());
    a.median_delay_ms = delays[delays.size() / 2];
  }
  if (a.incidents > 0) {
    double share = static_cast<double>(a.acknowledged) / a.incidents;
    a.grade = share >= 0.9 && a.median_delay_ms >= 0 && a.median_delay_ms <= 15 * kMillisPerMinute
                  ? "A"
              : share >= 0.75 ? "B"
              : share >= 0.5  ? "C"
              : share >= 0.25 ? "D"
                              : "F";
  }
  return a;
}

}  // namespace om::official
