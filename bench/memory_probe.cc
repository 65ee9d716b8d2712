// Measures the resident memory of the aggregates for N services carrying a year of 15-minute
// history and 14 days of per-minute counts per place. Prints one line per phase with the RSS read
// from /proc/self/status. Usage: om_memory_probe [services] [reports_per_minute_per_service]
//   [cities_per_service]. Defaults: 10000 services, 0.2 reports/min, 40 cities.
#include <malloc.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "store/aggregates.h"

namespace {

// A field of /proc/self/status in KiB: "VmRSS" (resident now) or "VmHWM" (the peak so far).
long StatusKiB(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

long RssKiB() { return StatusKiB("VmRSS"); }

}  // namespace

int main(int argc, char** argv) {
  int services = argc > 1 ? std::atoi(argv[1]) : 10000;
  double per_minute = argc > 2 ? std::atof(argv[2]) : 0.2;
  int cities = argc > 3 ? std::atoi(argv[3]) : 40;
  constexpr int64_t kDay = 1440;
  const int64_t now_minute = 29'500'000;
  auto start = std::chrono::steady_clock::now();
  std::printf("services=%d reports_per_minute_per_service=%.2f cities_per_service=%d\n", services,
              per_minute, cities);
  std::printf("start: rss %ld MiB\n", RssKiB() / 1024);

  om::store::Aggregates aggregates;
  std::vector<om::store::Report> templates(static_cast<size_t>(services));
  for (int s = 0; s < services; ++s) {
    templates[static_cast<size_t>(s)].service = "service-" + std::to_string(s);
    templates[static_cast<size_t>(s)].problem = "other";
  }
  // A year of 15-minute history: every quarter of every service non-empty (no place: the service
  // total is what long history keeps). Fed day by day with pruning, as the server would.
  std::mt19937_64 rng(1);
  for (int64_t day = -365; day < -14; ++day) {
    for (int s = 0; s < services; ++s) {
      om::store::Report& r = templates[static_cast<size_t>(s)];
      for (int q = 0; q < 96; ++q) {
        r.ts_ms = ((now_minute + day * kDay) + q * 15) * 60000;
        aggregates.AddCount(r, static_cast<uint32_t>(1 + rng() % 20));
      }
    }
    aggregates.Prune(now_minute + (day + 1) * kDay);
  }
  std::printf("after a year of 15-minute totals: rss %ld MiB\n", RssKiB() / 1024);
  // 14 days at minute resolution with places: Poisson-ish reports spread over the cities.
  std::uniform_real_distribution<double> u(0, 1);
  uint64_t reports = 0;
  for (int64_t minute = now_minute - 14 * kDay; minute < now_minute; ++minute) {
    for (int s = 0; s < services; ++s) {
      if (u(rng) >= per_minute) continue;
      om::store::Report& r = templates[static_cast<size_t>(s)];
      r.ts_ms = minute * 60000;
      uint32_t city = static_cast<uint32_t>(rng() % static_cast<uint64_t>(cities));
      r.geonameid = 1000000 + static_cast<uint32_t>(s) * 64 + city;
      r.region = "R" + std::to_string(city % 8);
      r.country = "US";
      aggregates.Add(r);
      ++reports;
    }
    if (minute % kDay == 0) aggregates.Prune(minute);
  }
  aggregates.Prune(now_minute);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "after 14 days of per-minute place counts (%llu reports): rss %ld MiB (peak %ld MiB), "
      "allocated %zu MiB, aggregates' own estimate %zu MiB, %.0f s\n",
      static_cast<unsigned long long>(reports), RssKiB() / 1024, StatusKiB("VmHWM") / 1024,
      mallinfo2().uordblks >> 20, aggregates.MemoryBytes() >> 20, seconds);
  return 0;
}
