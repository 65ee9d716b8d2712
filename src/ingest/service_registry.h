#pragma once
// ServiceRegistry is the thread-safe view of the service catalog that ingest and the API share:
// lookups by id or alias from any HTTP worker, the problem types each service has been reported
// with, and optional auto-registration of unknown services (config
// `ingest.auto_register_services`). Auto-registration and new problem types are the only
// mutations after start.
//
// Every report is signal: a report of a problem type its service does not list still counts for
// the service. Its type is kept as reported (for "most reported problems" and export) while the
// service has fewer than `max_problem_types` distinct types (its catalog list included); past that
// bound the report counts as "other", so a flood of invented types cannot grow the per-type
// aggregates without limit. The kept types live in memory only: after a restart a service learns
// them again from new reports, in arrival order.
//
// Thread-safety: all methods are thread-safe (reader/writer lock; lookups take it shared).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/option_key.h"
#include "base/status.h"
#include "catalog/catalog.h"

namespace om::ingest {

struct RegistryOptions {
  // Register unknown services on their first report (config `ingest.auto_register_services`)
  // instead of answering "unknown service".
  bool auto_register_services = false;
  // Most services (built-in + user + auto-registered); past it registration fails with
  // kResourceExhausted (config `ingest.max_services`).
  size_t max_services = 100000;
  // Most distinct problem types kept per service, its catalog list included (config
  // `ingest.max_problem_types`). A report of a further type counts as "other".
  // REQUIRES: >= 1.
  size_t max_problem_types = 32;
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kRegistryOptionKeys[] = {
    {"ingest.auto_register_services", OptionType::kBool, "", 0, 0,
     "register unknown services on first report instead of 404"},
    {"ingest.max_services", OptionType::kInt, "", 1, 10000000,
     "most services, built-in and registered"},
    {"ingest.max_problem_types", OptionType::kInt, "", 1, 1000,
     "distinct problem types kept per service, its catalog list included; a report of a further "
     "type counts as `other` (with a warning)"},
};

// How a report's problem type fits its service.
enum class ProblemFit : uint8_t {
  kListed,   // in the catalog's list (an auto-registered service: any type within the bound)
  kKept,     // not listed, kept as reported: the service is within max_problem_types
  kAsOther,  // not listed and the service is at max_problem_types: the report counts as "other"
};

struct ServiceRef {
  uint32_t index = 0;                    // index in the catalog, stable
  std::string id;                        // canonical id
  ProblemFit fit = ProblemFit::kListed;  // of the problem passed to Resolve
  // The problem is new to the service and not kept yet: call KeepProblem once the report is
  // accepted, so that lines rejected for another field never take up the bound.
  bool new_problem = false;
};

class ServiceRegistry {
 public:
  ServiceRegistry(catalog::Catalog catalog, RegistryOptions options);
  ServiceRegistry(const ServiceRegistry&) = delete;
  ServiceRegistry& operator=(const ServiceRegistry&) = delete;
  ~ServiceRegistry() = default;

  // Resolves an id or alias to the canonical service. Unknown: registers it when auto-registration
  // is on and `id_or_alias` is a valid slug; otherwise kNotFound ("unknown service \"x\"").
  // kInvalidArgument when auto-registering a non-slug; kResourceExhausted past max_services.
  // `problem`, a valid slug (catalog::IsValidSlug) or empty for "other", is fitted to the service
  // in the same call (ServiceRef::fit, as it would be once kept), but not kept.
  Result<ServiceRef> Resolve(std::string_view id_or_alias, std::string_view problem = {});
  // Keeps `problem` for the service at `index` if it is still new and within the bound, and
  // returns how it fits now (another report may have taken the last place meanwhile).
  ProblemFit KeepProblem(uint32_t index, std::string_view problem);
  // Lookup without registration.
  std::optional<catalog::Service> Find(std::string_view id_or_alias) const;
  // The problem types the service has been reported with beyond its catalog list, in the order
  // they were first kept (for an auto-registered service: every type beyond the defaults).
  std::vector<std::string> KeptProblems(uint32_t index) const;
  // A copy of every service, catalog order.
  std::vector<catalog::Service> Services() const;
  size_t size() const;
  const RegistryOptions& options() const { return options_; }

 private:
  // How `problem` fits the service at `index` before it is kept; kNew: not seen, within bound.
  enum class Seen : uint8_t { kListed, kKept, kNew, kOverBound };
  // REQUIRES: `index` valid.
  Seen SeenLocked(uint32_t index, std::string_view problem) const OM_REQUIRES_SHARED(mu_);
  // The answer for a problem seen as `seen` (a kNew one as it will be once kept).
  ServiceRef RefLocked(uint32_t index, Seen seen) const OM_REQUIRES_SHARED(mu_);

  mutable SharedMutex mu_;
  catalog::Catalog catalog_ OM_GUARDED_BY(mu_);
  std::vector<std::vector<std::string>> kept_ OM_GUARDED_BY(mu_);  // per catalog index
  const RegistryOptions options_;
};

}  // namespace om::ingest
