#pragma once
// FaultInjectingEnv: an Env (base/env.h) over the real file system that fails on request, for
// tests of what the report log and the store do when the disk misbehaves. Faults apply to the
// files whose path contains the filter (SetPathFilter; empty: every file), and each is used up as
// it fires:
//   FailWrites(n)      the next n appends write nothing and fail with EIO;
//   TearNextWrite(k)   the next append writes only its first k bytes, then fails with EIO;
//   FailSyncs(n)       the next n fdatasyncs fail with EIO (the data stays in the file, as after
//                      a real failed fdatasync nobody can tell what reached the disk);
//   SetFreeBytes(b)    the disk holds only b more bytes: an append past them writes what fits
//                      and fails with ENOSPC (kResourceExhausted), until SetFreeBytes(-1);
//   DelayWrites(d), DelaySyncs(d)  every append or fdatasync first sleeps d.
// Injected errors read like real ones, with "(injected)" at the end.
//
// Thread-safety: thread-safe; a test may change faults while the store writer writes.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/env.h"
#include "base/mutex.h"

namespace om::testing {

class FaultInjectingEnv : public EnvWrapper {
 public:
  explicit FaultInjectingEnv(Env* target = Env::Default());

  void SetPathFilter(std::string substring);
  void FailWrites(int count);
  void TearNextWrite(size_t bytes);
  void FailSyncs(int count);
  void SetFreeBytes(int64_t bytes);  // -1: unlimited
  void DelayWrites(std::chrono::milliseconds delay);
  void DelaySyncs(std::chrono::milliseconds delay);
  void ClearFaults();

  // What happened so far, over the filtered files.
  int64_t appends() const;
  int64_t syncs() const;
  int64_t injected_failures() const;

  Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path,
                                                      bool truncate) override;

  // Called by the files it hands out: the fault for this call (kOk: none, then `allowed` bytes
  // of the data may be written; otherwise only `allowed` bytes are written and the error
  // returned).
  struct Decision {
    Status error;
    size_t allowed = 0;
  };
  Decision BeforeAppend(const std::string& path, size_t size);
  Status BeforeSync(const std::string& path);

 private:
  bool Applies(const std::string& path) const OM_REQUIRES(mu_);

  mutable Mutex mu_;
  std::string filter_ OM_GUARDED_BY(mu_);
  int fail_writes_ OM_GUARDED_BY(mu_) = 0;
  int64_t tear_at_ OM_GUARDED_BY(mu_) = -1;
  int fail_syncs_ OM_GUARDED_BY(mu_) = 0;
  int64_t free_bytes_ OM_GUARDED_BY(mu_) = -1;
  std::chrono::milliseconds write_delay_ OM_GUARDED_BY(mu_){0};
  std::chrono::milliseconds sync_delay_ OM_GUARDED_BY(mu_){0};
  int64_t appends_ OM_GUARDED_BY(mu_) = 0;
  int64_t syncs_ OM_GUARDED_BY(mu_) = 0;
  int64_t injected_ OM_GUARDED_BY(mu_) = 0;
};

}  // namespace om::testing
