#include "config/config_file.h"

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/toml_text.h"

namespace om::config {

struct ConfigFile::Impl {
  std::string source = "config";
  toml::table table;
  std::set<std::string> used;
  std::map<std::string, std::string> settled;  // see Settled()

  std::string Where(const toml::node& node, std::string_view key) const {
    return source + ":" + std::to_string(node.source().begin.line) + ": " + std::string(key);
  }
  const toml::node* Find(std::string_view key) {
    used.insert(std::string(key));
    return table.at_path(key).node();
  }
  void CollectLeaves(const toml::table& t, const std::string& prefix,
                     std::vector<std::pair<std::string, const toml::node*>>& out) const {
    for (const auto& [k, v] : t) {
      std::string path =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (const toml::table* sub = v.as_table()) {
        CollectLeaves(*sub, path, out);
      } else {
        out.emplace_back(path, &v);
      }
    }
  }
};

ConfigFile::ConfigFile() : impl_(std::make_unique<Impl>()) {}
ConfigFile::~ConfigFile() = default;
ConfigFile::ConfigFile(ConfigFile&&) noexcept = default;
ConfigFile& ConfigFile::operator=(ConfigFile&&) noexcept = default;

Result<ConfigFile> ConfigFile::Parse(std::string_view text, std::string_view source) {
  ConfigFile file;
  file.impl_->source = std::string(source);
  OM_ASSIGN_OR_RETURN(file.impl_->table, ParseToml(text, source));
  return file;
}

Result<ConfigFile> ConfigFile::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("config file " + path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError("config file " + path + ": read failed");
  return Parse(ss.str(), path);
}

Status ConfigFile::ReadInt(std::string_view key, int64_t min, int64_t max, int64_t& out) {
  const toml::node* node = impl_->Find(key);
  if (!node) return Status::Ok();
  auto v = node->value<int64_t>();
  if (!node->is_integer() || !v) {
    return Status::InvalidArgument(impl_->Where(*node, key) + ": must be an integer");
  }
  if (*v < min || *v > max) {
    return Status::InvalidArgument(impl_->Where(*node, key) +
                                   fmt::format(": must be between {} and {}", min, max));
  }
  out = *v;
  return Status::Ok();
}

Status ConfigFile::ReadDouble(std::string_view key, double min, double max, double& out) {
  const toml::node* node = impl_->Find(key);
  if (!node) return Status::Ok();
  std::optional<double> v = node->value<double>();  // integers convert too
  if (!(node->is_floating_point() || node->is_integer()) || !v) {
    return Status::InvalidArgument(impl_->Where(*node, key) + ": must be a number");
  }
  if (!(*v >= min && *v <= max)) {
    return Status::InvalidArgument(impl_->Where(*node, key) +
                                   fmt::format(": must be between {} and {}", min, max));
  }
  out = *v;
  return Status::Ok();
}

Status ConfigFile::ReadBool(std::string_view key, bool& out) {
  const toml::node* node = impl_->Find(key);
  if (!node) return Status::Ok();
  if (!node->is_boolean()) {
    return Status::InvalidArgument(impl_->Where(*node, key) + ": must be true or false");
  }
  out = *node->value<bool>();
  return Status::Ok();
}

Status ConfigFile::ReadString(std::string_view key, std::string& out) {
  const toml::node* node = impl_->Find(key);
  if (!node) return Status::Ok();
  if (!node->is_string()) {
    return Status::InvalidArgument(impl_->Where(*node, key) + ": must be a string");
  }
  out = *node->value<std::string>();
  return Status::Ok();
}

Status ConfigFile::ReadStringArray(std::string_view key, std::vector<std::string>& out) {
  const toml::node* node = impl_->Find(key);
  if (!node) return Status::Ok();
  const toml::array* array = node->as_array();
  if (!array) {
    return Status::InvalidArgument(impl_->Where(*node, key) + ": must be an array of strings");
  }
  std::vector<std::string> values;
  for (const toml::node& item : *array) {
    if (!item.is_string()) {
      return Status::InvalidArgument(impl_->Where(item, key) + ": must be an array of strings");
    }
    values.push_back(*item.value<std::string>());
  }
  out = std::move(values);
  return Status::Ok();
}

Status ConfigFile::GetEnum(std::string_view key, const std::vector<std::string>& allowed,
                           std::string& out) {
  std::string value = out;
  OM_RETURN_IF_ERROR(ReadString(key, value));
  for (const auto& a : allowed) {
    if (a == value) {
      out = value;
      impl_->settled[std::string(key)] = value;
      return Status::Ok();
    }
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return Status::InvalidArgument(impl_->Where(*impl_->table.at_path(key).node(), key) +
                                 ": must be one of " + list);
}

Status ConfigFile::GetInt(std::string_view key, int64_t min, int64_t max, int64_t& out) {
  OM_RETURN_IF_ERROR(ReadInt(key, min, max, out));
  impl_->settled[std::string(key)] = std::to_string(out);
  return Status::Ok();
}

Status ConfigFile::GetDouble(std::string_view key, double min, double max, double& out) {
  OM_RETURN_IF_ERROR(ReadDouble(key, min, max, out));
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, out);  // the shortest exact form
  impl_->settled[std::string(key)] = std::string(buf, ec == std::errc() ? end : buf);
  return Status::Ok();
}

Status ConfigFile::GetBool(std::string_view key, bool& out) {
  OM_RETURN_IF_ERROR(ReadBool(key, out));
  impl_->settled[std::string(key)] = out ? "true" : "false";
  return Status::Ok();
}

Status ConfigFile::GetString(std::string_view key, std::string& out) {
  OM_RETURN_IF_ERROR(ReadString(key, out));
  impl_->settled[std::string(key)] = out.empty() ? "\"\"" : out;
  return Status::Ok();
}

Status ConfigFile::GetStringArray(std::string_view key, std::vector<std::string>& out) {
  OM_RETURN_IF_ERROR(ReadStringArray(key, out));
  std::string text = "[";
  for (const auto& item : out) text += (text.size() > 1 ? ", \"" : "\"") + item + "\"";
  impl_->settled[std::string(key)] = text + "]";
  return Status::Ok();
}

std::map<std::string, std::string> ConfigFile::Settled() const { return impl_->settled; }

Status ConfigFile::CheckNoUnknownKeys() const {
  std::vector<std::pair<std::string, const toml::node*>> leaves;
  impl_->CollectLeaves(impl_->table, "", leaves);
  for (const auto& [path, node] : leaves) {
    if (!impl_->used.count(path)) {
      return Status::InvalidArgument(impl_->Where(*node, path) + ": unknown key");
    }
  }
  return Status::Ok();
}

}  // namespace om::config
