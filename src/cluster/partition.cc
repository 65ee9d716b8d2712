#include "cluster/partition.h"

#include "base/check.h"
#include "base/crc32c.h"

namespace om::cluster {

uint32_t PartitionOf(std::string_view service, uint32_t partitions) {
  OM_CHECK(partitions > 0);
  return crc32c::Value(service.data(), service.size()) % partitions;
}

std::string ReportSubject(uint32_t partition) { return "om.reports." + std::to_string(partition); }

}  // namespace om::cluster
