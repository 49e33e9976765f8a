#include "stages/resample/resample_stage.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <map>

#include "pipeline/errors.h"
#include "tests/stages/resample/resample_test_data.h"
#include "tests/stages/stage_harness.h"

using pipeline::Json;
using resample_testing::Counts;
using resample_testing::LabelledArtifact;
using resample_testing::RowsAligned;
using resample_testing::ShuffledLabels;
using stage_testing::StageHarness;

namespace {

const std::vector<int> kSizes = {50, 30, 20};

// The class_count metrics of the last run of a harness (the last `classes` values).
std::vector<int64_t> LastClassCounts(const StageHarness& harness, size_t classes) {
  const std::vector<double> all = harness.metrics().Values("class_count");
  const size_t first = all.size() < classes ? 0 : all.size() - classes;
  std::vector<int64_t> counts;
  for (size_t i = first; i < all.size(); ++i) counts.push_back(static_cast<int64_t>(all[i]));
  return counts;
}

void CheckPassThrough(const pipeline::Artifact& out, const pipeline::Artifact& input) {
  CHECK(RowsAligned(out));
  CHECK(out.Get("centers").rows() == 2);
  CHECK(out.meta() == input.meta());
}

}  // namespace

TEST_CASE("oversample copies are bitwise equal to their sources", "[resample_stage]") {
  const pipeline::ArtifactPtr input = LabelledArtifact(ShuffledLabels(kSizes, 1), 3);
  StageHarness oversample(stages::OversampleStage());
  const pipeline::Artifact& out =
      oversample.Run({{"classes", Json::array({2})}, {"factor", 5}}, {input});
  CheckPassThrough(out, *input);
  CHECK(Counts(out.Get("y").ToIntVector(), 3) == std::vector<int64_t>{50, 30, 100});
  CHECK(LastClassCounts(oversample, 3) == std::vector<int64_t>{50, 30, 100});
  CHECK(oversample.metrics().Values("examples") == std::vector<double>{180});

  // Every output row equals the input row it was copied from (column 2 holds the source row).
  const pipeline::Tensor& x_in = input->Get("x");
  const pipeline::Tensor& x_out = out.Get("x");
  const std::vector<int32_t> ids_in = input->Get("ids").ToIntVector();
  const std::vector<int32_t> ids_out = out.Get("ids").ToIntVector();
  std::map<int64_t, int> copies;
  for (int64_t i = 0; i < x_out.rows(); ++i) {
    const auto source = static_cast<int64_t>(x_out.MatrixF()(i, 2));
    ++copies[source];
    CHECK(std::memcmp(x_out.f32() + i * 3, x_in.f32() + source * 3, 3 * sizeof(float)) == 0);
    CHECK(ids_out[size_t(i)] == ids_in[size_t(source)]);
  }
  for (const auto& [source, times] : copies) {
    CHECK(times == (input->Get("y").ToIntVector()[size_t(source)] == 2 ? 5 : 1));
  }
}

TEST_CASE("imbalance keeps the exact count and logs the output class counts",
          "[resample_stage]") {
  const pipeline::ArtifactPtr input = LabelledArtifact(ShuffledLabels(kSizes, 2), 3);
  StageHarness imbalance(stages::ImbalanceStage());
  const pipeline::Artifact& out =
      imbalance.Run({{"classes", Json::array({0})}, {"fraction", 0.016}}, {input});
  CheckPassThrough(out, *input);
  // round(0.016 * 50) = round(0.8) = 1.
  CHECK(Counts(out.Get("y").ToIntVector(), 3) == std::vector<int64_t>{1, 30, 20});
  CHECK(LastClassCounts(imbalance, 3) == std::vector<int64_t>{1, 30, 20});

  imbalance.Run({{"classes", Json::array({0, 1})}, {"keep", 3}}, {input});
  CHECK(LastClassCounts(imbalance, 3) == std::vector<int64_t>{3, 3, 20});
  CHECK_THROWS_WITH(imbalance.Run({{"classes", Json::array({3})}}, {input}),
                    Catch::Contains("class 3 is not in the data"));
}

TEST_CASE("a class removed entirely is still logged with count 0", "[resample_stage]") {
  // meta says 4 classes, the data only has 3: class 3 is logged as 0.
  auto input = std::make_shared<pipeline::Artifact>(
      *LabelledArtifact(ShuffledLabels(kSizes, 3), 4));
  StageHarness undersample(stages::UndersampleStage());
  const pipeline::Artifact& out = undersample.Run({{"per_class", 25}}, {input});
  CheckPassThrough(out, *input);
  CHECK(LastClassCounts(undersample, 4) == std::vector<int64_t>{25, 25, 20, 0});
}

TEST_CASE("undersample without a cap evens the classes out to the smallest present",
          "[resample_stage]") {
  auto input = std::make_shared<pipeline::Artifact>(
      *LabelledArtifact(ShuffledLabels(kSizes, 3), 4));
  StageHarness undersample(stages::UndersampleStage());
  CheckPassThrough(undersample.Run({}, {input}), *input);
  // Element by element: GCC 12.2's SLP vectorizer (-O2 -march=native, AVX-512) compiled the
  // literal std::vector<int64_t>{20, 20, 20, 0} here as four 20s (-fno-tree-slp-vectorize
  // avoids it; the asm stores a broadcast of 20).
  const std::vector<int64_t> counts = LastClassCounts(undersample, 4);
  REQUIRE(counts.size() == 4);
  CHECK(counts[0] == 20);
  CHECK(counts[1] == 20);
  CHECK(counts[2] == 20);
  CHECK(counts[3] == 0);
}

TEST_CASE("subset keeps the rows aligned and the stratified proportions", "[resample_stage]") {
  const pipeline::ArtifactPtr input = LabelledArtifact(ShuffledLabels(kSizes, 4), 3);
  StageHarness subset(stages::SubsetStage());
  const pipeline::Artifact& out = subset.Run({{"limit", 10}, {"stratified", true}}, {input});
  CheckPassThrough(out, *input);
  CHECK(LastClassCounts(subset, 3) == std::vector<int64_t>{5, 3, 2});
  CHECK(subset.metrics().Values("examples") == std::vector<double>{10});
}

TEST_CASE("class weights stage adds balanced weights and passes the data through",
          "[resample_stage]") {
  // 6, 3 and 1 examples of classes 0, 1, 3; meta declares 4 classes (class 2 absent).
  const std::vector<int32_t> labels = {0, 1, 0, 3, 0, 1, 0, 0, 1, 0};
  const pipeline::ArtifactPtr input = LabelledArtifact(labels, 4);
  StageHarness weights(stages::ClassWeightsStage());
  const pipeline::Artifact& out = weights.Run({}, {input});
  CheckPassThrough(out, *input);
  CHECK(out.Get("y").ToIntVector() == labels);
  const pipeline::Tensor& w = out.Get("class_weights");
  REQUIRE(w.dtype() == pipeline::DType::kFloat32);
  REQUIRE(w.shape() == std::vector<int64_t>{4});
  CHECK(w.f32()[0] == Approx(10.0 / 18));
  CHECK(w.f32()[1] == Approx(10.0 / 9));
  CHECK(w.f32()[2] == 0.0f);
  CHECK(w.f32()[3] == Approx(10.0 / 3));
  const std::vector<double> logged = weights.metrics().Values("class_weight");
  REQUIRE(logged.size() == 4);
  CHECK(logged[3] == Approx(10.0 / 3));
  CHECK(LastClassCounts(weights, 4) == std::vector<int64_t>{6, 3, 0, 1});

  const pipeline::Artifact& uniform = weights.Run({{"scheme", "uniform"}}, {input});
  const float* u = uniform.Get("class_weights").f32();
  CHECK(std::vector<float>(u, u + 4) == std::vector<float>{1, 1, 0, 1});
}

TEST_CASE("resample stages name the missing labels", "[resample_stage]") {
  pipeline::RowMatrixXf x = pipeline::RowMatrixXf::Zero(4, 2);
  const pipeline::ArtifactPtr input =
      stage_testing::MakeArtifact({{"x", pipeline::Tensor::FromMatrix(x)}});
  StageHarness oversample(stages::OversampleStage());
  CHECK_THROWS_WITH(oversample.Run({{"classes", Json::array({0})}}, {input}),
                    Catch::Contains("'oversample' needs class labels 'y'"));
  StageHarness subset(stages::SubsetStage());
  CHECK(subset.Run({{"limit", 3}}, {input}).Get("x").rows() == 3);
}
