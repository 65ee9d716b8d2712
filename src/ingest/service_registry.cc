#include "ingest/service_registry.h"

#include <algorithm>
#include <cctype>
#include <mutex>

namespace om::ingest {

ServiceRegistry::ServiceRegistry(catalog::Catalog catalog, bool auto_register, size_t max_services)
    : catalog_(std::move(catalog)), auto_register_(auto_register), max_services_(max_services) {}

Result<ServiceRef> ServiceRegistry::Resolve(std::string_view id_or_alias,
                                            std::string_view problem) {
  {
    std::shared_lock lock(mu_);
    if (auto index = catalog_.IndexOf(id_or_alias)) {
      return ServiceRef{*index, catalog_.services()[*index].id,
                        !problem.empty() && catalog_.HasProblem(*index, problem)};
    }
  }
  std::string quoted = "\"" + std::string(id_or_alias.substr(0, 64)) + "\"";
  if (!auto_register_) return Status::NotFound("unknown service " + quoted);
  // Lookups ignore case and surrounding blanks, so registration does too: "Acme " is "acme".
  std::string slug(id_or_alias);
  while (!slug.empty() && std::isspace(static_cast<unsigned char>(slug.back()))) slug.pop_back();
  slug.erase(0, slug.find_first_not_of(" \t"));
  for (char& c : slug) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  id_or_alias = slug;
  if (!catalog::IsValidSlug(id_or_alias)) {
    return Status::InvalidArgument("cannot register service " + quoted +
                                   ": must be a slug ([a-z0-9-], 1-63 chars)");
  }
  std::unique_lock lock(mu_);
  if (auto index = catalog_.IndexOf(id_or_alias)) {  // registered meanwhile by another thread
    return ServiceRef{*index, catalog_.services()[*index].id,
                      !problem.empty() && catalog_.HasProblem(*index, problem)};
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
  return ServiceRef{index, std::string(id_or_alias),
                    !problem.empty() && catalog_.HasProblem(index, problem)};
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
