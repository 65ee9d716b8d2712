#pragma once
// IpLocator maps an IP address to a gazetteer city using a user-supplied MaxMind-format city
// database (GeoIP2/GeoLite2-City or DB-IP City Lite .mmdb), read with libmaxminddb.
//
// A database hit maps to our city by its `city.geoname_id` when the gazetteer has that city;
// otherwise by `location.latitude`/`location.longitude` through Gazetteer::Locate (the suburb
// rule); otherwise kNoCity.
//
// Thread-safety: Lookup() may be called from any number of threads at once: the database is
// memory-mapped read-only and libmaxminddb lookups on an opened database do not mutate it.
// Ownership: the IpLocator owns the mapping (closed on destruction); it borrows the gazetteer,
// which must outlive it.

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "geo/gazetteer.h"

struct MMDB_s;

namespace om::geo {

class IpLocator {
 public:
  // Opens (memory-maps) the .mmdb at `mmdb_path`. Errors name the path:
  //   kNotFound  the file does not exist;
  //   kIoError   it exists but cannot be opened or mapped;
  //   kCorruption it is not a valid MaxMind DB (bad metadata or search tree).
  static Result<std::unique_ptr<IpLocator>> Open(const std::string& mmdb_path,
                                                 const Gazetteer& gazetteer);

  IpLocator(const IpLocator&) = delete;
  IpLocator& operator=(const IpLocator&) = delete;
  ~IpLocator();

  // The city of `ip` (dotted IPv4 or textual IPv6, no port, no brackets, no zone), or kNoCity
  // when the string is not an address, the database has no record for it, or the record maps to
  // no gazetteer city. Never fails otherwise.
  CityId Lookup(std::string_view ip) const;

  // database_type from the metadata, e.g. "GeoIP2-City".
  std::string_view database_type() const;

 private:
  IpLocator(std::unique_ptr<MMDB_s> mmdb, const Gazetteer& gazetteer);

  std::unique_ptr<MMDB_s> mmdb_;
  const Gazetteer& gazetteer_;
};

}  // namespace om::geo
