#pragma once
// The pictures of a study, chosen from what its runs recorded, each in one of three sections:
//   - key: the objective's curve and the losses and accuracies, first;
//   - effect: the headline metrics (study_summary.h) and the other outcomes of the objective's
//     stage against the parameters, the objective first;
//   - diagnostic: everything else (learning rate, time per epoch, throughput, a PCA's explained
//     variance, k-means inertia, and the other metrics against the parameters).
// The kinds of chart:
//   - learning curves: every metric logged at several steps, one line per distinct execution of
//     its stage (runs that share the execution share the line, named by the swept parameters
//     they have in common: "pca.components=16"); the x axis is what the stage type declares its
//     steps count ("epoch", "iteration"), ticked at whole numbers; metrics named train_X and
//     val_X share a chart (train solid, validation dashed), and a run's "chosen_epoch" metric of
//     the same stage is marked with a vertical line;
//   - metric vs parameter: each varying final metric of the last stages against each swept numeric
//     parameter, one line per combination of the other swept parameters, mean and standard
//     deviation over seeds as error bars, log axis when the values span two decades or more;
//   - heat maps: each such metric over the first two swept parameters (mean over the rest).

#include <string>
#include <vector>

#include "pipeline/report/study_data.h"

namespace pipeline::report {

enum class FigureSection { kKey, kEffect, kDiagnostic };

struct Figure {
  std::string title;
  std::string svg;  // inline SVG
  FigureSection section = FigureSection::kKey;
};

// Figures by section (key, effect, diagnostic), in order of importance within each.

std::vector<Figure> BuildFigures(const StudyData& study, size_t max_figures = 48);

}  // namespace pipeline::report
