#include "pipeline/tensor.h"

#include <numeric>

#include "pipeline/errors.h"

namespace pipeline {

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kInt32: return "int32";
    case DType::kFloat64: return "float64";
  }
  return "unknown";
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape) : dtype_(dtype), shape_(std::move(shape)) {
  const size_t n = static_cast<size_t>(size());
  switch (dtype_) {
    case DType::kFloat32: data_ = std::vector<float>(n, 0.0f); break;
    case DType::kInt32: data_ = std::vector<int32_t>(n, 0); break;
    case DType::kFloat64: data_ = std::vector<double>(n, 0.0); break;
  }
}

Tensor Tensor::FromMatrix(const RowMatrixXf& matrix) {
  Tensor t(DType::kFloat32, {matrix.rows(), matrix.cols()});
  t.MatrixF() = matrix;
  return t;
}

Tensor Tensor::FromMatrix(const RowMatrixXd& matrix) {
  Tensor t(DType::kFloat64, {matrix.rows(), matrix.cols()});
  t.MatrixD() = matrix;
  return t;
}

Tensor Tensor::FromVector(const std::vector<int32_t>& values) {
  Tensor t(DType::kInt32, {static_cast<int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.i32());
  return t;
}

Tensor Tensor::FromVector(const std::vector<double>& values) {
  Tensor t(DType::kFloat64, {static_cast<int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.f64());
  return t;
}

int64_t Tensor::size() const {
  return std::accumulate(shape_.begin(), shape_.end(), int64_t{1}, std::multiplies<int64_t>());
}

int64_t Tensor::rows() const { return shape_.empty() ? 1 : shape_[0]; }

int64_t Tensor::row_size() const {
  if (shape_.empty()) return 1;
  return std::accumulate(shape_.begin() + 1, shape_.end(), int64_t{1},
                         std::multiplies<int64_t>());
}

size_t Tensor::byte_size() const {
  const size_t element = dtype_ == DType::kFloat64 ? 8 : 4;
  return static_cast<size_t>(size()) * element;
}

std::string Tensor::ShapeString() const {
  std::string out = "[";
  for (size_t i = 0; i < shape_.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape_[i]);
  }
  return out + "] " + DTypeName(dtype_);
}

void Tensor::CheckDType(DType wanted) const {
  if (dtype_ != wanted) {
    throw StageError(std::string("tensor of type ") + DTypeName(dtype_) + " used as " +
                     DTypeName(wanted));
  }
}

float* Tensor::f32() { CheckDType(DType::kFloat32); return std::get<0>(data_).data(); }
const float* Tensor::f32() const { CheckDType(DType::kFloat32); return std::get<0>(data_).data(); }
int32_t* Tensor::i32() { CheckDType(DType::kInt32); return std::get<1>(data_).data(); }
const int32_t* Tensor::i32() const { CheckDType(DType::kInt32); return std::get<1>(data_).data(); }
double* Tensor::f64() { CheckDType(DType::kFloat64); return std::get<2>(data_).data(); }
const double* Tensor::f64() const { CheckDType(DType::kFloat64); return std::get<2>(data_).data(); }

const void* Tensor::raw() const {
  return std::visit([](const auto& v) -> const void* { return v.data(); }, data_);
}
void* Tensor::raw() {
  return std::visit([](auto& v) -> void* { return v.data(); }, data_);
}

Eigen::Map<RowMatrixXf> Tensor::MatrixF() { return {f32(), rows(), row_size()}; }
Eigen::Map<const RowMatrixXf> Tensor::MatrixF() const { return {f32(), rows(), row_size()}; }
Eigen::Map<RowMatrixXd> Tensor::MatrixD() { return {f64(), rows(), row_size()}; }
Eigen::Map<const RowMatrixXd> Tensor::MatrixD() const { return {f64(), rows(), row_size()}; }

std::vector<int32_t> Tensor::ToIntVector() const {
  const int32_t* p = i32();
  return std::vector<int32_t>(p, p + size());
}

Tensor Tensor::SelectRows(const std::vector<int64_t>& rows) const {
  std::vector<int64_t> shape = shape_;
  if (shape.empty()) throw StageError("cannot select rows of a scalar tensor");
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor out(dtype_, shape);
  const size_t element = dtype_ == DType::kFloat64 ? 8 : 4;
  const size_t row_bytes = static_cast<size_t>(row_size()) * element;
  const auto* src = static_cast<const char*>(raw());
  auto* dst = static_cast<char*>(out.raw());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= this->rows()) {
      throw StageError("row " + std::to_string(rows[i]) + " out of range for tensor " +
                       ShapeString());
    }
    std::copy(src + rows[i] * row_bytes, src + (rows[i] + 1) * row_bytes, dst + i * row_bytes);
  }
  return out;
}

}  // namespace pipeline
