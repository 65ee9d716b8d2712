#include "ingest/service_registry.h"

#include <algorithm>
#include <mutex>

namespace om::ingest {

ServiceRegistry::ServiceRegistry(catalog::Catalog catalog, bool auto_register,
                                 size_t max_services)
    : catalog_(std::move(catalog)), auto_register_(auto_register), max_services_(max_services) {}

Result<ServiceRef> ServiceRegistry::Resolve(std::string_view id_or_alias) {
  {
    std::shared_lock lock(mu_);
    if (auto index = catalog_.IndexOf(id_or_alias)) {
      return ServiceRef{*index, catalog_.services()[*index].id};
    }
  }
  std::string quoted = "\"" + std::string(id_or_alias.substr(0, 64)) + "\"";
  if (!auto_register_) return Status::NotFound("unknown service " + quoted);
  if (!catalog::IsValidSlug(id_or_alias)) {
    return Status::InvalidArgument("cannot register service " + quoted +
                                   ": must be a slug ([a-z0-9-], 1-63 chars)");
  }
  std::unique_lock lock(mu_);
  if (auto index = catalog_.IndexOf(id_or_alias)) {  // registered meanwhile by another thread
    return ServiceRef{*index, catalog_.services()[*index].id};
  }
  if (catalog_.size() >= max_services_) {
    return Status::ResourceExhausted("service limit reached (" + std::to_string(max_services_) +
                                     "); cannot register " + quoted);
  }
  catalog::Service s;
  s.id = std::string(id_or_alias);
  s.name = s.id;
  s.category = "other";
  s.problems = catalog::DefaultProblems();
  s.auto_registered = true;
  OM_ASSIGN_OR_RETURN(uint32_t index, catalog_.Add(std::move(s)));
  return ServiceRef{index, std::string(id_or_alias)};
}

std::optional<catalog::Service> ServiceRegistry::Find(std::string_view id_or_alias) const {
  std::shared_lock lock(mu_);
  const catalog::Service* s = catalog_.Find(id_or_alias);
  if (!s) return std::nullopt;
  return *s;
}

bool ServiceRegistry::HasProblem(uint32_t index, std::string_view problem) const {
  std::shared_lock lock(mu_);
  return catalog_.HasProblem(index, problem);
}

std::string ServiceRegistry::ProblemList(uint32_t index) const {
  std::shared_lock lock(mu_);
  std::string out;
  if (index >= catalog_.size()) return out;
  for (const auto& p : catalog_.services()[index].problems) {
    if (!out.empty()) out += ", ";
    out += p;
  }
  return out;
}

std::vector<catalog::Service> ServiceRegistry::Services() const {
  std::shared_lock lock(mu_);
  return catalog_.services();
}

size_t ServiceRegistry::size() const {
  std::shared_lock lock(mu_);
  return catalog_.size();
}

}  // namespace om::ingest
