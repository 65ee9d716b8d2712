#include "sim/demo_scenario.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "base/json_writer.h"
#include "base/time.h"

namespace om::sim {
namespace {

constexpr double kOutageMinutes = 9 * 60;  // about nine hours
constexpr double kRampMinutes = 12;
constexpr double kDecayMinutes = 40;

// Cities the outage map listed on 22 January 2026 (GeoNames ids), boosted in the outage.
constexpr uint32_t kNamedCities[] = {
    5368361,  // Los Angeles
    5037649,  // Minneapolis
    5308655,  // Phoenix
    4684888,  // Dallas
    4699066,  // Houston
    5391959,  // San Francisco
    5809844,  // Seattle
};

struct Seed {
  const char* id;
  double peak;
  double outage_peak;
  double delay;
};

// Normal peaks are reports per minute at the busiest hour; outage peaks follow the Downdetector
// figures of the day (16,000 / 15 min for Microsoft 365, 12,000 for Outlook).
constexpr Seed kServices[] = {
    {"microsoft-365", 1.5, 1070, 0},
    {"outlook", 1.2, 800, 1},
    {"teams", 0.8, 260, 2},
    {"mimecast", 0.05, 45, 5},
    {"godaddy", 0.15, 35, 7},
    {"azure", 0.2, 0, 0},
    {"aws", 0.5, 0, 0},
    {"google", 0.6, 0, 0},
    {"gmail", 0.8, 0, 0},
    {"youtube", 1.5, 0, 0},
    {"slack", 0.6, 0, 0},
    {"zoom", 0.5, 0, 0},
    {"cloudflare", 0.2, 0, 0},
    {"github", 0.3, 0, 0},
    {"discord", 0.8, 0, 0},
    {"whatsapp", 1.0, 0, 0},
    {"facebook", 1.2, 0, 0},
    {"instagram", 1.2, 0, 0},
    {"x", 1.0, 0, 0},
    {"reddit", 0.6, 0, 0},
    {"netflix", 0.8, 0, 0},
    {"spotify", 0.6, 0, 0},
    {"steam", 0.5, 0, 0},
    {"playstation-network", 0.5, 0, 0},
    {"xbox-live", 0.4, 0, 0},
    {"chatgpt", 0.7, 0, 0},
    {"paypal", 0.3, 0, 0},
    {"comcast-xfinity", 1.0, 0, 0},
    {"verizon", 0.7, 0, 0},
    {"at-t", 0.8, 0, 0},
    {"t-mobile", 0.6, 0, 0},
    {"amazon", 0.5, 0, 0},
};

constexpr const char* kOutageTexts[] = {
    "451 4.3.2 temporary server issue",
    "Emails stuck in outbox: 451 4.3.2 temporary server issue",
    "can't sign in",
    "Teams won't connect",
    "mail not syncing since this morning",
};

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace

void AppendNdjson(const SimReport& r, std::string& out) {
  JsonWriter w;
  w.BeginObject().Key("service").String(r.service).Key("ts");
  if (r.ts_offset_minutes == SimReport::kEpochMillis) {
    w.Int(r.ts_ms);
  } else {
    w.String(FormatRfc3339(FromUnixMillis(r.ts_ms), r.ts_offset_minutes));
  }
  w.Key("problem").String(r.problem);
  if (!r.city.empty()) {
    w.Key("city").String(r.city).Key("country").String(r.country);
  } else {
    w.Key("lat").Double(r.lat, 8).Key("lon").Double(r.lon, 8);
  }
  w.Key("reporter").String(r.reporter);
  if (!r.text.empty()) w.Key("text").String(r.text);
  w.Key("source").String("web").EndObject();
  out += w.str();
  out += '\n';
}

DemoScenario::DemoScenario(const catalog::Catalog& catalog, const geo::Gazetteer& gazetteer,
                           int64_t outage_start_ms, uint64_t seed)
    : outage_start_ms_(outage_start_ms), seed_(seed) {
  for (const Seed& s : kServices) {
    const catalog::Service* service = catalog.Find(s.id);
    if (service == nullptr) continue;  // a user catalog may have removed it
    Profile p{s.id, s.peak, s.outage_peak, s.delay, {}};
    // Order problem types so the likeliest for a mail outage come first.
    for (const char* preferred : {"email", "login", "server-connection", "app", "website"}) {
      if (std::find(service->problems.begin(), service->problems.end(), preferred) !=
          service->problems.end()) {
        p.problems.emplace_back(preferred);
      }
    }
    for (const auto& problem : service->problems) {
      if (std::find(p.problems.begin(), p.problems.end(), problem) == p.problems.end()) {
        p.problems.push_back(problem);
      }
    }
    profiles_.push_back(std::move(p));
  }
  // Background: the 400 most populous cities, weight population^0.8 (big cities report less
  // than their size), North America doubled since the catalog is US-heavy.
  std::vector<geo::CityId> ids(gazetteer.city_count());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<geo::CityId>(i);
  std::partial_sort(ids.begin(),
                    ids.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(2000, ids.size())),
                    ids.end(), [&](geo::CityId a, geo::CityId b) {
                      return gazetteer.city(a).population > gazetteer.city(b).population;
                    });
  double world = 0, outage = 0;
  size_t taken_world = 0, taken_na = 0;
  for (size_t i = 0; i < std::min<size_t>(2000, ids.size()); ++i) {
    const geo::City& c = gazetteer.city(ids[i]);
    bool north_america = c.country == "US" || c.country == "CA";
    if (taken_world < 400) {
      world += std::pow(static_cast<double>(c.population), 0.8) * (north_america ? 2.0 : 1.0);
      world_cities_.push_back({c.lat, c.lon, world});
      ++taken_world;
    }
    if (north_america && taken_na < 120) {
      double boost = std::find(std::begin(kNamedCities), std::end(kNamedCities), c.geonameid) !=
                             std::end(kNamedCities)
                         ? 6.0
                         : 1.0;
      outage += std::pow(static_cast<double>(c.population), 0.8) * boost;
      outage_cities_.push_back({c.lat, c.lon, outage});
      ++taken_na;
    }
  }
}

int64_t DemoScenario::outage_end_ms() const {
  return outage_start_ms_ + static_cast<int64_t>((kOutageMinutes + kDecayMinutes + 10) * 60000);
}

std::vector<std::string> DemoScenario::services() const {
  std::vector<std::string> out;
  for (const auto& p : profiles_) out.push_back(p.id);
  return out;
}

double DemoScenario::NormalRate(const Profile& p, int64_t ms) const {
  // US-centric day: local hour = UTC - 6; busiest mid-afternoon, quiet at night.
  double hour = std::fmod(static_cast<double>(ms) / 3.6e6 - 6 + 240, 24.0);
  double daily = 0.25 + 0.75 * std::exp(-std::pow(hour - 14, 2) / (2 * 4.0 * 4.0));
  int64_t day = (ms / 86400000 + 4) % 7;  // 0 = Sunday (1970-01-01 was a Thursday)
  double weekly = (day == 0 || day == 6) ? 0.7 : 1.0;
  return p.peak_per_minute * daily * weekly;
}

double DemoScenario::OutageRate(size_t service_index, double minutes_since_start) const {
  const Profile& p = profiles_[service_index];
  double t = minutes_since_start - p.outage_delay_minutes;
  if (p.outage_peak_per_minute <= 0 || t < 0) return 0;
  double level;
  if (t < kRampMinutes) {
    level = std::pow(t / kRampMinutes, 2);
  } else if (t < kOutageMinutes) {
    // Highest in the first two hours, then a long plateau as users give up reporting.
    double since = t - kRampMinutes;
    level = 0.55 + 0.45 * std::exp(-since / 150.0) + 0.08 * std::sin(since / 17.0);
  } else if (t < kOutageMinutes + kDecayMinutes) {
    level = 0.55 * (1 - (t - kOutageMinutes) / kDecayMinutes);
  } else {
    return 0;
  }
  return p.outage_peak_per_minute * std::max(0.0, level);
}

const DemoScenario::WeightedCity& DemoScenario::PickCity(const std::vector<WeightedCity>& cities,
                                                         double u) const {
  double target = u * cities.back().cumulative;
  auto it = std::lower_bound(cities.begin(), cities.end(), target,
                             [](const WeightedCity& c, double v) { return c.cumulative < v; });
  return it == cities.end() ? cities.back() : *it;
}

void DemoScenario::GenerateMinute(int64_t minute_start_ms, std::vector<SimReport>& out) const {
  std::mt19937_64 rng(Mix(seed_ ^ static_cast<uint64_t>(minute_start_ms)));
  std::uniform_real_distribution<double> uniform(0, 1);
  double since_start = static_cast<double>(minute_start_ms - outage_start_ms_) / 60000.0;
  size_t first = out.size();
  for (size_t i = 0; i < profiles_.size(); ++i) {
    const Profile& p = profiles_[i];
    double normal = NormalRate(p, minute_start_ms);
    double outage = since_start >= 0 ? OutageRate(i, since_start + 0.5) : 0;
    std::poisson_distribution<int> normal_count(normal), outage_count(std::max(outage, 1e-9));
    int n_normal = normal_count(rng);
    int n_outage = outage > 0 ? outage_count(rng) : 0;
    for (int k = 0; k < n_normal + n_outage; ++k) {
      bool in_outage = k >= n_normal;
      SimReport r;
      r.ts_ms = minute_start_ms + static_cast<int64_t>(uniform(rng) * 59999);
      r.service = p.id;
      // Normal traffic spreads over all problem types; the outage is mostly the first two.
      size_t pi = in_outage
                      ? (uniform(rng) < 0.7   ? 0
                         : uniform(rng) < 0.7 ? 1
                                              : 2)
                      : static_cast<size_t>(uniform(rng) * static_cast<double>(p.problems.size()));
      r.problem = p.problems[std::min(pi, p.problems.size() - 1)];
      const WeightedCity& c = PickCity(in_outage ? outage_cities_ : world_cities_, uniform(rng));
      // Within ~3 km of the centre, so placement goes through the nearest-city rule.
      r.lat = c.lat + (uniform(rng) - 0.5) * 0.05;
      r.lon = c.lon + (uniform(rng) - 0.5) * 0.05;
      char reporter[24];
      std::snprintf(reporter, sizeof reporter, "demo-%016llx",
                    static_cast<unsigned long long>(rng()));
      r.reporter = reporter;
      if (in_outage && uniform(rng) < 0.15) {
        r.text = kOutageTexts[static_cast<size_t>(uniform(rng) * std::size(kOutageTexts)) %
                              std::size(kOutageTexts)];
      }
      out.push_back(std::move(r));
    }
  }
  std::sort(out.begin() + static_cast<ptrdiff_t>(first), out.end(),
            [](const SimReport& a, const SimReport& b) { return a.ts_ms < b.ts_ms; });
}

}  // namespace om::sim
