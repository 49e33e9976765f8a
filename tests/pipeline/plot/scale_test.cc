#include <catch2/catch.hpp>

#include "pipeline/plot/scale.h"

using namespace pipeline::plot;

namespace {

std::vector<std::string> Labels(const std::vector<Tick>& ticks) {
  std::vector<std::string> out;
  for (const Tick& t : ticks) out.push_back(t.label);
  return out;
}

}  // namespace

TEST_CASE("linear ticks are nice numbers that cover the data", "[scale]") {
  CHECK(NiceTicks(0, 1, 6) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
  const auto ticks = NiceTicks(3.2, 97.5, 6);
  CHECK(ticks.front() == 0);
  CHECK(ticks.back() == 100);
  CHECK(ticks[1] - ticks[0] == 20);
  CHECK(NiceStep(0.0013, 0.0087, 5) == Approx(0.002));
}

TEST_CASE("a constant series still gets an axis around its value", "[scale]") {
  const auto ticks = NiceTicks(5, 5, 6);
  REQUIRE(ticks.size() >= 2);
  CHECK(ticks.front() < 5);
  CHECK(ticks.back() > 5);
}

TEST_CASE("tick labels carry as many decimals as the step needs", "[scale]") {
  CHECK(FormatTick(0.25, 0.05) == "0.25");
  CHECK(FormatTick(0.4, 0.2) == "0.4");
  CHECK(FormatTick(20000, 5000) == "20000");
  CHECK(FormatTick(0, 0.5) == "0.0");
  CHECK(FormatTick(0.00002, 0.00001) == "2e-05");
  const Scale s(ScaleKind::kLinear, 0, 1, 0, 100);
  CHECK(Labels(s.ticks()) == std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
}

TEST_CASE("log axes tick at powers of ten, with 2x and 5x on short ranges", "[scale]") {
  CHECK(Labels(LogTicks(1e-4, 1e-1)) ==
        std::vector<std::string>{"0.0001", "0.001", "0.01", "0.1"});
  CHECK(Labels(LogTicks(1, 100)) == std::vector<std::string>{"1", "2", "5", "10", "20", "50", "100"});
  CHECK(Labels(LogTicks(1e-8, 1e-2)) ==
        std::vector<std::string>{"1e-8", "1e-7", "1e-6", "1e-5", "0.0001", "0.001", "0.01"});
}

TEST_CASE("a log scale maps decades to equal distances", "[scale]") {
  const Scale s(ScaleKind::kLog, 0.003, 0.07, 0, 300);
  CHECK(s.low() == Approx(0.001));
  CHECK(s.high() == Approx(0.1));
  CHECK(s.Map(0.001) == Approx(0));
  CHECK(s.Map(0.01) == Approx(150));
  CHECK(s.Map(0.1) == Approx(300));
}

TEST_CASE("a linear scale maps its widened domain onto the pixel range, flipped if asked", "[scale]") {
  const Scale s(ScaleKind::kLinear, 3.2, 97.5, 400, 0);
  CHECK(s.low() == 0);
  CHECK(s.high() == 100);
  CHECK(s.Map(0) == Approx(400));
  CHECK(s.Map(50) == Approx(200));
  CHECK(s.Map(100) == Approx(0));
}
