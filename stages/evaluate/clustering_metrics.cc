#include "stages/evaluate/clustering_metrics.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "pipeline/errors.h"
#include "stages/evaluate/hungarian.h"

namespace stages {
namespace {

std::vector<int32_t> DistinctSorted(std::vector<int32_t> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

Eigen::Index IndexOf(const std::vector<int32_t>& sorted, int32_t value) {
  return std::lower_bound(sorted.begin(), sorted.end(), value) - sorted.begin();
}

// Shannon entropy (nats) of a distribution given by counts summing to `total`.
double Entropy(const Eigen::VectorXd& counts, double total) {
  double entropy = 0.0;
  for (Eigen::Index i = 0; i < counts.size(); ++i) {
    if (counts(i) > 0) entropy -= counts(i) / total * std::log(counts(i) / total);
  }
  return entropy;
}

// Sum over the entries of (n choose 2); the entries are exact integer counts.
template <typename Counts>
int64_t SumPairs(const Counts& counts) {
  int64_t pairs = 0;
  for (Eigen::Index i = 0; i < counts.size(); ++i) {
    const auto n = static_cast<int64_t>(counts(i));
    pairs += n * (n - 1) / 2;
  }
  return pairs;
}

}  // namespace

ContingencyTable BuildContingencyTable(const std::vector<int32_t>& truth,
                                       const std::vector<int32_t>& predicted) {
  if (truth.size() != predicted.size()) {
    throw pipeline::StageError("clustering scores: " + std::to_string(truth.size()) +
                               " true labels but " + std::to_string(predicted.size()) +
                               " cluster assignments; they must describe the same examples");
  }
  if (truth.empty()) throw pipeline::StageError("clustering scores: no examples to score");
  ContingencyTable table;
  table.classes = DistinctSorted(truth);
  table.clusters = DistinctSorted(predicted);
  table.counts = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(table.classes.size()),
                                       static_cast<Eigen::Index>(table.clusters.size()));
  for (size_t i = 0; i < truth.size(); ++i) {
    table.counts(IndexOf(table.classes, truth[i]), IndexOf(table.clusters, predicted[i])) += 1;
  }
  table.total = static_cast<int64_t>(truth.size());
  return table;
}

double ClusteringAccuracy(const ContingencyTable& table) {
  return MaximumProfitAssignment(table.counts).total / static_cast<double>(table.total);
}

double NormalizedMutualInformation(const ContingencyTable& table) {
  if (table.classes.size() == 1 && table.clusters.size() == 1) return 1.0;
  const auto total = static_cast<double>(table.total);
  const Eigen::VectorXd class_counts = table.counts.rowwise().sum();
  const Eigen::VectorXd cluster_counts = table.counts.colwise().sum().transpose();

  // I(U; V) = sum_ij p_ij log(p_ij / (p_i p_j)) with p_ij = n_ij / N.
  double mutual_information = 0.0;
  for (Eigen::Index i = 0; i < table.counts.rows(); ++i) {
    for (Eigen::Index j = 0; j < table.counts.cols(); ++j) {
      const double n = table.counts(i, j);
      if (n == 0) continue;
      mutual_information += n / total * std::log(n * total / (class_counts(i) * cluster_counts(j)));
    }
  }
  // Rounding can leave an independent pair's information slightly below zero.
  if (mutual_information <= 0) return 0.0;
  const double normalizer = (Entropy(class_counts, total) + Entropy(cluster_counts, total)) / 2;
  return mutual_information / normalizer;
}

double AdjustedRandIndex(const ContingencyTable& table) {
  // Pair counts (unordered pairs of examples), exact in 64-bit integers:
  //   together  pairs in the same class and the same cluster
  //   same_class, same_cluster  pairs sharing the class, resp. the cluster
  const int64_t together = SumPairs(table.counts.reshaped());
  const int64_t same_class = SumPairs(table.counts.rowwise().sum());
  const int64_t same_cluster = SumPairs(table.counts.colwise().sum().transpose());
  const int64_t all_pairs = table.total * (table.total - 1) / 2;
  const int64_t split_class = same_class - together;        // same class, different clusters
  const int64_t merged_classes = same_cluster - together;   // same cluster, different classes
  if (split_class == 0 && merged_classes == 0) return 1.0;  // identical partitions
  // Hubert & Arabie's (index - expected) / (max - expected), written over the pair counts as
  // 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)); products in double because
  // they overflow 64 bits beyond about 80,000 examples.
  const auto tp = static_cast<double>(together);
  const auto fn = static_cast<double>(split_class);
  const auto fp = static_cast<double>(merged_classes);
  const auto tn = static_cast<double>(all_pairs - same_class - same_cluster + together);
  return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

}  // namespace stages
