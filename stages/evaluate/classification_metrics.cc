#include "stages/evaluate/classification_metrics.h"

#include <algorithm>
#include <fstream>
#include <string>

#include "pipeline/errors.h"

namespace stages {
namespace {

Eigen::Index IndexOf(const std::vector<int32_t>& classes, int32_t label) {
  return std::lower_bound(classes.begin(), classes.end(), label) - classes.begin();
}

}  // namespace

ConfusionMatrix BuildConfusionMatrix(const std::vector<int32_t>& truth,
                                     const std::vector<int32_t>& predicted,
                                     const std::vector<int32_t>& known_classes) {
  if (truth.empty() || truth.size() != predicted.size()) {
    throw pipeline::StageError("confusion matrix: " + std::to_string(truth.size()) +
                               " true labels and " + std::to_string(predicted.size()) +
                               " predictions; both must be the same, non-zero length");
  }
  ConfusionMatrix matrix;
  matrix.classes = known_classes;
  matrix.classes.insert(matrix.classes.end(), truth.begin(), truth.end());
  matrix.classes.insert(matrix.classes.end(), predicted.begin(), predicted.end());
  std::sort(matrix.classes.begin(), matrix.classes.end());
  matrix.classes.erase(std::unique(matrix.classes.begin(), matrix.classes.end()),
                       matrix.classes.end());
  const auto size = static_cast<Eigen::Index>(matrix.classes.size());
  matrix.counts = Eigen::MatrixXd::Zero(size, size);
  for (size_t i = 0; i < truth.size(); ++i) {
    matrix.counts(IndexOf(matrix.classes, truth[i]), IndexOf(matrix.classes, predicted[i])) += 1.0;
  }
  matrix.total = static_cast<int64_t>(truth.size());
  return matrix;
}

double Accuracy(const ConfusionMatrix& matrix) {
  return matrix.total == 0 ? 0.0 : matrix.counts.trace() / static_cast<double>(matrix.total);
}

std::vector<ClassAccuracy> PerClassAccuracy(const ConfusionMatrix& matrix) {
  std::vector<ClassAccuracy> out;
  for (size_t c = 0; c < matrix.classes.size(); ++c) {
    const auto index = static_cast<Eigen::Index>(c);
    ClassAccuracy entry;
    entry.label = matrix.classes[c];
    const double support = matrix.counts.row(index).sum();
    entry.support = static_cast<int64_t>(support);
    entry.accuracy = support > 0 ? matrix.counts(index, index) / support : 0.0;
    out.push_back(entry);
  }
  return out;
}

Eigen::MatrixXd RowNormalized(const ConfusionMatrix& matrix) {
  Eigen::MatrixXd normalized = matrix.counts;
  for (Eigen::Index row = 0; row < normalized.rows(); ++row) {
    const double sum = normalized.row(row).sum();
    if (sum > 0) normalized.row(row) /= sum;
  }
  return normalized;
}

std::vector<ConfusedPair> MostConfusedPairs(const ConfusionMatrix& matrix, size_t limit) {
  std::vector<ConfusedPair> pairs;
  for (Eigen::Index row = 0; row < matrix.counts.rows(); ++row) {
    const double support = matrix.counts.row(row).sum();
    for (Eigen::Index column = 0; column < matrix.counts.cols(); ++column) {
      if (row == column || matrix.counts(row, column) == 0) continue;
      ConfusedPair pair;
      pair.truth = matrix.classes[static_cast<size_t>(row)];
      pair.predicted = matrix.classes[static_cast<size_t>(column)];
      pair.count = static_cast<int64_t>(matrix.counts(row, column));
      pair.rate = matrix.counts(row, column) / support;
      pairs.push_back(pair);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const ConfusedPair& a, const ConfusedPair& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.rate != b.rate) return a.rate > b.rate;
    if (a.truth != b.truth) return a.truth < b.truth;
    return a.predicted < b.predicted;
  });
  if (limit > 0 && pairs.size() > limit) pairs.resize(limit);
  return pairs;
}

void WriteMatrixCsv(const std::string& path, const std::vector<int32_t>& classes,
                    const Eigen::MatrixXd& values) {
  std::ofstream file(path);
  file.precision(10);
  file << "true\\predicted";
  for (int32_t label : classes) file << "," << label;
  file << "\n";
  for (Eigen::Index row = 0; row < values.rows(); ++row) {
    file << classes[static_cast<size_t>(row)];
    for (Eigen::Index column = 0; column < values.cols(); ++column) {
      file << "," << values(row, column);
    }
    file << "\n";
  }
  file.close();
  if (!file) throw pipeline::StageError("could not write " + path);
}

}  // namespace stages
