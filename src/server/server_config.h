#pragma once
// ServerConfig gathers every module's Options struct. The defaults are the initialisers of those
// structs; LoadServerConfig() overrides the fields a TOML file sets. README.md's configuration
// table lists every key below with its default, and a test holds it to that
// (server_config_test.cc: ConfigurationTableListsEveryKeyWithItsDefault).

#include <string>

#include "alerts/notifier.h"
#include "api/api_options.h"
#include "api/http_server.h"
#include "api/live_events.h"
#include "base/option_key.h"
#include "base/status.h"
#include "cluster/report_stream.h"
#include "config/config_file.h"
#include "detect/detector.h"
#include "ingest/ingestor.h"
#include "official/official_status.h"
#include "store/store.h"

namespace om::server {

struct ServerConfig {
  api::HttpServerOptions http;
  api::ApiOptions api;
  api::LiveEventsOptions live;
  // public_url empty: "http://" + server.listen.
  alerts::NotifierOptions notifier{.public_url = ""};
  official::OfficialOptions official;
  // Only these services' official sources are polled; empty: every service with one.
  std::vector<std::string> official_services;
  // An unresolved incident without an update for this long gets a "still ongoing" update.
  std::chrono::minutes remind_every{0};
  // Dependents that fail with their upstream join its incident (one notification, not thirty).
  bool group_dependents = true;
  // Followers hear of a cascade's dependents once it pauses for a minute, or after this long.
  std::chrono::minutes group_wait{5};
  store::StoreOptions store;
  // Cluster mode when `servers` is set (docs/cluster.md); node_id empty: the host name.
  cluster::ClusterOptions cluster{.servers = {}, .node_id = ""};
  ingest::IngestOptions ingest;
  detect::DetectOptions detect;
  // Auto-registration of unknown services, and the bound on problem types per service.
  ingest::RegistryOptions registry;
  // Path of a MaxMind/DB-IP city .mmdb for placing reports by IP; empty disables it.
  std::string ip_database;
  // A user catalog TOML merged into the built-in one; empty for none.
  std::string catalog_file;
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kServerOptionKeys[] = {
    {"notify.remind_every_minutes", OptionType::kInt, "min", 0, 10080,
     "an unresolved incident without an update for this long gets a \"still ongoing\" update, and "
     "so a notification; 0 sends no reminders"},
    {"notify.group_dependents", OptionType::kBool, "", 0, 0,
     "a dependent that fails with its upstream (catalog `depends_on`, or learned) joins the "
     "upstream's incident, so a cascade is one incident and a few notifications; `false` keeps one "
     "incident per service"},
    {"notify.group_wait_minutes", OptionType::kInt, "min", 0, 60,
     "followers hear of the dependents that joined an incident once the cascade pauses for a "
     "minute, or this long after the first joined (one \"Also affected\" update for all); 0 tells "
     "each minute's arrivals at once"},
    {"geo.ip_database", OptionType::kString, "", 0, 0,
     "a MaxMind/DB-IP **city** `.mmdb` for placing reports by IP; empty disables"},
    {"catalog.file", OptionType::kString, "", 0, 0,
     "a user service catalog (TOML) merged into the built-in one "
     "([format](docs/formats/catalog.md))"},
    {"official.services", OptionType::kStringList, "", 0, 0,
     "only these services' sources are polled; empty: every service with one"},
};

// Applies the TOML file at `path` to `config`. Errors name file, line and key
// (kInvalidArgument), or the path (kNotFound, kIoError).
Status LoadServerConfig(const std::string& path, ServerConfig& config);
// The same for a parsed file; afterwards file.Settled() lists every key with its value.
Status ApplyServerConfig(config::ConfigFile& file, ServerConfig& config);

// Every key of the configuration file, as the modules declare them next to their Options structs
// (the order of README.md's table is not implied).
const std::vector<OptionKey>& DeclaredOptionKeys();

}  // namespace om::server
