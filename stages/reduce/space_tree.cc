#include "stages/reduce/space_tree.h"

// Implementation notes
// - The build partitions order_ in place, one level at a time, with a counting sort by child
//   code (bit a set when coordinate a >= the cell centre on that axis). Children are visited in
//   code order, so the layout depends only on the coordinates.
// - A cell's centre of mass is the mean of its points summed in order_ order: O(N depth) in
//   total, deterministic, and exact for leaves (theta = 0 then gives the exact gradient).
// - Leaves get width_squared = 0, so the single test `width_squared <= theta^2 d^2` summarises
//   every leaf, including the query point's own leaf at d = 0, without a leaf flag.

#include <algorithm>
#include <numeric>

namespace stages {

template <int kDims>
SpaceTree<kDims>::SpaceTree(const double* coordinates, int64_t points)
    : coordinates_(coordinates), order_(static_cast<size_t>(points)), scratch_(order_.size()) {
  std::iota(order_.begin(), order_.end(), 0);
  if (points == 0) return;
  double low[kDims];
  double high[kDims];
  for (int a = 0; a < kDims; ++a) low[a] = high[a] = coordinates[a];
  for (int64_t i = 1; i < points; ++i) {
    for (int a = 0; a < kDims; ++a) {
      low[a] = std::min(low[a], coordinates[i * kDims + a]);
      high[a] = std::max(high[a], coordinates[i * kDims + a]);
    }
  }
  double center[kDims];
  double half_width = 0;
  for (int a = 0; a < kDims; ++a) {
    center[a] = (low[a] + high[a]) / 2;
    half_width = std::max(half_width, (high[a] - low[a]) / 2);
  }
  nodes_.reserve(static_cast<size_t>(2 * points));
  Build(0, points, center, half_width, 0);
}

template <int kDims>
bool SpaceTree<kDims>::AllEqual(int64_t begin, int64_t end) const {
  const double* first = coordinates_ + static_cast<int64_t>(order_[static_cast<size_t>(begin)]) * kDims;
  for (int64_t i = begin + 1; i < end; ++i) {
    const double* point = coordinates_ + static_cast<int64_t>(order_[static_cast<size_t>(i)]) * kDims;
    for (int a = 0; a < kDims; ++a) {
      if (point[a] != first[a]) return false;
    }
  }
  return true;
}

template <int kDims>
void SpaceTree<kDims>::Build(int64_t begin, int64_t end, const double* center, double half_width,
                             int depth) {
  const size_t index = nodes_.size();
  nodes_.emplace_back();
  Node node{};
  node.count = static_cast<int32_t>(end - begin);
  double sum[kDims] = {};
  for (int64_t i = begin; i < end; ++i) {
    const double* point = coordinates_ + static_cast<int64_t>(order_[static_cast<size_t>(i)]) * kDims;
    for (int a = 0; a < kDims; ++a) sum[a] += point[a];
  }
  for (int a = 0; a < kDims; ++a) node.center_of_mass[a] = sum[a] / node.count;

  const bool leaf = end - begin == 1 || depth >= kMaxDepth || AllEqual(begin, end);
  if (leaf) {
    node.width_squared = 0;
    node.skip = static_cast<int32_t>(index + 1);
    nodes_[index] = node;
    return;
  }
  node.width_squared = 4 * half_width * half_width;

  constexpr int kChildren = 1 << kDims;
  int64_t child_begin[kChildren + 1] = {};
  auto child_code = [&](int32_t point_index) {
    const double* point = coordinates_ + static_cast<int64_t>(point_index) * kDims;
    int code = 0;
    for (int a = 0; a < kDims; ++a) code |= (point[a] >= center[a] ? 1 : 0) << a;
    return code;
  };
  for (int64_t i = begin; i < end; ++i) ++child_begin[child_code(order_[static_cast<size_t>(i)]) + 1];
  child_begin[0] = begin;
  for (int c = 0; c < kChildren; ++c) child_begin[c + 1] += child_begin[c];
  int64_t fill[kChildren];
  std::copy(child_begin, child_begin + kChildren, fill);
  for (int64_t i = begin; i < end; ++i) {
    const int32_t point_index = order_[static_cast<size_t>(i)];
    scratch_[static_cast<size_t>(fill[child_code(point_index)]++)] = point_index;
  }
  std::copy(scratch_.begin() + begin, scratch_.begin() + end, order_.begin() + begin);
  nodes_[index] = node;

  const double child_half = half_width / 2;
  for (int c = 0; c < kChildren; ++c) {
    if (child_begin[c + 1] == child_begin[c]) continue;
    double child_center[kDims];
    for (int a = 0; a < kDims; ++a) {
      child_center[a] = center[a] + ((c >> a) & 1 ? child_half : -child_half);
    }
    Build(child_begin[c], child_begin[c + 1], child_center, child_half, depth + 1);
  }
  nodes_[index].skip = static_cast<int32_t>(nodes_.size());
}

template <int kDims>
double SpaceTree<kDims>::Repulsion(const double* y, double theta_squared, double* force) const {
  double sum_q = 0;
  double accumulated[kDims] = {};
  const Node* nodes = nodes_.data();
  const auto size = static_cast<int32_t>(nodes_.size());
  int32_t n = 0;
  while (n < size) {
    const Node& node = nodes[n];
    double diff[kDims];
    double distance_squared = 0;
    for (int a = 0; a < kDims; ++a) {
      diff[a] = y[a] - node.center_of_mass[a];
      distance_squared += diff[a] * diff[a];
    }
    if (node.width_squared <= theta_squared * distance_squared) {
      const double w = 1 / (1 + distance_squared);
      const double count_w = node.count * w;
      sum_q += count_w;
      const double scale = count_w * w;
      for (int a = 0; a < kDims; ++a) accumulated[a] += scale * diff[a];
      n = node.skip;
    } else {
      ++n;
    }
  }
  for (int a = 0; a < kDims; ++a) force[a] += accumulated[a];
  return sum_q;
}

template class SpaceTree<2>;
template class SpaceTree<3>;

}  // namespace stages
