#include "stages/reduce/scatter_matrix.h"

// Implementation notes
// - Two passes (mean, then the scatter of centred rows): the one-pass form
//   sum(x x^T) - N mean mean^T cancels catastrophically when the mean is large compared with
//   the spread, which is exactly the shape of pixel intensities.
// - Each block is centred in float and multiplied with selfadjointView::rankUpdate (a SYRK:
//   only the lower triangle, half the flops of a full product). On an AVX-512 core Eigen's float
//   SYRK ran at ~100 effective GFLOP/s against ~55 for the double GEMM the first version used.
// - 1024-row SYRK blocks: large enough for the GEMM kernel to reach full speed, small enough
//   that the float sum inside a block stays accurate (see the header). The parallel reduction
//   runs over 4096-row chunks of four such blocks: each reduction leaf copies and joins a D x D
//   double matrix (4.9 MB for D = 784), and with 1024-row leaves those copies took ~15% of the
//   time; 60,000 rows still make 15 chunks to share between threads.

#include <algorithm>

#include "stages/common/row_blocks.h"

namespace stages {
namespace {

constexpr int64_t kMeanBlockRows = 256;
constexpr int64_t kSyrkRows = 1024;
constexpr int64_t kChunkRows = 4 * kSyrkRows;

}  // namespace

Eigen::VectorXd ColumnMeans(const Eigen::Ref<const pipeline::RowMatrixXf>& x) {
  const Eigen::VectorXd sums = ReduceRowBlocks(
      x.rows(), kMeanBlockRows, Eigen::VectorXd::Zero(x.cols()).eval(),
      [&](int64_t begin, int64_t end, Eigen::VectorXd& partial) {
        partial += x.middleRows(begin, end - begin).cast<double>().colwise().sum().transpose();
      });
  return sums / static_cast<double>(x.rows());
}

Eigen::MatrixXd CenteredScatter(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                                const Eigen::VectorXd& mean) {
  const Eigen::Index dims = x.cols();
  const Eigen::RowVectorXf mean_f = mean.transpose().cast<float>();
  Eigen::MatrixXd scatter = ReduceRowBlocks(
      x.rows(), kChunkRows, Eigen::MatrixXd::Zero(dims, dims).eval(),
      [&](int64_t chunk_begin, int64_t chunk_end, Eigen::MatrixXd& partial) {
        Eigen::MatrixXf block_scatter(dims, dims);
        for (int64_t begin = chunk_begin; begin < chunk_end; begin += kSyrkRows) {
          const int64_t rows = std::min(kSyrkRows, chunk_end - begin);
          // Column-major, so the transpose handed to rankUpdate is a row-major view and the
          // product reads contiguous rows.
          const Eigen::MatrixXf centered = x.middleRows(begin, rows).rowwise() - mean_f;
          block_scatter.setZero();
          block_scatter.selfadjointView<Eigen::Lower>().rankUpdate(centered.transpose());
          partial.triangularView<Eigen::Lower>() += block_scatter.cast<double>();
        }
      });
  scatter.triangularView<Eigen::StrictlyUpper>() = scatter.transpose();
  return scatter;
}

}  // namespace stages
