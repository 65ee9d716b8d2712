// `outagemap evaluate`: scores incidents (a backtest's output) against ground truth, and prints
// the reference method's figures beside outagemap's when given. Delay, localisation and scope are
// judged on the clear outages (every outage of a scenario file; those a randomised world labels
// `clear`); recall is given for all outages and for the clear ones. Truth is NDJSON, one outage per
// line: {"service":"slack","start":T,"end":T,"cities":[geonameid,...],"scope":"local"} with T in
// RFC 3339 or epoch milliseconds (docs/detection.md#evaluation).
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>

#include "base/json_writer.h"
#include "base/time.h"
#include "geo/gazetteer.h"
#include "server/commands.h"

namespace om::server {
namespace {

struct TruthEvent {
  std::string service;
  int64_t start_ms = 0, end_ms = 0;
  std::vector<uint32_t> cities;
  std::string scope;
  // Labels of a randomised world's truth (docs/detection.md#randomised-worlds); a scenario's
  // outages are all clear.
  bool clear = true;
  std::string kind;
  double total_ratio = 0;  // the service's total at the plateau over normal; 0: unknown
};

// A metro outage that barely moves its service's total: the hardest to find and place.
bool IsQuietMetro(const TruthEvent& e) {
  return e.kind == "metro" && e.total_ratio > 0 && e.total_ratio <= 1.1 && e.clear;
}

struct Found {
  std::string service;
  int64_t started_ms = 0, detected_ms = 0, resolved_ms = INT64_MAX;
  std::vector<uint32_t> cities;  // most impacted first
  std::vector<double> excess;    // observed - expected per listed city
  std::string scope;
};

Result<int64_t> TimeOf(simdjson::ondemand::value v, const char* field) {
  int64_t ms;
  if (v.get_int64().get(ms) == simdjson::SUCCESS) return ms;
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    if (auto t = ParseRfc3339(s)) return ToUnixMillis(*t);
  }
  return Status::InvalidArgument(std::string(field) + ": must be RFC 3339 or epoch milliseconds");
}

// Reads NDJSON objects: `on_field(key, value)` for every field of a line, then `on_line()`.
// Errors name the file and line.
Status ReadLines(
    const std::string& path,
    const std::function<Status(std::string_view, simdjson::ondemand::value&)>& on_field,
    const std::function<Status()>& on_line) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot open");
  simdjson::ondemand::parser parser;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = path + ":" + std::to_string(n);
    simdjson::padded_string padded(line);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) {
      return Status::InvalidArgument(where + ": not a JSON object");
    }
    for (auto field_result : object) {
      simdjson::ondemand::field field;
      std::string_view key;
      if (std::move(field_result).get(field) || field.unescaped_key().get(key)) {
        return Status::InvalidArgument(where + ": invalid JSON");
      }
      simdjson::ondemand::value value = field.value();
      OM_RETURN_IF_ERROR(on_field(key, value).WithPrefix(where));
    }
    OM_RETURN_IF_ERROR(on_line().WithPrefix(where));
  }
  return Status::Ok();
}

Result<std::vector<TruthEvent>> ReadTruth(const std::string& path) {
  std::vector<TruthEvent> out;
  TruthEvent e;
  auto on_field = [&](std::string_view key, simdjson::ondemand::value& value) -> Status {
    if (key == "service") {
      std::string_view s;
      if (value.get_string().get(s)) return Status::InvalidArgument("service: must be a string");
      e.service = std::string(s);
    } else if (key == "start") {
      OM_ASSIGN_OR_RETURN(e.start_ms, TimeOf(value, "start"));
    } else if (key == "end") {
      OM_ASSIGN_OR_RETURN(e.end_ms, TimeOf(value, "end"));
    } else if (key == "scope" || key == "kind") {
      std::string_view s;
      if (value.get_string().get(s)) {
        return Status::InvalidArgument(std::string(key) + ": must be a string");
      }
      (key == "scope" ? e.scope : e.kind) = std::string(s);
    } else if (key == "clear") {
      if (value.get_bool().get(e.clear)) return Status::InvalidArgument("clear: must be a boolean");
    } else if (key == "total_ratio") {
      if (value.get_double().get(e.total_ratio)) {
        return Status::InvalidArgument("total_ratio: must be a number");
      }
    } else if (key == "cities") {
      simdjson::ondemand::array cities;
      if (value.get_array().get(cities)) return Status::InvalidArgument("cities: must be an array");
      for (auto c : cities) {
        uint64_t id;
        if (c.get_uint64().get(id)) {
          return Status::InvalidArgument("cities: GeoNames ids");
        }
        e.cities.push_back(static_cast<uint32_t>(id));
      }
    }
    return Status::Ok();
  };
  auto on_line = [&]() -> Status {
    if (e.service.empty() || e.end_ms < e.start_ms) {
      return Status::InvalidArgument("needs service, start and end (end >= start)");
    }
    out.push_back(std::move(e));
    e = TruthEvent{};
    return Status::Ok();
  };
  OM_RETURN_IF_ERROR(ReadLines(path, on_field, on_line));
  return out;
}

Result<std::vector<Found>> ReadIncidents(const std::string& path) {
  std::vector<Found> out;
  Found f;
  auto on_field = [&](std::string_view key, simdjson::ondemand::value& value) -> Status {
    if (key == "service" || key == "scope") {
      std::string_view s;
      if (value.get_string().get(s) == simdjson::SUCCESS) {
        (key == "service" ? f.service : f.scope) = std::string(s);
      }
    } else if (key == "started_at") {
      OM_ASSIGN_OR_RETURN(f.started_ms, TimeOf(value, "started_at"));
    } else if (key == "detected_at") {
      OM_ASSIGN_OR_RETURN(f.detected_ms, TimeOf(value, "detected_at"));
    } else if (key == "resolved_at") {
      if (!value.is_null()) {
        OM_ASSIGN_OR_RETURN(f.resolved_ms, TimeOf(value, "resolved_at"));
      }
    } else if (key == "cities") {
      simdjson::ondemand::array cities;
      if (value.get_array().get(cities)) return Status::InvalidArgument("cities: must be an array");
      for (auto c : cities) {
        simdjson::ondemand::object city;
        if (c.get_object().get(city)) return Status::InvalidArgument("cities: objects");
        uint64_t id = 0, observed = 0;
        double expected = 0;
        for (auto cf_result : city) {
          simdjson::ondemand::field cf;
          if (std::move(cf_result).get(cf)) continue;
          std::string_view ck;
          if (cf.unescaped_key().get(ck)) continue;
          simdjson::ondemand::value cv = cf.value();
          if (ck == "geonameid" && cv.get_uint64().get(id)) id = 0;
          if (ck == "observed" && cv.get_uint64().get(observed)) observed = 0;
          if (ck == "expected" && cv.get_double().get(expected)) expected = 0;
        }
        f.cities.push_back(static_cast<uint32_t>(id));
        f.excess.push_back(std::max(0.0, static_cast<double>(observed) - expected));
      }
    }
    return Status::Ok();
  };
  auto on_line = [&]() -> Status {
    out.push_back(std::move(f));
    f = Found{};
    return Status::Ok();
  };
  OM_RETURN_IF_ERROR(ReadLines(path, on_field, on_line));
  return out;
}

// Counts behind the figures, so that several worlds can be summed before dividing.
struct Scores {
  size_t truth = 0, found = 0, detected = 0, matched_found = 0, scope_right = 0, scope_judged = 0;
  size_t clear = 0, clear_detected = 0;
  std::vector<double> delays_min;  // of the clear outages detected
  double precision_at_k_sum = 0, excess_covered_sum = 0;
  size_t localised = 0;
  size_t quiet_metro = 0, quiet_metro_found = 0, quiet_metro_first = 0;
};

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::lround(q * static_cast<double>(v.size() - 1)))];
}

Scores Score(const std::vector<TruthEvent>& truth, const std::vector<Found>& found,
             const geo::Gazetteer& gazetteer, size_t k, int64_t slack_ms) {
  Scores s;
  s.truth = truth.size();
  s.found = found.size();
  std::vector<bool> found_matched(found.size(), false);
  auto near_truth = [&](const TruthEvent& e, uint32_t geonameid) {
    geo::CityId c = gazetteer.FindByGeonameId(geonameid);
    if (c == geo::kNoCity) return false;
    for (uint32_t t : e.cities) {
      geo::CityId tc = gazetteer.FindByGeonameId(t);
      if (tc == geo::kNoCity) continue;
      const geo::City &a = gazetteer.city(c), &b = gazetteer.city(tc);
      if (geo::DistanceKm(a.lat, a.lon, b.lat, b.lon) <= 30) return true;
    }
    return false;
  };
  for (const TruthEvent& e : truth) {
    const Found* first = nullptr;
    for (size_t i = 0; i < found.size(); ++i) {
      const Found& f = found[i];
      if (f.service != e.service) continue;
      if (f.started_ms > e.end_ms + slack_ms || f.resolved_ms < e.start_ms) continue;
      found_matched[i] = true;
      if (!first || f.detected_ms < first->detected_ms) first = &f;
    }
    s.clear += e.clear;
    s.quiet_metro += IsQuietMetro(e);
    if (!first) continue;
    ++s.detected;
    if (e.clear) {
      ++s.clear_detected;
      s.delays_min.push_back(static_cast<double>(first->detected_ms - e.start_ms) / 60000.0);
    }
    if (IsQuietMetro(e)) {
      ++s.quiet_metro_found;
      s.quiet_metro_first += !first->cities.empty() && near_truth(e, first->cities[0]);
    }
    if (e.clear && !e.scope.empty()) {
      ++s.scope_judged;
      s.scope_right += first->scope == e.scope;
    }
    if (e.clear && !e.cities.empty() && !first->cities.empty()) {
      size_t n = std::min(k, first->cities.size()), hits = 0;
      double covered = 0, total = 0;
      for (size_t c = 0; c < first->cities.size(); ++c) {
        bool near = near_truth(e, first->cities[c]);
        if (c < n) hits += near;
        total += first->excess[c];
        if (near) covered += first->excess[c];
      }
      ++s.localised;
      s.precision_at_k_sum += static_cast<double>(hits) / static_cast<double>(n);
      s.excess_covered_sum += total > 0 ? covered / total : 0;
    }
  }
  for (bool m : found_matched) s.matched_found += m;
  return s;
}

}  // namespace

int RunEvaluate(const EvaluateFlags& flags) {
  auto truth = ReadTruth(flags.truth);
  if (!truth.ok()) {
    std::fprintf(stderr, "outagemap evaluate: %s\n", truth.status().message().c_str());
    return 2;
  }
  std::vector<std::pair<std::string, std::vector<Found>>> methods;
  for (const auto& [name, path] :
       {std::pair<std::string, std::string>{"outagemap", flags.incidents},
        {"reference", flags.reference}}) {
    if (path.empty()) continue;
    auto found = ReadIncidents(path);
    if (!found.ok()) {
      std::fprintf(stderr, "outagemap evaluate: %s\n", found.status().message().c_str());
      return 2;
    }
    methods.emplace_back(name, std::move(*found));
  }
  if (!flags.from.empty()) {
    std::optional<Timestamp> from = ParseRfc3339(flags.from);
    if (!from) {
      std::fprintf(stderr, "outagemap evaluate: --from: must be an RFC 3339 time\n");
      return 2;
    }
    // The warm-up is not judged: neither its incidents nor outages (a world puts none there).
    const int64_t from_ms = ToUnixMillis(*from);
    for (auto& m : methods) {
      std::erase_if(m.second, [&](const Found& f) { return f.detected_ms < from_ms; });
    }
    std::erase_if(*truth, [&](const TruthEvent& e) { return e.end_ms < from_ms; });
  }
  auto gazetteer = geo::Gazetteer::LoadBuiltin();
  if (!gazetteer.ok()) {
    std::fprintf(stderr, "outagemap evaluate: %s\n", gazetteer.status().message().c_str());
    return 1;
  }
  std::vector<Scores> scores;
  scores.reserve(methods.size());
  for (const auto& m : methods) {
    scores.push_back(
        Score(*truth, m.second, **gazetteer, static_cast<size_t>(flags.k), 30 * kMillisPerMinute));
  }
  if (flags.json) {
    for (size_t i = 0; i < methods.size(); ++i) {
      const Scores& c = scores[i];
      JsonWriter w;
      w.BeginObject().Key("method").String(methods[i].first);
      w.Key("outages").Uint(c.truth).Key("clear").Uint(c.clear).Key("incidents").Uint(c.found);
      w.Key("detected").Uint(c.detected).Key("clear_detected").Uint(c.clear_detected);
      w.Key("incidents_matched").Uint(c.matched_found);
      w.Key("delays_min").BeginArray();
      for (double d : c.delays_min) w.Double(d, 6);
      w.EndArray();
      w.Key("localised")
          .Uint(c.localised)
          .Key("precision_at_k_sum")
          .Double(c.precision_at_k_sum, 9);
      w.Key("excess_covered_sum").Double(c.excess_covered_sum, 9);
      w.Key("scope_judged").Uint(c.scope_judged).Key("scope_right").Uint(c.scope_right);
      w.Key("quiet_metro").Uint(c.quiet_metro).Key("quiet_metro_found").Uint(c.quiet_metro_found);
      w.Key("quiet_metro_first").Uint(c.quiet_metro_first);
      w.Key("service_days").Double(flags.service_days, 9).EndObject();
      std::printf("%s\n", w.str().c_str());
    }
    return 0;
  }
  std::printf("%-34s", "metric");
  for (const auto& m : methods) std::printf(" %12s", m.first.c_str());
  std::printf("\n");
  auto row = [&](const char* name, auto value) {
    std::printf("%-34s", name);
    for (const Scores& s : scores) std::printf(" %12.3f", static_cast<double>(value(s)));
    std::printf("\n");
  };
  auto ratio = [](size_t a, size_t b) {
    return b ? static_cast<double>(a) / static_cast<double>(b) : NAN;
  };
  const bool labelled = !scores.empty() && scores[0].clear != scores[0].truth;
  row("outages (truth)", [](const Scores& s) { return s.truth; });
  if (labelled) row("clear outages", [](const Scores& s) { return s.clear; });
  row("incidents", [](const Scores& s) { return s.found; });
  row("recall", [&](const Scores& s) { return ratio(s.detected, s.truth); });
  if (labelled) {
    row("recall of clear outages",
        [&](const Scores& s) { return ratio(s.clear_detected, s.clear); });
  }
  row("precision", [&](const Scores& s) { return ratio(s.matched_found, s.found); });
  row("false incidents per 1000 svc-days", [&](const Scores& s) {
    return flags.service_days > 0
               ? 1000.0 * static_cast<double>(s.found - s.matched_found) / flags.service_days
               : NAN;
  });
  row("detection delay median (min)", [](const Scores& s) { return Quantile(s.delays_min, 0.5); });
  row("detection delay p90 (min)", [](const Scores& s) { return Quantile(s.delays_min, 0.9); });
  std::string at_k = "localisation precision@" + std::to_string(flags.k);
  row(at_k.c_str(), [](const Scores& s) {
    return s.localised ? s.precision_at_k_sum / static_cast<double>(s.localised) : NAN;
  });
  row("share of excess covered", [](const Scores& s) {
    return s.localised ? s.excess_covered_sum / static_cast<double>(s.localised) : NAN;
  });
  row("scope accuracy", [&](const Scores& s) { return ratio(s.scope_right, s.scope_judged); });
  if (labelled) {
    row("quiet metro outages (truth)", [](const Scores& s) { return s.quiet_metro; });
    row("quiet metro outages found",
        [&](const Scores& s) { return ratio(s.quiet_metro_found, s.quiet_metro); });
    row("quiet metro first among cities",
        [&](const Scores& s) { return ratio(s.quiet_metro_first, s.quiet_metro_found); });
  }
  return 0;
}

}  // namespace om::server
