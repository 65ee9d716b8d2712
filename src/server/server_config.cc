#include "server/server_config.h"

#include "config/config_file.h"

namespace om::server {

Status LoadServerConfig(const std::string& path, ServerConfig& config) {
  OM_ASSIGN_OR_RETURN(config::ConfigFile file, config::ConfigFile::Load(path));
  return ApplyServerConfig(file, config);
}

Status ApplyServerConfig(config::ConfigFile& file, ServerConfig& config) {
  constexpr int64_t kMax = int64_t{1} << 40;
  auto get_int = [&](std::string_view key, int64_t min, int64_t max, auto& field) -> Status {
    int64_t v = static_cast<int64_t>(field);
    OM_RETURN_IF_ERROR(file.GetInt(key, min, max, v));
    field = static_cast<std::remove_reference_t<decltype(field)>>(v);
    return Status::Ok();
  };
  auto get_duration = [&](std::string_view key, int64_t min, int64_t max, auto& field,
                          int64_t unit_ms) -> Status {
    int64_t v = std::chrono::duration_cast<Duration>(field).count() / unit_ms;
    OM_RETURN_IF_ERROR(file.GetInt(key, min, max, v));
    field =
        std::chrono::duration_cast<std::remove_reference_t<decltype(field)>>(Duration(v * unit_ms));
    return Status::Ok();
  };
  // [server]
  OM_RETURN_IF_ERROR(file.GetString("server.listen", config.http.listen));
  OM_RETURN_IF_ERROR(get_int("server.threads", 0, 256, config.http.threads));
  OM_RETURN_IF_ERROR(get_int("server.max_connections", 1, 1000000, config.http.max_connections));
  OM_RETURN_IF_ERROR(
      get_duration("server.idle_timeout_seconds", 1, 86400, config.http.idle_timeout, 1000));
  OM_RETURN_IF_ERROR(file.GetStringArray("server.trusted_proxies", config.http.trusted_proxies));
  OM_RETURN_IF_ERROR(file.GetString("server.public_url", config.notifier.public_url));
  // [notify]
  OM_RETURN_IF_ERROR(get_duration("notify.timeout_ms", 100, 60000, config.notifier.timeout, 1));
  OM_RETURN_IF_ERROR(get_int("notify.max_attempts", 1, 1000, config.notifier.max_attempts));
  OM_RETURN_IF_ERROR(
      get_duration("notify.max_backoff_seconds", 1, 86400, config.notifier.max_backoff, 1000));
  OM_RETURN_IF_ERROR(
      get_duration("notify.hold_down_minutes", 0, 1440, config.notifier.hold_down, 60000));
  OM_RETURN_IF_ERROR(
      get_duration("notify.remind_every_minutes", 0, 10080, config.remind_every, 60000));
  OM_RETURN_IF_ERROR(file.GetBool("notify.group_dependents", config.group_dependents));
  OM_RETURN_IF_ERROR(get_duration("notify.group_wait_minutes", 0, 60, config.group_wait, 60000));
  // [store]
  OM_RETURN_IF_ERROR(file.GetString("store.data_dir", config.store.data_dir));
  std::string fsync = config.store.fsync == store::FsyncPolicy::kAlways ? "always" : "interval";
  OM_RETURN_IF_ERROR(file.GetEnum("store.fsync", {"always", "interval"}, fsync));
  config.store.fsync =
      fsync == "always" ? store::FsyncPolicy::kAlways : store::FsyncPolicy::kInterval;
  OM_RETURN_IF_ERROR(
      get_duration("store.fsync_interval_ms", 1, 60000, config.store.fsync_interval, 1));
  OM_RETURN_IF_ERROR(
      get_duration("store.log_retention_days", 0, 36500, config.store.log_retention, 86400000));
  int64_t segment_mb = static_cast<int64_t>(config.store.segment_bytes >> 20);
  OM_RETURN_IF_ERROR(file.GetInt("store.segment_mb", 1, 4096, segment_mb));
  config.store.segment_bytes = static_cast<uint64_t>(segment_mb) << 20;
  OM_RETURN_IF_ERROR(get_int("store.queue_capacity", 1, 100000000, config.store.queue_capacity));
  OM_RETURN_IF_ERROR(
      get_int("store.snapshot_every_reports", 1, kMax, config.store.snapshot_every_reports));
  OM_RETURN_IF_ERROR(get_int("store.minute_retention_days", 1, 3650,
                             config.store.aggregates.minute_retention_days));
  OM_RETURN_IF_ERROR(get_int("store.quarter_retention_days", 1, 36500,
                             config.store.aggregates.quarter_retention_days));
  OM_RETURN_IF_ERROR(get_int("store.place_quarter_retention_days", 1, 36500,
                             config.store.aggregates.dimension_quarter_retention_days));
  // [ingest]
  OM_RETURN_IF_ERROR(get_int("ingest.max_batch_lines", 1, 10000000, config.ingest.max_batch_lines));
  OM_RETURN_IF_ERROR(
      get_int("ingest.max_body_bytes", 1, int64_t{1} << 32, config.ingest.max_body_bytes));
  config.http.max_body_bytes = config.ingest.max_body_bytes;
  OM_RETURN_IF_ERROR(
      get_duration("ingest.dedupe_window_minutes", 0, 10080, config.store.dedupe_window, 60000));
  OM_RETURN_IF_ERROR(get_duration("ingest.max_future_skew_seconds", 0, 86400,
                                  config.ingest.max_future_skew, 1000));
  OM_RETURN_IF_ERROR(
      get_duration("ingest.max_age_days", 0, 36500, config.ingest.max_age, 86400000));
  OM_RETURN_IF_ERROR(
      file.GetBool("ingest.auto_register_services", config.registry.auto_register_services));
  OM_RETURN_IF_ERROR(get_int("ingest.max_services", 1, 10000000, config.registry.max_services));
  OM_RETURN_IF_ERROR(
      get_int("ingest.max_problem_types", 1, 1000, config.registry.max_problem_types));
  OM_RETURN_IF_ERROR(get_int("ingest.dedupe_max_entries", 1000, int64_t{1} << 32,
                             config.store.dedupe_max_entries));
  // [geo], [catalog]
  OM_RETURN_IF_ERROR(file.GetString("geo.ip_database", config.ip_database));
  OM_RETURN_IF_ERROR(file.GetString("catalog.file", config.catalog_file));
  // [detect]
  detect::DetectOptions& d = config.detect;
  OM_RETURN_IF_ERROR(get_int("detect.history_days", 1, 365, d.history_days));
  OM_RETURN_IF_ERROR(get_int("detect.min_history_days", 0, 365, d.min_history_days));
  OM_RETURN_IF_ERROR(get_int("detect.warmup_minutes", 1, 1440, d.warmup_minutes));
  OM_RETURN_IF_ERROR(
      file.GetDouble("detect.min_expected_per_minute", 0.0001, 1e6, d.min_expected_per_minute));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.dispersion", 0, 10, d.dispersion));
  OM_RETURN_IF_ERROR(file.GetBool("detect.learn_dispersion", d.learn_dispersion));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.max_dispersion", 0, 100, d.max_dispersion));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.max_drift", 1, 100, d.max_drift));
  OM_RETURN_IF_ERROR(file.GetBool("detect.weekly_profile", d.weekly_profile));
  OM_RETURN_IF_ERROR(file.GetBool("detect.regional", d.regional));
  OM_RETURN_IF_ERROR(get_int("detect.regional_top", 1, 100, d.regional_top));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.region_prior", 0, 1e6, d.region_prior));
  OM_RETURN_IF_ERROR(get_int("detect.slow_window_minutes", 0, 60, d.slow_window_minutes));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.slow_excess_factor", 1, 100, d.slow_excess_factor));
  OM_RETURN_IF_ERROR(get_int("detect.metro_window_minutes", 0, 60, d.metro_window_minutes));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.metro_min_expected", 0, 1e6, d.metro_min_expected));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.min_weekly_reports", 0, 1e12, d.min_weekly_reports));
  OM_RETURN_IF_ERROR(get_int("detect.min_weekly_samples", 1, 365, d.min_weekly_samples));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.young_service_factor", 1, 100, d.young_service_factor));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.possible_score", 0, 300, d.possible_score));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.possible_ratio", 1, 1e6, d.possible_ratio));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.possible_excess", 0, 1e9, d.possible_excess));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.outage_score", 0, 300, d.outage_score));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.outage_ratio", 1, 1e6, d.outage_ratio));
  OM_RETURN_IF_ERROR(file.GetDouble("detect.outage_excess", 0, 1e9, d.outage_excess));
  OM_RETURN_IF_ERROR(get_int("detect.possible_after_minutes", 1, 1440, d.possible_after_minutes));
  OM_RETURN_IF_ERROR(get_int("detect.outage_after_minutes", 1, 1440, d.outage_after_minutes));
  OM_RETURN_IF_ERROR(get_int("detect.clear_after_minutes", 1, 1440, d.clear_after_minutes));
  // [official]
  OM_RETURN_IF_ERROR(file.GetBool("official.enabled", config.official.enabled));
  OM_RETURN_IF_ERROR(file.GetStringArray("official.services", config.official_services));
  OM_RETURN_IF_ERROR(
      get_duration("official.interval_seconds", 1, 86400, config.official.interval, 1000));
  OM_RETURN_IF_ERROR(get_duration("official.timeout_ms", 100, 60000, config.official.timeout, 1));
  OM_RETURN_IF_ERROR(
      get_duration("official.max_backoff_seconds", 1, 86400, config.official.max_backoff, 1000));
  // [api]
  OM_RETURN_IF_ERROR(get_int("api.max_places", 1, 100000, config.api.max_places));
  OM_RETURN_IF_ERROR(file.GetString("api.statuspage_root", config.api.statuspage_root));
  OM_RETURN_IF_ERROR(get_int("api.max_series_points", 1, 10000000, config.api.max_series_points));
  OM_RETURN_IF_ERROR(get_int("api.max_event_streams", 1, 1000000, config.live.max_streams));
  OM_RETURN_IF_ERROR(get_duration("api.event_interval_ms", 100, 600000, config.live.interval, 1));
  OM_RETURN_IF_ERROR(
      file.GetDouble("api.form_reports_per_minute", 0.01, 1e6, config.api.form_rate.per_minute));
  OM_RETURN_IF_ERROR(file.GetDouble("api.form_burst", 1, 1e6, config.api.form_rate.burst));
  OM_RETURN_IF_ERROR(
      get_int("api.form_max_clients", 1, 100000000, config.api.form_rate.max_clients));
  OM_RETURN_IF_ERROR(
      file.GetDouble("api.public_reports_per_minute", 0, 1e9, config.api.public_rate.per_minute));
  OM_RETURN_IF_ERROR(file.GetDouble("api.public_burst", 1, 1e9, config.api.public_rate.burst));
  OM_RETURN_IF_ERROR(
      get_int("api.public_max_clients", 1, 100000000, config.api.public_rate.max_clients));
  return file.CheckNoUnknownKeys();
}

}  // namespace om::server
