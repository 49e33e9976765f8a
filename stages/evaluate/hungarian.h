#pragma once
// The assignment problem: pair rows with columns of a cost matrix, each used at most once, so
// that min(rows, cols) pairs are formed at the lowest total cost. Solved by the Hungarian method
// (Kuhn 1955; Munkres 1957) in its O(n^2 m) shortest-augmenting-path form with row and column
// potentials (Tomizawa 1971; Edmonds & Karp 1972), for n = min(rows, cols), m = max(rows, cols).
//
// Used to match clusters to classes (clustering_metrics.h). Thread-safe: no shared state.

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace stages {

struct AssignmentResult {
  // For each row, the column it is paired with, or -1 when there are more rows than columns
  // and the row is left out.
  std::vector<int64_t> row_to_column;
  double total = 0.0;  // sum of the chosen entries
};

// An assignment of least total cost. Entries must be finite (StageError otherwise); an empty
// matrix gives an empty assignment.
AssignmentResult MinimumCostAssignment(const Eigen::MatrixXd& cost);

// An assignment of greatest total profit (the same problem on -profit).
AssignmentResult MaximumProfitAssignment(const Eigen::MatrixXd& profit);

}  // namespace stages
