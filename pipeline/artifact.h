#pragma once
// Artifact: what one stage hands to the next — named tensors plus a small JSON document of
// metadata (class names, the shape of the images, a model's hyper-parameters).
//
// Naming conventions shared by all stages (see docs/artifacts.md):
//   "x"  float32 [N, ...]  examples (images as [N, C, H, W], features as [N, D])
//   "y"  int32   [N]       class labels
//   "ids" int32  [N]       the examples' ids in the original data set
// Stages that transform "x" pass "y" and "ids" through, so downstream stages find them.
//
// Not thread-safe for writing; shared read-only as shared_ptr<const Artifact>.

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/tensor.h"

namespace pipeline {

class Artifact {
 public:
  void Put(const std::string& name, Tensor tensor);
  bool Has(const std::string& name) const { return tensors_.count(name) > 0; }
  const Tensor* Find(const std::string& name) const;
  // Throws StageError naming the tensors that are present.
  const Tensor& Get(const std::string& name) const;
  Tensor& Mutable(const std::string& name);
  std::string Describe() const;  // "x [100, 784] float32, y [100] int32"

  const std::map<std::string, Tensor>& tensors() const { return tensors_; }
  nlohmann::json& meta() { return meta_; }
  const nlohmann::json& meta() const { return meta_; }

 private:
  std::map<std::string, Tensor> tensors_;
  nlohmann::json meta_ = nlohmann::json::object();
};

using ArtifactPtr = std::shared_ptr<const Artifact>;

}  // namespace pipeline
