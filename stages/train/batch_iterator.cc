#include "stages/train/batch_iterator.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>

#include "pipeline/errors.h"
#include "pipeline/tensor.h"

namespace stages {
namespace {

// Rows per parallel copy block: about 64 KiB of floats, so a batch of 100 MNIST images
// (313 KiB) splits into a few blocks and tiny rows do not make tiny tasks.
constexpr int64_t kBlockFloats = 16384;

void CheckIndices(const pipeline::Tensor& tensor, const BatchIndices& batch, const char* name) {
  const int64_t rows = tensor.rows();
  for (int64_t i = 0; i < batch.size; ++i) {
    if (batch.indices[i] < 0 || batch.indices[i] >= rows) {
      throw pipeline::StageError("batch gathers row " + std::to_string(batch.indices[i]) +
                                 " of '" + name + "' " + tensor.ShapeString() +
                                 ", which has no such row");
    }
  }
}

}  // namespace

EpochBatches::EpochBatches(std::vector<int64_t> order, int64_t batch_size, int64_t batch_count)
    : order_(std::move(order)), batch_size_(batch_size), batch_count_(batch_count) {}

BatchIndices EpochBatches::Batch(int64_t b) const {
  const int64_t begin = b * batch_size_;
  const int64_t end = std::min(static_cast<int64_t>(order_.size()), begin + batch_size_);
  return {order_.data() + begin, end - begin};
}

BatchIterator::BatchIterator(int64_t examples, const BatchOptions& options,
                             const pipeline::Rng& rng)
    : examples_(examples), options_(options), rng_(rng) {
  if (examples < 0) throw pipeline::StageError("batch iterator: negative example count");
  if (options.batch_size < 1) {
    throw pipeline::StageError("batch iterator: batch_size must be >= 1, got " +
                               std::to_string(options.batch_size));
  }
  if (options.drop_last && examples > 0 && examples < options.batch_size) {
    throw pipeline::StageError("batch iterator: drop_last with batch_size " +
                               std::to_string(options.batch_size) + " but only " +
                               std::to_string(examples) +
                               " examples leaves no batch; lower batch_size or turn drop_last off");
  }
}

int64_t BatchIterator::BatchCount() const {
  const int64_t full = examples_ / options_.batch_size;
  return options_.drop_last || examples_ % options_.batch_size == 0 ? full : full + 1;
}

int64_t BatchIterator::ExamplesPerEpoch() const {
  return options_.drop_last ? BatchCount() * options_.batch_size : examples_;
}

std::vector<int64_t> BatchIterator::EpochOrder(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(examples_));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle) {
    pipeline::Rng epoch_rng = rng_.Fork(static_cast<uint64_t>(epoch));
    epoch_rng.Shuffle(order);
  }
  return order;
}

EpochBatches BatchIterator::Epoch(int64_t epoch) const {
  return EpochBatches(EpochOrder(epoch), options_.batch_size, BatchCount());
}

void GatherRows(const pipeline::Tensor& x, const BatchIndices& batch, float* out) {
  CheckIndices(x, batch, "x");
  const float* source = x.f32();
  const int64_t row_size = x.row_size();
  const auto row_bytes = static_cast<size_t>(row_size) * sizeof(float);
  const int64_t block_rows = std::max<int64_t>(1, kBlockFloats / std::max<int64_t>(1, row_size));
  // On the stage's OpenMP threads (oneDNN's, idle between its primitives), not a TBB loop that
  // would put a second set of threads on the same cores.
  const int64_t blocks = (batch.size + block_rows - 1) / block_rows;
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t end = std::min(batch.size, (b + 1) * block_rows);
    for (int64_t i = b * block_rows; i < end; ++i) {
      std::memcpy(out + i * row_size, source + batch.indices[i] * row_size, row_bytes);
    }
  }
}

void GatherLabels(const pipeline::Tensor& y, const BatchIndices& batch, int32_t* out) {
  CheckIndices(y, batch, "y");
  const int32_t* labels = y.i32();
  const int64_t row_size = y.row_size();
  if (row_size != 1) {
    throw pipeline::StageError("labels 'y' must have one value per example, got " +
                               y.ShapeString());
  }
  for (int64_t i = 0; i < batch.size; ++i) out[i] = labels[batch.indices[i]];
}

}  // namespace stages
