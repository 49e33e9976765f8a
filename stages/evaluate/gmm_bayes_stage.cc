#include "stages/evaluate/gmm_bayes_stage.h"

#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/evaluate/classification_metrics.h"
#include "stages/evaluate/gmm_bayes.h"

namespace stages {
namespace {

void RunGmmBayes(pipeline::StageContext& ctx) {
  const pipeline::Params& params = ctx.params();
  GmmOptions options;
  options.components = params.GetInt("components");
  options.covariance = ParseCovarianceType(params.GetString("covariance"));
  options.max_iterations = params.GetInt("max_iter");
  options.tolerance = params.GetFloat("tol");
  options.reg_covar = params.GetFloat("reg_covar");
  options.init = ParseGmmInit(params.GetString("init"));
  options.restarts = params.GetInt("n_init");

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
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "gmm_bayes";
  type.kind = pipeline::StageKind::kTrain;
  type.help = "Bayes classifier with one Gaussian mixture per class: fit on input 1, classify "
              "input 2";
  type.code_version = 1;
  type.uses_rng = true;
  type.min_inputs = 2;
  type.max_inputs = 2;
  type.params = {
      ParamSpec::Int("components", 2, "mixture components per class").Min(1),
      ParamSpec::String("covariance", "diag", "covariance matrices: diag or full")
          .Choices({"diag", "full"}),
      ParamSpec::Int("max_iter", 500, "EM iterations per class and restart").Min(0),
      ParamSpec::Float("tol", 1e-5,
                       "stop when the mean NLL changes by at most tol x max(|nll|, 1)")
          .Min(0),
      ParamSpec::Float("reg_covar", 1e-6, "added to every variance (covariance diagonal)").Min(0),
      ParamSpec::String("init", "kmeans", "initial responsibilities: kmeans or random")
          .Choices({"kmeans", "random"}),
      ParamSpec::Int("n_init", 1, "EM restarts per class; the lowest final NLL is kept").Min(1),
  };
  type.run = RunGmmBayes;
  return type;
}

}  // namespace stages
