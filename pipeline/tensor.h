#pragma once
// Tensor: a dense, row-major array with a shape and one of three element types. Stages exchange
// data as named tensors inside an Artifact (artifact.h). By convention the first dimension is
// the example index, so a tensor of shape [N, C, H, W] is also an N x (C*H*W) matrix.
//
// Tensors own their storage and are copyable (copies are deep); stages pass them around inside
// shared_ptr<const Artifact>, so big tensors are not copied between stages.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <Eigen/Core>

namespace pipeline {

enum class DType : uint8_t { kFloat32 = 1, kInt32 = 2, kFloat64 = 3 };

const char* DTypeName(DType dtype);

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, std::vector<int64_t> shape);

  static Tensor FromMatrix(const RowMatrixXf& matrix);
  static Tensor FromMatrix(const RowMatrixXd& matrix);
  static Tensor FromVector(const std::vector<int32_t>& values);
  static Tensor FromVector(const std::vector<double>& values);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t size() const;       // number of elements
  int64_t rows() const;       // shape[0], or 1 for a scalar
  int64_t row_size() const;   // product of the remaining dimensions
  size_t byte_size() const;
  std::string ShapeString() const;  // e.g. "[60000, 1, 28, 28] float32"

  // Element access; each checks the dtype and throws StageError on a mismatch.
  float* f32();
  const float* f32() const;
  int32_t* i32();
  const int32_t* i32() const;
  double* f64();
  const double* f64() const;
  const void* raw() const;
  void* raw();

  // rows() x row_size() views.
  Eigen::Map<RowMatrixXf> MatrixF();
  Eigen::Map<const RowMatrixXf> MatrixF() const;
  Eigen::Map<RowMatrixXd> MatrixD();
  Eigen::Map<const RowMatrixXd> MatrixD() const;
  std::vector<int32_t> ToIntVector() const;

  // Keeps the given rows (example indices), in that order.
  Tensor SelectRows(const std::vector<int64_t>& rows) const;

 private:
  void CheckDType(DType wanted) const;

  DType dtype_ = DType::kFloat32;
  std::vector<int64_t> shape_;
  std::variant<std::vector<float>, std::vector<int32_t>, std::vector<double>> data_;
};

}  // namespace pipeline
