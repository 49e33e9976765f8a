#include "stages/train/sample_grids.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "pipeline/errors.h"
#include "stages/augment/image_grid.h"

namespace stages {

SampleGrids::SampleGrids(pipeline::StageContext& ctx, Trainer& trainer,
                         const pipeline::Tensor& originals)
    : ctx_(ctx), folder_(ctx.resume_dir()) {
  for (const pipeline::Json& e : ctx.params().Get("sample_epochs")) {
    epochs_.push_back(e.get<int64_t>());
  }
  if (epochs_.empty()) return;
  if (!folder_.empty()) std::filesystem::create_directories(folder_);
  const int64_t noise = trainer.objective().NoiseSize(trainer.network());
  if (noise == 0) {
    throw pipeline::ConfigError("train.sample_epochs: samples need a generative objective "
                                "(task: vae or gan)");
  }
  const nn::Dims& shape = trainer.options().input_shape;
  height_ = shape.size() == 3 ? shape[1]
                              : static_cast<int64_t>(std::lround(
                                    std::sqrt(static_cast<double>(nn::Product(shape)))));
  width_ = nn::Product(shape) / std::max<int64_t>(1, height_);
  channels_ = shape.size() == 3 ? shape[0] : 1;
  pipeline::Rng rng = ctx.rng().Fork(kNoiseStream);
  noise_.resize(static_cast<size_t>(kSamples * noise));
  for (float& v : noise_) v = static_cast<float>(rng.Normal());
  if (trainer.objective().reconstructs()) {
    const int64_t count = std::min<int64_t>(kOriginals, originals.rows());
    originals_.assign(originals.f32(), originals.f32() + count * originals.row_size());
  }
}

void SampleGrids::AfterEpoch(Trainer& trainer, int64_t epoch) {
  if (std::find(epochs_.begin(), epochs_.end(), epoch) == epochs_.end()) return;
  nn::Network& network = trainer.network();
  const TrainingObjective& objective = trainer.objective();
  const int64_t size = channels_ * height_ * width_;
  if (size != network.output_size() || (channels_ != 1 && channels_ != 3)) {
    return;  // not an image the grid can draw
  }
  std::vector<std::vector<Image>> rows(8);
  const float* out = objective.Generate(network, noise_.data(), kSamples);
  for (int64_t k = 0; k < kSamples; ++k) {
    rows[static_cast<size_t>(k / 8)].push_back(ToImage(objective, out + k * size, true));
  }
  WriteImageGridPng(Path("samples", epoch), rows);

  const int64_t count = static_cast<int64_t>(originals_.size()) / std::max<int64_t>(1, size);
  if (count == 0) return;
  const float* reconstructed = network.Forward(originals_.data(), count, /*training=*/false);
  std::vector<std::vector<Image>> pairs;
  for (int64_t first = 0; first < count; first += 8) {
    std::vector<Image> above, below;
    for (int64_t k = first; k < std::min(count, first + 8); ++k) {
      above.push_back(ToImage(objective, originals_.data() + k * size, false));
      below.push_back(ToImage(objective, reconstructed + k * size, true));
    }
    pairs.push_back(std::move(above));
    pairs.push_back(std::move(below));
  }
  WriteImageGridPng(Path("reconstructions", epoch), pairs);
}

void SampleGrids::Finish() {
  if (folder_.empty()) return;
  for (const int64_t epoch : epochs_) {
    for (const char* kind : {"samples", "reconstructions"}) {
      const std::string kept = folder_ + "/" + Name(kind, epoch);
      if (std::filesystem::exists(kept)) {
        std::filesystem::copy_file(kept, ctx_.FilePath(Name(kind, epoch), "png"),
                                   std::filesystem::copy_options::overwrite_existing);
      }
    }
  }
}

std::string SampleGrids::Name(const char* kind, int64_t epoch) {
  char name[64];
  std::snprintf(name, sizeof name, "%s_epoch_%03lld.png", kind, static_cast<long long>(epoch));
  return name;
}

std::string SampleGrids::Path(const char* kind, int64_t epoch) const {
  return folder_.empty() ? ctx_.FilePath(Name(kind, epoch), "png")
                         : folder_ + "/" + Name(kind, epoch);
}

Image SampleGrids::ToImage(const TrainingObjective& objective, const float* values,
                           bool output) const {
  Image image(channels_, height_, width_);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = output ? objective.Reconstruction(values[i]) : values[i];
  }
  return image;
}

}  // namespace stages
