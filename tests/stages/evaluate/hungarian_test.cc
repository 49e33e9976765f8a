#include "stages/evaluate/hungarian.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <numeric>
#include <set>

#include "pipeline/errors.h"
#include "pipeline/rng.h"

namespace {

// The least total cost over all ways to pair min(rows, cols) rows and columns, by enumeration.
double BruteForceMinimum(const Eigen::MatrixXd& cost) {
  if (cost.rows() > cost.cols()) return BruteForceMinimum(cost.transpose());
  std::vector<Eigen::Index> columns(static_cast<size_t>(cost.cols()));
  std::iota(columns.begin(), columns.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {  // rows take the first cost.rows() columns of each permutation
    double total = 0.0;
    for (Eigen::Index r = 0; r < cost.rows(); ++r)
      total += cost(r, columns[static_cast<size_t>(r)]);
    best = std::min(best, total);
  } while (std::next_permutation(columns.begin(), columns.end()));
  return best;
}

// Checks that the assignment pairs min(rows, cols) distinct rows and columns and that its
// total is the sum of the chosen entries.
void CheckValid(const Eigen::MatrixXd& cost, const stages::AssignmentResult& result) {
  REQUIRE(result.row_to_column.size() == static_cast<size_t>(cost.rows()));
  std::set<int64_t> used;
  double total = 0.0;
  for (size_t r = 0; r < result.row_to_column.size(); ++r) {
    const int64_t c = result.row_to_column[r];
    if (c < 0) continue;
    REQUIRE(c < cost.cols());
    CHECK(used.insert(c).second);
    total += cost(static_cast<Eigen::Index>(r), c);
  }
  CHECK(used.size() == static_cast<size_t>(std::min(cost.rows(), cost.cols())));
  CHECK(result.total == Approx(total));
}

Eigen::MatrixXd RandomMatrix(Eigen::Index rows, Eigen::Index cols, pipeline::Rng& rng,
                             bool integers) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    // Small integers make many ties, which stress the tie handling.
    m.data()[i] = integers ? static_cast<double>(rng.UniformInt(6)) : rng.Uniform(-10.0, 10.0);
  }
  return m;
}

}  // namespace

TEST_CASE("Hungarian method solves a textbook example", "[hungarian]") {
  Eigen::MatrixXd cost(3, 3);
  cost << 4, 1, 3,  //
      2, 0, 5,      //
      3, 2, 2;
  const stages::AssignmentResult result = stages::MinimumCostAssignment(cost);
  CHECK(result.row_to_column == std::vector<int64_t>{1, 0, 2});
  CHECK(result.total == 5.0);
}

TEST_CASE("Hungarian method agrees with brute force on random matrices", "[hungarian]") {
  pipeline::Rng rng(2024);
  for (Eigen::Index rows = 1; rows <= 6; ++rows) {
    for (Eigen::Index cols = 1; cols <= 6; ++cols) {
      for (int trial = 0; trial < 6; ++trial) {
        const Eigen::MatrixXd cost = RandomMatrix(rows, cols, rng, trial % 2 == 0);
        INFO(rows << " x " << cols << " trial " << trial << "\n" << cost);
        const stages::AssignmentResult result = stages::MinimumCostAssignment(cost);
        CheckValid(cost, result);
        CHECK(result.total == Approx(BruteForceMinimum(cost)).margin(1e-9));
      }
    }
  }
}

TEST_CASE("Hungarian maximum profit is the minimum cost of the negated matrix", "[hungarian]") {
  Eigen::MatrixXd profit(2, 3);
  profit << 5, 9, 1,  //
      10, 3, 2;
  const stages::AssignmentResult result = stages::MaximumProfitAssignment(profit);
  CHECK(result.row_to_column == std::vector<int64_t>{1, 0});
  CHECK(result.total == 19.0);
}

TEST_CASE("Hungarian method leaves extra rows unassigned", "[hungarian]") {
  Eigen::MatrixXd cost(3, 1);
  cost << 7, 2, 9;
  const stages::AssignmentResult result = stages::MinimumCostAssignment(cost);
  CHECK(result.row_to_column == std::vector<int64_t>{-1, 0, -1});
  CHECK(result.total == 2.0);
}

TEST_CASE("Hungarian method rejects non-finite costs and accepts empty ones", "[hungarian]") {
  Eigen::MatrixXd cost = Eigen::MatrixXd::Zero(2, 2);
  cost(1, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(stages::MinimumCostAssignment(cost), pipeline::StageError);
  const stages::AssignmentResult empty = stages::MinimumCostAssignment(Eigen::MatrixXd(0, 3));
  CHECK(empty.row_to_column.empty());
  CHECK(empty.total == 0.0);
}
