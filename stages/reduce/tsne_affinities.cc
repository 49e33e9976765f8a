#include "stages/reduce/tsne_affinities.h"

// Implementation notes
// - Neighbour search: for a block of rows the squared distances to all points come from one
//   float32 matrix product (|a|^2 + |b|^2 - 2 a.b), which is fast but loses digits to
//   cancellation. So each row keeps k + kExtraCandidates candidates in a bounded max-heap, their
//   distances are recomputed exactly in double, and the best k by (distance, index) are kept.
//   A true neighbour could be missed only if float rounding moved it past more than
//   kExtraCandidates other points, which needs distances equal to ~1e-6 relative.
// - Candidates are scanned in index order and compared as (distance, index) pairs, so the
//   result does not depend on how rows are split between threads.
// - The bandwidth search shifts distances by the row minimum before exponentiating: the
//   normalised p_{j|i} are unchanged and exp() cannot underflow to an all-zero row.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "pipeline/errors.h"
#include "stages/common/row_blocks.h"

namespace stages {
namespace {

constexpr int64_t kDistanceBlockRows = 64;
constexpr int64_t kExtraCandidates = 8;
constexpr int kMaxBisectionSteps = 200;
constexpr double kEntropyTolerance = 1e-6;

using Candidate = std::pair<float, int32_t>;

double ExactSquaredDistance(const float* a, const float* b, Eigen::Index dims) {
  double sum = 0;
  for (Eigen::Index d = 0; d < dims; ++d) {
    const double diff = static_cast<double>(a[d]) - static_cast<double>(b[d]);
    sum += diff * diff;
  }
  return sum;
}

// Fills p[0..k) with exp(-beta (d - d_min)) normalised to sum 1 and returns the beta whose
// entropy matches log(perplexity). Bisection on beta, doubling/halving while unbounded.
double SearchRow(const double* squared_distances, int64_t k, double perplexity, double* p) {
  const double target = std::log(perplexity);
  const double infinity = std::numeric_limits<double>::infinity();
  double d_min = squared_distances[0];
  for (int64_t j = 1; j < k; ++j) d_min = std::min(d_min, squared_distances[j]);

  double beta = 1.0;
  double beta_low = -infinity;
  double beta_high = infinity;
  double sum = 0;
  for (int step = 0; step < kMaxBisectionSteps; ++step) {
    sum = 0;
    double weighted = 0;
    for (int64_t j = 0; j < k; ++j) {
      const double shifted = squared_distances[j] - d_min;
      p[j] = std::exp(-beta * shifted);
      sum += p[j];
      weighted += shifted * p[j];
    }
    const double entropy = std::log(sum) + beta * weighted / sum;
    const double error = entropy - target;
    if (std::abs(error) < kEntropyTolerance) break;
    if (error > 0) {  // too flat: narrow the Gaussian
      beta_low = beta;
      beta = beta_high == infinity ? beta * 2 : (beta + beta_high) / 2;
    } else {
      beta_high = beta;
      beta = beta_low == -infinity ? beta / 2 : (beta + beta_low) / 2;
    }
  }
  for (int64_t j = 0; j < k; ++j) p[j] /= sum;
  return beta;
}

}  // namespace

int64_t TsneNeighborCount(int64_t points, double perplexity) {
  const auto wanted = static_cast<int64_t>(std::floor(3 * perplexity)) + 1;
  return std::min(points - 1, wanted);
}

NeighborGraph ExactNearestNeighbors(const Eigen::Ref<const pipeline::RowMatrixXf>& x, int64_t k) {
  const int64_t n = x.rows();
  const Eigen::Index dims = x.cols();
  if (k < 1 || k >= n) {
    throw pipeline::StageError("tsne: needs 1 <= neighbours < points, got " + std::to_string(k) +
                               " neighbours for " + std::to_string(n) + " points");
  }
  NeighborGraph graph;
  graph.points = n;
  graph.k = k;
  graph.neighbors.resize(static_cast<size_t>(n * k));
  graph.squared_distances.resize(static_cast<size_t>(n * k));
  const Eigen::VectorXf norms = x.rowwise().squaredNorm();
  const int64_t keep = std::min(n - 1, k + kExtraCandidates);

  ForEachRowBlock(n, kDistanceBlockRows, [&](int64_t begin, int64_t end) {
    pipeline::RowMatrixXf products(end - begin, n);
    products.noalias() = x.middleRows(begin, end - begin) * x.transpose();
    std::vector<Candidate> heap;
    std::vector<std::pair<double, int32_t>> exact;
    for (int64_t i = begin; i < end; ++i) {
      const float* row = products.data() + (i - begin) * n;
      const float norm_i = norms(i);
      heap.clear();
      for (int64_t j = 0; j < n; ++j) {
        if (j == i) continue;
        const Candidate candidate(norm_i + norms(j) - 2 * row[j], static_cast<int32_t>(j));
        if (static_cast<int64_t>(heap.size()) < keep) {
          heap.push_back(candidate);
          std::push_heap(heap.begin(), heap.end());
        } else if (candidate < heap.front()) {
          std::pop_heap(heap.begin(), heap.end());
          heap.back() = candidate;
          std::push_heap(heap.begin(), heap.end());
        }
      }
      exact.clear();
      for (const Candidate& candidate : heap) {
        exact.emplace_back(ExactSquaredDistance(x.row(i).data(), x.row(candidate.second).data(),
                                                dims),
                           candidate.second);
      }
      std::sort(exact.begin(), exact.end());
      for (int64_t j = 0; j < k; ++j) {
        graph.neighbors[static_cast<size_t>(i * k + j)] = exact[static_cast<size_t>(j)].second;
        graph.squared_distances[static_cast<size_t>(i * k + j)] =
            exact[static_cast<size_t>(j)].first;
      }
    }
  });
  return graph;
}

ConditionalAffinities SearchBandwidths(const NeighborGraph& graph, double perplexity) {
  if (!(perplexity > 1) || perplexity > static_cast<double>(graph.k)) {
    throw pipeline::StageError("tsne: perplexity must be in (1, " + std::to_string(graph.k) +
                               "] for " + std::to_string(graph.points) +
                               " points, got " + std::to_string(perplexity) +
                               "; lower the perplexity");
  }
  ConditionalAffinities result;
  result.probabilities.resize(graph.squared_distances.size());
  result.betas.resize(static_cast<size_t>(graph.points));
  const int64_t k = graph.k;
  ForEachRowBlock(graph.points, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const size_t offset = static_cast<size_t>(i * k);
      result.betas[static_cast<size_t>(i)] =
          SearchRow(graph.squared_distances.data() + offset, k, perplexity,
                    result.probabilities.data() + offset);
    }
  });
  return result;
}

SparseAffinities SymmetrizeAffinities(const NeighborGraph& graph,
                                      const ConditionalAffinities& conditional) {
  const int64_t n = graph.points;
  const int64_t k = graph.k;
  // P_cond^T in compressed-row form; rows come out with ascending columns because sources are
  // visited in index order.
  std::vector<int64_t> transpose_offsets(static_cast<size_t>(n + 1), 0);
  for (int32_t j : graph.neighbors) ++transpose_offsets[static_cast<size_t>(j) + 1];
  for (int64_t i = 0; i < n; ++i) {
    transpose_offsets[static_cast<size_t>(i + 1)] += transpose_offsets[static_cast<size_t>(i)];
  }
  std::vector<int32_t> transpose_columns(graph.neighbors.size());
  std::vector<double> transpose_values(graph.neighbors.size());
  std::vector<int64_t> fill(transpose_offsets.begin(), transpose_offsets.end() - 1);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t e = i * k; e < (i + 1) * k; ++e) {
      const auto j = static_cast<size_t>(graph.neighbors[static_cast<size_t>(e)]);
      const auto slot = static_cast<size_t>(fill[j]++);
      transpose_columns[slot] = static_cast<int32_t>(i);
      transpose_values[slot] = conditional.probabilities[static_cast<size_t>(e)];
    }
  }

  // Row i of P_cond + P_cond^T: merge its own neighbours (sorted by column) with row i of the
  // transpose.
  std::vector<std::vector<std::pair<int32_t, double>>> rows(static_cast<size_t>(n));
  ForEachRowBlock(n, 256, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<int32_t, double>> own;
    for (int64_t i = begin; i < end; ++i) {
      own.clear();
      for (int64_t e = i * k; e < (i + 1) * k; ++e) {
        own.emplace_back(graph.neighbors[static_cast<size_t>(e)],
                         conditional.probabilities[static_cast<size_t>(e)]);
      }
      std::sort(own.begin(), own.end());
      auto& merged = rows[static_cast<size_t>(i)];
      size_t a = 0;
      auto b = static_cast<size_t>(transpose_offsets[static_cast<size_t>(i)]);
      const auto b_end = static_cast<size_t>(transpose_offsets[static_cast<size_t>(i) + 1]);
      while (a < own.size() || b < b_end) {
        if (b == b_end || (a < own.size() && own[a].first < transpose_columns[b])) {
          merged.push_back(own[a++]);
        } else if (a == own.size() || transpose_columns[b] < own[a].first) {
          merged.emplace_back(transpose_columns[b], transpose_values[b]);
          ++b;
        } else {
          merged.emplace_back(own[a].first, own[a].second + transpose_values[b]);
          ++a;
          ++b;
        }
      }
    }
  });

  SparseAffinities p;
  p.points = n;
  p.row_offsets.assign(static_cast<size_t>(n + 1), 0);
  for (int64_t i = 0; i < n; ++i) {
    p.row_offsets[static_cast<size_t>(i + 1)] =
        p.row_offsets[static_cast<size_t>(i)] + static_cast<int64_t>(rows[static_cast<size_t>(i)].size());
  }
  p.columns.reserve(static_cast<size_t>(p.row_offsets.back()));
  p.values.reserve(static_cast<size_t>(p.row_offsets.back()));
  double total = 0;
  for (const auto& row : rows) {
    for (const auto& [column, value] : row) {
      p.columns.push_back(column);
      p.values.push_back(value);
      total += value;
    }
  }
  for (double& value : p.values) value /= total;
  return p;
}

SparseAffinities ComputeTsneAffinities(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                                       double perplexity) {
  const NeighborGraph graph = ExactNearestNeighbors(x, TsneNeighborCount(x.rows(), perplexity));
  return SymmetrizeAffinities(graph, SearchBandwidths(graph, perplexity));
}

}  // namespace stages
