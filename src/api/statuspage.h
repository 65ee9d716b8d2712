#pragma once
// A read API compatible with Statuspage's public v2 API, so that existing clients and widgets can
// read outagemap like any Statuspage page. A page is one service (its components are the
// catalog's parts of it), or a category of services, `category:{name}` (one component per
// service):
//   GET /pages/{service}/api/v2/summary.json
//   GET /pages/{service}/api/v2/status.json
//   GET /pages/{service}/api/v2/components.json
//   GET /pages/{service}/api/v2/incidents.json              (the last 50)
//   GET /pages/{service}/api/v2/incidents/unresolved.json
//   GET /pages/{service}/api/v2/scheduled-maintenances.json  (+ /upcoming.json, /active.json):
//       the service's maintenance windows (incidents/maintenances.h)
// Field names and enums are Statuspage's exactly (docs/api/statuspage.md lists them and what each
// is filled from); the answers are pinned by golden files in tests/api/statuspage/.
//
// Thread-safety: pure functions of their inputs.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "detect/detector.h"
#include "incidents/incident_records.h"
#include "incidents/maintenances.h"

namespace om::api {

// One service of a page, with the crowd's view of it (null: never evaluated, normal).
struct StatuspageMember {
  const catalog::Service* service = nullptr;
  const detect::ServiceState* crowd = nullptr;
};

// What one page's answers are built from.
struct StatuspageView {
  std::string page_id;                    // "outlook" or "category:email"
  std::string page_name;                  // "Outlook" or "Email services"
  std::string page_path;                  // the UI page it links to: "/services/outlook", "/"
  bool group = false;                     // a category: one component per member
  std::vector<StatuspageMember> members;  // one for a service page
  std::vector<incidents::IncidentRecord> incidents;  // of the members, newest first
  std::vector<incidents::Maintenance> maintenances;  // of the members, by start
  std::string base_url;  // "http://host:port", for page and incident links
  // Names services that are not members (a group's upstream); may be null.
  std::function<std::string(const std::string& service)> service_name;
  int64_t now_ms = 0;
};

// The endpoint `document` ("summary.json", "incidents/unresolved.json", ...) for `view`, or an
// empty string when there is no such document.
std::string StatuspageDocument(std::string_view document, const StatuspageView& view);

}  // namespace om::api
