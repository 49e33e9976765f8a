#include "stages/evaluate/gmm_bayes.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>

#include "pipeline/errors.h"
#include "stages/evaluate/classification_metrics.h"
#include "stages/evaluate/gmm_bayes_stage.h"
#include "stages/load/idx_reader.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/fake_clock.h"
#include "tests/support/memory_metric_sink.h"
#include "tests/support/temp_dir.h"

using pipeline::RowMatrixXf;

namespace {

// Three classes in 2-D that one diagonal Gaussian per class cannot tell apart: class 10 is two
// blobs at (-3, -3) and (3, 3), class 20 two blobs at (-3, 3) and (3, -3) (both have mean 0 and
// the same variances), class 30 one blob at the origin.
struct Labelled {
  RowMatrixXf x;
  std::vector<int32_t> y;
};

Labelled ThreeClasses(int64_t n, uint64_t seed) {
  pipeline::Rng rng(seed);
  Labelled data{RowMatrixXf(n, 2), std::vector<int32_t>(static_cast<size_t>(n))};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 3;
    const double side = rng.Uniform() < 0.5 ? -3.0 : 3.0;
    double a = 0;
    double b = 0;
    if (c == 0) {
      a = side;
      b = side;
    } else if (c == 1) {
      a = side;
      b = -side;
    }
    data.x(i, 0) = static_cast<float>(rng.Normal(a, 0.7));
    data.x(i, 1) = static_cast<float>(rng.Normal(b, 0.7));
    data.y[static_cast<size_t>(i)] = static_cast<int32_t>(10 * (c + 1));
  }
  return data;
}

double AccuracyOf(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted) {
  return stages::Accuracy(stages::BuildConfusionMatrix(truth, predicted));
}

pipeline::Tensor ToTensor(const RowMatrixXf& x) { return pipeline::Tensor::FromMatrix(x); }

std::vector<std::vector<double>> ReadCsvBody(const std::string& path, std::string* header) {
  std::ifstream file(path);
  std::getline(file, *header);
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(file, line);) {
    std::stringstream cells(line);
    std::vector<double> row;
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("GMM Bayes classifier separates a 3-class problem a Gaussian per class cannot",
          "[gmm_bayes]") {
  const Labelled train = ThreeClasses(1500, 1);
  const Labelled test = ThreeClasses(600, 2);
  stages::GmmOptions options;
  options.components = 2;
  const stages::GmmBayesModel model = stages::FitGmmBayes(train.x, train.y, options,
                                                          pipeline::Rng(4));
  REQUIRE(model.classes == std::vector<int32_t>{10, 20, 30});
  CHECK(model.log_priors(0) == Approx(std::log(1.0 / 3)));
  const pipeline::RowMatrixXd posterior = stages::GmmBayesLogPosterior(model, test.x);
  REQUIRE(posterior.rows() == 600);
  REQUIRE(posterior.cols() == 3);
  CHECK(posterior.allFinite());
  for (Eigen::Index i = 0; i < posterior.rows(); ++i) {
    CHECK(posterior.row(i).array().exp().sum() == Approx(1.0).epsilon(1e-12));
  }
  const double two = AccuracyOf(test.y, stages::GmmBayesPredict(model, posterior));
  INFO("accuracy with 2 components " << two);
  CHECK(two > 0.97);

  // One diagonal Gaussian per class cannot tell class 10 from class 20.
  options.components = 1;
  const stages::GmmBayesModel single =
      stages::FitGmmBayes(train.x, train.y, options, pipeline::Rng(4));
  const double one =
      AccuracyOf(test.y, stages::GmmBayesPredict(single, stages::GmmBayesLogPosterior(single, test.x)));
  INFO("accuracy with 1 component " << one);
  CHECK(one < 0.8);
}

TEST_CASE("GMM Bayes fits are identical with 1 and 2 threads", "[gmm_bayes][determinism]") {
  const Labelled train = ThreeClasses(900, 5);
  stages::GmmOptions options;
  options.components = 3;
  options.covariance = stages::CovarianceType::kFull;
  const auto run = [&] {
    const stages::GmmBayesModel model =
        stages::FitGmmBayes(train.x, train.y, options, pipeline::Rng(6));
    return stages::GmmBayesLogPosterior(model, train.x);
  };
  CHECK(stage_testing::InArena(1, run) == stage_testing::InArena(2, run));
}

TEST_CASE("GMM Bayes names a class with fewer examples than components", "[gmm_bayes]") {
  RowMatrixXf x = RowMatrixXf::Random(10, 2);
  const std::vector<int32_t> y = {0, 0, 0, 0, 0, 0, 0, 0, 4, 4};
  stages::GmmOptions options;
  options.components = 3;
  CHECK_THROWS_WITH(stages::FitGmmBayes(x, y, options, pipeline::Rng(0)),
                    Catch::Contains("class 4 has 2 training examples"));
}

TEST_CASE("gmm_bayes stage classifies input 2 with the model fitted on input 1",
          "[gmm_bayes]") {
  const Labelled train = ThreeClasses(600, 7);
  const Labelled test = ThreeClasses(150, 8);
  std::vector<int32_t> ids(150);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(1000 + i);

  const pipeline::StageType type = stages::GmmBayesStage();
  pipeline::Json values = pipeline::Json::object();
  for (const pipeline::ParamSpec& spec : type.params) values[spec.name] = spec.default_value;
  testing_support::FakeClock clock;
  testing_support::MemoryMetricSink metrics;
  testing_support::TempDir dir;
  pipeline::StageContext ctx(
      type, pipeline::Params(values),
      {stage_testing::MakeArtifact(
           {{"x", ToTensor(train.x)}, {"y", pipeline::Tensor::FromVector(train.y)}}),
       stage_testing::MakeArtifact({{"x", ToTensor(test.x)},
                                    {"y", pipeline::Tensor::FromVector(test.y)},
                                    {"ids", pipeline::Tensor::FromVector(ids)}})},
      9, clock, 2, metrics, dir.path(), nullptr);
  stage_testing::InArena(2, [&] { type.run(ctx); });

  const pipeline::Artifact& out = ctx.output();
  const std::vector<int32_t> predictions = out.Get("predictions").ToIntVector();
  REQUIRE(predictions.size() == 150);
  CHECK(out.Get("scores").shape() == std::vector<int64_t>{150, 3});
  CHECK(out.Get("scores").dtype() == pipeline::DType::kFloat32);
  CHECK(out.Get("ids").ToIntVector() == ids);
  CHECK(out.Get("y").ToIntVector() == test.y);
  CHECK(out.meta()["classes"] == pipeline::Json({10, 20, 30}));

  const double accuracy = AccuracyOf(test.y, predictions);
  REQUIRE(metrics.Values("accuracy").size() == 1);
  CHECK(metrics.Values("accuracy")[0] == Approx(accuracy));
  CHECK(metrics.Values("error_rate")[0] == Approx(1 - accuracy));
  CHECK(metrics.Values("class_accuracy").size() == 3);
  CHECK(metrics.Values("train_nll").size() == 3);

  std::string header;
  const auto rows = ReadCsvBody(dir.File("confusion_matrix.csv"), &header);
  CHECK(header == "true\\predicted,10,20,30");
  REQUIRE(rows.size() == 3);
  for (const std::vector<double>& row : rows) {
    REQUIRE(row.size() == 4);
    CHECK(row[1] + row[2] + row[3] == Approx(1.0));
  }
  const auto counts = ReadCsvBody(dir.File("confusion_counts.csv"), &header);
  double diagonal = 0;
  for (size_t r = 0; r < counts.size(); ++r) diagonal += counts[r][r + 1];
  CHECK(diagonal == Approx(accuracy * 150));
}

TEST_CASE("gmm_bayes stage without labels on input 2 predicts but scores nothing",
          "[gmm_bayes]") {
  const Labelled train = ThreeClasses(300, 3);
  const Labelled test = ThreeClasses(30, 4);
  stage_testing::StageHarness harness(stages::GmmBayesStage());
  const pipeline::Artifact& out = harness.Run(
      {{"components", 1}},
      {stage_testing::MakeArtifact(
           {{"x", ToTensor(train.x)}, {"y", pipeline::Tensor::FromVector(train.y)}}),
       stage_testing::MakeArtifact({{"x", ToTensor(test.x)}})});
  CHECK(out.Get("predictions").ToIntVector().size() == 30);
  CHECK_FALSE(out.Has("y"));
  CHECK(harness.metrics().Values("accuracy").empty());
  CHECK(harness.metrics().Values("train_nll").size() == 3);
}

TEST_CASE("GMM Bayes on PCA-20 Fashion-MNIST beats 0.72 accuracy",
          "[gmm_bayes][integration]") {
  const std::string root = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(root + "train-images-idx3-ubyte.gz")) {
    WARN("Fashion-MNIST not installed; skipped");
    return;
  }
  const RowMatrixXf train_x =
      stages::ReadIdxImages(root + "train-images-idx3-ubyte.gz", 2000).pixels.MatrixF();
  const std::vector<int32_t> train_y =
      stages::ReadIdxLabels(root + "train-labels-idx1-ubyte.gz", 2000).labels.ToIntVector();
  const RowMatrixXf test_x =
      stages::ReadIdxImages(root + "t10k-images-idx3-ubyte.gz", 500).pixels.MatrixF();
  const std::vector<int32_t> test_y =
      stages::ReadIdxLabels(root + "t10k-labels-idx1-ubyte.gz", 500).labels.ToIntVector();

  // PCA to 20 dimensions fitted on the training slice only.
  const Eigen::MatrixXd centred_train = train_x.cast<double>().rowwise() -
                                        train_x.cast<double>().colwise().mean();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(centred_train.transpose() *
                                                              centred_train);
  const Eigen::MatrixXd basis = solver.eigenvectors().rightCols(20);
  const Eigen::RowVectorXd mean = train_x.cast<double>().colwise().mean();
  const RowMatrixXf train_features = (centred_train * basis).cast<float>();
  const RowMatrixXf test_features =
      ((test_x.cast<double>().rowwise() - mean) * basis).cast<float>();

  stages::GmmOptions options;
  options.components = 2;
  const stages::GmmBayesModel model =
      stages::FitGmmBayes(train_features, train_y, options, pipeline::Rng(1));
  const double accuracy = AccuracyOf(
      test_y, stages::GmmBayesPredict(model, stages::GmmBayesLogPosterior(model, test_features)));
  INFO("accuracy " << accuracy);
  CHECK(accuracy > 0.72);  // 0.77 measured (seed 1)
}
