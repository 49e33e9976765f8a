#pragma once
// The pictures of a study, chosen from what its runs recorded:
//   - learning curves: every metric logged at several steps, one line per run; metrics named
//     train_X and val_X share a chart (train solid, validation dashed), and a run's
//     "chosen_epoch" metric of the same stage is marked with a vertical line;
//   - metric vs parameter: each varying final metric of the last stages against each swept numeric
//     parameter, one line per combination of the other swept parameters, mean and standard
//     deviation over seeds as error bars, log axis when the values span two decades or more;
//   - heat maps: each such metric over the first two swept parameters (mean over the rest).

#include <string>
#include <vector>

#include "pipeline/report/study_data.h"

namespace pipeline::report {

struct Figure {
  std::string title;
  std::string svg;  // inline SVG
};

std::vector<Figure> BuildFigures(const StudyData& study, size_t max_figures = 48);

}  // namespace pipeline::report
