// `outagemap simulate`: writes a scenario's reports and ground truth (sim/scenario.h).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json_writer.h"
#include "base/time.h"
#include "server/commands.h"
#include "sim/scenario.h"

namespace om::server {

int RunSimulate(const SimulateFlags& flags) {
  std::ifstream in(flags.scenario);
  if (!in) {
    std::fprintf(stderr, "outagemap simulate: %s: cannot open\n", flags.scenario.c_str());
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  Result<sim::Scenario> scenario = sim::ParseScenario(text.str(), flags.scenario);
  if (!scenario.ok()) {
    std::fprintf(stderr, "outagemap simulate: %s\n", scenario.status().message().c_str());
    return 2;
  }
  auto gazetteer = geo::Gazetteer::LoadBuiltin();
  if (!gazetteer.ok()) {
    std::fprintf(stderr, "outagemap simulate: %s\n", gazetteer.status().message().c_str());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.out, ec);
  std::string reports_path = flags.out + "/reports.ndjson",
              truth_path = flags.out + "/truth.ndjson";
  std::FILE* reports = std::fopen(reports_path.c_str(), "wb");
  if (!reports) {
    std::fprintf(stderr, "outagemap simulate: %s: cannot create\n", reports_path.c_str());
    return 1;
  }
  uint64_t n = 0;
  std::string line;
  auto truth = sim::GenerateScenario(*scenario, **gazetteer, [&](const sim::SimReport& r) {
    line.clear();
    sim::AppendNdjson(r, line);
    std::fwrite(line.data(), 1, line.size(), reports);
    ++n;
  });
  std::fclose(reports);
  if (!truth.ok()) {
    std::fprintf(stderr, "outagemap simulate: %s\n", truth.status().message().c_str());
    return 2;
  }
  std::ofstream out(truth_path);
  for (const auto& t : *truth) {
    JsonWriter w;
    w.BeginObject().Key("service").String(t.service);
    w.Key("start").String(FormatRfc3339(FromUnixMillis(t.start_ms)));
    w.Key("end").String(FormatRfc3339(FromUnixMillis(t.end_ms)));
    w.Key("cities").BeginArray();
    for (uint32_t c : t.cities) w.Uint(c);
    w.EndArray().Key("scope").String(t.scope).EndObject();
    out << w.str() << "\n";
  }
  double service_days = static_cast<double>(scenario->services.size()) * scenario->days;
  std::fprintf(stderr, "simulate: %llu reports in %s, %zu outages in %s, %.0f service-days\n",
               static_cast<unsigned long long>(n), reports_path.c_str(), truth->size(),
               truth_path.c_str(), service_days);
  return 0;
}

}  // namespace om::server
