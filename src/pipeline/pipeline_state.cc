#include "pipeline/pipeline_state.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace om::pipeline {
namespace {

constexpr std::string_view kMagic = "outagemap-pipeline-state";
constexpr int kVersion = 1;
constexpr std::string_view kRowName = "detection";

bool Plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

// A field: percent-encoded, `-` for the empty string (a lone "-" itself is written %2D).
std::string Field(std::string_view s) {
  if (s.empty()) return "-";
  if (s == "-") return "%2D";
  std::string out;
  for (char c : s) {
    if (Plain(c)) {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

// The shortest text that reads back as the same double.
std::string Number(double v) {
  if (std::isnan(v)) return "nan";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

// Reads one line's fields. Every error names the line and the field.
class LineReader {
 public:
  LineReader(std::string_view line, size_t line_no) : rest_(line), line_no_(line_no) {}

  Status Error(std::string_view field, std::string_view problem) const {
    return Status::Corruption("pipeline state: line " + std::to_string(line_no_) + ": " +
                              std::string(field) + ": " + std::string(problem));
  }
  Result<std::string_view> Raw(std::string_view field) {
    if (rest_.empty()) return Error(field, "missing");
    size_t space = rest_.find(' ');
    std::string_view token = rest_.substr(0, space);
    rest_ = space == std::string_view::npos ? std::string_view() : rest_.substr(space + 1);
    if (token.empty()) return Error(field, "empty");
    return token;
  }
  Result<std::string> Text(std::string_view field) {
    OM_ASSIGN_OR_RETURN(std::string_view token, Raw(field));
    return Unescape(field, token);
  }
  Result<std::string> Unescape(std::string_view field, std::string_view token) const {
    if (token == "-") return std::string();
    std::string out;
    for (size_t i = 0; i < token.size(); ++i) {
      char c = token[i];
      if (c != '%') {
        if (!Plain(c)) return Error(field, "unexpected character");
        out += c;
        continue;
      }
      unsigned value = 0;
      if (i + 2 >= token.size()) return Error(field, "bad escape");
      auto [end, ec] = std::from_chars(token.data() + i + 1, token.data() + i + 3, value, 16);
      if (ec != std::errc() || end != token.data() + i + 3) return Error(field, "bad escape");
      out += static_cast<char>(value);
      i += 2;
    }
    return out;
  }
  template <typename T>
  Result<T> Int(std::string_view field) {
    OM_ASSIGN_OR_RETURN(std::string_view token, Raw(field));
    T value{};
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || end != token.data() + token.size()) {
      return Error(field, "not an integer");
    }
    return value;
  }
  Result<double> Double(std::string_view field) {
    OM_ASSIGN_OR_RETURN(std::string_view token, Raw(field));
    if (token == "nan") return NAN;
    double value = 0;
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || end != token.data() + token.size()) {
      return Error(field, "not a number");
    }
    return value;
  }
  Status End() const {
    if (!rest_.empty()) return Error("end of line", "unexpected fields");
    return Status::Ok();
  }

 private:
  std::string_view rest_;
  size_t line_no_;
};

Result<detect::Status> ParseStatus(const LineReader& r, std::string_view name) {
  for (detect::Status s :
       {detect::Status::kNormal, detect::Status::kPossible, detect::Status::kOutage}) {
    if (detect::StatusName(s) == name) return s;
  }
  return r.Error("status", "not normal, possible or outage");
}

// "a,b,c" (each escaped) or "-".
std::string List(const std::vector<std::string>& items) {
  if (items.empty()) return "-";
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += Field(item);
  }
  return out;
}

}  // namespace

std::string EncodePipelineState(const PipelineState& state) {
  std::string out = std::string(kMagic) + " " + std::to_string(kVersion) + "\n";
  out += "minute " + std::to_string(state.minute) + "\n";
  out += "next " + std::to_string(state.incidents.next_number) + "\n";
  for (const detect::ServiceRunState& s : state.services) {
    out += "service " + Field(s.service) + " " + std::string(detect::StatusName(s.status)) + " " +
           std::to_string(s.since_minute) + " " + std::to_string(s.evaluated_minute) + " " +
           std::to_string(s.possible_run) + " " + std::to_string(s.outage_run) + " " +
           std::to_string(s.quiet_run) + " " + Number(s.dispersion) + " " +
           std::to_string(s.calibration_pending) + " " + std::to_string(s.calibration_last) + "\n";
  }
  auto incident = [&](const incidents::Incident& i, std::string_view kind) {
    std::vector<std::string> problems;
    for (const auto& p : i.problems) problems.push_back(p.problem + "=" + Number(p.share));
    out += "incident " + std::string(kind) + " " + Field(i.id) + " " + Field(i.service) + " " +
           std::to_string(i.started_minute) + " " + std::to_string(i.detected_minute) + " " +
           std::to_string(i.resolved_minute) + " " + std::to_string(i.peak_minute) + " " +
           std::to_string(i.peak_reports_per_minute) + " " + Number(i.expected_per_minute_at_peak) +
           " " + std::to_string(i.reports) + " " + Field(i.upstream_service) + " " +
           Field(i.upstream_incident) + " " + (i.upstream_learned ? "1" : "0") + " " +
           List(problems) + " " + List(i.related) + "\n";
  };
  for (const auto& i : state.incidents.open) incident(i, "open");
  for (const auto& i : state.incidents.resolved) incident(i, "resolved");
  return out;
}

Result<PipelineState> DecodePipelineState(std::string_view text) {
  PipelineState state;
  bool seen_minute = false, seen_next = false;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_no;
    LineReader r(line, line_no);
    OM_ASSIGN_OR_RETURN(std::string_view kind, r.Raw("record"));
    if (line_no == 1) {
      if (kind != kMagic) return r.Error("record", "not a pipeline state");
      OM_ASSIGN_OR_RETURN(int version, r.Int<int>("version"));
      if (version != kVersion) return r.Error("version", "unknown version");
    } else if (kind == "minute") {
      OM_ASSIGN_OR_RETURN(state.minute, r.Int<int64_t>("minute"));
      seen_minute = true;
    } else if (kind == "next") {
      OM_ASSIGN_OR_RETURN(state.incidents.next_number, r.Int<uint64_t>("next"));
      seen_next = true;
    } else if (kind == "service") {
      detect::ServiceRunState s;
      OM_ASSIGN_OR_RETURN(s.service, r.Text("service"));
      OM_ASSIGN_OR_RETURN(std::string_view status, r.Raw("status"));
      OM_ASSIGN_OR_RETURN(s.status, ParseStatus(r, status));
      OM_ASSIGN_OR_RETURN(s.since_minute, r.Int<int64_t>("since"));
      OM_ASSIGN_OR_RETURN(s.evaluated_minute, r.Int<int64_t>("evaluated"));
      OM_ASSIGN_OR_RETURN(s.possible_run, r.Int<int>("possible_run"));
      OM_ASSIGN_OR_RETURN(s.outage_run, r.Int<int>("outage_run"));
      OM_ASSIGN_OR_RETURN(s.quiet_run, r.Int<int>("quiet_run"));
      OM_ASSIGN_OR_RETURN(s.dispersion, r.Double("dispersion"));
      OM_ASSIGN_OR_RETURN(s.calibration_pending, r.Int<int>("calibration_pending"));
      OM_ASSIGN_OR_RETURN(s.calibration_last, r.Int<int64_t>("calibration_last"));
      if (s.service.empty()) return r.Error("service", "empty");
      state.services.push_back(std::move(s));
    } else if (kind == "incident") {
      incidents::Incident i;
      OM_ASSIGN_OR_RETURN(std::string_view open, r.Raw("state"));
      if (open != "open" && open != "resolved") return r.Error("state", "not open or resolved");
      OM_ASSIGN_OR_RETURN(i.id, r.Text("id"));
      OM_ASSIGN_OR_RETURN(i.service, r.Text("service"));
      OM_ASSIGN_OR_RETURN(i.started_minute, r.Int<int64_t>("started"));
      OM_ASSIGN_OR_RETURN(i.detected_minute, r.Int<int64_t>("detected"));
      OM_ASSIGN_OR_RETURN(i.resolved_minute, r.Int<int64_t>("resolved"));
      OM_ASSIGN_OR_RETURN(i.peak_minute, r.Int<int64_t>("peak_minute"));
      OM_ASSIGN_OR_RETURN(i.peak_reports_per_minute, r.Int<uint64_t>("peak_reports_per_minute"));
      OM_ASSIGN_OR_RETURN(i.expected_per_minute_at_peak, r.Double("expected_per_minute_at_peak"));
      OM_ASSIGN_OR_RETURN(i.reports, r.Int<uint64_t>("reports"));
      OM_ASSIGN_OR_RETURN(i.upstream_service, r.Text("upstream_service"));
      OM_ASSIGN_OR_RETURN(i.upstream_incident, r.Text("upstream_incident"));
      OM_ASSIGN_OR_RETURN(int learned, r.Int<int>("upstream_learned"));
      if (learned != 0 && learned != 1) return r.Error("upstream_learned", "not 0 or 1");
      i.upstream_learned = learned == 1;
      // Lists: items separated by commas, each escaped on its own.
      auto list = [&](std::string_view field) -> Result<std::vector<std::string>> {
        OM_ASSIGN_OR_RETURN(std::string_view token, r.Raw(field));
        std::vector<std::string> items;
        if (token == "-") return items;
        while (true) {
          size_t comma = token.find(',');
          OM_ASSIGN_OR_RETURN(std::string item, r.Unescape(field, token.substr(0, comma)));
          items.push_back(std::move(item));
          if (comma == std::string_view::npos) break;
          token = token.substr(comma + 1);
        }
        return items;
      };
      OM_ASSIGN_OR_RETURN(std::vector<std::string> problems, list("problems"));
      for (const std::string& p : problems) {
        size_t eq = p.rfind('=');
        double share = 0;
        if (eq == std::string::npos ||
            std::from_chars(p.data() + eq + 1, p.data() + p.size(), share).ec != std::errc()) {
          return r.Error("problems", "not problem=share");
        }
        i.problems.push_back({p.substr(0, eq), share});
      }
      OM_ASSIGN_OR_RETURN(i.related, list("related"));
      if (i.id.empty() || i.service.empty()) return r.Error("id", "empty id or service");
      if ((open == "open") != (i.resolved_minute == 0)) {
        return r.Error("resolved", "an open incident has no resolution, a resolved one has");
      }
      (open == "open" ? state.incidents.open : state.incidents.resolved).push_back(std::move(i));
    } else {
      return r.Error("record", "unknown record");
    }
    OM_RETURN_IF_ERROR(r.End());
  }
  if (line_no == 0) return Status::Corruption("pipeline state: empty");
  if (!seen_minute || !seen_next) {
    return Status::Corruption("pipeline state: the minute or next number is missing");
  }
  return state;
}

Result<std::unique_ptr<PipelineStateStore>> PipelineStateStore::Open(db::MetaStore& meta) {
  return std::unique_ptr<PipelineStateStore>(new PipelineStateStore(meta));
}

Status PipelineStateStore::Save(const PipelineState& state, int64_t now_ms) {
  std::string text = EncodePipelineState(state);
  return meta_.Write([&](db::MetaStore::Transaction& tx) {
    return tx.Run(
        "INSERT INTO pipeline_state(name, minute, state, saved_ms) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET minute = excluded.minute, state = excluded.state, "
        "saved_ms = excluded.saved_ms",
        {kRowName, state.minute, text, now_ms});
  });
}

Result<std::optional<PipelineState>> PipelineStateStore::Load() {
  Result<std::optional<std::string>> text =
      meta_.Read([&](db::Database& db) -> Result<std::optional<std::string>> {
        OM_ASSIGN_OR_RETURN(db::Statement select,
                            db.Prepare("SELECT state FROM pipeline_state WHERE name = ?"));
        select.Bind(1, kRowName);
        OM_ASSIGN_OR_RETURN(bool row, select.Step());
        if (!row) return std::optional<std::string>();
        return std::optional<std::string>(select.ColumnText(0));
      });
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::optional<PipelineState>();
  OM_ASSIGN_OR_RETURN(PipelineState state, DecodePipelineState(**text));
  return std::optional<PipelineState>(std::move(state));
}

Result<int64_t> PipelineStateStore::SavedMs() {
  return meta_.Read([&](db::Database& db) -> Result<int64_t> {
    OM_ASSIGN_OR_RETURN(db::Statement select,
                        db.Prepare("SELECT saved_ms FROM pipeline_state WHERE name = ?"));
    select.Bind(1, kRowName);
    OM_ASSIGN_OR_RETURN(bool row, select.Step());
    return row ? select.ColumnInt(0) : int64_t{0};
  });
}

}  // namespace om::pipeline
