#include "stages/reduce/tsne.h"

#include <tbb/task_arena.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "pipeline/errors.h"
#include "pipeline/rng.h"
#include "stages/load/blobs.h"
#include "stages/reduce/space_tree.h"
#include "stages/reduce/tsne_affinities.h"
#include "stages/reduce/tsne_gradient.h"
#include "stages/reduce/tsne_stage.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/fake_clock.h"
#include "tests/support/memory_metric_sink.h"
#include "tests/support/temp_dir.h"

// stb_image is compiled privately into this test to read the scatter plot back.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

using pipeline::RowMatrixXd;
using pipeline::RowMatrixXf;
using stage_testing::InArena;

namespace {

RowMatrixXf RandomData(Eigen::Index n, Eigen::Index d, uint64_t seed) {
  pipeline::Rng rng(seed);
  RowMatrixXf x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.Normal());
  return x;
}

RowMatrixXd RandomEmbedding(Eigen::Index n, Eigen::Index dims, uint64_t seed) {
  pipeline::Rng rng(seed);
  RowMatrixXd y(n, dims);
  for (Eigen::Index i = 0; i < y.size(); ++i) y.data()[i] = rng.Normal(0, 3);
  return y;
}

// 5 blobs of 60 points in 10-D, far apart compared with their spread.
stages::Blobs SeparatedBlobs() {
  stages::BlobsOptions options;
  options.examples = 300;
  options.dims = 10;
  options.centers = 5;
  options.spread = 1.0;
  options.center_box = 20.0;
  return stages::MakeBlobs(options, pipeline::Rng(7));
}

// O(N^2) reference: dC/dy_i = 4 sum_j (alpha p_ij - q_ij) w_ij (y_i - y_j), q_ij = w_ij / Z,
// and KL(P || Q) over the non-zeros of P.
std::pair<RowMatrixXd, double> ExactGradient(const stages::SparseAffinities& p,
                                             const RowMatrixXd& y, double exaggeration) {
  const Eigen::Index n = y.rows();
  RowMatrixXd dense_p = RowMatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int64_t e = p.row_offsets[static_cast<size_t>(i)]; e < p.row_offsets[static_cast<size_t>(i) + 1]; ++e) {
      dense_p(i, p.columns[static_cast<size_t>(e)]) = p.values[static_cast<size_t>(e)];
    }
  }
  RowMatrixXd w = RowMatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      if (i != j) w(i, j) = 1 / (1 + (y.row(i) - y.row(j)).squaredNorm());
    }
  }
  const double z = w.sum();
  RowMatrixXd gradient = RowMatrixXd::Zero(n, y.cols());
  double kl = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      if (i == j) continue;
      gradient.row(i) +=
          4 * (exaggeration * dense_p(i, j) - w(i, j) / z) * w(i, j) * (y.row(i) - y.row(j));
      if (dense_p(i, j) > 0) kl += dense_p(i, j) * std::log(dense_p(i, j) / (w(i, j) / z));
    }
  }
  return {gradient, kl};
}

// Share of points whose nearest other point (in the embedding) has the same label.
double NearestNeighborAgreement(const RowMatrixXd& y, const std::vector<int32_t>& labels) {
  int agree = 0;
  for (Eigen::Index i = 0; i < y.rows(); ++i) {
    Eigen::Index nearest = -1;
    double best = std::numeric_limits<double>::infinity();
    for (Eigen::Index j = 0; j < y.rows(); ++j) {
      const double d = (y.row(i) - y.row(j)).squaredNorm();
      if (j != i && d < best) {
        best = d;
        nearest = j;
      }
    }
    agree += labels[static_cast<size_t>(i)] == labels[static_cast<size_t>(nearest)] ? 1 : 0;
  }
  return static_cast<double>(agree) / static_cast<double>(y.rows());
}

stages::TsneOptions SmallRun() {
  stages::TsneOptions options;
  options.perplexity = 20;
  options.iterations = 400;
  return options;
}

}  // namespace

TEST_CASE("t-SNE neighbours are the exact nearest points in order", "[tsne]") {
  const RowMatrixXf x = RandomData(150, 6, 1);
  const stages::NeighborGraph graph = stages::ExactNearestNeighbors(x, 10);
  REQUIRE(graph.neighbors.size() == 1500);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    std::vector<std::pair<double, int32_t>> all;
    for (Eigen::Index j = 0; j < x.rows(); ++j) {
      if (j == i) continue;
      all.emplace_back((x.row(i).cast<double>() - x.row(j).cast<double>()).squaredNorm(),
                       static_cast<int32_t>(j));
    }
    std::sort(all.begin(), all.end());
    for (size_t r = 0; r < 10; ++r) {
      CHECK(graph.neighbors[static_cast<size_t>(i) * 10 + r] == all[r].second);
      CHECK(graph.squared_distances[static_cast<size_t>(i) * 10 + r] == Approx(all[r].first));
    }
  }
}

TEST_CASE("t-SNE bandwidth search hits the target perplexity at every point", "[tsne]") {
  const RowMatrixXf x = RandomData(200, 5, 2);
  for (double perplexity : {5.0, 15.0, 30.0}) {
    const stages::NeighborGraph graph =
        stages::ExactNearestNeighbors(x, stages::TsneNeighborCount(200, perplexity));
    const stages::ConditionalAffinities conditional = stages::SearchBandwidths(graph, perplexity);
    for (int64_t i = 0; i < graph.points; ++i) {
      double entropy = 0;
      double sum = 0;
      for (int64_t j = 0; j < graph.k; ++j) {
        const double p = conditional.probabilities[static_cast<size_t>(i * graph.k + j)];
        sum += p;
        if (p > 0) entropy -= p * std::log(p);
      }
      INFO("perplexity " << perplexity << " point " << i);
      CHECK(sum == Approx(1.0).epsilon(1e-12));
      CHECK(std::abs(std::exp(entropy) - perplexity) < 1e-3);
    }
  }
}

TEST_CASE("t-SNE joint affinities are symmetric and sum to one", "[tsne]") {
  const stages::SparseAffinities p = stages::ComputeTsneAffinities(RandomData(120, 4, 3), 10.0);
  double total = 0;
  for (int64_t i = 0; i < p.points; ++i) {
    for (int64_t e = p.row_offsets[static_cast<size_t>(i)]; e < p.row_offsets[static_cast<size_t>(i) + 1]; ++e) {
      const int32_t j = p.columns[static_cast<size_t>(e)];
      CHECK(j != i);
      CHECK(p.values[static_cast<size_t>(e)] > 0);
      total += p.values[static_cast<size_t>(e)];
      // Find (j, i).
      const auto begin = p.columns.begin() + p.row_offsets[static_cast<size_t>(j)];
      const auto end = p.columns.begin() + p.row_offsets[static_cast<size_t>(j) + 1];
      const auto found = std::lower_bound(begin, end, static_cast<int32_t>(i));
      REQUIRE((found != end && *found == i));
      CHECK(p.values[static_cast<size_t>(found - p.columns.begin())] == p.values[static_cast<size_t>(e)]);
    }
  }
  CHECK(total == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("Barnes-Hut gradient with theta 0 equals the exact gradient", "[tsne]") {
  const stages::SparseAffinities p = stages::ComputeTsneAffinities(RandomData(90, 5, 4), 8.0);
  for (int dims : {2, 3}) {
    RowMatrixXd y = RandomEmbedding(90, dims, 5);
    y.row(7) = y.row(3);  // a duplicated point shares a leaf
    for (double exaggeration : {1.0, 12.0}) {
      RowMatrixXd gradient;
      const stages::TsneGradientResult result =
          stages::TsneGradient(p, y, 0.0, exaggeration, true, &gradient);
      const auto [expected, expected_kl] = ExactGradient(p, y, exaggeration);
      INFO("dims " << dims << " exaggeration " << exaggeration);
      CHECK((gradient - expected).norm() <= 1e-6 * expected.norm());
      CHECK(result.kl_divergence == Approx(expected_kl).epsilon(1e-9));
    }
    // theta 0.5 approximates it.
    RowMatrixXd approximate;
    stages::TsneGradient(p, y, 0.5, 1.0, false, &approximate);
    CHECK((approximate - ExactGradient(p, y, 1.0).first).norm() <
          0.1 * ExactGradient(p, y, 1.0).first.norm());
  }
}

TEST_CASE("space tree counts every point once and orders them", "[tsne]") {
  const RowMatrixXd y = RandomEmbedding(500, 2, 6);
  const stages::SpaceTree<2> tree(y.data(), 500);
  CHECK(tree.nodes()[0].count == 500);
  CHECK(tree.nodes()[0].skip == static_cast<int32_t>(tree.nodes().size()));
  std::vector<int32_t> sorted = tree.order();
  std::sort(sorted.begin(), sorted.end());
  for (int32_t i = 0; i < 500; ++i) CHECK(sorted[static_cast<size_t>(i)] == i);
  int64_t leaf_points = 0;
  for (size_t n = 0; n < tree.nodes().size(); ++n) {
    if (tree.nodes()[n].skip == static_cast<int32_t>(n + 1)) leaf_points += tree.nodes()[n].count;
  }
  CHECK(leaf_points == 500);
  CHECK(tree.nodes()[0].center_of_mass[0] == Approx(y.col(0).mean()));
}

TEST_CASE("t-SNE keeps well-separated blobs apart and lowers the KL divergence", "[tsne]") {
  const stages::Blobs blobs = SeparatedBlobs();
  std::vector<std::pair<int64_t, double>> history;
  stages::TsneCallbacks callbacks;
  int64_t iterations_seen = 0;
  callbacks.on_iteration = [&](int64_t) { ++iterations_seen; };
  callbacks.on_kl = [&](int64_t iteration, double kl) { history.emplace_back(iteration, kl); };
  const stages::TsneResult result =
      InArena(2, [&] { return stages::RunTsne(blobs.x, SmallRun(), pipeline::Rng(1), callbacks); });

  CHECK(iterations_seen == 400);
  REQUIRE(history.size() == 8);
  CHECK(history.front().first == 50);
  CHECK(history.back().first == 400);
  CHECK(history.back().second < history.front().second);
  CHECK(result.kl_divergence == history.back().second);
  CHECK(result.learning_rate == 50.0);  // auto: max(300 / 12 / 4, 50)
  CHECK(NearestNeighborAgreement(result.embedding, blobs.labels) > 0.95);
}

TEST_CASE("t-SNE output is identical with 1 and 2 threads", "[tsne][determinism]") {
  const stages::Blobs blobs = SeparatedBlobs();
  stages::TsneOptions options = SmallRun();
  options.iterations = 250;
  for (stages::TsneInit init : {stages::TsneInit::kPca, stages::TsneInit::kRandom}) {
    options.init = init;
    const auto run = [&] { return stages::RunTsne(blobs.x, options, pipeline::Rng(3)); };
    const stages::TsneResult one = InArena(1, run);
    const stages::TsneResult two = InArena(2, run);
    CHECK(one.embedding == two.embedding);
    CHECK(one.kl_divergence == two.kl_divergence);
  }
}

TEST_CASE("t-SNE with random init repeats for a seed and changes with it", "[tsne][determinism]") {
  const stages::Blobs blobs = SeparatedBlobs();
  stages::TsneOptions options = SmallRun();
  options.iterations = 250;
  options.init = stages::TsneInit::kRandom;
  const auto run = [&](uint64_t seed) {
    return InArena(2, [&] { return stages::RunTsne(blobs.x, options, pipeline::Rng(seed)); });
  };
  CHECK(run(5).embedding == run(5).embedding);
  CHECK(run(5).embedding != run(6).embedding);
}

TEST_CASE("t-SNE PCA init has first-coordinate std 1e-4", "[tsne]") {
  const RowMatrixXf x = RandomData(100, 6, 9);
  const RowMatrixXd y = stages::TsneInitialEmbedding(x, 2, stages::TsneInit::kPca, pipeline::Rng(1));
  const double mean = y.col(0).mean();
  CHECK(std::sqrt((y.col(0).array() - mean).square().mean()) == Approx(1e-4).epsilon(1e-9));
  CHECK(stages::TsneLearningRate(0, 5000, 12) == Approx(5000.0 / 48));
  CHECK(stages::TsneLearningRate(200, 5000, 12) == 200.0);
}

TEST_CASE("t-SNE rejects a perplexity too large for the data", "[tsne]") {
  stages::TsneOptions options;
  options.perplexity = 30;
  CHECK_THROWS_AS(stages::RunTsne(RandomData(20, 3, 1), options, pipeline::Rng(1)),
                  pipeline::StageError);
}

TEST_CASE("tsne stage writes coordinates, KL metrics and a scatter plot", "[tsne]") {
  const stages::Blobs blobs = SeparatedBlobs();
  pipeline::Tensor x = pipeline::Tensor::FromMatrix(blobs.x);
  std::vector<int32_t> ids(300);
  for (int32_t i = 0; i < 300; ++i) ids[static_cast<size_t>(i)] = 1000 + i;
  const pipeline::ArtifactPtr input = stage_testing::MakeArtifact(
      {{"x", x}, {"y", pipeline::Tensor::FromVector(blobs.labels)},
       {"ids", pipeline::Tensor::FromVector(ids)}});

  const pipeline::StageType type = stages::TsneStage();
  pipeline::Json values = pipeline::Json::object();
  for (const pipeline::ParamSpec& spec : type.params) values[spec.name] = spec.default_value;
  values["iterations"] = 275;
  values["perplexity"] = 20.0;
  testing_support::FakeClock clock;
  testing_support::MemoryMetricSink metrics;
  testing_support::TempDir dir;
  pipeline::StageContext ctx(type, pipeline::Params(values), {input}, 1, clock, 2, metrics,
                             dir.path(), nullptr);
  tbb::task_arena(2).execute([&] { type.run(ctx); });

  const pipeline::Artifact& out = ctx.output();
  CHECK(out.Get("x").shape() == std::vector<int64_t>{300, 2});
  CHECK(out.Get("x").dtype() == pipeline::DType::kFloat32);
  CHECK(out.Get("y").ToIntVector() == blobs.labels);
  CHECK(out.Get("ids").ToIntVector() == ids);
  std::vector<int64_t> steps;
  for (const auto& row : metrics.rows()) {
    if (row.name == "kl_divergence") steps.push_back(row.step);
  }
  CHECK(steps == std::vector<int64_t>{50, 100, 150, 200, 250, 275});

  REQUIRE(ctx.files().size() == 1);
  CHECK(ctx.files()[0].name == "tsne.png");
  CHECK(ctx.files()[0].kind == "png");
  const std::string path = dir.File("tsne.png");
  REQUIRE(std::filesystem::exists(path));
  int width = 0;
  int height = 0;
  int channels = 0;
  unsigned char* pixels = stbi_load(path.c_str(), &width, &height, &channels, 0);
  REQUIRE(pixels != nullptr);
  CHECK(width == 800);
  CHECK(height == 800);
  CHECK(channels == 3);
  CHECK(int{pixels[0]} == 255);  // white background in the corner
  stbi_image_free(pixels);
}

TEST_CASE("tsne stage with 3 dims writes no plot", "[tsne]") {
  const stages::Blobs blobs = SeparatedBlobs();
  stage_testing::StageHarness harness(stages::TsneStage());
  const pipeline::Artifact& out = harness.Run(
      {{"dims", 3}, {"iterations", 250}, {"perplexity", 20.0}, {"init", "random"}},
      {stage_testing::MakeArtifact({{"x", pipeline::Tensor::FromMatrix(blobs.x)}})});
  CHECK(out.Get("x").shape() == std::vector<int64_t>{300, 3});
  CHECK(harness.metrics().Values("kl_divergence").size() == 5);
}
