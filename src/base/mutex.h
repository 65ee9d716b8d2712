#pragma once
// om::Mutex wraps std::mutex with clang thread-safety annotations so that the `clang` preset
// (-Wthread-safety) turns a missing lock into a build error. Use OM_GUARDED_BY on members and
// OM_REQUIRES on helpers that expect the lock held.

#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define OM_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define OM_THREAD_ANNOTATION(x)
#endif

#define OM_CAPABILITY(x) OM_THREAD_ANNOTATION(capability(x))
#define OM_SCOPED_CAPABILITY OM_THREAD_ANNOTATION(scoped_lockable)
#define OM_GUARDED_BY(x) OM_THREAD_ANNOTATION(guarded_by(x))
#define OM_REQUIRES(...) OM_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define OM_ACQUIRE(...) OM_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define OM_RELEASE(...) OM_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define OM_EXCLUDES(...) OM_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define OM_ACQUIRE_SHARED(...) OM_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define OM_RELEASE_SHARED(...) OM_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define OM_RELEASE_GENERIC(...) OM_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define OM_REQUIRES_SHARED(...) OM_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// For code whose locking the analysis cannot follow; say why beside it.
#define OM_NO_THREAD_SAFETY_ANALYSIS OM_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace om {

class OM_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  ~Mutex() = default;
  void Lock() OM_ACQUIRE() { mu_.lock(); }
  void Unlock() OM_RELEASE() { mu_.unlock(); }
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

class OM_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) OM_ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() OM_RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// A reader/writer lock: many readers or one writer. Guarded members name it with OM_GUARDED_BY;
// readers take ReaderLock, writers WriterLock, and clang's -Wthread-safety checks both.
class OM_CAPABILITY("mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;
  ~SharedMutex() = default;
  void Lock() OM_ACQUIRE() { mu_.lock(); }
  void Unlock() OM_RELEASE() { mu_.unlock(); }
  void LockShared() OM_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() OM_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

class OM_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) OM_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.LockShared(); }
  ~ReaderLock() OM_RELEASE_GENERIC() { mu_.UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

class OM_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) OM_ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~WriterLock() OM_RELEASE() { mu_.Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

// Condition variable usable with om::Mutex. Wait() must be called with the mutex held.
class CondVar {
 public:
  explicit CondVar(Mutex& mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;
  ~CondVar() = default;
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_.native(), std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // Returns false on timeout.
  template <typename Rep, typename Period>
  bool WaitFor(std::chrono::duration<Rep, Period> d) {
    std::unique_lock<std::mutex> lock(mu_.native(), std::adopt_lock);
    bool signalled = cv_.wait_for(lock, d) == std::cv_status::no_timeout;
    lock.release();
    return signalled;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  Mutex& mu_;
  std::condition_variable cv_;
};

}  // namespace om
