#include "geo/ip_locator.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace om::geo {

IpLocator::IpLocator(std::unique_ptr<MMDB_s> mmdb, const Gazetteer& gazetteer)
    : mmdb_(std::move(mmdb)), gazetteer_(gazetteer) {}

IpLocator::~IpLocator() { MMDB_close(mmdb_.get()); }

Result<std::unique_ptr<IpLocator>> IpLocator::Open(const std::string& mmdb_path,
                                                   const Gazetteer& gazetteer) {
  auto mmdb = std::make_unique<MMDB_s>();
  errno = 0;
  const int status = MMDB_open(mmdb_path.c_str(), MMDB_MODE_MMAP, mmdb.get());
  if (status != MMDB_SUCCESS) {
    const int saved_errno = errno;
    std::string message = mmdb_path + ": " + MMDB_strerror(status);
    if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) {
      if (saved_errno != 0) message += std::string(" (") + ErrnoText(saved_errno) + ")";
      if (saved_errno == ENOENT) return Status::NotFound(std::move(message));
      return Status::IoError(std::move(message));
    }
    if (status == MMDB_OUT_OF_MEMORY_ERROR) return Status::IoError(std::move(message));
    return Status::Corruption(std::move(message));
  }
  return std::unique_ptr<IpLocator>(new IpLocator(std::move(mmdb), gazetteer));
}

std::string_view IpLocator::database_type() const {
  return mmdb_->metadata.database_type != nullptr ? mmdb_->metadata.database_type : "";
}

CityId IpLocator::Lookup(std::string_view ip) const {
  // inet_pton instead of MMDB_lookup_string: no getaddrinfo, and only canonical textual forms
  // ("127.1" is rejected), which is what report bodies should carry.
  char text[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof text || ip.find('\0') != std::string_view::npos) {
    return kNoCity;
  }
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';

  sockaddr_storage storage{};
  if (ip.find(':') == std::string_view::npos) {
    sockaddr_in sin{};
    if (inet_pton(AF_INET, text, &sin.sin_addr) != 1) return kNoCity;
    sin.sin_family = AF_INET;
    std::memcpy(&storage, &sin, sizeof sin);
  } else {
    sockaddr_in6 sin6{};
    if (inet_pton(AF_INET6, text, &sin6.sin6_addr) != 1) return kNoCity;
    sin6.sin6_family = AF_INET6;
    std::memcpy(&storage, &sin6, sizeof sin6);
  }

  int mmdb_error = MMDB_SUCCESS;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockaddr API
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(mmdb_.get(), reinterpret_cast<const sockaddr*>(&storage), &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS || !result.found_entry) return kNoCity;

  MMDB_entry_data_s data{};
  if (MMDB_get_value(&result.entry, &data, "city", "geoname_id", nullptr) == MMDB_SUCCESS &&
      data.has_data && data.type == MMDB_DATA_TYPE_UINT32) {
    const CityId id = gazetteer_.FindByGeonameId(data.uint32);
    if (id != kNoCity) return id;
  }
  MMDB_entry_data_s lat{};
  MMDB_entry_data_s lon{};
  if (MMDB_get_value(&result.entry, &lat, "location", "latitude", nullptr) == MMDB_SUCCESS &&
      MMDB_get_value(&result.entry, &lon, "location", "longitude", nullptr) == MMDB_SUCCESS &&
      lat.has_data && lon.has_data && lat.type == MMDB_DATA_TYPE_DOUBLE &&
      lon.type == MMDB_DATA_TYPE_DOUBLE) {
    return gazetteer_.Locate(lat.double_value, lon.double_value);
  }
  return kNoCity;
}

}  // namespace om::geo
