#pragma once
// Scores of a classifier's predictions against true labels, all derived from one confusion
// matrix: accuracy, error rate, per-class accuracy (recall), the row-normalised matrix and the
// most confused class pairs (S3, S7). Labels are arbitrary int32 values; classes are listed in
// increasing order.
// Thread-safe: pure functions, no shared state.

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace stages {

// counts(i, j) = number of examples of class classes[i] predicted as classes[j] (rows: truth).
struct ConfusionMatrix {
  std::vector<int32_t> classes;  // increasing: `known_classes` plus every value seen
  Eigen::MatrixXd counts;        // [C, C] whole numbers
  int64_t total = 0;
};

// Builds the matrix. `known_classes` (optional) lists classes that get a row and a column even
// when absent from both vectors, e.g. every training class. Throws pipeline::StageError unless
// both vectors have the same, non-zero length.
ConfusionMatrix BuildConfusionMatrix(const std::vector<int32_t>& truth,
                                     const std::vector<int32_t>& predicted,
                                     const std::vector<int32_t>& known_classes = {});

// Fraction of examples on the diagonal.
double Accuracy(const ConfusionMatrix& matrix);
inline double ErrorRate(const ConfusionMatrix& matrix) { return 1.0 - Accuracy(matrix); }

struct ClassAccuracy {
  int32_t label = 0;
  int64_t support = 0;    // true examples of the class
  double accuracy = 0.0;  // correct / support (recall); 0 when support is 0
};

// One entry per class of the matrix, in its order.
std::vector<ClassAccuracy> PerClassAccuracy(const ConfusionMatrix& matrix);

// counts with each row divided by its sum; rows of classes without true examples stay 0.
Eigen::MatrixXd RowNormalized(const ConfusionMatrix& matrix);

struct ConfusedPair {
  int32_t truth = 0;
  int32_t predicted = 0;
  int64_t count = 0;
  double rate = 0.0;  // count / support of the true class
};

// Off-diagonal cells with a non-zero count, by decreasing count (ties: decreasing rate, then
// increasing truth, then predicted), at most `limit` of them (0: all).
std::vector<ConfusedPair> MostConfusedPairs(const ConfusionMatrix& matrix, size_t limit = 0);

// Writes `values` (e.g. RowNormalized(matrix) or matrix.counts) as CSV with a header row of the
// predicted classes and the true class first in each row. Throws pipeline::StageError naming
// the path if it cannot be written.
void WriteMatrixCsv(const std::string& path, const std::vector<int32_t>& classes,
                    const Eigen::MatrixXd& values);

}  // namespace stages
