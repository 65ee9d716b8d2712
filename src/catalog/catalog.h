#pragma once
// The service catalog: which services outagemap knows (id, display name, category, aliases, the
// problems people can report, components, upstream dependencies, official status source).
//
// A Catalog is built once at start-up — the built-in data/catalog.toml (embedded in the binary),
// optionally merged with a user catalog file — and is then read on the report hot path (Find,
// IndexOf, HasProblem). Services unknown to the catalog are appended on the fly with Add(); indexes
// returned by IndexOf/Add never change, so other modules may key their state by them.
//
// The TOML format is specified in docs/formats/catalog.md.
//
// Thread-safety: not thread-safe. Build it on one thread, then share it read-only (const methods
// may be called concurrently when no thread mutates). The ingest module wraps it behind a lock for
// concurrent auto-registration. Returned `const Service*` pointers are invalidated by Merge and
// Add; indexes are not.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace om::catalog {

// One service people can report problems with. A regular value type.
struct Service {
  std::string id;        // slug, unique in the catalog: [a-z0-9][a-z0-9-]{0,62}
  std::string name;      // display name, e.g. "Microsoft 365"
  std::string category;  // one of Categories()
  // Other names that Find() resolves to this service, matched ASCII-case-insensitively after
  // trimming. Stored as written (trimmed).
  std::vector<std::string> aliases;
  std::vector<std::string> problems;  // problem slugs accepted in reports; always contains "other"
  std::vector<std::string> components;  // display names of parts of the service
  std::vector<std::string> depends_on;  // ids of upstream services in the same catalog
  std::string status_url;               // official status source; empty when unknown
  std::string status_format = "none";   // "statuspage" | "rss" | "atom" | "none"
  bool auto_registered = false;         // created on the fly for an unknown id (Add)

  bool operator==(const Service&) const = default;
};

// The problems of a service that does not list its own:
// login, email, server-connection, app, website, other.
const std::vector<std::string>& DefaultProblems();

// The fixed list of categories: alphabetical (ai, banking, cloud, ...), then "other".
const std::vector<std::string>& Categories();

// True if `s` matches [a-z0-9][a-z0-9-]{0,62}.
bool IsValidSlug(std::string_view s);

// `s` without surrounding blanks and in ASCII lower case: how a service id or problem type that
// someone typed ("Internet ") is read before IsValidSlug judges it.
std::string NormalizeSlug(std::string_view s);

// True if `s` is one of Categories().
bool IsValidCategory(std::string_view s);

class Catalog {
 public:
  // An empty catalog.
  Catalog() = default;

  // Parses catalog TOML; `source_name` (e.g. a file path) prefixes error messages.
  // Checks the syntax, every key's type and rules, duplicate ids and clashing aliases within this
  // text. References to other services (depends_on) are not resolved here, because a user catalog
  // may name built-in services: Validate() and Merge() check them.
  // Returns kInvalidArgument naming source, line and field, e.g.
  //   "catalog.toml:12: service[3].id: must be a slug ([a-z0-9-], 1-63 chars)"
  // (service indexes count from 0 in file order).
  static Result<Catalog> Parse(std::string_view toml_text, std::string_view source_name);

  // Parses and validates the catalog embedded from data/catalog.toml. An error here is a build
  // defect (the unit tests load it), reported as kInvalidArgument.
  static Result<Catalog> LoadBuiltin();

  // Reads and parses the file at `path` (not validated: merge it into the built-in catalog or
  // call Validate()). Returns kNotFound naming `path` if it does not exist, kIoError if it cannot
  // be read, kInvalidArgument as Parse() or if it is larger than 16 MiB.
  static Result<Catalog> LoadFile(const std::string& path);

  // Checks references across services: every depends_on id exists, the dependency graph has no
  // cycle. Returns kInvalidArgument naming the services involved (a cycle as "a -> b -> a").
  Status Validate() const;

  // Adds `other`'s services: one whose id is already present replaces it in place (a user catalog
  // overrides the built-in; the index is kept), others are appended in `other`'s order. Then checks
  // the result: an alias clashing with another service's id or alias, an unknown depends_on id or a
  // dependency cycle returns kInvalidArgument naming both sides, and leaves this catalog unchanged.
  Status Merge(const Catalog& other);

  // Returns the service whose id or alias is `id_or_alias` (ASCII-case-insensitive, surrounding
  // whitespace ignored), or nullptr if none. Average O(1), no allocation.
  const Service* Find(std::string_view id_or_alias) const;

  // Returns the index in services() of the service Find() would return, or nullopt.
  std::optional<uint32_t> IndexOf(std::string_view id_or_alias) const;

  // All services: built-in order, then merged, then auto-registered ones.
  const std::vector<Service>& services() const { return services_; }
  size_t size() const { return services_.size(); }

  // Appends `service` marked auto_registered and returns its index. Empty fields get defaults:
  // name = id, category "other", problems DefaultProblems(), status_format "none".
  // Returns kAlreadyExists if the id already names a service (as id or alias), kInvalidArgument if
  // the id is not a slug or another field breaks a rule of docs/formats/catalog.md (including an
  // alias already in use or an unknown depends_on id). The catalog is unchanged on error.
  Result<uint32_t> Add(Service service);

  // True if the service at `index` accepts reports of `problem` (exact, case-sensitive slug).
  // REQUIRES: index < size().
  bool HasProblem(uint32_t index, std::string_view problem) const;

 private:
  // Hash for heterogeneous lookup by std::string_view.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  // Recomputes index_ from services_; kInvalidArgument when an id or alias names two services.
  Status BuildIndex();

  std::vector<Service> services_;
  // Where each service was defined ("catalog.toml:12", "auto-registered"), parallel to services_;
  // used in error messages.
  std::vector<std::string> origins_;
  // Lower-cased id or alias -> index in services_.
  std::unordered_map<std::string, uint32_t, KeyHash, std::equal_to<>> index_;
};

}  // namespace om::catalog
