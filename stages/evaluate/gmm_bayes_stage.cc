#include "stages/evaluate/gmm_bayes_stage.h"

#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/cluster/gmm_params.h"
#include "stages/evaluate/classification_metrics.h"
#include "stages/evaluate/gmm_bayes.h"

namespace stages {
namespace {

void RunGmmBayes(pipeline::StageContext& ctx) {
  const GmmOptions options = GmmOptionsFromParams(ctx.params());

  const pipeline::Artifact& train = ctx.input(0);
  const pipeline::Artifact& target = ctx.input(1);
  const pipeline::Tensor& train_x = train.Get("x");
  const pipeline::Tensor& target_x = target.Get("x");
  if (train_x.row_size() != target_x.row_size()) {
    throw pipeline::StageError("gmm_bayes: the training set has " +
                               std::to_string(train_x.row_size()) +
                               " features per example but the set to classify has " +
                               std::to_string(target_x.row_size()) +
                               "; give both inputs the same features (e.g. one PCA model)");
  }

  const GmmBayesModel model =
      FitGmmBayes(train_x.MatrixF(), train.Get("y").ToIntVector(), options, ctx.rng(),
                  [&ctx](int64_t, int64_t, double) { ctx.CheckCancelled(); });
  const pipeline::RowMatrixXd log_posterior = GmmBayesLogPosterior(model, target_x.MatrixF());
  const std::vector<int32_t> predictions = GmmBayesPredict(model, log_posterior);

  pipeline::Artifact& out = ctx.output();
  out.Put("predictions", pipeline::Tensor::FromVector(predictions));
  out.Put("scores", pipeline::Tensor::FromMatrix(pipeline::RowMatrixXf(log_posterior.cast<float>())));
  for (const char* name : {"y", "ids"}) {
    if (const pipeline::Tensor* tensor = target.Find(name)) out.Put(name, *tensor);
  }
  out.meta() = target.meta();
  out.meta()["classes"] = model.classes;
  out.meta()["components"] = options.components;
  out.meta()["covariance"] = CovarianceTypeName(options.covariance);

  for (size_t c = 0; c < model.classes.size(); ++c) {
    ctx.Metric("train_nll", model.classes[c], model.train_nll[c]);
  }
  const pipeline::Tensor* truth = target.Find("y");
  if (truth == nullptr) return;
  const ConfusionMatrix confusion =
      BuildConfusionMatrix(truth->ToIntVector(), predictions, model.classes);
  ctx.Metric("accuracy", Accuracy(confusion));
  ctx.Metric("error_rate", ErrorRate(confusion));
  for (const ClassAccuracy& entry : PerClassAccuracy(confusion)) {
    if (entry.support > 0) ctx.Metric("class_accuracy", entry.label, entry.accuracy);
  }
  WriteMatrixCsv(ctx.FilePath("confusion_matrix.csv", "csv"), confusion.classes,
                 RowNormalized(confusion));
  WriteMatrixCsv(ctx.FilePath("confusion_counts.csv", "csv"), confusion.classes,
                 confusion.counts);
}

}  // namespace

pipeline::StageType GmmBayesStage() {
  pipeline::StageType type;
  type.name = "gmm_bayes";
  type.kind = pipeline::StageKind::kTrain;
  type.help = "Bayes classifier with one Gaussian mixture per class: fit on input 1, classify "
              "input 2";
  // 3: the k-means initialisation sums its distances in a fixed order (last bits).
  type.code_version = 3;  // 2: greedy k-means++ in the k-means initialisation; convergence rule
  type.uses_rng = true;
  type.min_inputs = 2;
  type.max_inputs = 2;
  type.params = GmmParamSpecs({"mixture components per class",
                               "EM iterations per class and restart",
                               "EM restarts per class; the lowest final NLL is kept"});
  type.run = RunGmmBayes;
  return type;
}

}  // namespace stages
