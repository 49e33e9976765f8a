#include "pipeline/stage.h"

#include <cmath>

#include "pipeline/clock.h"
#include "pipeline/errors.h"

namespace pipeline {

const char* StageKindName(StageKind kind) {
  switch (kind) {
    case StageKind::kLoad: return "load";
    case StageKind::kAugment: return "augment";
    case StageKind::kResample: return "resample";
    case StageKind::kReduce: return "reduce";
    case StageKind::kCluster: return "cluster";
    case StageKind::kTrain: return "train";
    case StageKind::kEvaluate: return "evaluate";
  }
  return "?";
}

std::string StageRefValue(const std::string& key) { return "stage:" + key; }

std::string StageRefKey(const Json& value) {
  if (!value.is_string()) return "";
  const std::string& text = value.get_ref<const std::string&>();
  return text.compare(0, 6, "stage:") == 0 ? text.substr(6) : "";
}

const Artifact* StageContext::Reference(const std::string& param) const {
  auto it = references_.find(param);
  return it == references_.end() ? nullptr : it->second.get();
}

void StageContext::set_reference(const std::string& param, ArtifactPtr artifact) {
  references_[param] = std::move(artifact);
}

const ParamSpec* StageType::FindParam(const std::string& param) const {
  for (const ParamSpec& spec : params) {
    if (spec.name == param) return &spec;
  }
  return nullptr;
}

StageContext::StageContext(const StageType& type, Params params, std::vector<ArtifactPtr> inputs,
                           uint64_t seed, Clock& clock, int threads, MetricSink& metrics,
                           std::string output_dir, const std::atomic<bool>* cancel_flag)
    : type_(type),
      params_(std::move(params)),
      inputs_(std::move(inputs)),
      seed_(seed),
      rng_(seed),
      clock_(clock),
      threads_(threads < 1 ? 1 : threads),
      metrics_(metrics),
      output_dir_(std::move(output_dir)),
      cancel_flag_(cancel_flag) {}

const Artifact& StageContext::input(size_t index) const {
  if (index >= inputs_.size()) {
    throw StageError("stage '" + type_.name + "' needs input " + std::to_string(index + 1) +
                     " but has " + std::to_string(inputs_.size()));
  }
  return *inputs_[index];
}

const Tensor* StageContext::FindInputOrNull(const std::string& name) const {
  for (const ArtifactPtr& input : inputs_) {
    if (const Tensor* t = input->Find(name)) return t;
  }
  return nullptr;
}

const Tensor& StageContext::FindInput(const std::string& name) const {
  if (const Tensor* t = FindInputOrNull(name)) return *t;
  std::string have;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    have += (i ? "; input " : "input ") + std::to_string(i + 1) + ": " + inputs_[i]->Describe();
  }
  if (inputs_.empty()) have = "no inputs";
  throw StageError("stage '" + type_.name + "' needs a tensor '" + name +
                   "' but its inputs hold " + have);
}

Json StageContext::InputMeta() const {
  Json merged = Json::object();
  for (auto it = inputs_.rbegin(); it != inputs_.rend(); ++it) {
    for (const auto& [key, value] : (*it)->meta().items()) merged[key] = value;
  }
  return merged;
}

void StageContext::Metric(const std::string& name, int64_t step, double value) {
  if (!std::isfinite(value)) {
    throw StageError("metric '" + name + "' at step " + std::to_string(step) + " is " +
                     (std::isnan(value) ? "NaN" : "infinite") +
                     ": the computation broke down numerically");
  }
  metrics_.LogMetric(name, step, value, clock_.WallSeconds());
}

std::string StageContext::FilePath(const std::string& file_name, const std::string& kind) {
  if (output_dir_.empty()) throw StageError("this stage context has no output folder");
  if (file_name.find('/') != std::string::npos || file_name == "output.art") {
    throw StageError("invalid stage file name '" + file_name + "'");
  }
  files_.push_back({file_name, kind});
  return output_dir_ + "/" + file_name;
}

bool StageContext::cancelled() const {
  return cancel_flag_ != nullptr && cancel_flag_->load(std::memory_order_relaxed);
}

void StageContext::CheckCancelled() const {
  if (cancelled()) throw Interrupted();
  if (std::string reason = metrics_.StopReason(); !reason.empty()) throw Pruned(reason);
}

}  // namespace pipeline
