#pragma once
// Tiny stage types for testing the orchestrator without real data: each does real (if trivial)
// arithmetic on a one-column tensor, so tests can check what flowed where.
//   constant  (load)     x = [n x 1] filled with `value`; metric "value"
//   add       (reduce)   x + delta; metric "sum" (the sum of its output)
//   noisy     (reduce)   x + N(0, scale) per element, seeded; metric "first" (first element)
//   fail_if   (evaluate) throws StageError when `fail` is true; otherwise metric "mean", x passed on
//   slow      (train)    `steps` steps of `sleep_ms` each, logging metric "step" every step and
//                        checking for cancellation (for interruption tests)
//   curve     (train)    metric "score" per epoch rising to 1 - (x - 0.3)^2 - (width - 4)^2/100,
//                        checking for cancellation between epochs (for searches and pruners)

#include <vector>

#include "pipeline/stage.h"

namespace testing_support {

std::vector<pipeline::StageType> TestStages();

}  // namespace testing_support
