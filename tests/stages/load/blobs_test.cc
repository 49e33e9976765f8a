#include "stages/load/blobs.h"

#include <catch2/catch.hpp>

#include "tests/stages/stage_harness.h"

using stage_testing::InArena;

namespace {

stages::BlobsOptions SmallBlobs() {
  stages::BlobsOptions options;
  options.examples = 3000;
  options.dims = 3;
  options.centers = 4;
  options.spread = 0.5;
  options.center_box = 8.0;
  return options;
}

}  // namespace

TEST_CASE("blobs scatter around their true centres with the requested spread", "[blobs]") {
  const stages::Blobs blobs = stages::MakeBlobs(SmallBlobs(), pipeline::Rng(1));
  REQUIRE(blobs.x.rows() == 3000);
  REQUIRE(blobs.centers.rows() == 4);
  CHECK(blobs.centers.cwiseAbs().maxCoeff() <= 8.0);

  for (int32_t c = 0; c < 4; ++c) {
    Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(3);
    double squares = 0.0;
    int count = 0;
    for (Eigen::Index i = 0; i < blobs.x.rows(); ++i) {
      if (blobs.labels[static_cast<size_t>(i)] != c) continue;
      const Eigen::RowVectorXd offset = blobs.x.row(i).cast<double>() - blobs.centers.row(c);
      sum += offset;
      squares += offset.squaredNorm();
      ++count;
    }
    CHECK(count == 750);  // labels cycle through the blobs
    // 750 x 3 draws of N(0, 0.5^2): the mean offset has stddev ~0.018, the variance ~0.007.
    CHECK((sum / count).norm() < 0.1);
    CHECK(squares / (3.0 * count) == Approx(0.25).epsilon(0.1));
  }
}

TEST_CASE("blobs are a function of the seed alone, not of the thread count",
          "[blobs][determinism]") {
  const stages::BlobsOptions options = SmallBlobs();
  const stages::Blobs one =
      InArena(1, [&] { return stages::MakeBlobs(options, pipeline::Rng(9)); });
  const stages::Blobs two =
      InArena(2, [&] { return stages::MakeBlobs(options, pipeline::Rng(9)); });
  CHECK(one.x == two.x);
  CHECK(one.centers == two.centers);
  CHECK(one.labels == two.labels);

  const stages::Blobs other = stages::MakeBlobs(options, pipeline::Rng(10));
  CHECK(other.centers != one.centers);
}

TEST_CASE("blobs stage outputs x, y, ids and the true centres", "[blobs]") {
  stage_testing::StageHarness harness(stages::BlobsStage());
  const pipeline::Artifact& out =
      harness.Run({{"n", 10}, {"dims", 2}, {"centers", 2}}, {}, /*seed=*/5);

  CHECK(out.Get("x").shape() == std::vector<int64_t>{10, 2});
  CHECK(out.Get("y").ToIntVector() == std::vector<int32_t>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1});
  CHECK(out.Get("ids").ToIntVector() == std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(out.meta()["classes"] == 2);

  stages::BlobsOptions options;
  options.examples = 10;
  options.dims = 2;
  options.centers = 2;
  const stages::Blobs expected = stages::MakeBlobs(options, pipeline::Rng(5));
  REQUIRE(out.meta()["true_centers"].size() == 2);
  CHECK(out.meta()["true_centers"][1][0].get<double>() == expected.centers(1, 0));
  CHECK(out.Get("x").MatrixF() == expected.x);
  CHECK(harness.metrics().Values("examples") == std::vector<double>{10});
}
