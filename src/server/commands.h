#pragma once
// The subcommands of the outagemap binary. Each returns the process exit code: 0 success,
// 1 runtime failure, 2 bad configuration or arguments (printed with the key or flag at fault).

#include <string>

namespace om::server {

inline constexpr const char* kVersion = "0.1.0";

struct ServeFlags {
  std::string listen;    // overrides server.listen when set
  std::string data_dir;  // overrides store.data_dir when set
  std::string config_file;
};
int RunServe(const ServeFlags& flags);

struct DemoFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir;  // empty: ./var/demo-<unix time>
  double speed = 2.0;    // event minutes per wall second
  int history_days = 14;
  bool exit_after_replay = false;
};
int RunDemo(const DemoFlags& flags);

struct ImportFlags {
  std::string file;
  std::string data_dir;
  std::string config_file;
  std::string format;  // "ndjson", "csv" or empty for the file extension
  bool no_progress = false;
};
int RunImport(const ImportFlags& flags);

struct ExportFlags {
  std::string data_dir = "./var";
  std::string from, to, service, out;
};
int RunExport(const ExportFlags& flags);

}  // namespace om::server
