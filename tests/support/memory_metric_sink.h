#pragma once
// Collects metrics in memory, for tests that run a stage or an algorithm directly.

#include <mutex>
#include <string>
#include <vector>

#include "pipeline/stage.h"

namespace testing_support {

struct MetricRow {
  std::string name;
  int64_t step;
  double value;
};

class MemoryMetricSink : public pipeline::MetricSink {
 public:
  void LogMetric(const std::string& name, int64_t step, double value, double) override {
    std::lock_guard<std::mutex> lock(mutex_);
    rows_.push_back({name, step, value});
  }
  // The values of one metric in logging order.
  std::vector<double> Values(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<double> out;
    for (const MetricRow& row : rows_) {
      if (row.name == name) out.push_back(row.value);
    }
    return out;
  }
  std::vector<MetricRow> rows() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return rows_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<MetricRow> rows_;
};

}  // namespace testing_support
