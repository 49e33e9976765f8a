#include "stages/evaluate/cluster_eval.h"

#include "stages/evaluate/clustering_metrics.h"

namespace stages {
namespace {

void RunClusterEval(pipeline::StageContext& ctx) {
  const std::vector<int32_t> assignments = ctx.FindInput("assignments").ToIntVector();
  const std::vector<int32_t> labels = ctx.FindInput("y").ToIntVector();

  const ContingencyTable table = BuildContingencyTable(labels, assignments);
  const double accuracy = ClusteringAccuracy(table);
  const double nmi = NormalizedMutualInformation(table);
  const double ari = AdjustedRandIndex(table);
  const auto clusters = static_cast<double>(table.clusters.size());

  pipeline::Json& meta = ctx.output().meta();
  meta["accuracy"] = accuracy;
  meta["nmi"] = nmi;
  meta["ari"] = ari;
  meta["clusters"] = clusters;
  ctx.Metric("accuracy", accuracy);
  ctx.Metric("nmi", nmi);
  ctx.Metric("ari", ari);
  ctx.Metric("clusters", clusters);
}

}  // namespace

pipeline::StageType ClusterEvalStage() {
  pipeline::StageType type;
  type.name = "cluster_eval";
  type.kind = pipeline::StageKind::kEvaluate;
  type.help = "score cluster assignments against labels y: matched accuracy, NMI, ARI";
  type.code_version = 1;
  type.uses_rng = false;
  type.min_inputs = 1;
  type.max_inputs = 2;
  type.run = RunClusterEval;
  return type;
}

}  // namespace stages
