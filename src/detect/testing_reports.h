#pragma once
// For tests only: a counted report of `service` in minute `minute`, placed at the gazetteer's
// city `geonameid` with its region and country, as ingest would place it. The test stops at once
// when the city is unknown.

#include <cstdint>
#include <string>

#include "base/check.h"
#include "geo/gazetteer.h"
#include "store/report.h"

namespace om::detect {

inline store::Report TestingReportAt(const geo::Gazetteer& gazetteer, uint32_t geonameid,
                                     int64_t minute, std::string service = "outlook",
                                     std::string problem = "email") {
  geo::CityId id = gazetteer.FindByGeonameId(geonameid);
  OM_CHECK(id != geo::kNoCity) << "no city " << geonameid;
  const geo::City& c = gazetteer.city(id);
  store::Report r;
  r.service = std::move(service);
  r.problem = std::move(problem);
  r.ts_ms = minute * 60000;
  r.geonameid = geonameid;
  r.region = std::string(gazetteer.region_code(c.region));
  r.country = c.country;
  return r;
}

}  // namespace om::detect
