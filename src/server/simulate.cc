// `outagemap simulate`: writes a scenario's or a randomised world's reports and ground truth
// (sim/scenario.h, sim/random_world.h).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json_writer.h"
#include "base/time.h"
#include "server/commands.h"
#include "server/progress.h"
#include "sim/random_world.h"
#include "sim/scenario.h"

namespace om::server {
namespace {

// One truth line: the fields `outagemap evaluate` reads, plus a randomised world's labels.
std::string TruthJson(const sim::TruthLine& t, const sim::WorldOutage* labels) {
  JsonWriter w;
  w.BeginObject().Key("service").String(t.service);
  w.Key("start").String(FormatRfc3339(FromUnixMillis(t.start_ms)));
  w.Key("end").String(FormatRfc3339(FromUnixMillis(t.end_ms)));
  w.Key("cities").BeginArray();
  for (uint32_t c : t.cities) w.Uint(c);
  w.EndArray().Key("scope").String(t.scope);
  if (labels) {
    w.Key("kind").String(labels->kind).Key("clear").Bool(labels->clear);
    w.Key("magnitude").Double(labels->magnitude, 4).Key("excess").Double(labels->excess, 6);
    w.Key("total_ratio").Double(labels->total_ratio, 4);
    if (!labels->upstream.empty()) w.Key("upstream").String(labels->upstream);
  }
  w.EndObject();
  return w.str() + "\n";
}

}  // namespace

int RunSimulate(const SimulateFlags& flags) {
  if (flags.scenario.empty() && !flags.random) {
    std::fprintf(stderr, "outagemap simulate: give --scenario FILE or --random\n");
    return 2;
  }
  auto gazetteer = geo::Gazetteer::LoadBuiltin();
  if (!gazetteer.ok()) {
    std::fprintf(stderr, "outagemap simulate: %s\n", gazetteer.status().message().c_str());
    return 1;
  }
  std::optional<sim::Scenario> scenario;
  std::optional<sim::RandomWorld> world;
  if (flags.random) {
    sim::RandomWorldOptions options{.seed = flags.seed,
                                    .days = flags.days,
                                    .services = flags.services,
                                    .warmup_days = flags.warmup_days,
                                    .outages = flags.quiet ? 0 : flags.outages};
    Result<sim::RandomWorld> created = sim::RandomWorld::Create(options, **gazetteer);
    if (!created.ok()) {
      std::fprintf(stderr, "outagemap simulate: --%s\n", created.status().message().c_str());
      return 2;
    }
    world = std::move(*created);
  } else {
    std::ifstream in(flags.scenario);
    if (!in) {
      std::fprintf(stderr, "outagemap simulate: %s: cannot open\n", flags.scenario.c_str());
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    Result<sim::Scenario> parsed = sim::ParseScenario(text.str(), flags.scenario);
    if (!parsed.ok()) {
      std::fprintf(stderr, "outagemap simulate: %s\n", parsed.status().message().c_str());
      return 2;
    }
    scenario = std::move(*parsed);
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
  auto write = [&](const sim::SimReport& r) {
    line.clear();
    sim::AppendNdjson(r, line);
    std::fwrite(line.data(), 1, line.size(), reports);
    ++n;
  };
  std::ofstream truth_out(truth_path);
  double service_days = 0;
  size_t outages = 0;
  if (world) {
    const int64_t span_ms = int64_t{flags.days} * 86400000;
    const int64_t start_ms = sim::RandomWorldOptions{}.start_ms;
    ProgressBar progress(static_cast<uint64_t>(span_ms / 60000), "simulate",
                         ::isatty(STDERR_FILENO) != 0);
    int64_t last_minute = 0;
    world->Generate(**gazetteer, [&](const sim::SimReport& r) {
      write(r);
      if ((n & 0xffff) == 0) {
        last_minute = (r.ts_ms - start_ms) / 60000;
        progress.Update(static_cast<uint64_t>(last_minute), n);
      }
    });
    progress.Finish(n);
    for (const sim::WorldOutage& o : world->outages()) truth_out << TruthJson(o.line, &o);
    outages = world->outages().size();
    service_days = world->judged_service_days();
    std::ofstream(flags.out + "/world.json") << sim::WorldSummaryJson(*world) << "\n";
  } else {
    auto truth = sim::GenerateScenario(*scenario, **gazetteer, write);
    if (!truth.ok()) {
      std::fclose(reports);
      std::fprintf(stderr, "outagemap simulate: %s\n", truth.status().message().c_str());
      return 2;
    }
    for (const auto& t : *truth) truth_out << TruthJson(t, nullptr);
    outages = truth->size();
    service_days = static_cast<double>(scenario->services.size()) * scenario->days;
  }
  std::fclose(reports);
  std::fprintf(stderr, "simulate: %llu reports in %s, %zu outages in %s, %.0f service-days%s\n",
               static_cast<unsigned long long>(n), reports_path.c_str(), outages,
               truth_path.c_str(), service_days,
               world ? (", judged from " + FormatRfc3339(FromUnixMillis(world->judged_from_ms())) +
                        " (world.json)")
                           .c_str()
                     : "");
  return 0;
}

}  // namespace om::server
