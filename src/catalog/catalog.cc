#include "catalog/catalog.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "base/check.h"
#include "base/status.h"

// toml++ header-only without exceptions (the om_toml target, see the root CMakeLists.txt), so
// toml::parse returns a toml::parse_result and never throws.
#include <toml++/toml.h>

#include "config/toml_text.h"

// The bytes of data/catalog.toml, linked in by om_embed_file() in CMakeLists.txt.
// The symbol names are the build's, not ours to style.
extern "C" const char om_embed_catalog_begin[];  // NOLINT(readability-identifier-naming)
extern "C" const char om_embed_catalog_end[];    // NOLINT(readability-identifier-naming)

namespace om::catalog {
namespace {

constexpr size_t kMaxSlugBytes = 63;
// Longest name, alias or component; also the longest key Find() can match.
constexpr size_t kMaxTextBytes = 100;
constexpr size_t kMaxUrlBytes = 2048;
constexpr uintmax_t kMaxFileBytes = uintmax_t{16} << 20;
constexpr int64_t kFormatVersion = 1;
constexpr std::string_view kSlugRule = "must be a slug ([a-z0-9-], 1-63 chars)";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

const std::vector<std::string>& StatusFormats() {
  static const std::vector<std::string> kFormats = {"statuspage", "rss", "atom", "none"};
  return kFormats;
}

// The rule a name, alias or component breaks, or "" if it is fine.
std::string CheckText(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > kMaxTextBytes) return "must be at most 100 bytes";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "must not contain control characters";
  }
  return "";
}

std::string CheckUrl(std::string_view s) {
  std::string_view rest;
  if (s.starts_with("https://")) {
    rest = s.substr(8);
  } else if (s.starts_with("http://")) {
    rest = s.substr(7);
  } else {
    return "must start with http:// or https://";
  }
  if (s.size() > kMaxUrlBytes) return "must be at most 2048 bytes";
  if (rest.empty() || rest.front() == '/') return "must name a host";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return "must not contain spaces or control characters";
  }
  return "";
}

// A rule broken by one field of a service: `field` is "name", "aliases[2]", ...
struct FieldIssue {
  std::string field;
  std::string reason;
};

std::string Indexed(std::string_view key, size_t i) {
  std::string out(key);
  out += '[';
  out += std::to_string(i);
  out += ']';
  return out;
}

// Checks the elements of a list field with `check` and rejects duplicates (ASCII-case-folded).
std::optional<FieldIssue> CheckList(std::string_view key, const std::vector<std::string>& items,
                                    std::string (*check)(std::string_view)) {
  for (size_t i = 0; i < items.size(); ++i) {
    std::string reason = check(items[i]);
    if (!reason.empty()) return FieldIssue{Indexed(key, i), std::move(reason)};
    const std::string folded = Lower(items[i]);
    for (size_t j = 0; j < i; ++j) {
      if (Lower(items[j]) == folded) {
        return FieldIssue{Indexed(key, i), "duplicate of " + Indexed(key, j)};
      }
    }
  }
  return std::nullopt;
}

std::string CheckSlug(std::string_view s) { return IsValidSlug(s) ? "" : std::string(kSlugRule); }

// Checks every rule of docs/formats/catalog.md that concerns one service alone.
std::optional<FieldIssue> CheckService(const Service& s) {
  if (!IsValidSlug(s.id)) return FieldIssue{"id", std::string(kSlugRule)};
  if (std::string reason = CheckText(s.name); !reason.empty()) {
    return FieldIssue{"name", std::move(reason)};
  }
  if (!IsValidCategory(s.category)) {
    return FieldIssue{"category", "must be one of: " + JoinList(Categories())};
  }
  if (auto issue = CheckList("aliases", s.aliases, CheckText)) return issue;
  for (size_t i = 0; i < s.aliases.size(); ++i) {
    if (Lower(s.aliases[i]) == s.id) return FieldIssue{Indexed("aliases", i), "same as the id"};
  }
  if (s.problems.empty()) return FieldIssue{"problems", "must not be empty"};
  if (auto issue = CheckList("problems", s.problems, CheckSlug)) return issue;
  if (std::find(s.problems.begin(), s.problems.end(), "other") == s.problems.end()) {
    return FieldIssue{"problems", "must contain \"other\" (the problem of reports that name none)"};
  }
  if (auto issue = CheckList("components", s.components, CheckText)) return issue;
  if (auto issue = CheckList("depends_on", s.depends_on, CheckSlug)) return issue;
  for (size_t i = 0; i < s.depends_on.size(); ++i) {
    if (s.depends_on[i] == s.id) {
      return FieldIssue{Indexed("depends_on", i), "a service cannot depend on itself"};
    }
  }
  if (!s.status_url.empty()) {
    if (std::string reason = CheckUrl(s.status_url); !reason.empty()) {
      return FieldIssue{"status_url", std::move(reason)};
    }
  }
  const auto& formats = StatusFormats();
  if (std::find(formats.begin(), formats.end(), s.status_format) == formats.end()) {
    return FieldIssue{"status_format", "must be one of: " + JoinList(formats)};
  }
  if (s.status_format != "none" && s.status_url.empty()) {
    return FieldIssue{"status_format", Quote(s.status_format) + " requires a status_url"};
  }
  return std::nullopt;
}

// Trims text fields, fills defaults for empty ones (as Add() documents).
void Normalize(Service& s) {
  s.id = std::string(Trim(s.id));
  s.name = std::string(Trim(s.name));
  if (s.name.empty()) s.name = s.id;
  if (s.category.empty()) s.category = "other";
  for (std::string& a : s.aliases) a = std::string(Trim(a));
  for (std::string& c : s.components) c = std::string(Trim(c));
  if (s.problems.empty()) s.problems = DefaultProblems();
  if (s.status_format.empty()) s.status_format = "none";
}

// ---- TOML reading
// --------------------------------------------------------------------------------

// Builds "source:line: field: reason" errors.
class TomlErrors {
 public:
  explicit TomlErrors(std::string_view source) : source_(source) {}

  std::string Where(const toml::source_region& region) const {
    std::string out(source_);
    if (region.begin.line > 0) {
      out += ':';
      out += std::to_string(region.begin.line);
    }
    return out;
  }

  Status At(const toml::node& node, std::string_view field, std::string_view reason) const {
    return Status::InvalidArgument(Where(node.source()) + ": " + std::string(field) + ": " +
                                   std::string(reason));
  }

 private:
  std::string_view source_;
};

Result<std::string> ReadString(const TomlErrors& errors, const toml::node& node,
                               const std::string& field) {
  const auto* value = node.as_string();
  if (value == nullptr) return errors.At(node, field, "must be a string");
  return std::string(Trim(value->get()));
}

Result<std::vector<std::string>> ReadStringArray(const TomlErrors& errors, const toml::node& node,
                                                 const std::string& field) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return errors.At(node, field, "must be an array of strings");
  std::vector<std::string> out;
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* value = element.as_string();
    if (value == nullptr) return errors.At(element, field + Indexed("", i), "must be a string");
    out.emplace_back(Trim(value->get()));
  }
  return out;
}

// The node a FieldIssue is about ("aliases[2]" -> that element), for its line; `table` if absent.
const toml::node& NodeOf(const toml::table& table, const std::string& field) {
  const size_t bracket = field.find('[');
  const toml::node* node = table.get(std::string_view(field).substr(0, bracket));
  if (node == nullptr) return table;
  if (bracket != std::string::npos && node->is_array()) {
    size_t i = 0;
    const char* digits = field.data() + bracket + 1;
    std::from_chars(digits, field.data() + field.size(), i);
    if (const toml::node* element = node->as_array()->get(i)) return *element;
  }
  return *node;
}

Result<Service> ReadService(const TomlErrors& errors, const toml::table& table,
                            const std::string& path) {
  Service s;
  bool has_problems = false;
  for (auto&& [key, node] : table) {
    const std::string field = path + "." + std::string(key.str());
    const std::string_view k = key.str();
    if (k == "id") {
      OM_ASSIGN_OR_RETURN(s.id, ReadString(errors, node, field));
    } else if (k == "name") {
      OM_ASSIGN_OR_RETURN(s.name, ReadString(errors, node, field));
    } else if (k == "category") {
      OM_ASSIGN_OR_RETURN(s.category, ReadString(errors, node, field));
    } else if (k == "aliases") {
      OM_ASSIGN_OR_RETURN(s.aliases, ReadStringArray(errors, node, field));
    } else if (k == "problems") {
      OM_ASSIGN_OR_RETURN(s.problems, ReadStringArray(errors, node, field));
      has_problems = true;
    } else if (k == "components") {
      OM_ASSIGN_OR_RETURN(s.components, ReadStringArray(errors, node, field));
    } else if (k == "depends_on") {
      OM_ASSIGN_OR_RETURN(s.depends_on, ReadStringArray(errors, node, field));
    } else if (k == "status_url") {
      OM_ASSIGN_OR_RETURN(s.status_url, ReadString(errors, node, field));
    } else if (k == "status_format") {
      OM_ASSIGN_OR_RETURN(s.status_format, ReadString(errors, node, field));
    } else {
      return errors.At(node, field, "unknown key");
    }
  }
  for (std::string_view required : {"id", "name"}) {
    if (!table.contains(required)) {
      return errors.At(table, path + "." + std::string(required), "required key is missing");
    }
  }
  if (s.category.empty() && !table.contains("category")) s.category = "other";
  if (!has_problems) s.problems = DefaultProblems();
  if (auto issue = CheckService(s)) {
    return errors.At(NodeOf(table, issue->field), path + "." + issue->field, issue->reason);
  }
  return s;
}

}  // namespace

const std::vector<std::string>& DefaultProblems() {
  static const std::vector<std::string> kProblems = {"login", "email",   "server-connection",
                                                     "app",   "website", "other"};
  return kProblems;
}

const std::vector<std::string>& Categories() {
  static const std::vector<std::string> kCategories = {
      "ai",          "banking",      "cloud",     "communication", "delivery", "developer",
      "dns-hosting", "email",        "finance",   "gaming",        "isp",      "mobile",
      "payments",    "productivity", "retail",    "security",      "shipping", "smart-home",
      "social",      "streaming",    "transport", "travel",        "other"};
  return kCategories;
}

bool IsValidSlug(std::string_view s) {
  if (s.empty() || s.size() > kMaxSlugBytes) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (c != '-' || i == 0)) return false;
  }
  return true;
}

std::string NormalizeSlug(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  s = s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsValidCategory(std::string_view s) {
  const auto& categories = Categories();
  return std::find(categories.begin(), categories.end(), s) != categories.end();
}

Result<Catalog> Catalog::Parse(std::string_view toml_text, std::string_view source_name) {
  const TomlErrors errors(source_name);
  OM_ASSIGN_OR_RETURN(const toml::table root, config::ParseToml(toml_text, source_name));

  Catalog catalog;
  for (auto&& [key, node] : root) {
    const std::string_view k = key.str();
    if (k == "version") {
      const auto* version = node.as_integer();
      if (version == nullptr || version->get() != kFormatVersion) {
        return errors.At(node, "version", "must be the integer 1 (the only format version)");
      }
    } else if (k == "service") {
      const toml::array* array = node.as_array();
      if (array == nullptr) {
        return errors.At(node, "service", "must be an array of tables ([[service]])");
      }
      for (size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        const std::string path = Indexed("service", i);
        const toml::table* table = element.as_table();
        if (table == nullptr) return errors.At(element, path, "must be a table");
        OM_ASSIGN_OR_RETURN(Service service, ReadService(errors, *table, path));
        catalog.services_.push_back(std::move(service));
        catalog.origins_.push_back(errors.Where(table->source()) + ": " + path);
      }
    } else {
      return errors.At(node, k, "unknown key (expected \"service\" or \"version\")");
    }
  }
  if (catalog.services_.size() > UINT32_MAX) {
    return Status::InvalidArgument(std::string(source_name) + ": too many services");
  }
  OM_RETURN_IF_ERROR(catalog.BuildIndex());
  return catalog;
}

Result<Catalog> Catalog::LoadBuiltin() {
  const std::string_view text(om_embed_catalog_begin,
                              static_cast<size_t>(om_embed_catalog_end - om_embed_catalog_begin));
  OM_ASSIGN_OR_RETURN(Catalog catalog, Parse(text, "builtin:catalog.toml"));
  OM_RETURN_IF_ERROR(catalog.Validate());
  return catalog;
}

Result<Catalog> Catalog::LoadFile(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return Status::NotFound("catalog file " + path + ": not found");
    }
    return Status::IoError("catalog file " + path + ": " + ec.message());
  }
  if (size > kMaxFileBytes) {
    return Status::InvalidArgument("catalog file " + path + ": larger than 16 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("catalog file " + path + ": cannot open");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IoError("catalog file " + path + ": read failed");
  return Parse(text, path);
}

Status Catalog::BuildIndex() {
  index_.clear();
  index_.reserve(services_.size() * 3);
  // Ids first, so that an alias clashing with an id is reported against the alias.
  for (uint32_t i = 0; i < services_.size(); ++i) {
    auto [it, inserted] = index_.emplace(services_[i].id, i);
    if (!inserted) {
      return Status::InvalidArgument(origins_[i] + ".id: duplicate id " + Quote(services_[i].id) +
                                     " (first at " + origins_[it->second] + ")");
    }
  }
  for (uint32_t i = 0; i < services_.size(); ++i) {
    const Service& s = services_[i];
    for (size_t a = 0; a < s.aliases.size(); ++a) {
      auto [it, inserted] = index_.emplace(Lower(s.aliases[a]), i);
      if (!inserted && it->second != i) {
        const Service& other = services_[it->second];
        return Status::InvalidArgument(origins_[i] + "." + Indexed("aliases", a) + ": alias " +
                                       Quote(s.aliases[a]) + " of " + Quote(s.id) +
                                       " is already the id or an alias of " + Quote(other.id) +
                                       " (" + origins_[it->second] + ")");
      }
    }
  }
  return Status::Ok();
}

Status Catalog::Validate() const {
  const size_t n = services_.size();
  // dependencies[i]: indexes of the services that services_[i] depends on.
  std::vector<std::vector<uint32_t>> dependencies(n);
  for (size_t i = 0; i < n; ++i) {
    const Service& s = services_[i];
    for (size_t d = 0; d < s.depends_on.size(); ++d) {
      auto it = index_.find(std::string_view(s.depends_on[d]));
      if (it == index_.end() || services_[it->second].id != s.depends_on[d]) {
        return Status::InvalidArgument(origins_[i] + "." + Indexed("depends_on", d) + ": " +
                                       Quote(s.id) + " depends on unknown service " +
                                       Quote(s.depends_on[d]));
      }
      dependencies[i].push_back(it->second);
    }
  }

  // Iterative depth-first search; a dependency on a service still on the stack closes a cycle.
  enum class Mark : uint8_t { kUnvisited, kOnStack, kDone };
  std::vector<Mark> marks(n, Mark::kUnvisited);
  struct Frame {
    uint32_t node;
    size_t next;  // next entry of dependencies[node] to visit
  };
  std::vector<Frame> stack;
  for (uint32_t root = 0; root < n; ++root) {
    if (marks[root] != Mark::kUnvisited) continue;
    marks[root] = Mark::kOnStack;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next == dependencies[top.node].size()) {
        marks[top.node] = Mark::kDone;
        stack.pop_back();
        continue;
      }
      const uint32_t dep = dependencies[top.node][top.next++];
      if (marks[dep] == Mark::kOnStack) {
        std::string cycle;
        auto first = std::find_if(stack.begin(), stack.end(),
                                  [dep](const Frame& f) { return f.node == dep; });
        for (auto f = first; f != stack.end(); ++f) cycle += services_[f->node].id + " -> ";
        cycle += services_[dep].id;
        return Status::InvalidArgument(origins_[dep] + ": dependency cycle: " + cycle);
      }
      if (marks[dep] == Mark::kUnvisited) {
        marks[dep] = Mark::kOnStack;
        stack.push_back({dep, 0});
      }
    }
  }
  return Status::Ok();
}

Status Catalog::Merge(const Catalog& other) {
  Catalog merged = *this;
  for (size_t j = 0; j < other.services_.size(); ++j) {
    const Service& s = other.services_[j];
    auto it = index_.find(std::string_view(s.id));
    if (it != index_.end() && services_[it->second].id == s.id) {
      merged.services_[it->second] = s;
      merged.origins_[it->second] = other.origins_[j];
    } else {
      merged.services_.push_back(s);
      merged.origins_.push_back(other.origins_[j]);
    }
  }
  if (merged.services_.size() > UINT32_MAX) return Status::InvalidArgument("too many services");
  OM_RETURN_IF_ERROR(merged.BuildIndex());
  OM_RETURN_IF_ERROR(merged.Validate());
  *this = std::move(merged);
  return Status::Ok();
}

std::optional<uint32_t> Catalog::IndexOf(std::string_view id_or_alias) const {
  std::string_view key = Trim(id_or_alias);
  if (key.empty() || key.size() > kMaxTextBytes) return std::nullopt;
  char lowered[kMaxTextBytes];
  if (std::any_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    std::transform(key.begin(), key.end(), lowered, LowerAscii);
    key = std::string_view(lowered, key.size());
  }
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

const Service* Catalog::Find(std::string_view id_or_alias) const {
  const std::optional<uint32_t> index = IndexOf(id_or_alias);
  return index ? &services_[*index] : nullptr;
}

Result<uint32_t> Catalog::Add(Service service) {
  Normalize(service);
  service.auto_registered = true;
  const std::string context = "auto-registered service " + Quote(service.id);
  if (!IsValidSlug(service.id)) {
    return Status::InvalidArgument(context + ": id: " + std::string(kSlugRule));
  }
  if (auto it = index_.find(std::string_view(service.id)); it != index_.end()) {
    return Status::AlreadyExists(context + ": already the id or an alias of " +
                                 Quote(services_[it->second].id));
  }
  if (auto issue = CheckService(service)) {
    return Status::InvalidArgument(context + ": " + issue->field + ": " + issue->reason);
  }
  for (size_t a = 0; a < service.aliases.size(); ++a) {
    if (auto it = index_.find(Lower(service.aliases[a])); it != index_.end()) {
      return Status::InvalidArgument(
          context + ": " + Indexed("aliases", a) + ": " + Quote(service.aliases[a]) +
          " is already the id or an alias of " + Quote(services_[it->second].id));
    }
  }
  for (size_t d = 0; d < service.depends_on.size(); ++d) {
    auto it = index_.find(std::string_view(service.depends_on[d]));
    if (it == index_.end() || services_[it->second].id != service.depends_on[d]) {
      return Status::InvalidArgument(context + ": " + Indexed("depends_on", d) +
                                     ": unknown service " + Quote(service.depends_on[d]));
    }
  }
  if (services_.size() >= UINT32_MAX) return Status::ResourceExhausted("catalog is full");
  const auto index = static_cast<uint32_t>(services_.size());
  index_.emplace(service.id, index);
  for (const std::string& alias : service.aliases) index_.emplace(Lower(alias), index);
  services_.push_back(std::move(service));
  origins_.push_back(context);
  return index;
}

bool Catalog::HasProblem(uint32_t index, std::string_view problem) const {
  OM_DCHECK(index < services_.size()) << "index " << index << " of " << services_.size();
  const std::vector<std::string>& problems = services_[index].problems;
  return std::find(problems.begin(), problems.end(), problem) != problems.end();
}

}  // namespace om::catalog
