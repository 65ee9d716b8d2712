#include "ingest/service_registry.h"

#include <algorithm>
#include <mutex>

#include "base/check.h"

namespace om::ingest {

ServiceRegistry::ServiceRegistry(catalog::Catalog catalog, RegistryOptions options)
    : catalog_(std::move(catalog)), kept_(catalog_.size()), options_(options) {
  OM_CHECK(options_.max_problem_types >= 1) << "max_problem_types must be at least 1";
}

ServiceRegistry::Seen ServiceRegistry::SeenLocked(uint32_t index, std::string_view problem) const {
  if (problem.empty() || catalog_.HasProblem(index, problem)) return Seen::kListed;
  const std::vector<std::string>& kept = kept_[index];
  if (std::find(kept.begin(), kept.end(), problem) != kept.end()) return Seen::kKept;
  const size_t types = catalog_.services()[index].problems.size() + kept.size();
  return types < options_.max_problem_types ? Seen::kNew : Seen::kOverBound;
}

ServiceRef ServiceRegistry::RefLocked(uint32_t index, Seen seen) const {
  const catalog::Service& service = catalog_.services()[index];
  ProblemFit fit = ProblemFit::kListed;
  if (seen == Seen::kOverBound) {
    fit = ProblemFit::kAsOther;
  } else if (seen != Seen::kListed && !service.auto_registered) {
    // An auto-registered service has no list of its own: any type within the bound is its own.
    fit = ProblemFit::kKept;
  }
  return ServiceRef{index, service.id, fit, seen == Seen::kNew};
}

ProblemFit ServiceRegistry::KeepProblem(uint32_t index, std::string_view problem) {
  WriterLock lock(mu_);
  Seen seen = SeenLocked(index, problem);  // another thread may have kept types meanwhile
  if (seen == Seen::kNew) kept_[index].emplace_back(problem);
  return RefLocked(index, seen == Seen::kNew ? Seen::kKept : seen).fit;
}

Result<ServiceRef> ServiceRegistry::Resolve(std::string_view id_or_alias,
                                            std::string_view problem) {
  {
    // A known service takes the lock once, shared.
    ReaderLock lock(mu_);
    if (std::optional<uint32_t> index = catalog_.IndexOf(id_or_alias)) {
      return RefLocked(*index, SeenLocked(*index, problem));
    }
  }
  std::string quoted = "\"" + std::string(id_or_alias.substr(0, 64)) + "\"";
  if (!options_.auto_register_services) return Status::NotFound("unknown service " + quoted);
  // Lookups ignore case and surrounding blanks, so registration does too: "Acme " is "acme".
  std::string slug = catalog::NormalizeSlug(id_or_alias);
  if (!catalog::IsValidSlug(slug)) {
    return Status::InvalidArgument("cannot register service " + quoted +
                                   ": must be a slug ([a-z0-9-], 1-63 chars)");
  }
  WriterLock lock(mu_);
  std::optional<uint32_t> index = catalog_.IndexOf(slug);  // maybe registered meanwhile
  if (!index) {
    if (catalog_.size() >= options_.max_services) {
      return Status::ResourceExhausted(
          "service limit reached (ingest.max_services = " + std::to_string(options_.max_services) +
          "); cannot register " + quoted);
    }
    catalog::Service s;
    s.id = slug;
    s.name = slug;
    s.category = "other";
    s.problems = catalog::DefaultProblems();
    s.auto_registered = true;
    OM_ASSIGN_OR_RETURN(index, catalog_.Add(std::move(s)));
    kept_.emplace_back();
  }
  return RefLocked(*index, SeenLocked(*index, problem));
}

std::optional<catalog::Service> ServiceRegistry::Find(std::string_view id_or_alias) const {
  ReaderLock lock(mu_);
  const catalog::Service* s = catalog_.Find(id_or_alias);
  if (!s) return std::nullopt;
  return *s;
}

std::vector<std::string> ServiceRegistry::KeptProblems(uint32_t index) const {
  ReaderLock lock(mu_);
  return index < kept_.size() ? kept_[index] : std::vector<std::string>{};
}

std::vector<catalog::Service> ServiceRegistry::Services() const {
  ReaderLock lock(mu_);
  return catalog_.services();
}

size_t ServiceRegistry::size() const {
  ReaderLock lock(mu_);
  return catalog_.size();
}

}  // namespace om::ingest
