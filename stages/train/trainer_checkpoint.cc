#include "stages/train/trainer_checkpoint.h"

#include <cstdio>
#include <filesystem>

#include "pipeline/artifact_io.h"
#include "pipeline/errors.h"

namespace stages {
namespace {

constexpr const char* kModel = "model/";
constexpr const char* kKept = "kept/";
constexpr const char* kOptimizer = "optimizer/";
constexpr const char* kObjective = "objective/";
constexpr int kFormat = 1;

pipeline::Tensor VectorTensor(const std::vector<float>& values) {
  pipeline::Tensor tensor(pipeline::DType::kFloat32, {static_cast<int64_t>(values.size())});
  std::copy(values.begin(), values.end(), tensor.f32());
  return tensor;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

void SaveTrainerCheckpoint(const TrainerCheckpoint& checkpoint, const std::string& path) {
  const TrainerState& state = checkpoint.state;
  pipeline::Artifact artifact;
  for (const auto& [name, tensor] : state.model) artifact.Put(kModel + name, tensor);
  for (const auto& [name, tensor] : state.kept) artifact.Put(kKept + name, tensor);
  for (const auto& [name, values] : state.optimizer) {
    artifact.Put(kOptimizer + name, VectorTensor(values));
  }
  for (const auto& [name, tensor] : state.objective) artifact.Put(kObjective + name, tensor);
  pipeline::Json& meta = artifact.meta();
  meta["format"] = kFormat;
  meta["epochs_done"] = state.epochs_done;
  meta["steps_done"] = state.steps_done;
  meta["kept_epoch"] = state.kept_epoch;
  meta["early_stopping"] = state.early_stopping;
  pipeline::Json history = pipeline::Json::array();
  for (const LoggedMetric& m : checkpoint.history) history.push_back({m.name, m.step, m.value});
  meta["history"] = std::move(history);

  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const std::string temp = path + ".new";
  // No fsync: a torn file fails its checksum and the next attempt starts over.
  pipeline::WriteArtifactFile(artifact, temp, /*sync=*/false);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    throw pipeline::StageError("cannot replace the training checkpoint " + path);
  }
}

std::optional<TrainerCheckpoint> LoadTrainerCheckpoint(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  try {
    const pipeline::Artifact artifact = pipeline::ReadArtifactFile(path);
    const pipeline::Json& meta = artifact.meta();
    if (meta.value("format", 0) != kFormat) return std::nullopt;
    TrainerCheckpoint checkpoint;
    TrainerState& state = checkpoint.state;
    state.epochs_done = meta.at("epochs_done").get<int64_t>();
    state.steps_done = meta.at("steps_done").get<int64_t>();
    state.kept_epoch = meta.at("kept_epoch").get<int64_t>();
    state.early_stopping = meta.at("early_stopping");
    for (const pipeline::Json& row : meta.at("history")) {
      checkpoint.history.push_back(
          {row.at(0).get<std::string>(), row.at(1).get<int64_t>(), row.at(2).get<double>()});
    }
    for (const auto& [name, tensor] : artifact.tensors()) {
      if (StartsWith(name, kModel)) {
        state.model[name.substr(std::string(kModel).size())] = tensor;
      } else if (StartsWith(name, kKept)) {
        state.kept[name.substr(std::string(kKept).size())] = tensor;
      } else if (StartsWith(name, kObjective)) {
        state.objective[name.substr(std::string(kObjective).size())] = tensor;
      } else if (StartsWith(name, kOptimizer)) {
        state.optimizer[name.substr(std::string(kOptimizer).size())] =
            std::vector<float>(tensor.f32(), tensor.f32() + tensor.size());
      }
    }
    return checkpoint;
  } catch (const std::exception&) {
    return std::nullopt;  // damaged or from another version: start over
  }
}

}  // namespace stages
