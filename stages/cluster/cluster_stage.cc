#include "stages/cluster/cluster_stage.h"

#include "stages/cluster/kmeans.h"

namespace stages {
namespace {

void RunKMeans(pipeline::StageContext& ctx) {
  const pipeline::Params& params = ctx.params();
  KMeansOptions options;
  options.clusters = params.GetInt("k");
  options.restarts = params.GetInt("n_init");
  options.max_iterations = params.GetInt("max_iter");
  options.tolerance = params.GetFloat("tol");
  options.local_trials = params.GetInt("init_trials");
  const pipeline::Tensor& x = ctx.FindInput("x");

  const KMeansResult result = KMeans(x.MatrixF(), options, ctx.rng(),
                                     [&ctx](int64_t, int64_t, double) { ctx.CheckCancelled(); });

  pipeline::Artifact& out = ctx.output();
  out.Put("assignments", pipeline::Tensor::FromVector(result.assignments));
  out.Put("centers", pipeline::Tensor::FromMatrix(result.centers));
  for (const char* name : {"x", "y", "ids"}) {
    if (const pipeline::Tensor* tensor = ctx.FindInputOrNull(name)) out.Put(name, *tensor);
  }
  out.meta() = ctx.InputMeta();
  out.meta()["k"] = options.clusters;
  out.meta()["converged"] = result.converged;

  for (size_t step = 0; step < result.inertia_history.size(); ++step) {
    ctx.Metric("inertia", static_cast<int64_t>(step), result.inertia_history[step]);
  }
  ctx.Metric("iterations", static_cast<double>(result.iterations));
}

}  // namespace

pipeline::StageType KMeansStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "kmeans";
  type.kind = pipeline::StageKind::kCluster;
  type.help = "k-means clustering of x (k-means++ seeding, Lloyd iterations, restarts)";
  // 2: float ranking of centres with a double re-check of near ties (rare near-ties may now
  // resolve differently). 3: greedy k-means++ seeding (init_trials). 4: Hamerly bounds and
  // fixed-order double distances (same assignments; the inertia may differ in its last bits).
  type.code_version = 4;
  type.step_unit = "iteration";  // Lloyd iterations
  type.uses_rng = true;
  type.min_inputs = 1;
  type.max_inputs = 1;
  type.params = {
      ParamSpec::Int("k", 8, "number of clusters").Min(1),
      ParamSpec::Int("n_init", 1, "k-means++ restarts; the lowest inertia is kept").Min(1),
      ParamSpec::Int("max_iter", 300, "Lloyd iterations per restart").Min(1),
      ParamSpec::Float("tol", 1e-4,
                       "stop when the centre shift is below tol x mean feature variance")
          .Min(0),
      ParamSpec::Int("init_trials", 0,
                     "k-means++ candidates per centre, the best kept; 0: 2 + ln k (as "
                     "scikit-learn), 1: plain k-means++")
          .Min(0)
          .Max(1000),
  };
  type.run = RunKMeans;
  return type;
}

}  // namespace stages
