#pragma once
// Metrics in the Prometheus text exposition format (version 0.0.4), served on the main port at
// /metrics. Counters, gauges and histograms are lock-free to update from any thread; the registry
// hands out references that stay valid for the registry's lifetime.
//
// Thread-safety: all methods are thread-safe. Registration takes a lock; updates never do.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"

namespace om {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative histogram with fixed upper bounds (seconds, bytes, ...).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (non-cumulative) counts; the last is +Inf.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;
  ~MetricsRegistry() = default;

  // `labels` is the label set in exposition syntax without braces, e.g. `reason="bad_json"`, or
  // empty. Registering the same (name, labels) twice returns the same object.
  Counter& GetCounter(const std::string& name, const std::string& help,
                      const std::string& labels = "");
  Gauge& GetGauge(const std::string& name, const std::string& help, const std::string& labels = "");
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          std::vector<double> upper_bounds);
  // A gauge computed when scraped (queue depth, bytes on disk). `read` must be thread-safe and must
  // outlive the registry.
  void AddCallbackGauge(const std::string& name, const std::string& help,
                        std::function<double()> read);

  // Renders every metric, grouped by name with # HELP and # TYPE lines.
  std::string RenderText() const;

 private:
  struct Entry {
    std::string name, help, labels, type;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> callback;
  };
  Entry* Find(const std::string& name, const std::string& labels) OM_REQUIRES(mu_);
  // The metric in `slot` of the entry (name, labels), created on first use.
  template <typename T>
  T& GetOrAdd(std::unique_ptr<T> Entry::*slot, const char* type, const std::string& name,
              const std::string& help, const std::string& labels);

  mutable Mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_ OM_GUARDED_BY(mu_);
};

}  // namespace om
