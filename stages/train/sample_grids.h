#pragma once
// SampleGrids: the pictures a generative train stage draws as it trains (`sample_epochs`).
// After each listed epoch it decodes one fixed batch of 64 noise vectors (drawn once from the
// stage's seed, so epochs compare like for like) into samples_epoch_NNN.png, an 8 x 8 grid; for
// objectives that reconstruct their input (a VAE) also reconstructions_epoch_NNN.png: 32
// originals, each above its reconstruction. Grids go to the resume folder when there is one and
// are copied into the output by Finish, so grids made before an interruption survive it.
// Outputs that are not 1- or 3-channel images are not drawn. Not thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage.h"
#include "pipeline/tensor.h"
#include "stages/augment/image_transforms.h"
#include "stages/train/trainer.h"

namespace stages {

class SampleGrids {
 public:
  static constexpr int64_t kSamples = 64;
  static constexpr int64_t kOriginals = 32;

  // Reads `sample_epochs` from the stage's parameters; `originals` are the examples whose first
  // kOriginals rows are reconstructed (the validation set, else the training set). Throws
  // ConfigError when epochs are listed but the objective does not generate.
  SampleGrids(pipeline::StageContext& ctx, Trainer& trainer, const pipeline::Tensor& originals);

  // Draws the grids if `epoch` is listed.
  void AfterEpoch(Trainer& trainer, int64_t epoch);
  // Copies the grids kept in the resume folder into the output.
  void Finish();

 private:
  static std::string Name(const char* kind, int64_t epoch);
  std::string Path(const char* kind, int64_t epoch) const;
  // One example as an image; `output`: a network output (mapped to [0, 1] by the objective),
  // else a data example (already in [0, 1]).
  Image ToImage(const TrainingObjective& objective, const float* values, bool output) const;

  static constexpr uint64_t kNoiseStream = 0x5a4d;  // a fork of the stage's rng of its own
  pipeline::StageContext& ctx_;
  std::string folder_;
  std::vector<int64_t> epochs_;
  int64_t channels_ = 1, height_ = 0, width_ = 0;
  std::vector<float> noise_;
  std::vector<float> originals_;
};

}  // namespace stages
