#include "base/metrics.h"

#include <algorithm>

#include <fmt/format.h>

namespace om {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double old = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
  }
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

MetricsRegistry::Entry* MetricsRegistry::Find(const std::string& name, const std::string& labels) {
  for (auto& e : entries_) {
    if (e->name == name && e->labels == labels) return e.get();
  }
  return nullptr;
}

template <typename T>
T& MetricsRegistry::GetOrAdd(std::unique_ptr<T> Entry::*slot, const char* type,
                             const std::string& name, const std::string& help,
                             const std::string& labels) {
  MutexLock lock(mu_);
  if (Entry* e = Find(name, labels); e && (e->*slot)) return *(e->*slot);
  auto e = std::make_unique<Entry>();
  e->name = name, e->help = help, e->labels = labels, e->type = type;
  (*e).*slot = std::make_unique<T>();
  T& metric = *((*e).*slot);
  entries_.push_back(std::move(e));
  return metric;
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const std::string& labels) {
  return GetOrAdd(&Entry::counter, "counter", name, help, labels);
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const std::string& labels) {
  return GetOrAdd(&Entry::gauge, "gauge", name, help, labels);
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         std::vector<double> upper_bounds) {
  MutexLock lock(mu_);
  if (Entry* e = Find(name, ""); e && e->histogram) return *e->histogram;
  auto e = std::make_unique<Entry>();
  e->name = name, e->help = help, e->type = "histogram";
  e->histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  Histogram& h = *e->histogram;
  entries_.push_back(std::move(e));
  return h;
}

void MetricsRegistry::AddCallbackGauge(const std::string& name, const std::string& help,
                                       std::function<double()> read) {
  MutexLock lock(mu_);
  auto e = std::make_unique<Entry>();
  e->name = name, e->help = help, e->type = "gauge";
  e->callback = std::move(read);
  entries_.push_back(std::move(e));
}

std::string MetricsRegistry::RenderText() const {
  MutexLock lock(mu_);
  std::vector<const Entry*> sorted;
  for (const auto& e : entries_) sorted.push_back(e.get());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Entry* a, const Entry* b) { return a->name < b->name; });
  std::string out;
  const std::string* last_name = nullptr;
  for (const Entry* e : sorted) {
    if (!last_name || *last_name != e->name) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", e->name, e->help, e->name, e->type);
      last_name = &e->name;
    }
    std::string labels = e->labels.empty() ? "" : "{" + e->labels + "}";
    if (e->counter) {
      out += fmt::format("{}{} {}\n", e->name, labels, e->counter->value());
    } else if (e->gauge) {
      out += fmt::format("{}{} {}\n", e->name, labels, e->gauge->value());
    } else if (e->callback) {
      out += fmt::format("{}{} {}\n", e->name, labels, e->callback());
    } else if (e->histogram) {
      auto counts = e->histogram->BucketCounts();
      uint64_t cumulative = 0;
      for (size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        std::string le = i < e->histogram->bounds().size()
                             ? fmt::format("{}", e->histogram->bounds()[i])
                             : "+Inf";
        out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", e->name, le, cumulative);
      }
      out += fmt::format("{}_sum {}\n{}_count {}\n", e->name, e->histogram->sum(), e->name,
                         e->histogram->count());
    }
  }
  return out;
}

}  // namespace om
