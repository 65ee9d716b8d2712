#pragma once
// OfficialStatus polls each service's official status source, so that crowd evidence and what
// the provider says can be shown side by side ("crowd: outage for 35 min · official:
// operational"). Sources come from the catalog (`status_url` with `status_format`):
//   statuspage  Atlassian Statuspage v2 JSON (summary.json or status.json): /status/indicator
//   rss, atom   an incident feed: its newest entry, judged by a heuristic (below)
// and are normalised to one of operational, degraded, partial, major, maintenance.
//
// Polling is polite: every `interval`, conditional (If-None-Match / If-Modified-Since, a 304 is a
// successful check), with a deadline (`timeout`), a body limit, and on failure (no answer, not
// 2xx, a body that does not parse) an exponential backoff up to `max_backoff`; a 429 or 503 with
// Retry-After waits at least that long. The last good status stays shown, with the error beside
// it. Every change of level is kept as history in SQLite (<data>/meta.db, official_status_history).
//
// Feeds carry incident posts, not a status: the newest entry counts as an ongoing problem
// (degraded) when it is less than `feed_window` old and its title does not say it is over
// (resolved, completed, restored, operational, closed); otherwise the service is operational.
//
// Thread-safety: Start/Stop from the owning thread; Find/History from any thread; PollDue (tests)
// when the thread is not started.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "base/mutex.h"
#include "base/option_key.h"
#include "base/periodic_thread.h"
#include "base/status.h"
#include "base/time.h"
#include "db/meta_store.h"

namespace om::official {

enum class Level { kOperational, kDegraded, kPartial, kMajor, kMaintenance };
std::string_view LevelName(Level level);  // "operational", "degraded", "partial", "major", ...

// Statuspage's status indicator: none, minor, major, critical, maintenance.
Result<Level> LevelFromIndicator(std::string_view indicator);

struct FeedVerdict {
  Level level = Level::kOperational;
  std::string title;     // of the newest entry
  int64_t entry_ms = 0;  // its date
};
// The newest <item> (RSS 2.0) or <entry> (Atom) of `xml`, judged as described above.
// kInvalidArgument when the document has no dated entry.
Result<FeedVerdict> JudgeFeed(std::string_view xml, int64_t now_ms, std::chrono::hours feed_window);

struct Source {
  std::string service;
  std::string url;
  std::string format;  // statuspage | rss | atom
};

struct OfficialState {
  std::string service;
  std::string url;
  std::optional<Level> level;  // unknown until the first good answer
  std::string description;     // the provider's own words, or the feed entry's title
  int64_t since_ms = 0;        // when `level` last changed
  int64_t checked_ms = 0;      // the last good answer (200 or 304)
  std::string error;           // the last poll's failure; empty when it succeeded
  int failures = 0;            // consecutive failed polls
};

struct HistoryEntry {
  int64_t at_ms = 0;
  Level level = Level::kOperational;
  std::string description;
};

// How well a provider's official page acknowledged the outages the crowd detected.
struct Accuracy {
  int incidents = 0;             // crowd-detected incidents judged
  int acknowledged = 0;          // of them, the official page showed a problem during
  int64_t median_delay_ms = -1;  // detection to acknowledgement, over the acknowledged; -1 none
  // A: at least 90% acknowledged and a median delay of at most 15 minutes; B: at least 75%;
  // C: 50%; D: 25%; F: less. Empty without incidents.
  std::string grade;
};

// An incident the crowd detected: [detected_ms, resolved_ms), resolved_ms 0 while open.
struct CrowdIncident {
  int64_t detected_ms = 0;
  int64_t resolved_ms = 0;
};

// The crowd's incidents of `service` detected at or after `since_ms`, oldest or newest first.
// server/ reads them from the incident records, which this module does not depend on.
using CrowdHistory =
    std::function<std::vector<CrowdIncident>(std::string_view service, int64_t since_ms)>;

// The period RecentAccuracy judges: the crowd's incidents detected in the last 90 days.
inline constexpr int kAccuracyPeriodDays = 90;

struct OfficialOptions {
  bool enabled = false;  // polling reaches other sites: off unless configured
  std::chrono::seconds interval{120};
  std::chrono::milliseconds timeout{5000};
  std::chrono::seconds max_backoff{3600};
  std::chrono::hours feed_window{24};
  size_t max_body_bytes = 1 << 20;
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kOfficialOptionKeys[] = {
    {"official.enabled", OptionType::kBool, "", 0, 0,
     "poll the official status sources of the catalog (`status_url` + `status_format`); off by "
     "default because it reaches other sites"},
    {"official.interval_seconds", OptionType::kInt, "s", 1, 86400,
     "time between polls of one source (conditional requests)"},
    {"official.timeout_ms", OptionType::kInt, "ms", 100, 60000,
     "a poll not answered within this fails"},
    {"official.max_backoff_seconds", OptionType::kInt, "s", 1, 86400,
     "longest wait after failed polls (they wait 2, 4, 8, … intervals; at least `Retry-After` "
     "after a 429 or 503)"},
};

class OfficialStatus {
 public:
  static Result<std::unique_ptr<OfficialStatus>> Open(OfficialOptions options,
                                                      std::vector<Source> sources,
                                                      db::MetaStore& meta, MetricsRegistry& metrics,
                                                      const Clock& clock,
                                                      CrowdHistory crowd_history = nullptr);
  ~OfficialStatus();
  OfficialStatus(const OfficialStatus&) = delete;
  OfficialStatus& operator=(const OfficialStatus&) = delete;

  // Starts the polling thread when `enabled`.
  void Start();
  void Stop();
  // Polls every source that is due, on the calling thread.
  void PollDue();
  // Takes each source's level, since and description from what meta.db recorded last: on a
  // cluster follower, whose leader polls and records through the journal of writes.
  Status Reload() OM_EXCLUDES(mu_);

  std::optional<OfficialState> Find(std::string_view service) const;
  // Changes of level of `service` since `since_ms`, oldest first.
  std::vector<HistoryEntry> History(std::string_view service, int64_t since_ms) const;

  // The accuracy of `service`'s official page over `incidents` (the caller picks the period, e.g.
  // 90 days): an incident counts as acknowledged when the page showed anything but operational
  // between 30 minutes before its detection and its resolution (or `now_ms`).
  Accuracy AccuracyOf(std::string_view service, const std::vector<CrowdIncident>& incidents,
                      int64_t now_ms) const;
  // AccuracyOf over the crowd's incidents of the last kAccuracyPeriodDays, from the CrowdHistory
  // given to Open; no incidents (grade empty) without one.
  Accuracy RecentAccuracy(std::string_view service, int64_t now_ms) const;

 private:
  struct Tracked {
    Source source;
    OfficialState state;
    std::string etag, last_modified;
    int64_t next_poll_ms = 0;
  };
  OfficialStatus(OfficialOptions options, db::MetaStore& meta, MetricsRegistry& metrics,
                 const Clock& clock);
  // One poll of `t` (not under mu_: it waits on the network); returns the updated copy.
  Tracked Poll(Tracked t, int64_t now_ms) const;

  const OfficialOptions options_;
  const Clock& clock_;
  CrowdHistory crowd_history_;  // set once by Open; may be empty
  Counter& polls_total_;
  Counter& failures_total_;

  db::MetaStore& meta_;  // table official_status_history
  mutable Mutex mu_;
  std::vector<Tracked> tracked_ OM_GUARDED_BY(mu_);
  PeriodicThread worker_;
};

}  // namespace om::official
