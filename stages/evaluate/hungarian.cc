#include "stages/evaluate/hungarian.h"

// Implementation notes
// Rows are inserted one at a time. Inserting a row grows a Dijkstra-like tree of alternating
// paths over reduced costs cost(r, c) - row_potential(r) - column_potential(c), which stay
// non-negative on every edge and zero on matched ones. Each round finds the cheapest unvisited
// column (`slack`), shifts the potentials by that amount so one more column becomes tight,
// and stops at a free column; the path to it (`previous_column`) is then flipped, so the
// matching grows by one. An extra column with index m stands for "the row being inserted" and
// roots the tree. Each insertion costs O(n m), hence O(n^2 m) overall; requires n <= m, so a
// taller matrix is solved transposed.

#include <algorithm>
#include <limits>
#include <string>

#include "pipeline/errors.h"

namespace stages {
namespace {

constexpr int64_t kUnmatched = -1;

// Requires cost.rows() <= cost.cols(). Returns the column of each row.
std::vector<int64_t> SolveWide(const Eigen::MatrixXd& cost) {
  const int64_t rows = cost.rows();
  const int64_t cols = cost.cols();
  const int64_t root = cols;  // the virtual column
  const double infinity = std::numeric_limits<double>::infinity();

  std::vector<double> row_potential(static_cast<size_t>(rows), 0.0);
  std::vector<double> column_potential(static_cast<size_t>(cols + 1), 0.0);
  std::vector<int64_t> owner(static_cast<size_t>(cols + 1), kUnmatched);  // row of a column
  std::vector<int64_t> previous_column(static_cast<size_t>(cols + 1), root);
  std::vector<double> slack(static_cast<size_t>(cols + 1));
  std::vector<char> visited(static_cast<size_t>(cols + 1));

  for (int64_t row = 0; row < rows; ++row) {
    owner[static_cast<size_t>(root)] = row;
    std::fill(slack.begin(), slack.end(), infinity);
    std::fill(visited.begin(), visited.end(), 0);
    int64_t column = root;
    do {
      visited[static_cast<size_t>(column)] = 1;
      const int64_t from_row = owner[static_cast<size_t>(column)];
      double delta = infinity;
      int64_t next = kUnmatched;
      for (int64_t c = 0; c < cols; ++c) {
        const auto ci = static_cast<size_t>(c);
        if (visited[ci]) continue;
        const double reduced =
            cost(from_row, c) - row_potential[static_cast<size_t>(from_row)] - column_potential[ci];
        if (reduced < slack[ci]) {
          slack[ci] = reduced;
          previous_column[ci] = column;
        }
        if (slack[ci] < delta) {
          delta = slack[ci];
          next = c;
        }
      }
      for (int64_t c = 0; c <= cols; ++c) {
        const auto ci = static_cast<size_t>(c);
        if (visited[ci]) {
          row_potential[static_cast<size_t>(owner[ci])] += delta;
          column_potential[ci] -= delta;
        } else {
          slack[ci] -= delta;
        }
      }
      column = next;
    } while (owner[static_cast<size_t>(column)] != kUnmatched);
    // Flip the alternating path from the free column back to the root.
    while (column != root) {
      const int64_t before = previous_column[static_cast<size_t>(column)];
      owner[static_cast<size_t>(column)] = owner[static_cast<size_t>(before)];
      column = before;
    }
  }

  std::vector<int64_t> row_to_column(static_cast<size_t>(rows), kUnmatched);
  for (int64_t c = 0; c < cols; ++c) {
    const int64_t row = owner[static_cast<size_t>(c)];
    if (row != kUnmatched) row_to_column[static_cast<size_t>(row)] = c;
  }
  return row_to_column;
}

}  // namespace

AssignmentResult MinimumCostAssignment(const Eigen::MatrixXd& cost) {
  if (!cost.allFinite()) {
    throw pipeline::StageError("assignment problem: the cost matrix has NaN or infinite entries");
  }
  AssignmentResult result;
  if (cost.rows() <= cost.cols()) {
    result.row_to_column = SolveWide(cost);
  } else {
    const Eigen::MatrixXd transposed = cost.transpose();
    const std::vector<int64_t> column_to_row = SolveWide(transposed);
    result.row_to_column.assign(static_cast<size_t>(cost.rows()), kUnmatched);
    for (size_t c = 0; c < column_to_row.size(); ++c) {
      result.row_to_column[static_cast<size_t>(column_to_row[c])] = static_cast<int64_t>(c);
    }
  }
  for (size_t r = 0; r < result.row_to_column.size(); ++r) {
    const int64_t c = result.row_to_column[r];
    if (c != kUnmatched) result.total += cost(static_cast<Eigen::Index>(r), c);
  }
  return result;
}

AssignmentResult MaximumProfitAssignment(const Eigen::MatrixXd& profit) {
  AssignmentResult result = MinimumCostAssignment(-profit);
  result.total = -result.total;
  return result;
}

}  // namespace stages
