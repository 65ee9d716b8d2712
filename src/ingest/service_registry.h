#pragma once
// ServiceRegistry is the thread-safe view of the service catalog that ingest and the API share:
// lookups by id or alias from any HTTP worker, plus optional auto-registration of unknown services
// (config `ingest.auto_register_services`), which is the only mutation after start.
//
// Thread-safety: all methods are thread-safe (reader/writer lock; lookups take it shared).

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"

namespace om::ingest {

struct ServiceRef {
  uint32_t index = 0;        // index in the catalog, stable
  std::string id;            // canonical id
  bool has_problem = false;  // whether the problem passed to Resolve is one of the service's
};

class ServiceRegistry {
 public:
  // `max_services` bounds auto-registration: past it Resolve fails with kResourceExhausted.
  ServiceRegistry(catalog::Catalog catalog, bool auto_register, size_t max_services = 100000);
  ServiceRegistry(const ServiceRegistry&) = delete;
  ServiceRegistry& operator=(const ServiceRegistry&) = delete;

  // Resolves an id or alias to the canonical service. Unknown: registers it when auto-registration
  // is on and `id_or_alias` is a valid slug; otherwise kNotFound ("unknown service \"x\"").
  // kInvalidArgument when auto-registering a non-slug; kResourceExhausted past max_services.
  // `problem` (optional) is checked against the service's problem types in the same lookup:
  // the answer is ServiceRef::has_problem.
  Result<ServiceRef> Resolve(std::string_view id_or_alias, std::string_view problem = {});
  // Lookup without registration.
  std::optional<catalog::Service> Find(std::string_view id_or_alias) const;
  // True when `problem` is one of the service's problem types (auto-registered: the defaults).
  bool HasProblem(uint32_t index, std::string_view problem) const;
  // Comma-separated problem types of a service, for error messages.
  std::string ProblemList(uint32_t index) const;
  // A copy of every service, catalog order.
  std::vector<catalog::Service> Services() const;
  size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  catalog::Catalog catalog_;  // guarded by mu_
  const bool auto_register_;
  const size_t max_services_;
};

}  // namespace om::ingest
