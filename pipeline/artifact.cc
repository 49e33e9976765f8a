#include "pipeline/artifact.h"

#include "pipeline/errors.h"

namespace pipeline {

void Artifact::Put(const std::string& name, Tensor tensor) {
  tensors_[name] = std::move(tensor);
}

const Tensor* Artifact::Find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const Tensor& Artifact::Get(const std::string& name) const {
  if (const Tensor* t = Find(name)) return *t;
  throw StageError("no tensor '" + name + "' in the input (it has: " + Describe() + ")");
}

Tensor& Artifact::Mutable(const std::string& name) {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    throw StageError("no tensor '" + name + "' in the artifact (it has: " + Describe() + ")");
  }
  return it->second;
}

std::string Artifact::Describe() const {
  if (tensors_.empty()) return "nothing";
  std::string out;
  for (const auto& [name, tensor] : tensors_) {
    if (!out.empty()) out += ", ";
    out += name + " " + tensor.ShapeString();
  }
  return out;
}

}  // namespace pipeline
