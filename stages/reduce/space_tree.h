#pragma once
// SpaceTree<kDims>: the space-partitioning tree of Barnes-Hut t-SNE (a quadtree for kDims = 2,
// an octree for kDims = 3; van der Maaten, "Accelerating t-SNE using tree-based algorithms",
// JMLR 15, 2014, section 4.2). Every cell is a square (cube) split into 2^kDims equal children;
// it stores the number of points inside and their centre of mass.
//
// Layout: nodes are stored in depth-first order and each knows the index just past its subtree
// (`skip`), so a traversal is a forward scan that either descends (index + 1) or jumps over a
// summarised cell (skip) -- no pointers, no stack, and nodes near each other in space sit near
// each other in memory.
//
// Leaves hold one point, or several points at exactly the same position (or, past a depth of
// kMaxDepth, points too close to separate in double precision).
//
// Immutable after construction; Repulsion() is safe to call from many threads at once.

#include <cstdint>
#include <vector>

namespace stages {

template <int kDims>
class SpaceTree {
 public:
  static constexpr int kMaxDepth = 64;

  struct Node {
    double center_of_mass[kDims];
    double width_squared;  // squared side of the cell; 0 for a leaf
    int32_t count;         // points inside the cell
    int32_t skip;          // index of the first node after this subtree
  };

  // Builds the tree over `points` rows of `coordinates` (row-major, kDims per row).
  SpaceTree(const double* coordinates, int64_t points);

  // Barnes-Hut sum of the Student-t kernel w = 1 / (1 + |y - c|^2) over the cells c of a cut of
  // the tree: a cell is summarised by its centre of mass when its squared side is at most
  // theta^2 |y - c|^2 (every leaf is). Adds sum count * w^2 (y - c) to force[0..kDims) and
  // returns sum count * w. For a point of the tree the sum includes the point itself (w = 1,
  // zero force), which the caller subtracts; with theta = 0 the result is exact. A cell that
  // contains y can be summarised only when theta >= 1/sqrt(kDims) (y and the centre of mass lie
  // within one cell diagonal of each other); then the self term is part of that cell's
  // approximation.
  double Repulsion(const double* y, double theta_squared, double* force) const;

  const std::vector<Node>& nodes() const { return nodes_; }
  // Point indices in depth-first order: consecutive points are close in space.
  const std::vector<int32_t>& order() const { return order_; }

 private:
  void Build(int64_t begin, int64_t end, const double* center, double half_width, int depth);
  bool AllEqual(int64_t begin, int64_t end) const;

  const double* coordinates_;
  std::vector<Node> nodes_;
  std::vector<int32_t> order_;
  std::vector<int32_t> scratch_;
};

extern template class SpaceTree<2>;
extern template class SpaceTree<3>;

}  // namespace stages
