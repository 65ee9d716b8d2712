#pragma once
// Partitions of the report stream. Cluster mode publishes each report on the subject of its
// service's partition, so that one node can judge a partition (every service in it) alone and
// the stream keeps each service's reports in order. The assignment is a pure function of the
// service id and the partition count, the same on every node and across releases: it is part of
// the stream's format (docs/cluster.md), and changing it would split a service's history.

#include <cstdint>
#include <string>
#include <string_view>

namespace om::cluster {

// The default number of partitions (the `cluster.partitions` key). More partitions spread
// detection over more nodes; each costs one lease and one result subject.
inline constexpr uint32_t kDefaultPartitions = 64;

// The partition of `service`, in [0, partitions). CRC-32C of the service id's bytes, modulo the
// count. REQUIRES: partitions > 0.
uint32_t PartitionOf(std::string_view service, uint32_t partitions);

// "om.reports.<partition>": the subject a report of that partition is published on.
std::string ReportSubject(uint32_t partition);
// "om.reports.>": every report subject, as the stream is configured.
inline constexpr std::string_view kReportSubjects = "om.reports.>";

}  // namespace om::cluster
