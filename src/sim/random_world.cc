#include "sim/random_world.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "base/hash.h"
#include "base/json_writer.h"
#include "base/time.h"

namespace om::sim {
namespace {

constexpr int64_t kMinuteMs = 60000;
constexpr int64_t kDayMs = 86400000;
constexpr size_t kCitiesPerCountry = 300;

// The world's countries. Where a country spans several time zones, local time comes from each
// city's longitude (one zone per 15 degrees) instead of the country's offset.
struct CountryInfo {
  const char* iso;
  double offset_hours;
  bool by_longitude;
  double weight;  // how likely a single-country service is to be here
};
constexpr CountryInfo kCountries[] = {
    {"US", -5, true, 3},  {"GB", 0, false, 1.5}, {"DE", 1, false, 1.5}, {"FR", 1, false, 1.2},
    {"BR", -3, true, 2},  {"IN", 5.5, false, 2}, {"JP", 9, false, 1.2}, {"CA", -5, true, 1},
    {"AU", 10, true, 1},  {"MX", -6, true, 1},   {"IT", 1, false, 1},   {"ES", 1, false, 1},
    {"NL", 1, false, 0.8}};

// Problem types people report, by category, most common first (weights below).
struct Category {
  const char* name;
  double fraction;  // of the world's services
  std::vector<const char*> problems;
};
const std::vector<Category>& Categories() {
  static const std::vector<Category> kCategories = {
      {"telecom",
       0.25,
       {"internet", "mobile-network", "no-signal", "wifi", "tv", "landline", "calls", "billing",
        "sms", "other"}},
      {"bank",
       0.15,
       {"online-banking", "mobile-banking", "card-payments", "login", "transfers", "atm", "other"}},
      {"work", 0.20, {"login", "email", "server-connection", "app", "website", "sync", "other"}},
      {"consumer", 0.25, {"app", "login", "website", "streaming", "payments", "feed", "other"}},
      {"gaming", 0.15, {"server-connection", "login", "matchmaking", "game", "store", "other"}},
  };
  return kCategories;
}

// A small counter-based generator: the same (seed, keys) always give the same numbers, so the
// hourly noise needs no table. (The demo's own mixer differs; sharing one would change either the
// demo or every world whose figures docs/detection.md reports.)
uint64_t Mix(uint64_t x) { return SplitMix64Finalize(x); }
double UnitOf(uint64_t x) { return static_cast<double>(Mix(x) >> 11) * 0x1.0p-53; }

class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}
  double Uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng_);
  }
  double LogUniform(double lo, double hi) { return std::exp(Uniform(std::log(lo), std::log(hi))); }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double Normal() { return std::normal_distribution<double>(0, 1)(rng_); }
  double Gamma(double shape) { return std::gamma_distribution<double>(shape, 1)(rng_); }
  bool Chance(double p) { return Uniform(0, 1) < p; }
  int Poisson(double mean) {
    if (mean <= 0) return 0;
    return std::poisson_distribution<int>(mean)(rng_);
  }
  // An index drawn with the given cumulative weights.
  size_t Pick(const std::vector<double>& cumulative) {
    double target = Uniform(0, cumulative.back());
    auto i = static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), target) -
                                 cumulative.begin());
    return std::min(i, cumulative.size() - 1);
  }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

std::vector<double> Cumulative(const std::vector<double>& weights) {
  std::vector<double> out(weights.size());
  std::partial_sum(weights.begin(), weights.end(), out.begin());
  return out;
}

// The daily cycle of a category in local hours, peak 1: a floor plus bumps at category-typical
// hours, each shifted and widened per service.
std::vector<float> DailyShape(const std::string& category, Draw& draw) {
  struct Bump {
    double hour, width, weight;
  };
  std::vector<Bump> bumps;
  double floor = 0.1;
  if (category == "work") {
    floor = draw.Uniform(0.03, 0.1);
    bumps = {{10, 2, 1}, {15, 2.5, 0.8}};
  } else if (category == "bank") {
    floor = draw.Uniform(0.04, 0.1);
    bumps = {{12, 3.5, 1}, {19, 2, 0.4}};
  } else if (category == "consumer") {
    floor = draw.Uniform(0.08, 0.2);
    bumps = {{20, 4, 1}, {12, 2.5, 0.5}};
  } else if (category == "gaming") {
    floor = draw.Uniform(0.12, 0.3);
    bumps = {{21, 3.5, 1}, {16, 2, 0.5}};
  } else {  // telecom
    floor = draw.Uniform(0.06, 0.15);
    bumps = {{19, 4, 1}, {10, 2.5, 0.6}};
  }
  const double shift = draw.Uniform(-1.5, 1.5), stretch = draw.Uniform(0.8, 1.3);
  std::vector<float> shape(1440);
  double peak = 0;
  std::vector<double> raw(1440);
  for (int m = 0; m < 1440; ++m) {
    double h = m / 60.0, v = floor;
    for (const Bump& b : bumps) {
      double d = std::fabs(h - (b.hour + shift));
      d = std::min(d, 24 - d);  // the cycle wraps at midnight
      const double w = b.width * stretch;
      v += b.weight * std::exp(-d * d / (2 * w * w / 4));
    }
    raw[static_cast<size_t>(m)] = v;
    peak = std::max(peak, v);
  }
  for (size_t m = 0; m < 1440; ++m) shape[m] = static_cast<float>(raw[m] / peak);
  return shape;
}

double Clamp(double v, double lo, double hi) { return std::max(lo, std::min(hi, v)); }

}  // namespace

double RandomWorld::Burst::Profile(double t) const {
  double f = 1;
  if (ramp_minutes > 0 && t < ramp_minutes) f = (t + 0.5) / ramp_minutes;
  if (gap_from_minutes >= 0 && t >= gap_from_minutes) {
    if (t < gap_to_minutes) return 0;
    return relapse_factor;
  }
  if (decay_from_minutes >= 0 && t > decay_from_minutes) {
    f *= std::exp(-(t - decay_from_minutes) / decay_tau);
  }
  return Clamp(f, 0, 1);
}

int64_t RandomWorld::judged_from_ms() const {
  return options_.start_ms + int64_t{options_.warmup_days} * kDayMs;
}

double RandomWorld::judged_service_days() const {
  return static_cast<double>(services_.size()) * (options_.days - options_.warmup_days);
}

double RandomWorld::ZoneRate(size_t s, size_t z, int64_t m) const {
  const WorldService& svc = services_[s];
  const Zone& zone = zones_[s][z];
  const int64_t local_ms = m + int64_t{zone.offset_minutes} * kMinuteMs;
  const int64_t local_day = local_ms >= 0 ? local_ms / kDayMs : (local_ms - kDayMs + 1) / kDayMs;
  const auto minute_of_day = static_cast<size_t>((local_ms - local_day * kDayMs) / kMinuteMs);
  // 1970-01-01 was a Thursday: (day + 4) % 7 is 0 on Sunday, 6 on Saturday.
  const int64_t weekday = ((local_day + 4) % 7 + 7) % 7;
  double rate = svc.peak_per_minute * zone.share * shape_[s][minute_of_day];
  if (weekday == 0 || weekday == 6) rate *= svc.weekend_factor;
  // The drift, linear between the middles of the world's days.
  const double day = static_cast<double>(m - options_.start_ms) / kDayMs - 0.5;
  const std::vector<double>& drift = drift_[s];
  const double clamped = Clamp(day, 0, static_cast<double>(drift.size() - 1));
  const auto d0 = static_cast<size_t>(clamped);
  const size_t d1 = std::min(d0 + 1, drift.size() - 1);
  const double frac = clamped - static_cast<double>(d0);
  rate *= drift[d0] * (1 - frac) + drift[d1] * frac;
  // The daily surge (a game's reset) at a fixed UTC minute, every day.
  if (svc.daily_surge_utc_minute >= 0) {
    const int64_t utc_minute = ((m % kDayMs + kDayMs) % kDayMs) / kMinuteMs;
    if (utc_minute >= svc.daily_surge_utc_minute && utc_minute < svc.daily_surge_utc_minute + 20) {
      rate *= svc.daily_surge_factor;
    }
  }
  return rate;
}

double RandomWorld::Noise(size_t s, int64_t m) const {
  // Lognormal with mean 1 and the service's CV, a new value every UTC hour.
  const double cv = services_[s].noise_cv;
  const double sigma2 = std::log(1 + cv * cv);
  const uint64_t key = options_.seed * 0x9e3779b97f4a7c15ull ^ (uint64_t{s} << 40) ^
                       static_cast<uint64_t>(m / 3600000);
  const double u1 = std::max(UnitOf(key), 1e-12), u2 = UnitOf(key ^ 0x5bd1e995ull);
  const double z = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  return std::exp(std::sqrt(sigma2) * z - sigma2 / 2);
}

Result<RandomWorld> RandomWorld::Create(const RandomWorldOptions& options,
                                        const geo::Gazetteer& gazetteer) {
  if (options.days < 2 || options.days > 60) {
    return Status::InvalidArgument("days: must be from 2 to 60");
  }
  if (options.warmup_days < 1 || options.warmup_days >= options.days) {
    return Status::InvalidArgument("warmup_days: must be at least 1 and less than days");
  }
  if (options.services < 10 || options.services > 2000) {
    return Status::InvalidArgument("services: must be from 10 to 2000");
  }
  if (options.countries < 2 || options.countries > 13) {
    return Status::InvalidArgument("countries: must be from 2 to 13");
  }
  if (options.outages < 0 || options.outages > 10000) {
    return Status::InvalidArgument("outages: must be from 0 to 10000");
  }
  RandomWorld world;
  world.options_ = options;
  Draw draw(options.seed * 7919 + 17);
  const auto ncountries = static_cast<size_t>(options.countries);

  // Each country's most populous cities.
  std::map<std::string, std::vector<geo::CityId>, std::less<>> country_cities;
  for (size_t c = 0; c < ncountries; ++c) country_cities[kCountries[c].iso];
  for (geo::CityId id = 0; id < gazetteer.city_count(); ++id) {
    auto it = country_cities.find(gazetteer.city(id).country);
    if (it != country_cities.end()) it->second.push_back(id);
  }
  for (auto& [iso, ids] : country_cities) {
    if (ids.empty()) return Status::InvalidArgument("country " + iso + " has no city");
    const size_t n = std::min(kCitiesPerCountry, ids.size());
    std::partial_sort(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(n), ids.end(),
                      [&](geo::CityId a, geo::CityId b) {
                        return gazetteer.city(a).population > gazetteer.city(b).population;
                      });
    ids.resize(n);
  }
  auto offset_of = [&](size_t country, const geo::City& city) {
    const CountryInfo& info = kCountries[country];
    double hours = info.by_longitude ? std::round(city.lon / 15) : info.offset_hours;
    return static_cast<int>(std::lround(hours * 60));
  };

  // Services.
  std::vector<double> category_cumulative, country_weights;
  for (const Category& c : Categories()) category_cumulative.push_back(c.fraction);
  category_cumulative = Cumulative(category_cumulative);
  for (size_t c = 0; c < ncountries; ++c) country_weights.push_back(kCountries[c].weight);
  const std::vector<double> country_cumulative = Cumulative(country_weights);
  std::map<std::string, int> serial;
  for (int i = 0; i < options.services; ++i) {
    WorldService svc;
    // Categories in proportion: the i-th service takes the category its rank falls in.
    const double rank = (i + 0.5) / options.services;
    const auto cat = static_cast<size_t>(
        std::upper_bound(category_cumulative.begin(), category_cumulative.end(), rank) -
        category_cumulative.begin());
    svc.category = Categories()[std::min(cat, Categories().size() - 1)].name;
    const bool single = svc.category == "telecom" || svc.category == "bank" ||
                        (svc.category == "consumer" && draw.Chance(0.35));
    if (single) {
      svc.countries = {kCountries[draw.Pick(country_cumulative)].iso};
      svc.country_shares = {1};
    } else {
      std::vector<size_t> order(ncountries);
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), draw.rng());
      const int k = draw.Int(std::min(3, options.countries), options.countries);
      double total = 0;
      for (int j = 0; j < k; ++j) {
        svc.countries.emplace_back(kCountries[order[static_cast<size_t>(j)]].iso);
        svc.country_shares.push_back(draw.Gamma(0.7) + 1e-3);  // Dirichlet: uneven shares
        total += svc.country_shares.back();
      }
      for (double& share : svc.country_shares) share /= total;
    }
    // Most services are small: u^1.6 puts the median near 0.2 reports a minute at the peak.
    const double u = draw.Uniform(0, 1);
    svc.peak_per_minute =
        0.02 * std::pow(1500.0, std::pow(u, svc.category == "telecom" ? 1.2 : 1.6));
    if (svc.category == "work") svc.weekend_factor = draw.Uniform(0.12, 0.5);
    if (svc.category == "bank") svc.weekend_factor = draw.Uniform(0.2, 0.6);
    if (svc.category == "gaming") svc.weekend_factor = draw.Uniform(1.1, 1.6);
    if (svc.category == "consumer") svc.weekend_factor = draw.Uniform(0.85, 1.25);
    if (svc.category == "telecom") svc.weekend_factor = draw.Uniform(0.9, 1.15);
    svc.noise_cv = draw.Uniform(0.2, 0.3);
    if (draw.Chance(svc.category == "gaming" ? 0.5 : 0.05)) {
      svc.daily_surge_utc_minute = draw.Int(0, 95) * 15;
      svc.daily_surge_factor = draw.Uniform(3, 5);
    }
    std::string prefix = svc.category == "telecom" || svc.category == "bank"
                             ? std::string(svc.category == "telecom" ? "tel-" : "bank-") +
                                   static_cast<char>(std::tolower(svc.countries[0][0])) +
                                   static_cast<char>(std::tolower(svc.countries[0][1]))
                             : svc.category;
    svc.id = "w-" + prefix + "-" + std::to_string(++serial[prefix]);

    // Zones: the service's cities of each country, split by local time.
    std::vector<Zone> zones;
    for (size_t c = 0; c < svc.countries.size(); ++c) {
      size_t country = 0;
      while (svc.countries[c] != kCountries[country].iso) ++country;
      const std::vector<geo::CityId>& ids = country_cities.find(svc.countries[c])->second;
      std::map<int, Zone> by_offset;
      double country_total = 0;
      for (geo::CityId id : ids) {
        const geo::City& city = gazetteer.city(id);
        Zone& zone = by_offset[offset_of(country, city)];
        zone.country = svc.countries[c];
        zone.offset_minutes = offset_of(country, city);
        const double w = std::pow(static_cast<double>(city.population), 0.8);
        zone.cities.push_back(id);
        zone.cumulative.push_back((zone.cumulative.empty() ? 0 : zone.cumulative.back()) + w);
        country_total += w;
      }
      for (auto& [offset, zone] : by_offset) {
        zone.share = svc.country_shares[c] * zone.cumulative.back() / country_total;
        zones.push_back(std::move(zone));
      }
    }
    world.zones_.push_back(std::move(zones));
    world.shape_.push_back(DailyShape(svc.category, draw));
    // Drift: a mean-reverting walk of the log level, stationary sd 0.07 (about +-15% at 2 sd).
    std::vector<double> drift;
    double x = draw.Normal() * 0.07;
    for (int d = 0; d < options.days + 1; ++d) {
      drift.push_back(std::exp(x));
      x = 0.85 * x + draw.Normal() * 0.07 * std::sqrt(1 - 0.85 * 0.85);
    }
    world.drift_.push_back(std::move(drift));
    world.services_.push_back(std::move(svc));
  }

  // Spammers: about one per 80 services per 1.5 judged days.
  const int64_t judged_from = world.judged_from_ms();
  const int64_t end_ms = options.start_ms + int64_t{options.days} * kDayMs;
  const int judged_days = options.days - options.warmup_days;
  const int spammers =
      std::max(1, static_cast<int>(std::lround(judged_days * options.services / 80.0 / 1.5)));
  for (int i = 0; i < spammers; ++i) {
    Spammer sp;
    sp.service = static_cast<size_t>(draw.Int(0, options.services - 1));
    const std::vector<Zone>& zones = world.zones_[sp.service];
    std::vector<double> shares;
    shares.reserve(zones.size());
    for (const Zone& z : zones) shares.push_back(z.share);
    const Zone& zone = zones[draw.Pick(Cumulative(shares))];
    const geo::City& city = gazetteer.city(zone.cities[draw.Pick(zone.cumulative)]);
    sp.lat = city.lat + draw.Uniform(-0.02, 0.02);
    sp.lon = city.lon + draw.Uniform(-0.02, 0.02);
    sp.minutes = draw.Int(10, 30);
    sp.reports = draw.Int(200, 2000);
    sp.start_ms =
        judged_from +
        static_cast<int64_t>(draw.Uniform(0, 1) *
                             static_cast<double>(end_ms - judged_from - sp.minutes * kMinuteMs));
    sp.start_ms -= sp.start_ms % kMinuteMs;
    sp.reporter = "spam-" + std::to_string(i);
    world.spammers_.push_back(sp);
  }

  // Upstreams and their dependents, for cascades: the largest global services, each with 2-3
  // dependents that share a country with it.
  std::vector<size_t> global;
  for (size_t s = 0; s < world.services_.size(); ++s) {
    if (world.services_[s].countries.size() > 1) global.push_back(s);
  }
  std::sort(global.begin(), global.end(), [&](size_t a, size_t b) {
    return world.services_[a].peak_per_minute > world.services_[b].peak_per_minute;
  });
  std::map<size_t, std::vector<size_t>> dependents;
  for (size_t k = 0; k < std::min<size_t>(4, global.size() / 4); ++k) {
    for (int d = draw.Int(2, 3); d > 0; --d) {
      size_t dep = global[static_cast<size_t>(draw.Int(4, static_cast<int>(global.size()) - 1))];
      if (std::find(dependents[global[k]].begin(), dependents[global[k]].end(), dep) ==
          dependents[global[k]].end()) {
        dependents[global[k]].push_back(dep);
      }
    }
  }

  // Outages.
  std::vector<double> service_weights;
  for (const WorldService& svc : world.services_) {
    service_weights.push_back(std::pow(svc.peak_per_minute, 0.3));
  }
  const std::vector<double> service_cumulative = Cumulative(service_weights);
  // The three largest single-country services get metro outages that barely move their total.
  std::vector<size_t> large_national;
  for (size_t s = 0; s < world.services_.size(); ++s) {
    if (world.services_[s].countries.size() == 1) large_national.push_back(s);
  }
  std::sort(large_national.begin(), large_national.end(), [&](size_t a, size_t b) {
    return world.services_[a].peak_per_minute > world.services_[b].peak_per_minute;
  });
  large_national.resize(std::min<size_t>(3, large_national.size()));
  // Whether [start, end) of service s keeps two hours from its other outages.
  auto free_at = [&](size_t s, int64_t start, int64_t end) {
    for (const Burst& b : world.bursts_) {
      if (b.service == s && start < b.end_ms + 2 * kMillisPerHour &&
          end + 2 * kMillisPerHour > b.start_ms) {
        return false;
      }
    }
    return true;
  };
  // Fills the footprint of `b` (kind, centre city and radius, regions or countries) and returns
  // the scope, or "" when the service has no city there.
  auto footprint = [&](Burst& b, const std::string& kind, const geo::City* centre, double radius_km,
                       const std::vector<std::string>& regions,
                       const std::vector<std::string>& countries) {
    const std::vector<Zone>& zones = world.zones_[b.service];
    for (size_t z = 0; z < zones.size(); ++z) {
      const Zone& zone = zones[z];
      std::vector<geo::CityId> hit;
      std::vector<double> cumulative;
      double weight = 0;
      for (size_t k = 0; k < zone.cities.size(); ++k) {
        const geo::City& c = gazetteer.city(zone.cities[k]);
        bool in = false;
        if (centre) {
          in = c.country == centre->country &&
               geo::DistanceKm(c.lat, c.lon, centre->lat, centre->lon) <= radius_km;
        } else if (!regions.empty()) {
          in = std::find(regions.begin(), regions.end(), gazetteer.region_code(c.region)) !=
               regions.end();
        } else {
          in = std::find(countries.begin(), countries.end(), c.country) != countries.end();
        }
        if (!in) continue;
        weight += zone.cumulative[k] - (k ? zone.cumulative[k - 1] : 0);
        hit.push_back(zone.cities[k]);
        cumulative.push_back(weight);
      }
      if (hit.empty()) continue;
      b.zones.push_back(z);
      b.zone_fraction.push_back(weight / zone.cumulative.back());
      b.cities.push_back(std::move(hit));
      b.cumulative.push_back(std::move(cumulative));
    }
    if (b.zones.empty()) return std::string();
    if (kind == "metro") return std::string("local");
    if (kind == "countries") return std::string("multinational");
    if (kind == "country") return std::string("national");
    // A wide radius or several regions of a small country are most of it: national, as a reader
    // of the map would say (at least 80% of the service's reports there).
    const std::string& country = zones[b.zones[0]].country;
    double affected = 0, whole = 0;
    for (size_t k = 0; k < b.zones.size(); ++k) {
      affected += zones[b.zones[k]].share * b.zone_fraction[k];
    }
    for (const Zone& zone : zones) whole += zone.country == country ? zone.share : 0;
    return std::string(affected >= 0.8 * whole ? "national" : "regional");
  };
  // Expected extra reports of a burst, and the service's total ratio at its plateau.
  auto expected_excess = [&](const Burst& b) {
    double excess = 0;
    for (int64_t m = b.start_ms; m < b.end_ms; m += kMinuteMs) {
      const double f = b.Profile(static_cast<double>(m - b.start_ms) / kMinuteMs);
      for (size_t k = 0; k < b.zones.size(); ++k) {
        excess +=
            world.ZoneRate(b.service, b.zones[k], m) * b.zone_fraction[k] * (b.magnitude - 1) * f;
      }
    }
    return excess;
  };
  auto add_outage = [&](Burst b, const std::string& kind, const std::string& scope,
                        const std::string& upstream) {
    const std::vector<const char*>& problems =
        std::find_if(Categories().begin(), Categories().end(), [&](const Category& c) {
          return world.services_[b.service].category == c.name;
        })->problems;
    b.problem = problems[static_cast<size_t>(draw.Int(0, static_cast<int>(problems.size()) - 2))];
    WorldOutage o;
    o.line.service = world.services_[b.service].id;
    o.line.start_ms = b.start_ms;
    o.line.end_ms = b.end_ms;
    o.line.scope = scope;
    for (const auto& cities : b.cities) {
      for (geo::CityId id : cities) o.line.cities.push_back(gazetteer.city(id).geonameid);
    }
    o.kind = kind;
    o.magnitude = b.magnitude;
    o.excess = expected_excess(b);
    o.clear = b.magnitude >= 5 && b.end_ms - b.start_ms >= 10 * kMinuteMs && o.excess >= 30;
    double share = 0;
    for (size_t k = 0; k < b.zones.size(); ++k) {
      share += world.zones_[b.service][b.zones[k]].share * b.zone_fraction[k];
    }
    o.total_ratio = 1 + share * (b.magnitude - 1);
    o.upstream = upstream;
    b.outage = world.outages_.size();
    world.outages_.push_back(std::move(o));
    world.bursts_.push_back(std::move(b));
  };
  auto draw_shape = [&](Burst& b) {
    const double minutes = static_cast<double>(b.end_ms - b.start_ms) / kMinuteMs;
    b.ramp_minutes = draw.Chance(0.6) ? draw.Uniform(1, std::min(15.0, minutes / 3)) : 0;
    if (minutes >= 40 && draw.Chance(0.2)) {  // a relapse after a quiet spell
      b.gap_from_minutes = minutes * draw.Uniform(0.35, 0.55);
      b.gap_to_minutes = b.gap_from_minutes + draw.Uniform(10, std::min(30.0, minutes * 0.25));
      b.relapse_factor = draw.Uniform(0.3, 1);
    } else if (minutes >= 20 && draw.Chance(0.4)) {  // a decaying tail to the end
      b.decay_from_minutes = minutes * draw.Uniform(0.4, 0.8);
      b.decay_tau = (minutes - b.decay_from_minutes) / 3;
    }
  };
  auto pick_city = [&](const std::string& country, double exponent, size_t from_rank) {
    const std::vector<geo::CityId>& ids = country_cities.find(country)->second;
    std::vector<double> w;
    for (size_t k = from_rank; k < ids.size(); ++k) {
      w.push_back(std::pow(static_cast<double>(gazetteer.city(ids[k]).population), exponent));
    }
    return &gazetteer.city(ids[from_rank + draw.Pick(Cumulative(w))]);
  };
  auto pick_country = [&](size_t s) {
    const WorldService& svc = world.services_[s];
    return svc.countries[draw.Pick(Cumulative(svc.country_shares))];
  };

  const int forced_metro = large_national.empty() ? 0 : std::min(4, options.outages / 10);
  for (int i = 0, attempts = 0; i < options.outages && attempts < options.outages * 50;
       ++attempts) {
    Burst b;
    std::string kind;
    const bool metro_of_large = i < forced_metro;
    if (metro_of_large) {
      b.service = large_national[static_cast<size_t>(i) % large_national.size()];
      kind = "metro";
    } else {
      b.service = draw.Pick(service_cumulative);
      const double k = draw.Uniform(0, 1);
      const bool multi = world.services_[b.service].countries.size() > 1;
      kind = k < 0.35              ? "metro"
             : k < 0.5             ? "radius"
             : k < 0.65            ? "regions"
             : (k < 0.9 || !multi) ? "country"
                                   : "countries";
      b.magnitude = draw.LogUniform(1.5, 250);
    }
    const double minutes =
        metro_of_large ? std::round(draw.Uniform(60, 240)) : std::round(draw.LogUniform(5, 480));
    b.start_ms = judged_from + static_cast<int64_t>(
                                   draw.Uniform(0, 1) *
                                   static_cast<double>(end_ms - judged_from - 9 * kMillisPerHour));
    b.start_ms -= b.start_ms % kMinuteMs;
    b.end_ms = b.start_ms + static_cast<int64_t>(minutes) * kMinuteMs;
    if (!free_at(b.service, b.start_ms, b.end_ms)) continue;
    const std::string country = pick_country(b.service);
    std::string scope;
    if (kind == "metro") {
      const geo::City* centre = pick_city(country, 0.5, metro_of_large ? 10 : 0);
      scope = footprint(b, kind, centre, 25, {}, {});
      if (metro_of_large && !scope.empty()) {
        // x5-x250 in the metro, and the service's total up by only 2-6%.
        const double share = world.zones_[b.service][b.zones[0]].share * b.zone_fraction[0];
        b.magnitude = 1 + draw.Uniform(0.02, 0.06) / share;
        if (b.zones.size() > 1 || b.magnitude < 5 || b.magnitude > 250) continue;
      }
    } else if (kind == "radius") {
      const geo::City* centre = pick_city(country, 0.5, 0);
      scope = footprint(b, kind, centre, draw.Uniform(60, 250), {}, {});
    } else if (kind == "regions") {
      std::vector<std::string> regions;
      for (int r = draw.Int(1, 3); r > 0; --r) {
        regions.emplace_back(gazetteer.region_code(pick_city(country, 0.8, 0)->region));
      }
      scope = footprint(b, kind, nullptr, 0, regions, {});
    } else if (kind == "country") {
      scope = footprint(b, kind, nullptr, 0, {}, {country});
    } else {
      std::vector<std::string> countries = world.services_[b.service].countries;
      std::shuffle(countries.begin(), countries.end(), draw.rng());
      countries.resize(std::min<size_t>(countries.size(), static_cast<size_t>(draw.Int(2, 4))));
      scope = footprint(b, kind, nullptr, 0, {}, countries);
    }
    if (scope.empty()) continue;
    draw_shape(b);
    const Burst upstream_burst = b;
    add_outage(std::move(b), kind, scope, "");
    ++i;
    // A cascade: the upstream's dependents follow it by 0-15 minutes where they have users.
    auto deps = dependents.find(upstream_burst.service);
    if (deps == dependents.end() || !draw.Chance(0.6) ||
        (kind != "country" && kind != "countries")) {
      continue;
    }
    std::vector<std::string> countries;
    for (size_t k = 0; k < upstream_burst.zones.size(); ++k) {
      countries.push_back(world.zones_[upstream_burst.service][upstream_burst.zones[k]].country);
    }
    for (size_t dep : deps->second) {
      Burst d;
      d.service = dep;
      const int64_t delay = int64_t{draw.Int(0, 15)} * kMinuteMs;
      d.start_ms = upstream_burst.start_ms + delay;
      d.end_ms = upstream_burst.end_ms + delay;
      d.magnitude = std::max(1.5, upstream_burst.magnitude * draw.Uniform(0.3, 1));
      if (!free_at(dep, d.start_ms, d.end_ms)) continue;
      const std::string dep_scope = footprint(d, kind, nullptr, 0, {}, countries);
      if (dep_scope.empty()) continue;
      d.ramp_minutes = upstream_burst.ramp_minutes;
      d.decay_from_minutes = upstream_burst.decay_from_minutes;
      d.decay_tau = upstream_burst.decay_tau;
      d.gap_from_minutes = upstream_burst.gap_from_minutes;
      d.gap_to_minutes = upstream_burst.gap_to_minutes;
      d.relapse_factor = upstream_burst.relapse_factor;
      // The upstream's countries may hold only one of the dependent's: its own scope says so.
      std::vector<std::string> hit;
      for (size_t z : d.zones) hit.push_back(world.zones_[dep][z].country);
      std::sort(hit.begin(), hit.end());
      const bool several = std::unique(hit.begin(), hit.end()) - hit.begin() > 1;
      add_outage(std::move(d), several ? "countries" : "country",
                 several ? "multinational" : "national",
                 world.services_[upstream_burst.service].id);
    }
  }
  return world;
}

void RandomWorld::Generate(const geo::Gazetteer& gazetteer,
                           const std::function<void(const SimReport&)>& report) const {
  Draw draw(options_.seed * 104729 + 3);
  uint64_t reporter = 0;
  std::vector<SimReport> minute;
  std::vector<double> zone_cumulative;
  const int64_t end_ms = options_.start_ms + int64_t{options_.days} * kDayMs;
  // Where a report says it is: 55% lat/lon jittered by kilometres, 30% city + country by name,
  // 15% the city's centre; its time as epoch ms or RFC 3339 in local time, half and half.
  auto place = [&](SimReport& r, geo::CityId id, int offset_minutes) {
    const geo::City& c = gazetteer.city(id);
    const double how = draw.Uniform(0, 1);
    if (how < 0.55) {
      const double km = 3;
      r.lat = c.lat + draw.Normal() * km / 111.0;
      r.lon = c.lon + draw.Normal() * km / (111.0 * std::max(0.2, std::cos(c.lat * M_PI / 180)));
      r.lat = Clamp(r.lat, -90, 90);
      r.lon = Clamp(r.lon, -180, 180);
    } else if (how < 0.85) {
      r.city = std::string(c.name);
      r.country = std::string(c.country);
    } else {
      r.lat = c.lat;
      r.lon = c.lon;
    }
    if (draw.Chance(0.5)) r.ts_offset_minutes = offset_minutes;
  };
  std::vector<std::vector<double>> problem_cumulative;
  for (const Category& c : Categories()) {
    std::vector<double> w;
    for (size_t k = 0; k < c.problems.size(); ++k) w.push_back(1.0 / static_cast<double>(k + 1));
    problem_cumulative.push_back(Cumulative(w));
  }
  std::vector<size_t> category_of;
  for (const WorldService& svc : services_) {
    size_t k = 0;
    while (Categories()[k].name != svc.category) ++k;
    category_of.push_back(k);
  }
  auto normal_problem = [&](size_t s) {
    const size_t k = category_of[s];
    return Categories()[k].problems[draw.Pick(problem_cumulative[k])];
  };

  for (int64_t m = options_.start_ms; m < end_ms; m += kMinuteMs) {
    minute.clear();
    for (size_t s = 0; s < services_.size(); ++s) {
      const std::vector<Zone>& zones = zones_[s];
      zone_cumulative.clear();
      double total = 0;
      for (size_t z = 0; z < zones.size(); ++z) {
        total += ZoneRate(s, z, m);
        zone_cumulative.push_back(total);
      }
      for (int n = draw.Poisson(total * Noise(s, m)); n > 0; --n) {
        const Zone& zone = zones[draw.Pick(zone_cumulative)];
        SimReport& r = minute.emplace_back();
        r.ts_ms = m + static_cast<int64_t>(draw.Uniform(0, 59999));
        r.service = services_[s].id;
        r.problem = normal_problem(s);
        r.reporter = "u" + std::to_string(reporter++);
        place(r, zone.cities[draw.Pick(zone.cumulative)], zone.offset_minutes);
      }
    }
    for (const Burst& b : bursts_) {
      if (m < b.start_ms || m >= b.end_ms) continue;
      const double f = b.Profile(static_cast<double>(m - b.start_ms) / kMinuteMs);
      for (size_t k = 0; k < b.zones.size(); ++k) {
        const double rate =
            ZoneRate(b.service, b.zones[k], m) * b.zone_fraction[k] * (b.magnitude - 1) * f;
        for (int n = draw.Poisson(rate); n > 0; --n) {
          SimReport& r = minute.emplace_back();
          r.ts_ms = m + static_cast<int64_t>(draw.Uniform(0, 59999));
          r.service = services_[b.service].id;
          r.problem = draw.Chance(0.7) ? b.problem : normal_problem(b.service);
          r.reporter = "u" + std::to_string(reporter++);
          if (draw.Chance(0.1)) r.text = "error 503";
          place(r, b.cities[k][draw.Pick(b.cumulative[k])],
                zones_[b.service][b.zones[k]].offset_minutes);
        }
      }
    }
    for (const Spammer& sp : spammers_) {
      if (m < sp.start_ms || m >= sp.start_ms + int64_t{sp.minutes} * kMinuteMs) continue;
      for (int n = draw.Poisson(static_cast<double>(sp.reports) / sp.minutes); n > 0; --n) {
        SimReport& r = minute.emplace_back();
        r.ts_ms = m + static_cast<int64_t>(draw.Uniform(0, 59999));
        r.service = services_[sp.service].id;
        r.problem = "other";
        r.reporter = sp.reporter;
        r.lat = sp.lat;
        r.lon = sp.lon;
        r.text = "DOWN";
      }
    }
    std::sort(minute.begin(), minute.end(),
              [](const SimReport& a, const SimReport& b) { return a.ts_ms < b.ts_ms; });
    for (const SimReport& r : minute) report(r);
  }
}

std::string WorldSummaryJson(const RandomWorld& world) {
  JsonWriter w;
  w.BeginObject();
  w.Key("judged_from").String(FormatRfc3339(FromUnixMillis(world.judged_from_ms())));
  w.Key("judged_service_days").Double(world.judged_service_days(), 1);
  w.Key("spammers").Uint(world.spammer_count());
  w.Key("services").BeginArray();
  for (const WorldService& s : world.services()) {
    w.BeginObject().Key("id").String(s.id).Key("category").String(s.category);
    w.Key("peak_per_minute").Double(s.peak_per_minute, 4);
    w.Key("weekend_factor").Double(s.weekend_factor, 3);
    w.Key("noise_cv").Double(s.noise_cv, 3);
    w.Key("countries").BeginObject();
    for (size_t c = 0; c < s.countries.size(); ++c) {
      w.Key(s.countries[c]).Double(s.country_shares[c], 4);
    }
    w.EndObject();
    if (s.daily_surge_utc_minute >= 0) {
      w.Key("daily_surge").BeginObject().Key("utc_minute").Int(s.daily_surge_utc_minute);
      w.Key("factor").Double(s.daily_surge_factor, 2).EndObject();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.str();
}

}  // namespace om::sim
