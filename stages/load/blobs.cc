#include "stages/load/blobs.h"

#include <numeric>

#include "stages/common/row_blocks.h"

namespace stages {
namespace {

constexpr int64_t kBlockRows = 1024;

void RunBlobs(pipeline::StageContext& ctx) {
  const pipeline::Params& params = ctx.params();
  BlobsOptions options;
  options.examples = params.GetInt("n");
  options.dims = params.GetInt("dims");
  options.centers = params.GetInt("centers");
  options.spread = params.GetFloat("spread");
  options.center_box = params.GetFloat("center_box");
  Blobs blobs = MakeBlobs(options, ctx.rng());

  std::vector<int32_t> ids(blobs.labels.size());
  std::iota(ids.begin(), ids.end(), 0);
  pipeline::Json centers = pipeline::Json::array();
  for (Eigen::Index c = 0; c < blobs.centers.rows(); ++c) {
    const Eigen::VectorXd center = blobs.centers.row(c).transpose();
    centers.push_back(std::vector<double>(center.data(), center.data() + center.size()));
  }

  pipeline::Artifact& out = ctx.output();
  out.Put("x", pipeline::Tensor::FromMatrix(blobs.x));
  out.Put("y", pipeline::Tensor::FromVector(blobs.labels));
  out.Put("ids", pipeline::Tensor::FromVector(ids));
  out.meta()["true_centers"] = std::move(centers);
  out.meta()["classes"] = options.centers;
  ctx.Metric("examples", static_cast<double>(options.examples));
}

}  // namespace

Blobs MakeBlobs(const BlobsOptions& options, const pipeline::Rng& rng) {
  Blobs blobs;
  blobs.centers.resize(options.centers, options.dims);
  pipeline::Rng center_rng = rng.Fork(0);
  for (Eigen::Index c = 0; c < blobs.centers.rows(); ++c) {
    for (Eigen::Index d = 0; d < blobs.centers.cols(); ++d) {
      blobs.centers(c, d) = center_rng.Uniform(-options.center_box, options.center_box);
    }
  }

  blobs.x.resize(options.examples, options.dims);
  blobs.labels.resize(static_cast<size_t>(options.examples));
  ForEachRowBlock(options.examples, kBlockRows, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pipeline::Rng example_rng = rng.Fork(static_cast<uint64_t>(i) + 1);
      const int64_t label = i % options.centers;
      blobs.labels[static_cast<size_t>(i)] = static_cast<int32_t>(label);
      for (int64_t d = 0; d < options.dims; ++d) {
        blobs.x(i, d) =
            static_cast<float>(example_rng.Normal(blobs.centers(label, d), options.spread));
      }
    }
  });
  return blobs;
}

pipeline::StageType BlobsStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "blobs";
  type.kind = pipeline::StageKind::kLoad;
  type.help = "seeded synthetic Gaussian blobs with known labels and centres";
  type.code_version = 1;
  type.uses_rng = true;
  type.min_inputs = 0;
  type.max_inputs = 0;
  type.params = {
      ParamSpec::Int("n", 1000, "number of examples").Min(1),
      ParamSpec::Int("dims", 2, "features per example").Min(1),
      ParamSpec::Int("centers", 3, "number of blobs (classes)").Min(1),
      ParamSpec::Float("spread", 1.0, "standard deviation around each centre").Min(0),
      ParamSpec::Float("center_box", 10.0, "centre coordinates are uniform in [-box, box)").Min(0),
  };
  type.run = RunBlobs;
  return type;
}

}  // namespace stages
