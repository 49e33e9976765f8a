#include "pipeline/store_writer.h"

#include <algorithm>

#include "pipeline/errors.h"

namespace pipeline {

StoreWriter::StoreWriter(Store& store) : store_(store), thread_([this] { Loop(); }) {}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void StoreWriter::SetSyncBarrier(std::function<void()> barrier) {
  std::lock_guard<std::mutex> lock(mutex_);
  barrier_ = std::move(barrier);
}

void StoreWriter::Post(std::function<void(Store&)> event, bool needs_sync) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.emplace_back(Event{std::move(event), needs_sync});
    ++posted_;
  }
  wake_.notify_one();
}

void StoreWriter::PostMetric(MetricRow row) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    first = queue_.empty();
    queue_.emplace_back(std::move(row));
    ++posted_;
  }
  // Only the first item of a batch needs to wake the writer; later ones ride along.
  if (first) wake_.notify_one();
}

void StoreWriter::Flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t target = posted_;
  drained_.wait(lock, [&] { return committed_ >= target || error_; });
  if (error_) std::rethrow_exception(error_);
}

void StoreWriter::Call(std::function<void(Store&)> call) {
  Post(std::move(call));
  Flush();
}

size_t StoreWriter::rows_written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rows_written_;
}

void StoreWriter::Loop() {
  std::vector<Item> batch;
  std::function<void()> barrier;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      batch.swap(queue_);
      barrier = barrier_;
    }
    size_t metrics = 0;
    try {
      if (!error_) {
        const bool needs_sync = std::any_of(batch.begin(), batch.end(), [](const Item& item) {
          const Event* event = std::get_if<Event>(&item);
          return event && event->needs_sync;
        });
        if (needs_sync && barrier) barrier();
        Transaction transaction = store_.Begin();
        for (Item& item : batch) {
          if (auto* row = std::get_if<MetricRow>(&item)) {
            store_.InsertMetric(*row);
            ++metrics;
          } else {
            std::get<Event>(item).apply(store_);
          }
        }
        transaction.Commit();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      committed_ += batch.size();
      rows_written_ += metrics;
    }
    drained_.notify_all();
    batch.clear();
  }
}

void StageMetricSink::LogMetric(const std::string& name, int64_t step, double value,
                                double wall_time) {
  writer_.PostMetric(MetricRow{stage_key_, name, step, value, wall_time});
}

}  // namespace pipeline
