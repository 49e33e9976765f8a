#pragma once
// Exact squared Euclidean distances in double for k-means and its seeding.
//
// The sum runs in eight interleaved partial sums (one fixed-size Eigen array: one AVX-512 or
// two AVX2 registers, element-wise operations only) joined in a fixed order at the end, so the
// result is the same bits on every ISA and for every memory alignment, and the loop is not
// bound by the latency of one long chain of additions.

#include <Eigen/Core>
#include <cstdint>

namespace stages {

namespace squared_distance_internal {

using Lanes = Eigen::Array<double, 8, 1>;

inline double Join(const Lanes& lanes, double tail) {
  return (((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) +
          ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]))) +
         tail;
}

}  // namespace squared_distance_internal

// ||x - c||^2 for a row x of float (widened on the fly, no copy) or double values.
template <typename Scalar>
double SquaredDistance(const Scalar* x, const double* c, int64_t n) {
  using squared_distance_internal::Lanes;
  Lanes lanes = Lanes::Zero();
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    lanes += (Eigen::Map<const Eigen::Array<Scalar, 8, 1>>(x + d).template cast<double>() -
              Eigen::Map<const Lanes>(c + d))
                 .square();
  }
  double tail = 0;
  for (; d < n; ++d) {
    const double diff = static_cast<double>(x[d]) - c[d];
    tail += diff * diff;
  }
  return squared_distance_internal::Join(lanes, tail);
}

// ||x||^2 of a float row, in double.
inline double SquaredNorm(const float* x, int64_t n) {
  using squared_distance_internal::Lanes;
  Lanes lanes = Lanes::Zero();
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    lanes += Eigen::Map<const Eigen::Array<float, 8, 1>>(x + d).cast<double>().square();
  }
  double tail = 0;
  for (; d < n; ++d) tail += static_cast<double>(x[d]) * static_cast<double>(x[d]);
  return squared_distance_internal::Join(lanes, tail);
}

// out[0..n) = in[0..n) widened to double.
inline void Widen(const float* in, int64_t n, double* out) {
  Eigen::Map<Eigen::ArrayXd>(out, n) = Eigen::Map<const Eigen::ArrayXf>(in, n).cast<double>();
}

// sum[0..n) += in[0..n), widened to double.
inline void AddWidened(const float* in, int64_t n, double* sum) {
  Eigen::Map<Eigen::ArrayXd>(sum, n) += Eigen::Map<const Eigen::ArrayXf>(in, n).cast<double>();
}

}  // namespace stages
