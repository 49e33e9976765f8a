#include "stages/resample/split_stage.h"

#include <catch2/catch.hpp>
#include <set>

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

const std::vector<int> kSizes = {60, 25, 10, 5};

std::shared_ptr<pipeline::Artifact> Copy(const pipeline::Artifact& artifact) {
  return std::make_shared<pipeline::Artifact>(artifact);
}

std::set<int32_t> IdsOf(const pipeline::Artifact& artifact) {
  const std::vector<int32_t> ids = artifact.Get("ids").ToIntVector();
  return std::set<int32_t>(ids.begin(), ids.end());
}

}  // namespace

TEST_CASE("split passes the data through unchanged and adds the part of every row",
          "[split_stage]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 1);
  const pipeline::ArtifactPtr input = LabelledArtifact(labels, 4);
  StageHarness split(stages::SplitStage());
  const pipeline::Artifact& out = split.Run({{"validation", 0.2}, {"test", 0.1}}, {input});

  CHECK(out.Get("y").ToIntVector() == labels);
  CHECK(out.Get("ids").ToIntVector() == input->Get("ids").ToIntVector());
  CHECK(RowsAligned(out));
  CHECK(out.Has("centers"));
  CHECK(out.meta() == input->meta());
  CHECK_FALSE(out.Has("fold"));
  const std::vector<int64_t> parts = Counts(out.Get("split").ToIntVector(), 3);
  CHECK(parts == std::vector<int64_t>{70, 20, 10});
  CHECK(split.metrics().Values("train_examples") == std::vector<double>{70});
  CHECK(split.metrics().Values("validation_examples") == std::vector<double>{20});
  CHECK(split.metrics().Values("test_examples") == std::vector<double>{10});
  CHECK(split.metrics().Values("class_count") == std::vector<double>{60, 25, 10, 5});
  CHECK(split.metrics().Values("examples") == std::vector<double>{100});
}

TEST_CASE("split gives the same parts with 1 and 2 threads and the same seed",
          "[split_stage][determinism]") {
  const pipeline::ArtifactPtr input = LabelledArtifact(ShuffledLabels(kSizes, 2), 4);
  StageHarness split(stages::SplitStage());
  const Json params = {{"validation", 0.3}, {"folds", 3}};
  const std::vector<int32_t> one = split.Run(params, {input}, 5, 1).Get("split").ToIntVector();
  const std::vector<int32_t> one_fold = split.Run(params, {input}, 5, 1).Get("fold").ToIntVector();
  const std::vector<int32_t> two = split.Run(params, {input}, 5, 2).Get("split").ToIntVector();
  const std::vector<int32_t> two_fold = split.Run(params, {input}, 5, 2).Get("fold").ToIntVector();
  CHECK(one == two);
  CHECK(one_fold == two_fold);
  CHECK(split.Run(params, {input}, 6, 2).Get("split").ToIntVector() != one);
}

TEST_CASE("take keeps one part with its rows aligned", "[split_stage]") {
  const pipeline::ArtifactPtr input = LabelledArtifact(ShuffledLabels(kSizes, 3), 4);
  StageHarness split(stages::SplitStage());
  const auto split_out = Copy(split.Run({{"validation", 0.2}, {"test", 0.2}}, {input}));
  StageHarness take(stages::TakeStage());

  std::set<int32_t> all_ids;
  size_t total = 0;
  for (const char* part : {"train", "validation", "test"}) {
    const pipeline::Artifact& out = take.Run({{"part", part}}, {split_out});
    CHECK(RowsAligned(out));
    CHECK(out.Get("centers").rows() == 2);  // not row-aligned: passed through
    CHECK(out.meta()["dataset"] == "test");
    const std::set<int32_t> ids = IdsOf(out);
    total += ids.size();
    all_ids.insert(ids.begin(), ids.end());
  }
  CHECK(total == 100);
  CHECK(all_ids == IdsOf(*input));
  // The validation part of a stratified 20% split: 12, 5, 2, 1 of classes 0..3.
  take.Run({{"part", "validation"}}, {split_out});
  const std::vector<double> counts = take.metrics().Values("class_count");
  CHECK(std::vector<double>(counts.end() - 4, counts.end()) == std::vector<double>{12, 5, 2, 1});
}

TEST_CASE("take with fold f gives disjoint train and validation covering the train part",
          "[split_stage]") {
  const pipeline::ArtifactPtr input = LabelledArtifact(ShuffledLabels(kSizes, 4), 4);
  StageHarness split(stages::SplitStage());
  const auto split_out = Copy(split.Run({{"validation", 0.1}, {"folds", 4}}, {input}));
  StageHarness take(stages::TakeStage());
  const std::set<int32_t> train_part = IdsOf(take.Run({{"part", "train"}}, {split_out}));
  REQUIRE(train_part.size() == 90);
  for (int f = 0; f < 4; ++f) {
    const std::set<int32_t> train = IdsOf(take.Run({{"part", "train"}, {"fold", f}}, {split_out}));
    const pipeline::Artifact& validation_out =
        take.Run({{"part", "validation"}, {"fold", f}}, {split_out});
    CHECK(RowsAligned(validation_out));
    const std::set<int32_t> validation = IdsOf(validation_out);
    CHECK(validation.size() >= 22);
    CHECK(validation.size() <= 23);
    std::set<int32_t> joined = train;
    for (int32_t id : validation) CHECK(joined.insert(id).second);
    CHECK(joined == train_part);
  }
}

TEST_CASE("take without a split before it says which stage to add", "[split_stage]") {
  const pipeline::ArtifactPtr input = LabelledArtifact(ShuffledLabels(kSizes, 5), 4);
  StageHarness take(stages::TakeStage());
  CHECK_THROWS_WITH(take.Run({{"part", "train"}}, {input}),
                    Catch::Contains("put a 'split' stage before 'take'"));

  StageHarness split(stages::SplitStage());
  const auto no_folds = Copy(split.Run({}, {input}));
  CHECK_THROWS_WITH(take.Run({{"part", "train"}, {"fold", 1}}, {no_folds}),
                    Catch::Contains("set 'folds' >= 2 on the split stage"));
  const auto three_folds = Copy(split.Run({{"folds", 3}}, {input}));
  CHECK_THROWS_AS(take.Run({{"part", "validation"}, {"fold", 3}}, {three_folds}),
                  pipeline::StageError);
}

TEST_CASE("a new split without folds drops the folds of an earlier split", "[split_stage]") {
  const pipeline::ArtifactPtr input = LabelledArtifact(ShuffledLabels(kSizes, 6), 4);
  StageHarness split(stages::SplitStage());
  const auto with_folds = Copy(split.Run({{"folds", 3}}, {input}));
  REQUIRE(with_folds->Has("fold"));
  CHECK_FALSE(split.Run({}, {with_folds}).Has("fold"));
}

TEST_CASE("an unstratified split needs no labels", "[split_stage]") {
  pipeline::RowMatrixXf x = pipeline::RowMatrixXf::Zero(10, 2);
  const pipeline::ArtifactPtr input =
      stage_testing::MakeArtifact({{"x", pipeline::Tensor::FromMatrix(x)}});
  StageHarness split(stages::SplitStage());
  const pipeline::Artifact& out = split.Run({{"stratify", false}, {"validation", 0.3}}, {input});
  CHECK(Counts(out.Get("split").ToIntVector(), 3) == std::vector<int64_t>{7, 3, 0});
  CHECK(split.metrics().Values("class_count").empty());
  StageHarness stratified(stages::SplitStage());
  CHECK_THROWS_WITH(stratified.Run({}, {input}), Catch::Contains("needs class labels 'y'"));
}
