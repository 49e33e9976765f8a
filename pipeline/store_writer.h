#pragma once
// StoreWriter: the single thread that writes to the database while a study runs. Workers post
// events (stage started/finished, run finished) and metric rows; the writer applies everything
// queued so far in one transaction, in posting order. Posting costs a lock and a vector push —
// well under a microsecond for a metric — so stages can log freely.
//
// Thread-safe: Post*/Flush may be called from any thread. The Store passed in must not be used
// by anyone else until the writer is destroyed.

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "pipeline/stage.h"
#include "pipeline/store.h"

namespace pipeline {

class StoreWriter {
 public:
  explicit StoreWriter(Store& store);
  ~StoreWriter();  // drains the queue, then stops the thread
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // `needs_sync`: the event marks files durable-and-done; the barrier runs first (see below).
  void Post(std::function<void(Store&)> event, bool needs_sync = false);
  // Called before committing any batch that holds a `needs_sync` event (e.g. syncfs of the
  // artifact cache), so the database never records as done what the disk might lose.
  void SetSyncBarrier(std::function<void()> barrier);
  void PostMetric(MetricRow row);
  // Blocks until everything posted before the call is committed. Rethrows a StoreError raised
  // by the writer thread.
  void Flush();
  // Runs `call` on the writer thread after everything posted before it, and waits for it (with
  // its transaction committed): how others read or write the store while the writer owns it.
  void Call(std::function<void(Store&)> call);
  size_t rows_written() const;

 private:
  struct Event {
    std::function<void(Store&)> apply;
    bool needs_sync;
  };
  using Item = std::variant<MetricRow, Event>;
  void Loop();

  Store& store_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::vector<Item> queue_;
  uint64_t posted_ = 0;
  uint64_t committed_ = 0;
  size_t rows_written_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::function<void()> barrier_;
  std::thread thread_;
};

// A MetricSink that tags each metric with its stage key and posts it to a StoreWriter.
class StageMetricSink : public MetricSink {
 public:
  StageMetricSink(StoreWriter& writer, std::string stage_key)
      : writer_(writer), stage_key_(std::move(stage_key)) {}
  void LogMetric(const std::string& name, int64_t step, double value, double wall_time) override;

 private:
  StoreWriter& writer_;
  std::string stage_key_;
};

}  // namespace pipeline
