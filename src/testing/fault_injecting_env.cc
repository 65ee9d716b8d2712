#include "testing/fault_injecting_env.h"

#include <thread>

namespace om::testing {
namespace {

class FaultyFile final : public WritableFile {
 public:
  FaultyFile(FaultInjectingEnv& env, std::unique_ptr<WritableFile> file)
      : env_(env), file_(std::move(file)) {}

  Status Append(std::string_view data) override {
    FaultInjectingEnv::Decision decision = env_.BeforeAppend(file_->path(), data.size());
    if (decision.allowed > 0) {
      OM_RETURN_IF_ERROR(file_->Append(data.substr(0, decision.allowed)));
    }
    return decision.error;
  }
  Status Sync() override {
    OM_RETURN_IF_ERROR(env_.BeforeSync(file_->path()));
    return file_->Sync();
  }
  Status Truncate(uint64_t size) override { return file_->Truncate(size); }
  uint64_t Size() const override { return file_->Size(); }
  const std::string& path() const override { return file_->path(); }

 private:
  FaultInjectingEnv& env_;
  const std::unique_ptr<WritableFile> file_;
};

}  // namespace

FaultInjectingEnv::FaultInjectingEnv(Env* target) : EnvWrapper(target) {}

void FaultInjectingEnv::SetPathFilter(std::string substring) {
  MutexLock lock(mu_);
  filter_ = std::move(substring);
}
void FaultInjectingEnv::FailWrites(int count) {
  MutexLock lock(mu_);
  fail_writes_ = count;
}
void FaultInjectingEnv::TearNextWrite(size_t bytes) {
  MutexLock lock(mu_);
  tear_at_ = static_cast<int64_t>(bytes);
}
void FaultInjectingEnv::FailSyncs(int count) {
  MutexLock lock(mu_);
  fail_syncs_ = count;
}
void FaultInjectingEnv::SetFreeBytes(int64_t bytes) {
  MutexLock lock(mu_);
  free_bytes_ = bytes;
}
void FaultInjectingEnv::DelayWrites(std::chrono::milliseconds delay) {
  MutexLock lock(mu_);
  write_delay_ = delay;
}
void FaultInjectingEnv::DelaySyncs(std::chrono::milliseconds delay) {
  MutexLock lock(mu_);
  sync_delay_ = delay;
}
void FaultInjectingEnv::ClearFaults() {
  MutexLock lock(mu_);
  fail_writes_ = 0;
  tear_at_ = -1;
  fail_syncs_ = 0;
  free_bytes_ = -1;
  write_delay_ = sync_delay_ = std::chrono::milliseconds(0);
}

int64_t FaultInjectingEnv::appends() const {
  MutexLock lock(mu_);
  return appends_;
}
int64_t FaultInjectingEnv::syncs() const {
  MutexLock lock(mu_);
  return syncs_;
}
int64_t FaultInjectingEnv::injected_failures() const {
  MutexLock lock(mu_);
  return injected_;
}

bool FaultInjectingEnv::Applies(const std::string& path) const {
  return filter_.empty() || path.find(filter_) != std::string::npos;
}

Result<std::unique_ptr<WritableFile>> FaultInjectingEnv::OpenForAppend(const std::string& path,
                                                                       bool truncate) {
  OM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, target()->OpenForAppend(path, truncate));
  return std::unique_ptr<WritableFile>(new FaultyFile(*this, std::move(file)));
}

FaultInjectingEnv::Decision FaultInjectingEnv::BeforeAppend(const std::string& path, size_t size) {
  std::chrono::milliseconds delay{0};
  Decision decision{Status::Ok(), size};
  {
    MutexLock lock(mu_);
    if (!Applies(path)) return decision;
    ++appends_;
    delay = write_delay_;
    if (fail_writes_ > 0) {
      --fail_writes_;
      decision = {Status::IoError("write " + path + ": Input/output error (injected)"), 0};
    } else if (tear_at_ >= 0) {
      decision = {Status::IoError("write " + path + ": Input/output error (injected)"),
                  std::min(size, static_cast<size_t>(tear_at_))};
      tear_at_ = -1;
    } else if (free_bytes_ >= 0) {
      size_t fits = std::min(size, static_cast<size_t>(free_bytes_));
      free_bytes_ -= static_cast<int64_t>(fits);
      if (fits < size) {
        decision = {
            Status::ResourceExhausted("write " + path + ": No space left on device (injected)"),
            fits};
      }
    }
    if (!decision.error.ok()) ++injected_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  return decision;
}

Status FaultInjectingEnv::BeforeSync(const std::string& path) {
  std::chrono::milliseconds delay{0};
  Status error;
  {
    MutexLock lock(mu_);
    if (!Applies(path)) return Status::Ok();
    ++syncs_;
    delay = sync_delay_;
    if (fail_syncs_ > 0) {
      --fail_syncs_;
      ++injected_;
      error = Status::IoError("fdatasync " + path + ": Input/output error (injected)");
    }
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  return error;
}

}  // namespace om::testing
