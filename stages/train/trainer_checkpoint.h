#pragma once
// Saving a Trainer's state between epochs to one file and reading it back, so a train stage
// killed mid-study continues from its last finished epoch on the next attempt (the folder is
// StageContext::resume_dir). The file also carries the metric rows logged so far, which the
// stage logs again: the database then holds exactly what an uninterrupted attempt would have
// written. The file uses the checksummed artifact format (pipeline/artifact_io.h) and is
// replaced atomically (written beside, then renamed); a damaged or foreign file is ignored.
// Optimiser state is in the network's physical layout, so a file is only valid on a machine
// with the same oneDNN layouts; a mismatch is detected on load and treated as no file.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stages/train/trainer.h"

namespace stages {

struct LoggedMetric {
  std::string name;
  int64_t step = 0;
  double value = 0;
};

struct TrainerCheckpoint {
  TrainerState state;
  std::vector<LoggedMetric> history;
};

// Writes `checkpoint` to `path` (replacing it). Throws StageError on I/O failure.
void SaveTrainerCheckpoint(const TrainerCheckpoint& checkpoint, const std::string& path);

// Reads a checkpoint; nullopt when the file is missing or damaged.
std::optional<TrainerCheckpoint> LoadTrainerCheckpoint(const std::string& path);

}  // namespace stages
