#include "ingest/ingestor.h"

#include <arpa/inet.h>
#include <simdjson.h>

#include <cmath>
#include <cstring>

#include "catalog/catalog.h"
#include "store/deduplicator.h"
#include "store/report.h"

namespace om::ingest {
namespace {

using simdjson::ondemand::json_type;

constexpr size_t kMaxReporterBytes = 128;
constexpr size_t kMaxCityBytes = 200;

bool ValidIp(std::string_view ip) {
  if (ip.empty() || ip.size() > 45) return false;
  char buf[64];
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = 0;
  unsigned char out[16];
  return ::inet_pton(AF_INET, buf, out) == 1 || ::inet_pton(AF_INET6, buf, out) == 1;
}

bool IsCountryCode(std::string_view c) {
  return c.size() == 2 && std::isalpha(static_cast<unsigned char>(c[0])) &&
         std::isalpha(static_cast<unsigned char>(c[1]));
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Status FieldError(std::string_view field, std::string_view message) {
  std::string m(field);
  m += ": ";
  m += message;
  return Status::InvalidArgument(std::move(m));
}

// Reads a JSON string field; a wrong type is an error naming the field.
// Typed getters ask for the type they want and only look closer when that fails (the common
// case pays for one typed read, not a type probe plus a read).
Status GetString(simdjson::ondemand::value& value, std::string_view field, std::string_view& out) {
  auto error = value.get_string().get(out);
  if (error == simdjson::SUCCESS) return Status::Ok();
  return FieldError(field,
                    error == simdjson::INCORRECT_TYPE ? "must be a string" : "invalid string");
}

Status GetNumber(simdjson::ondemand::value& value, std::string_view field, double& out) {
  auto error = value.get_double().get(out);
  if (error == simdjson::SUCCESS) return Status::Ok();
  return FieldError(field,
                    error == simdjson::INCORRECT_TYPE ? "must be a number" : "invalid number");
}

}  // namespace

Ingestor::Ingestor(IngestOptions options, ServiceRegistry& registry,
                   const geo::Gazetteer& gazetteer, const geo::IpLocator* ip_locator,
                   const Clock& clock, MetricsRegistry& metrics)
    : options_(options),
      registry_(registry),
      gazetteer_(gazetteer),
      ip_locator_(ip_locator),
      clock_(clock),
      metrics_(metrics),
      lines_total_(metrics.GetCounter("om_ingest_lines_total",
                                      "Report lines received (accepted or rejected).")),
      problem_kept_total_(metrics.GetCounter(
          "om_ingest_problem_warnings_total",
          "Accepted reports whose problem type their service does not list, by how it counted.",
          "counted=\"as_reported\"")),
      problem_as_other_total_(metrics.GetCounter(
          "om_ingest_problem_warnings_total",
          "Accepted reports whose problem type their service does not list, by how it counted.",
          "counted=\"as_other\"")) {}

void Ingestor::CountReject(std::string_view reason) const {
  metrics_
      .GetCounter("om_ingest_rejected_total", "Report lines rejected, by reason.",
                  "reason=\"" + std::string(reason) + "\"")
      .Add();
}

Result<ParsedBatch> Ingestor::Parse(std::string_view body, BodyFormat format,
                                    std::string_view client_ip) const {
  if (body.size() > options_.max_body_bytes) {
    CountReject("body_too_large");
    return Status::TooLarge("body of " + std::to_string(body.size()) +
                            " bytes is over the limit of " +
                            std::to_string(options_.max_body_bytes));
  }
  ParsedBatch batch;
  // One padded copy of the body; every line is parsed in place, its padding being the bytes after
  // it (simdjson reads up to SIMDJSON_PADDING bytes past the end of its input).
  simdjson::padded_string padded(body);
  std::string_view all(padded.data(), body.size());
  const size_t allocated_end = padded.size() + simdjson::SIMDJSON_PADDING;
  int64_t now_ms = ToUnixMillis(clock_.Now());

  auto handle_line = [&](std::string_view line, size_t line_no) {
    ++batch.lines;
    lines_total_.Add();
    bool placed = false;
    std::string warning;
    size_t allocated = allocated_end - static_cast<size_t>(line.data() - padded.data());
    // Parsed in place into the batch: a report is ~250 bytes of strings, not worth moving twice.
    store::Report& report = batch.reports.emplace_back();
    Status s = ParseOne(line, allocated, client_ip, now_ms, report, placed, warning);
    if (!s.ok()) {
      batch.reports.pop_back();
      bool not_json = s.message().rfind("invalid JSON", 0) == 0 ||
                      s.message().rfind("report must be a JSON object", 0) == 0;
      CountReject(s.code() == StatusCode::kNotFound ? "unknown_service"
                  : not_json                        ? "invalid_json"
                                                    : "invalid_field");
      batch.rejected.push_back({line_no, s.message(), s.code()});
      return;
    }
    if (!placed) ++batch.unplaced;
    if (!warning.empty()) batch.warnings.push_back({line_no, std::move(warning)});
  };

  if (format == BodyFormat::kJson) {
    handle_line(all, 1);
    return batch;
  }
  size_t line_no = 0, pos = 0, lines = 0;
  // Count first, so an oversized batch is refused whole before any work (memchr: vectorised).
  for (const char* p = all.data();
       (p = static_cast<const char*>(
            std::memchr(p, '\n', static_cast<size_t>(all.data() + all.size() - p)))) != nullptr;
       ++p) {
    ++lines;
  }
  if (!all.empty() && all.back() != '\n') ++lines;  // a last line without its newline
  if (lines > options_.max_batch_lines) {
    CountReject("batch_too_large");
    return Status::TooLarge("batch has more than " + std::to_string(options_.max_batch_lines) +
                            " lines");
  }
  batch.reports.reserve(lines + 1);
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = all.substr(pos, end - pos);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool blank = line.find_first_not_of(" \t") == std::string_view::npos;
    if (!blank) handle_line(line, line_no);
    pos = end + 1;
  }
  return batch;
}

Status Ingestor::ParseOne(std::string_view json, size_t allocated, std::string_view client_ip,
                          int64_t now_ms, store::Report& r, bool& placed,
                          std::string& warning) const {
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  auto error = parser.iterate(json.data(), json.size(), allocated).get(doc);
  if (error) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  simdjson::ondemand::object object;
  if ((error = doc.get_object().get(object))) {
    if (error == simdjson::INCORRECT_TYPE) {
      return Status::InvalidArgument("report must be a JSON object");
    }
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(error));
  }

  std::string_view service, problem = "other", city, country, ip, reporter, text, source_name;
  double lat = NAN, lon = NAN;
  bool has_ts = false, has_lat = false, has_lon = false;
  int64_t ts_ms = now_ms;
  for (auto field_result : object) {
    simdjson::ondemand::field field;
    if ((error = std::move(field_result).get(field))) {
      return Status::InvalidArgument(std::string("invalid JSON: ") +
                                     simdjson::error_message(error));
    }
    // Keys are matched on their raw bytes, without unescaping: the common case has no escapes.
    // A key with a backslash is unescaped first so that "\u0074s" still means "ts".
    std::string_view key;
    const char* raw = field.key().raw();
    size_t raw_len = 0;
    while (raw[raw_len] != '"' && raw[raw_len] != '\\' && raw_len < 64) ++raw_len;
    if (raw[raw_len] == '"') {
      key = std::string_view(raw, raw_len);
    } else if ((error = field.unescaped_key().get(key))) {
      return Status::InvalidArgument(std::string("invalid JSON: ") +
                                     simdjson::error_message(error));
    }
    simdjson::ondemand::value value = field.value();
    if (key == "service") {
      OM_RETURN_IF_ERROR(GetString(value, key, service));
    } else if (key == "problem") {
      OM_RETURN_IF_ERROR(GetString(value, key, problem));
    } else if (key == "ts") {
      json_type type;
      if (value.type().get(type)) return FieldError(key, "invalid JSON value");
      if (type == json_type::string) {
        std::string_view s;
        OM_RETURN_IF_ERROR(GetString(value, key, s));
        auto t = ParseRfc3339(s);
        if (!t) {
          return FieldError(key, "must be RFC 3339 (2026-01-22T14:37:00Z) or epoch milliseconds");
        }
        ts_ms = ToUnixMillis(*t);
      } else if (type == json_type::number) {
        int64_t v;
        if (value.get_int64().get(v)) {
          return FieldError(key, "epoch milliseconds must be an integer");
        }
        ts_ms = v;
      } else {
        return FieldError(key, "must be RFC 3339 (2026-01-22T14:37:00Z) or epoch milliseconds");
      }
      has_ts = true;
    } else if (key == "lat") {
      OM_RETURN_IF_ERROR(GetNumber(value, key, lat));
      has_lat = true;
    } else if (key == "lon") {
      OM_RETURN_IF_ERROR(GetNumber(value, key, lon));
      has_lon = true;
    } else if (key == "city") {
      OM_RETURN_IF_ERROR(GetString(value, key, city));
    } else if (key == "country") {
      OM_RETURN_IF_ERROR(GetString(value, key, country));
    } else if (key == "ip") {
      OM_RETURN_IF_ERROR(GetString(value, key, ip));
    } else if (key == "reporter") {
      OM_RETURN_IF_ERROR(GetString(value, key, reporter));
    } else if (key == "text") {
      OM_RETURN_IF_ERROR(GetString(value, key, text));
    } else if (key == "source") {
      OM_RETURN_IF_ERROR(GetString(value, key, source_name));
    } else {
      return FieldError(key.empty() ? std::string("\"\"") : std::string(key.substr(0, 64)),
                        "unknown field");
    }
  }
  // At the end of the input current_location() is OUT_OF_BOUNDS; a location means more tokens.
  if (doc.current_location().error() == simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: trailing content after the object");
  }

  if (service.empty()) return FieldError("service", "required");
  // A problem type is read as typed ("Internet " is "internet"); only a malformed one is refused.
  std::string problem_slug;
  if (!catalog::IsValidSlug(problem)) {
    problem_slug = catalog::NormalizeSlug(problem);
    if (!catalog::IsValidSlug(problem_slug)) {
      return FieldError("problem", "\"" + std::string(problem.substr(0, 64)) +
                                       "\" is not a slug ([a-z0-9-], 1-63 chars)");
    }
    problem = problem_slug;
  }
  Result<ServiceRef> ref = registry_.Resolve(service, problem);
  if (!ref.ok()) return ref.status().WithPrefix("service");
  if (has_ts) {
    if (ts_ms > now_ms + options_.max_future_skew.count()) {
      return FieldError("ts", "more than " +
                                  std::to_string(options_.max_future_skew.count() / 1000) +
                                  " seconds in the future");
    }
    if (options_.max_age.count() > 0 && ts_ms < now_ms - options_.max_age.count()) {
      return FieldError(
          "ts", "older than " + std::to_string(options_.max_age.count() / 86400000) + " days");
    }
  }
  if (has_lat != has_lon) {
    return FieldError(has_lat ? "lon" : "lat",
                      "required with " + std::string(has_lat ? "lat" : "lon"));
  }
  if (has_lat && !(lat >= -90 && lat <= 90)) return FieldError("lat", "must be between -90 and 90");
  if (has_lon && !(lon >= -180 && lon <= 180)) {
    return FieldError("lon", "must be between -180 and 180");
  }
  if (!country.empty() && !IsCountryCode(country)) {
    return FieldError("country", "must be an ISO 3166-1 alpha-2 code such as \"US\"");
  }
  if (!city.empty() && country.empty()) return FieldError("country", "required with city");
  if (city.size() > kMaxCityBytes) return FieldError("city", "longer than 200 bytes");
  if (!ip.empty() && !ValidIp(ip)) return FieldError("ip", "not an IPv4 or IPv6 address");
  if (reporter.size() > kMaxReporterBytes) return FieldError("reporter", "longer than 128 bytes");
  if (text.size() > store::kMaxTextBytes) return FieldError("text", "longer than 1024 bytes");
  if (!source_name.empty() && !store::ParseSource(source_name, r.source)) {
    return FieldError("source", "must be one of web, app, api, social, probe");
  }

  // Every report counts for its service, whatever its type (ServiceRegistry says how it is
  // kept). A new type is kept only now that the report is accepted.
  const ProblemFit fit = ref->new_problem ? registry_.KeepProblem(ref->index, problem) : ref->fit;
  if (fit == ProblemFit::kKept) {
    warning = "problem: \"" + std::string(problem) + "\" is not a problem type of " + ref->id +
              "; counted as reported";
    problem_kept_total_.Add();
  } else if (fit == ProblemFit::kAsOther) {
    warning = "problem: \"" + std::string(problem) + "\": " + ref->id + " already has " +
              std::to_string(registry_.options().max_problem_types) +
              " problem types (ingest.max_problem_types); counted as \"other\"";
    problem = "other";
    problem_as_other_total_.Add();
  }

  r.ts_ms = ts_ms;
  r.received_ms = now_ms;
  r.service = std::move(ref->id);
  r.problem = std::string(problem);
  r.text = std::string(text);
  r.city = std::string(city);
  if (has_lat) {
    r.lat = lat;
    r.lon = lon;
  }
  r.reporter_key = !reporter.empty() ? store::HashKey(reporter)
                                     : store::HashKey(client_ip, 0x84222325cbf29ce4ull);

  geo::CityId place = geo::kNoCity;
  if (has_lat) {
    place = gazetteer_.Locate(lat, lon);
  } else if (!city.empty()) {
    place = gazetteer_.FindByName(city, country);
  } else if (ip_locator_ != nullptr) {
    place = ip_locator_->Lookup(!ip.empty() ? ip : client_ip);
  }
  if (place != geo::kNoCity) {
    const geo::City& c = gazetteer_.city(place);
    r.geonameid = c.geonameid;
    r.region = std::string(gazetteer_.region_code(c.region));
    r.country = std::string(c.country);
    placed = true;
  } else if (!country.empty()) {
    // Unplaced but the country is known: it still counts for the country.
    r.country = Upper(country);
  }
  return Status::Ok();
}

}  // namespace om::ingest
