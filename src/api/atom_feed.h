#pragma once
// The incident feed in Atom 1.0 (RFC 4287), for feed readers and chat integrations that follow
// feeds: GET /api/v1/incidents.atom[?service=ID]. One entry per incident, newest change first;
// its content is the timeline of updates as plain text.
//
// Thread-safety: a pure function.

#include <string>
#include <vector>

#include "incidents/incident_records.h"

namespace om::api {

struct AtomFeedInput {
  std::string base_url;   // "http://host:port"
  std::string title;      // "outagemap incidents" or "Outlook incidents"
  std::string self_path;  // "/api/v1/incidents.atom?service=outlook"
  // Display name of a service id (the catalog's), for entry titles.
  std::vector<std::pair<std::string, std::string>> service_names;
  std::vector<incidents::IncidentRecord> incidents;  // newest first
  int64_t now_ms = 0;
};

std::string RenderAtomFeed(const AtomFeedInput& input);

}  // namespace om::api
