#include "stages/common/scatter_plot.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "pipeline/errors.h"
#include "tests/support/temp_dir.h"

using pipeline::RowMatrixXf;

namespace {

bool HasColor(const stages::RgbImage& image, int x, int y, const uint8_t* rgb) {
  const uint8_t* pixel = image.At(x, y);
  return pixel[0] == rgb[0] && pixel[1] == rgb[1] && pixel[2] == rgb[2];
}

}  // namespace

TEST_CASE("scatter plot puts extreme points at the padded corners in label colours",
          "[scatter_plot]") {
  RowMatrixXf points(3, 2);
  points << 0, 0,  //
      10, 10,      //
      5, 5;
  stages::ScatterPlotOptions options;
  options.width = 200;
  options.height = 200;
  options.margin = 10;
  options.marker_size = 3;
  const stages::RgbImage image = stages::RenderScatterPlot(points, {0, 1, 2}, options);
  REQUIRE(image.width == 200);
  REQUIRE(image.pixels.size() == 200u * 200u * 3u);

  // Plot area 10..189 (centre 99.5); inner size 179 - 3 = 176 pixels span 10 * 1.06 units.
  const double scale = 176.0 / (10 * 1.06);
  const int low_x = static_cast<int>(std::lround(99.5 - 5 * scale));
  const int high_x = static_cast<int>(std::lround(99.5 + 5 * scale));
  // y grows upwards: the point (0, 0) is at the bottom left.
  CHECK(HasColor(image, low_x, high_x, stages::LabelColor(0)));
  CHECK(HasColor(image, high_x, low_x, stages::LabelColor(1)));
  CHECK(HasColor(image, 100, 100, stages::LabelColor(2)));
  const uint8_t white[3] = {255, 255, 255};
  CHECK(HasColor(image, 0, 0, white));
  CHECK(HasColor(image, 50, 150, white));
  const uint8_t axes[3] = {0x30, 0x30, 0x30};
  CHECK(HasColor(image, 10, 10, axes));
  CHECK(HasColor(image, 189, 100, axes));
  CHECK(HasColor(image, 100, 189, axes));
}

TEST_CASE("scatter plot colours cycle through ten labels", "[scatter_plot]") {
  CHECK(stages::LabelColor(3) == stages::LabelColor(13));
  CHECK(stages::LabelColor(3) != stages::LabelColor(4));
  CHECK(stages::LabelColor(0)[0] == 0x1f);
}

TEST_CASE("scatter plot rejects mismatched labels and writes a PNG", "[scatter_plot]") {
  RowMatrixXf points = RowMatrixXf::Zero(4, 2);
  CHECK_THROWS_AS(stages::RenderScatterPlot(points, {1, 2}), pipeline::StageError);
  const stages::RgbImage image = stages::RenderScatterPlot(points, {});  // one point, no labels
  testing_support::TempDir dir;
  stages::WritePng(image, dir.File("plot.png"));
  CHECK(std::filesystem::file_size(dir.File("plot.png")) > 100);
  CHECK_THROWS_AS(stages::WritePng(image, dir.File("missing/plot.png")), pipeline::StageError);
}
