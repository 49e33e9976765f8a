#include "stages/load/csv_loader.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "tests/stages/load/mnist_test_files.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/temp_dir.h"

using stage_testing::StageHarness;
using stage_testing::WriteText;

TEST_CASE("csv_loader stage outputs features, named classes and metadata", "[csv_loader]") {
  testing_support::TempDir dir;
  WriteText(dir.File("iris.csv"),
            "sepal\tspecies\tpetal\n5.1\tsetosa\t1.4\n6.3\tvirginica\t6.0\n5.8\tsetosa\t1.2\n");
  StageHarness harness(stages::CsvLoaderStage());
  const pipeline::Artifact& out = harness.Run(
      {{"path", dir.File("iris.csv")}, {"label_column", "species"}, {"delimiter", "\t"}});
  const pipeline::Tensor& x = out.Get("x");
  REQUIRE(x.shape() == std::vector<int64_t>{3, 2});
  CHECK(x.f32()[3] == 6.0f);
  CHECK(out.Get("y").ToIntVector() == std::vector<int32_t>{0, 1, 0});
  CHECK(out.Get("ids").ToIntVector() == std::vector<int32_t>{0, 1, 2});
  CHECK(out.meta()["classes"] == 2);
  CHECK(out.meta()["class_names"] == pipeline::Json({"setosa", "virginica"}));
  CHECK(out.meta()["feature_names"] == pipeline::Json({"sepal", "petal"}));
  CHECK(out.meta()["label_column"] == "species");
  CHECK(out.meta()["source"] == dir.File("iris.csv"));
  CHECK(harness.metrics().Values("examples") == std::vector<double>{3});
}

TEST_CASE("csv_loader without a label column outputs no y", "[csv_loader]") {
  testing_support::TempDir dir;
  WriteText(dir.File("f.csv"), "1,2\n3,4\n5,6\n");
  StageHarness harness(stages::CsvLoaderStage());
  const pipeline::Artifact& out = harness.Run({{"path", dir.File("f.csv")}, {"limit", 2}});
  CHECK_FALSE(out.Has("y"));
  CHECK(out.Get("x").shape() == std::vector<int64_t>{2, 2});
  CHECK_FALSE(out.meta().contains("classes"));
  CHECK_FALSE(out.meta().contains("feature_names"));
}

TEST_CASE("csv_loader rejects a delimiter that is not one character", "[csv_loader]") {
  testing_support::TempDir dir;
  WriteText(dir.File("f.csv"), "1,2\n");
  StageHarness harness(stages::CsvLoaderStage());
  CHECK_THROWS_AS(harness.Run({{"path", dir.File("f.csv")}, {"delimiter", ";;"}}),
                  pipeline::ConfigError);
}
