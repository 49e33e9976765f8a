#include "stages/train/lr_schedule.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"

using pipeline::Json;

TEST_CASE("a constant schedule keeps the base rate", "[lr_schedule]") {
  const stages::LrSchedule schedule = stages::MakeLrSchedule(Json::object(), 0.01);
  for (const int64_t epoch : {0, 1, 50, 1000}) CHECK(schedule.LearningRate(epoch) == 0.01);
}

TEST_CASE("a step schedule multiplies by gamma every step_size epochs", "[lr_schedule]") {
  const stages::LrSchedule schedule =
      stages::MakeLrSchedule({{"schedule", "step"}, {"step_size", 3}, {"gamma", 0.5}}, 0.1);
  CHECK(schedule.LearningRate(0) == 0.1);
  CHECK(schedule.LearningRate(2) == 0.1);
  CHECK(schedule.LearningRate(3) == Approx(0.05));
  CHECK(schedule.LearningRate(5) == Approx(0.05));
  CHECK(schedule.LearningRate(6) == Approx(0.025));
  CHECK(schedule.LearningRate(9) == Approx(0.0125));
}

TEST_CASE("a cosine schedule falls from the base rate to eta_min over t_max epochs",
          "[lr_schedule]") {
  const stages::LrSchedule schedule =
      stages::MakeLrSchedule({{"schedule", "cosine"}, {"t_max", 4}, {"eta_min", 0.001}}, 0.011);
  CHECK(schedule.LearningRate(0) == Approx(0.011));
  // cos(pi/4) = sqrt(2)/2: 0.001 + 0.01 * (1 + 0.7071068) / 2
  CHECK(schedule.LearningRate(1) == Approx(0.009535534));
  CHECK(schedule.LearningRate(2) == Approx(0.006));
  CHECK(schedule.LearningRate(3) == Approx(0.002464466));
  CHECK(schedule.LearningRate(4) == Approx(0.001));
  // Past t_max the cosine rises again, as PyTorch's closed form does.
  CHECK(schedule.LearningRate(6) == Approx(0.006));
  CHECK(schedule.LearningRate(8) == Approx(0.011));
}

TEST_CASE("schedule settings are checked", "[lr_schedule]") {
  CHECK_THROWS_AS(stages::MakeLrSchedule({{"schedule", "exponential"}}, 0.1), pipeline::ConfigError);
  CHECK_THROWS_WITH(stages::MakeLrSchedule({{"schedule", "step"}, {"step_sise", 3}}, 0.1),
                    Catch::Contains("did you mean 'step_size'"));
  CHECK_THROWS_WITH(stages::MakeLrSchedule({{"schedule", "cosine"}, {"gamma", 0.5}}, 0.1),
                    Catch::Contains("it is a setting of step"));
  CHECK_THROWS_WITH(stages::MakeLrSchedule({{"schedule", "step"}, {"step_size", 0}}, 0.1),
                    Catch::Contains("step_size"));
  CHECK_THROWS_WITH(stages::MakeLrSchedule({{"schedule", "step"}, {"step_size", 2.5}}, 0.1),
                    Catch::Contains("is not an integer"));
  CHECK_THROWS_WITH(stages::MakeLrSchedule({{"schedule", "cosine"}, {"eta_min", 0.5}}, 0.1),
                    Catch::Contains("eta_min"));
}
