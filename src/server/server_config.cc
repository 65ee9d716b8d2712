#include "server/server_config.h"

#include "base/check.h"
#include "config/config_file.h"

namespace om::server {
namespace {

// The declaration of `key`; a key the server reads without declaring it is a programming error.
const OptionKey& DeclaredKey(std::string_view key, OptionType type) {
  for (const OptionKey& declared : DeclaredOptionKeys()) {
    if (declared.name == key) {
      OM_CHECK(declared.type == type) << key << " is read as another type than it is declared";
      return declared;
    }
  }
  OM_CHECK(false) << key << " is read but not declared next to its Options struct";
  __builtin_unreachable();
}

}  // namespace

const std::vector<OptionKey>& DeclaredOptionKeys() {
  static const std::vector<OptionKey>* const kKeys = [] {
    auto* all = new std::vector<OptionKey>;
    auto add = [all](const auto& declared) {
      all->insert(all->end(), std::begin(declared), std::end(declared));
    };
    add(api::kHttpServerOptionKeys);
    add(alerts::kNotifierOptionKeys);
    add(kServerOptionKeys);
    add(store::kStoreOptionKeys);
    add(ingest::kIngestOptionKeys);
    add(ingest::kRegistryOptionKeys);
    add(detect::kDetectOptionKeys);
    add(official::kOfficialOptionKeys);
    add(api::kApiOptionKeys);
    add(api::kLiveEventsOptionKeys);
    add(cluster::kClusterOptionKeys);
    return all;
  }();
  return *kKeys;
}

Status LoadServerConfig(const std::string& path, ServerConfig& config) {
  OM_ASSIGN_OR_RETURN(config::ConfigFile file, config::ConfigFile::Load(path));
  return ApplyServerConfig(file, config);
}

Status ApplyServerConfig(config::ConfigFile& file, ServerConfig& config) {
  // Every read names a declared key and takes its range from the declaration.
  auto get_int = [&](std::string_view key, auto& field) -> Status {
    const OptionKey& declared = DeclaredKey(key, OptionType::kInt);
    int64_t v = static_cast<int64_t>(field);
    OM_RETURN_IF_ERROR(file.GetInt(key, static_cast<int64_t>(declared.min),
                                   static_cast<int64_t>(declared.max), v));
    field = static_cast<std::remove_reference_t<decltype(field)>>(v);
    return Status::Ok();
  };
  auto get_duration = [&](std::string_view key, auto& field, int64_t unit_ms) -> Status {
    int64_t v = std::chrono::duration_cast<Duration>(field).count() / unit_ms;
    OM_RETURN_IF_ERROR(get_int(key, v));
    field =
        std::chrono::duration_cast<std::remove_reference_t<decltype(field)>>(Duration(v * unit_ms));
    return Status::Ok();
  };
  auto get_double = [&](std::string_view key, double& field) {
    const OptionKey& declared = DeclaredKey(key, OptionType::kDouble);
    return file.GetDouble(key, declared.min, declared.max, field);
  };
  auto get_bool = [&](std::string_view key, bool& field) {
    DeclaredKey(key, OptionType::kBool);
    return file.GetBool(key, field);
  };
  auto get_string = [&](std::string_view key, std::string& field) {
    DeclaredKey(key, OptionType::kString);
    return file.GetString(key, field);
  };
  auto get_strings = [&](std::string_view key, std::vector<std::string>& field) {
    DeclaredKey(key, OptionType::kStringList);
    return file.GetStringArray(key, field);
  };
  auto get_enum = [&](std::string_view key, const std::vector<std::string>& values,
                      std::string& field) {
    DeclaredKey(key, OptionType::kEnum);
    return file.GetEnum(key, values, field);
  };
  // [server]
  OM_RETURN_IF_ERROR(get_string("server.listen", config.http.listen));
  OM_RETURN_IF_ERROR(get_int("server.threads", config.http.threads));
  OM_RETURN_IF_ERROR(get_int("server.max_connections", config.http.max_connections));
  OM_RETURN_IF_ERROR(get_duration("server.idle_timeout_seconds", config.http.idle_timeout, 1000));
  int64_t inflight_mb = static_cast<int64_t>(config.http.max_inflight_body_bytes >> 20);
  OM_RETURN_IF_ERROR(get_int("server.max_inflight_body_mb", inflight_mb));
  config.http.max_inflight_body_bytes = static_cast<uint64_t>(inflight_mb) << 20;
  OM_RETURN_IF_ERROR(get_duration("server.max_queue_delay_ms", config.http.max_queue_delay, 1));
  OM_RETURN_IF_ERROR(get_strings("server.trusted_proxies", config.http.trusted_proxies));
  OM_RETURN_IF_ERROR(get_string("server.public_url", config.notifier.public_url));
  // [notify]
  OM_RETURN_IF_ERROR(get_duration("notify.timeout_ms", config.notifier.timeout, 1));
  OM_RETURN_IF_ERROR(get_int("notify.max_attempts", config.notifier.max_attempts));
  OM_RETURN_IF_ERROR(get_duration("notify.max_backoff_seconds", config.notifier.max_backoff, 1000));
  OM_RETURN_IF_ERROR(get_duration("notify.hold_down_minutes", config.notifier.hold_down, 60000));
  OM_RETURN_IF_ERROR(get_duration("notify.remind_every_minutes", config.remind_every, 60000));
  OM_RETURN_IF_ERROR(get_bool("notify.group_dependents", config.group_dependents));
  OM_RETURN_IF_ERROR(get_duration("notify.group_wait_minutes", config.group_wait, 60000));
  // [store]
  OM_RETURN_IF_ERROR(get_string("store.data_dir", config.store.data_dir));
  std::string fsync = config.store.fsync == store::FsyncPolicy::kAlways ? "always" : "interval";
  OM_RETURN_IF_ERROR(get_enum("store.fsync", {"always", "interval"}, fsync));
  config.store.fsync =
      fsync == "always" ? store::FsyncPolicy::kAlways : store::FsyncPolicy::kInterval;
  OM_RETURN_IF_ERROR(get_duration("store.fsync_interval_ms", config.store.fsync_interval, 1));
  OM_RETURN_IF_ERROR(
      get_duration("store.log_retention_days", config.store.log_retention, 86400000));
  int64_t segment_mb = static_cast<int64_t>(config.store.segment_bytes >> 20);
  OM_RETURN_IF_ERROR(get_int("store.segment_mb", segment_mb));
  config.store.segment_bytes = static_cast<uint64_t>(segment_mb) << 20;
  OM_RETURN_IF_ERROR(get_int("store.queue_capacity", config.store.queue_capacity));
  OM_RETURN_IF_ERROR(get_int("store.snapshot_every_reports", config.store.snapshot_every_reports));
  OM_RETURN_IF_ERROR(
      get_int("store.minute_retention_days", config.store.aggregates.minute_retention_days));
  OM_RETURN_IF_ERROR(
      get_int("store.quarter_retention_days", config.store.aggregates.quarter_retention_days));
  OM_RETURN_IF_ERROR(get_int("store.place_quarter_retention_days",
                             config.store.aggregates.dimension_quarter_retention_days));
  // [ingest]
  OM_RETURN_IF_ERROR(get_int("ingest.max_batch_lines", config.ingest.max_batch_lines));
  OM_RETURN_IF_ERROR(get_int("ingest.max_body_bytes", config.ingest.max_body_bytes));
  config.http.max_body_bytes = config.ingest.max_body_bytes;
  OM_RETURN_IF_ERROR(
      get_duration("ingest.dedupe_window_minutes", config.store.dedupe_window, 60000));
  OM_RETURN_IF_ERROR(
      get_duration("ingest.max_future_skew_seconds", config.ingest.max_future_skew, 1000));
  OM_RETURN_IF_ERROR(get_duration("ingest.max_age_days", config.ingest.max_age, 86400000));
  OM_RETURN_IF_ERROR(
      get_bool("ingest.auto_register_services", config.registry.auto_register_services));
  OM_RETURN_IF_ERROR(get_int("ingest.max_services", config.registry.max_services));
  OM_RETURN_IF_ERROR(get_int("ingest.max_problem_types", config.registry.max_problem_types));
  OM_RETURN_IF_ERROR(get_int("ingest.dedupe_max_entries", config.store.dedupe_max_entries));
  // [geo], [catalog]
  OM_RETURN_IF_ERROR(get_string("geo.ip_database", config.ip_database));
  OM_RETURN_IF_ERROR(get_string("catalog.file", config.catalog_file));
  // [detect]
  detect::DetectOptions& d = config.detect;
  OM_RETURN_IF_ERROR(get_int("detect.history_days", d.history_days));
  OM_RETURN_IF_ERROR(get_int("detect.min_history_days", d.min_history_days));
  OM_RETURN_IF_ERROR(get_int("detect.warmup_minutes", d.warmup_minutes));
  OM_RETURN_IF_ERROR(get_double("detect.min_expected_per_minute", d.min_expected_per_minute));
  OM_RETURN_IF_ERROR(get_double("detect.dispersion", d.dispersion));
  OM_RETURN_IF_ERROR(get_bool("detect.learn_dispersion", d.learn_dispersion));
  OM_RETURN_IF_ERROR(get_double("detect.max_dispersion", d.max_dispersion));
  OM_RETURN_IF_ERROR(get_double("detect.max_drift", d.max_drift));
  OM_RETURN_IF_ERROR(get_bool("detect.weekly_profile", d.weekly_profile));
  OM_RETURN_IF_ERROR(get_bool("detect.regional", d.regional));
  OM_RETURN_IF_ERROR(get_int("detect.regional_top", d.regional_top));
  OM_RETURN_IF_ERROR(get_double("detect.region_prior", d.region_prior));
  OM_RETURN_IF_ERROR(get_int("detect.slow_window_minutes", d.slow_window_minutes));
  OM_RETURN_IF_ERROR(get_double("detect.slow_excess_factor", d.slow_excess_factor));
  OM_RETURN_IF_ERROR(get_int("detect.metro_window_minutes", d.metro_window_minutes));
  OM_RETURN_IF_ERROR(get_double("detect.metro_min_expected", d.metro_min_expected));
  OM_RETURN_IF_ERROR(get_double("detect.min_weekly_reports", d.min_weekly_reports));
  OM_RETURN_IF_ERROR(get_int("detect.min_weekly_samples", d.min_weekly_samples));
  OM_RETURN_IF_ERROR(get_int("detect.weekly_edge_hours", d.weekly_edge_hours));
  OM_RETURN_IF_ERROR(get_double("detect.young_service_factor", d.young_service_factor));
  OM_RETURN_IF_ERROR(get_double("detect.possible_score", d.possible_score));
  OM_RETURN_IF_ERROR(get_double("detect.possible_ratio", d.possible_ratio));
  OM_RETURN_IF_ERROR(get_double("detect.possible_excess", d.possible_excess));
  OM_RETURN_IF_ERROR(get_double("detect.outage_score", d.outage_score));
  OM_RETURN_IF_ERROR(get_double("detect.outage_ratio", d.outage_ratio));
  OM_RETURN_IF_ERROR(get_double("detect.outage_excess", d.outage_excess));
  OM_RETURN_IF_ERROR(get_int("detect.possible_after_minutes", d.possible_after_minutes));
  OM_RETURN_IF_ERROR(get_int("detect.outage_after_minutes", d.outage_after_minutes));
  OM_RETURN_IF_ERROR(get_int("detect.clear_after_minutes", d.clear_after_minutes));
  // [official]
  OM_RETURN_IF_ERROR(get_bool("official.enabled", config.official.enabled));
  OM_RETURN_IF_ERROR(get_strings("official.services", config.official_services));
  OM_RETURN_IF_ERROR(get_duration("official.interval_seconds", config.official.interval, 1000));
  OM_RETURN_IF_ERROR(get_duration("official.timeout_ms", config.official.timeout, 1));
  OM_RETURN_IF_ERROR(
      get_duration("official.max_backoff_seconds", config.official.max_backoff, 1000));
  // [api]
  OM_RETURN_IF_ERROR(get_int("api.max_places", config.api.max_places));
  OM_RETURN_IF_ERROR(get_duration("api.cache_seconds", config.api.read_max_age, 1000));
  OM_RETURN_IF_ERROR(get_string("api.statuspage_root", config.api.statuspage_root));
  OM_RETURN_IF_ERROR(get_int("api.max_series_points", config.api.max_series_points));
  OM_RETURN_IF_ERROR(get_int("api.max_event_streams", config.live.max_streams));
  OM_RETURN_IF_ERROR(get_duration("api.event_interval_ms", config.live.interval, 1));
  OM_RETURN_IF_ERROR(get_duration("api.home_counts_interval_ms", config.live.home_counts_every, 1));
  OM_RETURN_IF_ERROR(get_double("api.form_reports_per_minute", config.api.form_rate.per_minute));
  OM_RETURN_IF_ERROR(get_double("api.form_burst", config.api.form_rate.burst));
  OM_RETURN_IF_ERROR(get_int("api.form_max_clients", config.api.form_rate.max_clients));
  OM_RETURN_IF_ERROR(
      get_double("api.public_reports_per_minute", config.api.public_rate.per_minute));
  OM_RETURN_IF_ERROR(get_double("api.public_burst", config.api.public_rate.burst));
  OM_RETURN_IF_ERROR(get_int("api.public_max_clients", config.api.public_rate.max_clients));
  // [cluster]
  OM_RETURN_IF_ERROR(get_strings("cluster.servers", config.cluster.servers));
  OM_RETURN_IF_ERROR(get_string("cluster.node_id", config.cluster.node_id));
  OM_RETURN_IF_ERROR(get_string("cluster.stream", config.cluster.stream));
  OM_RETURN_IF_ERROR(get_int("cluster.replicas", config.cluster.replicas));
  OM_RETURN_IF_ERROR(get_int("cluster.partitions", config.cluster.partitions));
  OM_RETURN_IF_ERROR(get_duration("cluster.publish_timeout_ms", config.cluster.publish_timeout, 1));
  OM_RETURN_IF_ERROR(get_int("cluster.max_in_flight", config.cluster.max_in_flight));
  OM_RETURN_IF_ERROR(get_int("cluster.reports_per_message", config.cluster.reports_per_message));
  return file.CheckNoUnknownKeys();
}

}  // namespace om::server
