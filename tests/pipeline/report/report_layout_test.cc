// The report's layout decisions: what comes first (the headline, the key charts), how curves of
// shared stages are drawn, which runs-table columns are shown, and honest step axes.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "pipeline/plot/charts.h"
#include "pipeline/plot/scale.h"
#include "pipeline/report/html_report.h"
#include "pipeline/report/runs_section.h"
#include "pipeline/report/study_charts.h"
#include "pipeline/report/study_summary.h"
#include "tests/support/study_fixture.h"

using pipeline::report::FigureSection;
using pipeline::report::RunData;
using pipeline::report::StudyData;

namespace {

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The quickstart's shape in memory: pca.components {8, 16} x kmeans.k {5, 10}; the data and
// each PCA are shared; score is the evaluating stage.
StudyData Quickstart() {
  StudyData data;
  data.name = "quick";
  data.stage_order = {"data", "pca", "kmeans", "score"};
  data.swept = {"kmeans.k", "pca.components"};
  data.stage_types["data"] = {"idx_loader", "load", ""};
  data.stage_types["pca"] = {"pca", "reduce", "component"};
  data.stage_types["kmeans"] = {"kmeans", "cluster", "iteration"};
  data.stage_types["score"] = {"cluster_eval", "evaluate", ""};
  data.metric_names = {"data.examples", "kmeans.inertia", "score.accuracy", "score.nmi"};
  const double accuracy[] = {0.50, 0.61, 0.55, 0.58};
  int64_t number = 0;
  for (int components : {8, 16}) {
    for (int k : {5, 10}) {
      RunData run;
      run.id = 100 + number;
      run.number = ++number;
      run.status = "done";
      run.params = {{"pca.components", components}, {"kmeans.k", k}};
      run.finals = {{"data.examples", 60000},
                    {"kmeans.inertia", 1000.0 / k + components},
                    {"score.accuracy", accuracy[number - 1]},
                    {"score.nmi", 0.4 + 0.01 * static_cast<double>(number)}};
      run.stage_keys = {{"data", "d"},
                        {"pca", "p" + std::to_string(components)},
                        {"kmeans", "k" + std::to_string(components) + "_" + std::to_string(k)},
                        {"score", "s" + std::to_string(number)}};
      data.runs.push_back(run);
      // Each PCA's ratios, the same in every run that shares it.
      data.histories["pca.explained_variance_ratio"][run.number] = {
          {0, 0.3 * 8 / components}, {1, 0.2 * 8 / components}, {2, 0.1 * 8 / components}};
      data.histories["kmeans.inertia"][run.number] = {{0, 2000.0 / k}, {1, 1000.0 / k}};
    }
  }
  return data;
}

const pipeline::report::Figure* Titled(const std::vector<pipeline::report::Figure>& figures,
                                       const std::string& title) {
  auto it = std::find_if(figures.begin(), figures.end(),
                         [&](const auto& f) { return f.title == title; });
  return it == figures.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("a whole-number axis ticks only at whole numbers", "[report][plot]") {
  // Epochs 1..3: a linear axis would tick every 0.5 (1.0, 1.5, 2.0, ...).
  const pipeline::plot::Scale free(pipeline::plot::ScaleKind::kLinear, 1, 3, 0, 100);
  CHECK(std::any_of(free.ticks().begin(), free.ticks().end(),
                    [](const auto& t) { return t.value != std::floor(t.value); }));
  const pipeline::plot::Scale whole(pipeline::plot::ScaleKind::kLinear, 1, 3, 0, 100, 6, true);
  std::vector<std::string> labels;
  for (const auto& t : whole.ticks()) {
    CHECK(t.value == std::floor(t.value));
    labels.push_back(t.label);
  }
  CHECK(labels == std::vector<std::string>{"1", "2", "3"});
  // A single epoch still gets whole ticks around it.
  const pipeline::plot::Scale one(pipeline::plot::ScaleKind::kLinear, 1, 1, 0, 100, 6, true);
  for (const auto& t : one.ticks()) CHECK(t.value == std::floor(t.value));
  // Long ranges keep their nice steps.
  CHECK(pipeline::plot::NiceStep(0, 500, 6, true) == 100);
}

TEST_CASE("learning curves are labelled with the stage's step unit and ticked at whole steps",
          "[report]") {
  StudyData data = Quickstart();
  const auto figures = pipeline::report::BuildFigures(data);
  const auto* inertia = Titled(figures, "kmeans.inertia");
  REQUIRE(inertia != nullptr);
  CHECK(inertia->svg.find(">iteration</text>") != std::string::npos);
  CHECK(inertia->svg.find(">step</text>") == std::string::npos);
  CHECK(inertia->svg.find(">0.5</text>") == std::string::npos);
  CHECK(inertia->svg.find(">1</text>") != std::string::npos);
  // Undeclared: the honest fallback.
  data.stage_types["kmeans"].step_unit = "";
  const auto* undeclared = Titled(pipeline::report::BuildFigures(data), "kmeans.inertia");
  REQUIRE(undeclared != nullptr);
  CHECK(undeclared->svg.find(">step</text>") != std::string::npos);
}

TEST_CASE("curves of a shared stage are one line per execution, named by what its runs share",
          "[report]") {
  const StudyData data = Quickstart();
  const auto figures = pipeline::report::BuildFigures(data);
  const auto* pca = Titled(figures, "pca.explained_variance_ratio");
  REQUIRE(pca != nullptr);
  CHECK(Count(pca->svg, "<polyline") == 2);  // two PCAs, not four runs
  CHECK(pca->svg.find(">pca.components=8</text>") != std::string::npos);
  CHECK(pca->svg.find(">pca.components=16</text>") != std::string::npos);
  CHECK(pca->svg.find("kmeans.k") == std::string::npos);
  CHECK(pca->svg.find(">component</text>") != std::string::npos);
  // Each k-means execution is its own line, named by both parameters.
  const auto* inertia = Titled(figures, "kmeans.inertia");
  REQUIRE(inertia != nullptr);
  CHECK(Count(inertia->svg, "<polyline") == 4);
  CHECK(inertia->svg.find(">kmeans.k=10 pca.components=16</text>") != std::string::npos);
}

TEST_CASE("charts come by importance: objective effects first, diagnostics last", "[report]") {
  const StudyData data = Quickstart();
  const auto figures = pipeline::report::BuildFigures(data);
  REQUIRE(!figures.empty());
  // No losses here: the first figure is the objective against a parameter.
  CHECK(figures.front().title == "score.accuracy vs kmeans.k");
  CHECK(figures.front().section == FigureSection::kEffect);
  CHECK(Titled(figures, "pca.explained_variance_ratio")->section == FigureSection::kDiagnostic);
  CHECK(Titled(figures, "kmeans.inertia")->section == FigureSection::kDiagnostic);
  CHECK(Titled(figures, "kmeans.inertia vs kmeans.k")->section == FigureSection::kDiagnostic);
  CHECK(Titled(figures, "score.nmi vs kmeans.k")->section == FigureSection::kEffect);

  // A trainer's losses are key; its learning rate and timing are diagnostics.
  StudyData train;
  train.name = "train";
  train.stage_order = {"model"};
  train.stage_types["model"] = {"train", "train", "epoch"};
  RunData run;
  run.number = 1;
  run.status = "done";
  train.runs.push_back(run);
  for (const char* name : {"model.epoch_time", "model.images_per_s", "model.lr",
                           "model.train_loss", "model.val_loss", "model.val_accuracy"}) {
    train.histories[name][1] = {{1, 1.0}, {2, 0.5}};
  }
  const auto curves = pipeline::report::BuildFigures(train);
  REQUIRE(curves.size() == 5);
  CHECK(curves[0].section == FigureSection::kKey);
  CHECK(curves[1].section == FigureSection::kKey);
  CHECK(curves[0].title == "model.loss (train solid, validation dashed)");
  CHECK(curves[1].title == "model.val_accuracy");
  for (size_t i = 2; i < curves.size(); ++i) CHECK(curves[i].section == FigureSection::kDiagnostic);
  CHECK(curves[0].svg.find(">epoch</text>") != std::string::npos);
}

TEST_CASE("the headline is the best finished run by the objective, in its direction", "[report]") {
  StudyData data = Quickstart();
  SECTION("an evaluating stage's accuracy is maximized") {
    const auto headline = pipeline::report::FindHeadline(data);
    REQUIRE(headline);
    CHECK(headline->objective.metric == "score.accuracy");
    CHECK(headline->objective.maximize);
    CHECK(headline->best->number == 2);
    CHECK(headline->value == Approx(0.61));
    CHECK(headline->median == Approx((0.55 + 0.58) / 2));
    CHECK(headline->compared == 4);
  }
  SECTION("a failed run does not count, even with a better value") {
    data.runs[0].finals["score.accuracy"] = 0.99;
    data.runs[0].status = "failed";
    const auto headline = pipeline::report::FindHeadline(data);
    REQUIRE(headline);
    CHECK(headline->best->number == 2);
    CHECK(headline->compared == 3);
  }
  SECTION("a study's search block names its objective and direction") {
    data.text =
        "study: quick\nstages:\n  data: {type: idx_loader}\n  kmeans: {type: kmeans}\n"
        "search: {objective: kmeans.inertia, direction: minimize}\n";
    const auto headline = pipeline::report::FindHeadline(data);
    REQUIRE(headline);
    CHECK(headline->objective.metric == "kmeans.inertia");
    CHECK_FALSE(headline->objective.maximize);
    CHECK(headline->objective.source == "search.objective");
    CHECK(headline->best->number == 2);  // 1000 / 10 + 8 is the lowest inertia
    CHECK(headline->value == Approx(108));
  }
  SECTION("a study's own objective comes before the evaluating stages") {
    data.text =
        "study: quick\nobjective: {metric: kmeans.inertia, direction: minimize}\nstages:\n"
        "  data: {type: idx_loader}\n  kmeans: {type: kmeans}\n";
    auto headline = pipeline::report::FindHeadline(data);
    REQUIRE(headline);
    CHECK(headline->objective.metric == "kmeans.inertia");
    CHECK_FALSE(headline->objective.maximize);
    CHECK(headline->best->number == 2);
    // Without a direction, the name says it: nmi is maximized.
    data.text = "study: quick\nobjective: score.nmi\nstages:\n  score: {type: cluster_eval}\n";
    headline = pipeline::report::FindHeadline(data);
    REQUIRE(headline);
    CHECK(headline->objective.metric == "score.nmi");
    CHECK(headline->objective.maximize);
    CHECK(headline->best->number == 4);
  }
  SECTION("an evaluating stage's error rate is minimized") {
    data.metric_names = {"data.examples", "score.error_rate"};
    for (RunData& run : data.runs) run.finals["score.error_rate"] = 1 - run.finals["score.accuracy"];
    const auto headline = pipeline::report::FindHeadline(data);
    REQUIRE(headline);
    CHECK(headline->objective.metric == "score.error_rate");
    CHECK_FALSE(headline->objective.maximize);
    CHECK(headline->best->number == 2);
    CHECK(headline->value == Approx(0.39));
  }
  SECTION("without an evaluating stage or a search there is no headline") {
    data.stage_types["score"].kind = "cluster";
    CHECK_FALSE(pipeline::report::FindHeadline(data));
  }
}

TEST_CASE("runs table: constant metrics leave the table; swept parameters and the objective lead",
          "[report]") {
  const StudyData data = Quickstart();
  const auto columns = pipeline::report::ChooseRunsColumns(data);
  CHECK(columns.params == std::vector<std::string>{"kmeans.k", "pca.components"});
  REQUIRE(columns.constant.size() == 1);
  CHECK(columns.constant[0] == std::make_pair(std::string("data.examples"), std::string("60000")));
  CHECK(columns.headline == std::vector<std::string>{"score.accuracy", "score.nmi"});
  CHECK(columns.others == std::vector<std::string>{"kmeans.inertia"});

  const std::string html = pipeline::report::RunsSection(data);
  const size_t constant = html.find("Same for every run");
  const size_t table = html.find("<table");
  REQUIRE(constant != std::string::npos);
  CHECK(constant < table);
  // data.examples is not a column header; kmeans.inertia is, but inside the folded table.
  CHECK(html.find("<th>data.examples</th>") == std::string::npos);
  CHECK(html.find("<th>score.accuracy</th>") < html.find("<details"));
  CHECK(html.find("<th>kmeans.inertia</th>") > html.find("<details"));
}

TEST_CASE("compute: shared executions count once, and what they saved is the other uses",
          "[report]") {
  StudyData data = Quickstart();
  for (RunData& run : data.runs) run.started_at = 1000;
  // The data set was loaded by an earlier study (finished before these runs started); each PCA
  // is shared by two runs.
  data.executions = {{"d", "data", "idx_loader", "done", 5, 900, {1, 2, 3, 4}},
                     {"p8", "pca", "pca", "done", 2, 1010, {1, 2}},
                     {"p16", "pca", "pca", "done", 3, 1010, {3, 4}}};
  const auto c = pipeline::report::SummarizeCompute(data);
  CHECK(c.uses == 8);
  CHECK(c.executions == 3);
  CHECK(c.cached == 1);
  CHECK(c.computed_s == Approx(5));
  CHECK(c.cached_saved_s == Approx(5));
  CHECK(c.shared_saved_s == Approx(5 * 3 + 2 + 3));
}

TEST_CASE("the page opens with the summary naming the best run, then charts, then runs",
          "[report]") {
  const StudyData data = Quickstart();
  const std::string html = pipeline::report::RenderHtmlReport(data);
  const size_t summary = html.find("id=\"summary\"");
  const size_t charts = html.find("id=\"charts\"");
  const size_t diagnostics = html.find("id=\"diagnostics\"");
  const size_t runs = html.find("id=\"runs\"");
  const size_t file = html.find("id=\"study-file\"");
  REQUIRE(summary != std::string::npos);
  CHECK(summary < charts);
  CHECK(charts < diagnostics);
  CHECK(diagnostics < runs);
  CHECK(runs < file);
  const std::string head = html.substr(summary, charts - summary);
  CHECK(head.find("Best run: <b>run 2</b>") != std::string::npos);
  CHECK(head.find("pca.components = <b>8</b>") != std::string::npos);
  CHECK(head.find("kmeans.k = <b>10</b>") != std::string::npos);
  CHECK(head.find("4 done") != std::string::npos);
  // Diagnostics are folded.
  CHECK(html.find("<details>", diagnostics) < html.find("kmeans.inertia", diagnostics));
}

TEST_CASE("study data records each stage's execution, its runs and its type's step unit",
          "[report]") {
  testing_support::StudyFixture f;
  REQUIRE(f.Run("study: units\nstages:\n  data: {type: constant, value: [1, 2]}\n"
                "  fit: {type: curve, input: data, x: [0.1, 0.5], epochs: 3}\n") ==
          pipeline::ExitCode::kOk);
  pipeline::Store store(f.db(), pipeline::Store::Mode::kReadOnly);
  const StudyData data = pipeline::report::LoadStudyData(store, "units", &f.registry());
  REQUIRE(data.runs.size() == 4);
  CHECK(pipeline::report::StepUnit(data, "fit.score") == "epoch");
  CHECK(pipeline::report::StepUnit(data, "data.value") == "step");
  CHECK(data.stage_types.at("fit").kind == "train");
  // Two data executions shared by two runs each, then four fits.
  REQUIRE(data.executions.size() == 6);
  CHECK(data.executions[0].stage == "data");
  CHECK(data.executions[0].runs.size() == 2);
  CHECK(data.executions[2].stage == "fit");
  CHECK(data.runs[0].stage_keys.at("data") == data.runs[1].stage_keys.at("data"));
  CHECK(data.runs[0].stage_keys.at("fit") != data.runs[1].stage_keys.at("fit"));
  // Without a registry the types are known by name only.
  const StudyData bare = pipeline::report::LoadStudyData(store, "units");
  CHECK(bare.stage_types.at("fit").type == "curve");
  CHECK(pipeline::report::StepUnit(bare, "fit.score") == "step");
}

TEST_CASE("a swept map is named by the entries that differ: model.optimizer.lr, not its JSON",
          "[report]") {
  StudyData data;
  data.name = "optimizers";
  data.swept = {"model.batch_size", "model.optimizer"};
  data.stage_types["model"] = {"train", "train", "epoch"};
  int64_t number = 0;
  for (double lr : {0.001, 0.003}) {
    for (int batch : {50, 100}) {
      RunData run;
      run.number = ++number;
      run.status = "done";
      run.params = {{"model.batch_size", batch},
                    {"model.optimizer", {{"optimizer", "adam"}, {"lr", lr}, {"beta1", 0.9},
                                         {"schedule", {{"type", "step"}, {"every", batch / 10}}}}}};
      run.stage_keys = {{"model", "m" + std::to_string(number)}};
      data.runs.push_back(run);
      data.histories["model.train_loss"][run.number] = {{1, lr * 100}, {2, lr * 50}};
    }
  }
  CHECK(pipeline::report::SweptPaths(data) ==
        std::vector<std::string>{"model.batch_size", "model.optimizer.lr",
                                 "model.optimizer.schedule.every"});
  REQUIRE(pipeline::report::ParamValue(data.runs[2], "model.optimizer.lr") != nullptr);
  CHECK(*pipeline::report::ParamValue(data.runs[2], "model.optimizer.lr") == 0.003);
  CHECK(pipeline::report::ParamValue(data.runs[2], "model.optimizer.momentum") == nullptr);
  const std::string label = pipeline::report::RunLabel(data, data.runs[2]);
  CHECK(label == "model.batch_size=50 model.optimizer.lr=0.003 model.optimizer.schedule.every=5");
  const auto columns = pipeline::report::ChooseRunsColumns(data);
  CHECK(columns.params == pipeline::report::SweptPaths(data));
  const std::string html = pipeline::report::RenderHtmlReport(data);
  // The map's constant entries appear nowhere (the study text, empty here, would hold them).
  CHECK(html.find("beta1") == std::string::npos);
  CHECK(html.find(">model.optimizer.lr</th>") != std::string::npos);
}

TEST_CASE("effort and size metrics of the objective's stage are diagnostics, not effects",
          "[report]") {
  // S6's shape: gmm.components swept, judged by gmm.bic; the stage also logs its NLL (an
  // outcome), its iteration count and its parameter count (bookkeeping).
  StudyData data;
  data.name = "gmm";
  data.file = "gmm.yaml";
  data.text = "stages:\n  gmm: {type: gmm}\nobjective: {metric: gmm.bic, direction: minimize}\n";
  data.stage_order = {"gmm"};
  data.swept = {"gmm.components"};
  data.stage_types["gmm"] = {"gmm", "cluster", "iteration"};
  data.metric_names = {"gmm.bic", "gmm.iterations", "gmm.nll", "gmm.parameters"};
  for (int k = 1; k <= 4; ++k) {
    RunData run;
    run.id = run.number = k;
    run.status = "done";
    run.params = {{"gmm.components", k}};
    run.finals = {{"gmm.bic", 100.0 - k}, {"gmm.iterations", 3.0 * k}, {"gmm.nll", 5.0 - k},
                  {"gmm.parameters", 9.0 * k}};
    run.stage_keys = {{"gmm", "g" + std::to_string(k)}};
    data.runs.push_back(run);
  }
  const auto figures = pipeline::report::BuildFigures(data);
  auto section_of = [&](const std::string& title) {
    for (const auto& f : figures) {
      if (f.title == title) return f.section;
    }
    FAIL("no figure " << title);
    return FigureSection::kKey;
  };
  CHECK(section_of("gmm.bic vs gmm.components") == FigureSection::kEffect);
  CHECK(section_of("gmm.nll vs gmm.components") == FigureSection::kEffect);
  CHECK(section_of("gmm.iterations vs gmm.components") == FigureSection::kDiagnostic);
  CHECK(section_of("gmm.parameters vs gmm.components") == FigureSection::kDiagnostic);
}
