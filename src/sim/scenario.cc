#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <toml++/toml.h>

#include "base/time.h"
#include "config/toml_text.h"

namespace om::sim {
namespace {

Status KeyError(std::string_view source, const toml::node& node, const std::string& key,
                const std::string& message) {
  return Status::InvalidArgument(std::string(source) + ":" +
                                 std::to_string(node.source().begin.line) + ": " + key + ": " +
                                 message);
}

Result<int64_t> TimeValue(std::string_view source, const toml::node& node, const std::string& key) {
  if (auto s = node.value<std::string>()) {
    if (auto t = ParseRfc3339(*s)) return ToUnixMillis(*t);
  }
  return KeyError(source, node, key, "must be an RFC 3339 time such as \"2026-01-05T00:00:00Z\"");
}

struct CityWeights {
  std::vector<geo::CityId> ids;
  std::vector<double> cumulative;
};

}  // namespace

Result<Scenario> ParseScenario(std::string_view text, std::string_view source) {
  OM_ASSIGN_OR_RETURN(const toml::table t, config::ParseToml(text, source));
  Scenario s;
  for (const auto& [k, v] : t) {
    std::string key(k.str());
    if (key == "seed") {
      if (!v.is_integer()) return KeyError(source, v, key, "must be an integer");
      s.seed = static_cast<uint64_t>(*v.value<int64_t>());
    } else if (key == "start") {
      OM_ASSIGN_OR_RETURN(s.start_ms, TimeValue(source, v, key));
    } else if (key == "days") {
      if (!v.is_integer() || *v.value<int64_t>() < 1 || *v.value<int64_t>() > 400) {
        return KeyError(source, v, key, "must be an integer from 1 to 400");
      }
      s.days = static_cast<int>(*v.value<int64_t>());
    } else if (key == "dst_change") {
      OM_ASSIGN_OR_RETURN(s.dst_change_ms, TimeValue(source, v, key));
    } else if (key == "weekend_factor") {
      if (!v.value<double>() || *v.value<double>() <= 0 || *v.value<double>() > 10) {
        return KeyError(source, v, key, "must be a number above 0, at most 10");
      }
      s.weekend_factor = *v.value<double>();
    } else if (key == "utc_offset_hours") {
      if (!v.value<double>()) return KeyError(source, v, key, "must be a number");
      s.utc_offset_hours = *v.value<double>();
    } else if (key == "service" || key == "outage" || key == "spammer") {
      const toml::array* arr = v.as_array();
      if (!arr) return KeyError(source, v, key, "must be an array of tables ([[" + key + "]])");
      for (size_t i = 0; i < arr->size(); ++i) {
        const toml::table* item = (*arr)[i].as_table();
        if (!item) return KeyError(source, (*arr)[i], key, "must be a table");
        std::string prefix = key + "[" + std::to_string(i) + "].";
        ScenarioService svc;
        ScenarioOutage out;
        ScenarioSpammer spam;
        for (const auto& entry : *item) {
          // Not a structured binding: clang 14 cannot capture those in the lambdas below.
          const std::string f(entry.first.str());
          const toml::node& fv = entry.second;
          std::string where = prefix + f;
          auto number = [&](double& field) -> Status {
            if (!fv.value<double>()) return KeyError(source, fv, where, "must be a number");
            field = *fv.value<double>();
            return Status::Ok();
          };
          auto string = [&](std::string& field) -> Status {
            if (!fv.is_string()) return KeyError(source, fv, where, "must be a string");
            field = *fv.value<std::string>();
            return Status::Ok();
          };
          auto integer = [&](int& field) -> Status {
            if (!fv.is_integer()) return KeyError(source, fv, where, "must be an integer");
            field = static_cast<int>(*fv.value<int64_t>());
            return Status::Ok();
          };
          Status st = Status::Ok();
          if (key == "service" && f == "id") {
            st = string(svc.id);
          } else if (key == "service" && f == "peak_per_minute") {
            st = number(svc.peak_per_minute);
          } else if (key == "service" && f == "cities") {
            st = integer(svc.cities);
          } else if (key == "service" && f == "countries") {
            const toml::array* list = fv.as_array();
            if (!list) return KeyError(source, fv, where, "must be an array of country codes");
            svc.countries.clear();
            for (const auto& c : *list) {
              if (!c.is_string()) return KeyError(source, c, where, "must hold strings");
              svc.countries.push_back(*c.value<std::string>());
            }
          } else if (key != "service" && f == "service") {
            st = string(key == "outage" ? out.service : spam.service);
          } else if (key != "service" && f == "start") {
            Result<int64_t> ms = TimeValue(source, fv, where);
            if (!ms.ok()) return ms.status();
            (key == "outage" ? out.start_ms : spam.start_ms) = *ms;
          } else if (key != "service" && f == "minutes") {
            st = integer(key == "outage" ? out.minutes : spam.minutes);
          } else if (key == "outage" && f == "area") {
            st = string(out.area);
          } else if (key == "outage" && f == "multiplier") {
            st = number(out.multiplier);
          } else if (key == "outage" && f == "extra_per_minute") {
            st = number(out.extra_per_minute);
          } else if (key == "outage" && f == "scope") {
            st = string(out.scope);
          } else if (key == "spammer" && f == "per_minute") {
            st = number(spam.per_minute);
          } else {
            return KeyError(source, fv, where, "unknown key");
          }
          OM_RETURN_IF_ERROR(st);
        }
        if (key == "service") s.services.push_back(std::move(svc));
        if (key == "outage") s.outages.push_back(std::move(out));
        if (key == "spammer") s.spammers.push_back(std::move(spam));
      }
    } else {
      return KeyError(source, v, key, "unknown key");
    }
  }
  if (s.start_ms == 0) return Status::InvalidArgument(std::string(source) + ": start: required");
  return s;
}

Result<std::vector<TruthLine>> GenerateScenario(
    const Scenario& scenario, const geo::Gazetteer& gazetteer,
    const std::function<void(const SimReport&)>& report) {
  // Each service's cities: the most populous of its countries, weighted by population^0.8.
  std::vector<CityWeights> weights(scenario.services.size());
  for (size_t s = 0; s < scenario.services.size(); ++s) {
    const ScenarioService& svc = scenario.services[s];
    std::vector<geo::CityId> ids;
    for (geo::CityId id = 0; id < gazetteer.city_count(); ++id) {
      const geo::City& c = gazetteer.city(id);
      if (std::find(svc.countries.begin(), svc.countries.end(), c.country) != svc.countries.end()) {
        ids.push_back(id);
      }
    }
    if (ids.empty()) {
      return Status::InvalidArgument("service " + svc.id + ": its countries have no city");
    }
    size_t n = std::min<size_t>(static_cast<size_t>(std::max(1, svc.cities)), ids.size());
    std::partial_sort(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(n), ids.end(),
                      [&](geo::CityId a, geo::CityId b) {
                        return gazetteer.city(a).population > gazetteer.city(b).population;
                      });
    ids.resize(n);
    double total = 0;
    for (geo::CityId id : ids) {
      total += std::pow(static_cast<double>(gazetteer.city(id).population), 0.8);
      weights[s].cumulative.push_back(total);
    }
    weights[s].ids = std::move(ids);
  }
  auto service_index = [&](const std::string& id) -> int {
    for (size_t s = 0; s < scenario.services.size(); ++s) {
      if (scenario.services[s].id == id) return static_cast<int>(s);
    }
    return -1;
  };
  // The affected cities of each outage, with their share of the service's normal traffic.
  struct Affected {
    std::vector<geo::CityId> ids;
    std::vector<double> share;
  };
  std::vector<Affected> affected(scenario.outages.size());
  std::vector<TruthLine> truth;
  for (size_t o = 0; o < scenario.outages.size(); ++o) {
    const ScenarioOutage& out = scenario.outages[o];
    int s = service_index(out.service);
    if (s < 0) return Status::InvalidArgument("outage " + std::to_string(o) + ": unknown service");
    std::string_view area = out.area;
    size_t colon = area.find(':');
    std::string kind(area.substr(0, colon)),
        value(colon == std::string_view::npos ? "" : area.substr(colon + 1));
    const CityWeights& w = weights[static_cast<size_t>(s)];
    double total = w.cumulative.back();
    for (size_t k = 0; k < w.ids.size(); ++k) {
      const geo::City& c = gazetteer.city(w.ids[k]);
      bool in = (kind == "city" && std::to_string(c.geonameid) == value) ||
                (kind == "region" && gazetteer.region_code(c.region) == value) ||
                (kind == "country" && c.country == value) ||
                (kind == "countries" && value.find(std::string(c.country)) != std::string::npos);
      if (!in) continue;
      double weight = w.cumulative[k] - (k ? w.cumulative[k - 1] : 0);
      affected[o].ids.push_back(w.ids[k]);
      affected[o].share.push_back(weight / total);
    }
    if (affected[o].ids.empty()) {
      return Status::InvalidArgument("outage " + std::to_string(o) + ": area \"" + out.area +
                                     "\" holds none of " + out.service + "'s cities");
    }
    TruthLine line{
        out.service, out.start_ms, out.start_ms + int64_t{out.minutes} * 60000, {}, out.scope};
    for (geo::CityId id : affected[o].ids) line.cities.push_back(gazetteer.city(id).geonameid);
    truth.push_back(std::move(line));
  }

  std::mt19937_64 rng(scenario.seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  uint64_t reporter = 0;
  std::vector<SimReport> minute_reports;
  auto emit = [&](int64_t minute_ms, const std::string& service, geo::CityId city,
                  const std::string& who, const char* problem, const char* text) {
    const geo::City& c = gazetteer.city(city);
    SimReport r;
    r.ts_ms = minute_ms + static_cast<int64_t>(uniform(rng) * 59999);
    r.service = service;
    r.problem = problem;
    r.lat = c.lat + (uniform(rng) - 0.5) * 0.03;
    r.lon = c.lon + (uniform(rng) - 0.5) * 0.03;
    r.reporter = who;
    r.text = text;
    minute_reports.push_back(std::move(r));
  };
  int64_t end_ms = scenario.start_ms + int64_t{scenario.days} * 86400000;
  for (int64_t m = scenario.start_ms - scenario.start_ms % 60000; m < end_ms; m += 60000) {
    minute_reports.clear();
    double offset = scenario.utc_offset_hours +
                    (scenario.dst_change_ms != 0 && m >= scenario.dst_change_ms ? 1 : 0);
    double local_hours = static_cast<double>(m) / 3.6e6 + offset;
    double hour = std::fmod(local_hours + 240, 24.0);
    double daily = 0.25 + 0.75 * std::exp(-std::pow(hour - 14, 2) / 32.0);
    // 1970-01-01 was a Thursday: local weekday 0 is Sunday, 6 Saturday.
    auto weekday = static_cast<int64_t>(std::floor(local_hours / 24) + 4) % 7;
    if (weekday == 0 || weekday == 6) daily *= scenario.weekend_factor;
    for (size_t s = 0; s < scenario.services.size(); ++s) {
      const ScenarioService& svc = scenario.services[s];
      const CityWeights& w = weights[s];
      std::poisson_distribution<int> normal(svc.peak_per_minute * daily);
      for (int k = normal(rng); k > 0; --k) {
        double target = uniform(rng) * w.cumulative.back();
        size_t i =
            static_cast<size_t>(std::lower_bound(w.cumulative.begin(), w.cumulative.end(), target) -
                                w.cumulative.begin());
        emit(m, svc.id, w.ids[std::min(i, w.ids.size() - 1)], "n" + std::to_string(reporter++),
             "other", "");
      }
      for (size_t o = 0; o < scenario.outages.size(); ++o) {
        const ScenarioOutage& out = scenario.outages[o];
        if (out.service != svc.id || m < out.start_ms || m >= truth[o].end_ms) continue;
        for (size_t a = 0; a < affected[o].ids.size(); ++a) {
          double rate =
              svc.peak_per_minute * daily * affected[o].share[a] * (out.multiplier - 1) +
              out.extra_per_minute * affected[o].share[a] /
                  std::accumulate(affected[o].share.begin(), affected[o].share.end(), 0.0);
          std::poisson_distribution<int> extra(std::max(rate, 1e-9));
          for (int k = extra(rng); k > 0; --k) {
            emit(m, svc.id, affected[o].ids[a], "o" + std::to_string(reporter++), "login",
                 uniform(rng) < 0.2 ? "error 503" : "");
          }
        }
      }
      for (const ScenarioSpammer& spam : scenario.spammers) {
        if (spam.service != svc.id || m < spam.start_ms ||
            m >= spam.start_ms + int64_t{spam.minutes} * 60000) {
          continue;
        }
        std::poisson_distribution<int> loud(spam.per_minute);
        for (int k = loud(rng); k > 0; --k) emit(m, svc.id, w.ids[0], "spammer", "other", "DOWN");
      }
    }
    std::sort(minute_reports.begin(), minute_reports.end(),
              [](const SimReport& a, const SimReport& b) { return a.ts_ms < b.ts_ms; });
    for (const SimReport& r : minute_reports) report(r);
  }
  return truth;
}

}  // namespace om::sim
