#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "pipeline/hash.h"
#include "pipeline/report/html_report.h"
#include "pipeline/report/search_section.h"
#include "pipeline/report/study_charts.h"
#include "pipeline/report/study_tables.h"
#include "tests/support/study_fixture.h"

using pipeline::ExitCode;
using testing_support::StudyFixture;

namespace {

const char* kGrid =
    "study: grid\nseed: [1, 2]\nstages:\n  data: {type: constant, value: [1, 2, 3]}\n"
    "  noise: {type: noisy, input: data, scale: 0.1}\n"
    "  plus: {type: add, input: noise, delta: [10, 100]}\n"
    "  train: {type: slow, input: plus, steps: 5, sleep_ms: 0}\n";

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

pipeline::report::StudyData Load(StudyFixture& f, const std::string& study) {
  pipeline::Store store(f.db(), pipeline::Store::Mode::kReadOnly);
  return pipeline::report::LoadStudyData(store, study);
}

}  // namespace

TEST_CASE("base64 matches the RFC 4648 test vectors", "[report]") {
  using pipeline::report::Base64;
  CHECK(Base64("") == "");
  CHECK(Base64("f") == "Zg==");
  CHECK(Base64("fo") == "Zm8=");
  CHECK(Base64("foo") == "Zm9v");
  CHECK(Base64("foob") == "Zm9vYg==");
  CHECK(Base64("fooba") == "Zm9vYmE=");
  CHECK(Base64("foobar") == "Zm9vYmFy");
}

TEST_CASE("study data knows the swept parameters, final metrics and histories", "[report]") {
  StudyFixture f;
  REQUIRE(f.Run(kGrid) == ExitCode::kOk);
  const auto data = Load(f, "grid");
  REQUIRE(data.runs.size() == 12);
  CHECK(data.swept == std::vector<std::string>{"data.value", "plus.delta", "seed"});
  CHECK(data.stage_order == std::vector<std::string>{"data", "noise", "plus", "train"});
  REQUIRE(data.histories.count("train.step") == 1);
  CHECK(data.histories.at("train.step").size() == 12);
  CHECK(data.histories.at("train.step").at(1).size() == 5);
  // value 1, delta 10, 4 rows of (1 + noise + 10): the slow stage logs base + step.
  const double sum = data.runs[0].finals.at("plus.sum");
  CHECK(sum == Approx(44).margin(2));
  CHECK(data.runs[0].finals.at("train.step") == Approx(sum + 4).epsilon(1e-6));
}

TEST_CASE("the report holds a sortable row per run, the grid, charts and the study text", "[report]") {
  StudyFixture f;
  REQUIRE(f.Run(kGrid) == ExitCode::kOk);
  const std::string html = pipeline::report::RenderHtmlReport(Load(f, "grid"));
  CHECK(Count(html, "<tr class=\"done\">") == 12);
  CHECK(html.find("id=\"runs\"") != std::string::npos);
  CHECK(html.find("<td class=\"text\">plus.delta</td><td class=\"text\">10, 100</td>") != std::string::npos);
  CHECK(Count(html, "<svg") >= 3);  // a learning curve, metric vs parameter, a heat map
  CHECK(html.find("train.step") != std::string::npos);
  CHECK(html.find("noisy") != std::string::npos);  // the study file
  // Self-contained: nothing is fetched from elsewhere.
  CHECK(html.find("<script src") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("src=\"http") == std::string::npos);
}

TEST_CASE("failures are listed with their reasons", "[report]") {
  StudyFixture f;
  f.Run("study: broken\nstages:\n  data: {type: constant}\n  check: {type: fail_if, input: data, fail: [false, true]}\n");
  const std::string html = pipeline::report::RenderHtmlReport(Load(f, "broken"));
  CHECK(html.find("id=\"failures\"") != std::string::npos);
  CHECK(html.find("asked to fail") != std::string::npos);
  CHECK(Count(html, "<tr class=\"failed\">") == 1);
}

TEST_CASE("best, pivot and curve answer from the stored runs", "[report][query]") {
  StudyFixture f;
  REQUIRE(f.Run("study: q\nstages:\n  data: {type: constant, value: [1, 2, 3], n: 2}\n"
                "  plus: {type: add, input: data, delta: [10, 20]}\n") == ExitCode::kOk);
  const auto data = Load(f, "q");
  const auto best = pipeline::report::BestRuns(data, "plus.sum", false, 2);
  REQUIRE(best.rows.size() == 2);
  CHECK(best.rows[0].back() == "46");  // 2 rows x (3 + 20)
  CHECK(best.rows[1].back() == "44");  // 2 x (2 + 20)
  const auto worst = pipeline::report::BestRuns(data, "plus.sum", true, 1);
  CHECK(worst.rows[0].back() == "22");
  const auto pivot = pipeline::report::Pivot(data, "plus.sum", "data.value", "plus.delta");
  CHECK(pivot.columns == std::vector<std::string>{"data.value \\ plus.delta", "10", "20"});
  REQUIRE(pivot.rows.size() == 3);
  CHECK(pivot.rows[1] == std::vector<std::optional<std::string>>{"2", "24", "44"});
  CHECK_THROWS_WITH(pipeline::report::BestRuns(data, "plus.summ", false, 1), Catch::Contains("plus.sum"));
}

TEST_CASE("compare shows only the parameters that differ", "[report][query]") {
  StudyFixture f;
  REQUIRE(f.Run("study: c\nstages:\n  data: {type: constant, value: [1, 2]}\n") == ExitCode::kOk);
  pipeline::Store store(f.db(), pipeline::Store::Mode::kReadOnly);
  const auto table = pipeline::report::CompareRuns(store, {1, 2});
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0] == std::vector<std::optional<std::string>>{"data.value", "1", "2"});
  CHECK(table.rows[1][0] == "data.value");  // the metric of the same name
}

TEST_CASE("the report renders in headless Chromium without script errors", "[report][chromium][integration]") {
  StudyFixture f;
  REQUIRE(f.Run(kGrid) == ExitCode::kOk);
  const std::string path = f.dir() + "/report.html";
  std::ofstream(path) << pipeline::report::RenderHtmlReport(Load(f, "grid"));
  const std::string dom = f.dir() + "/dom.html", log = f.dir() + "/chromium.log";
  const std::string command =
      "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir=" + f.dir() + "/profile --enable-logging=stderr --v=0 "
      "--dump-dom file://" + path + " > " + dom + " 2> " + log;
  REQUIRE(std::system(command.c_str()) == 0);
  std::ifstream in(dom);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The script ran to its end (it marks the table), and every run is a row of the live DOM.
  CHECK(text.find("data-sortable=\"ready\"") != std::string::npos);
  CHECK(Count(text, "<tr class=\"done\">") == 12);
  std::ifstream log_in(log);
  const std::string log_text((std::istreambuf_iterator<char>(log_in)), std::istreambuf_iterator<char>());
  CHECK(log_text.find("Uncaught") == std::string::npos);
}

TEST_CASE("a picture that no longer matches its recorded hash is listed, not embedded",
          "[report]") {
  testing_support::TempDir dir;
  const std::string good = dir.File("good.png"), bad = dir.File("bad.png");
  std::ofstream(good, std::ios::binary) << "\x89PNG good picture";
  std::ofstream(bad, std::ios::binary) << "\x89PNG flipped bytes";
  pipeline::report::StudyData data;
  data.name = "pictures";
  data.pictures.push_back({"plot", "good.png", good, pipeline::HashFile(good), {1}});
  data.pictures.push_back(
      {"plot", "bad.png", bad, pipeline::HashHex("\x89PNG original bytes"), {2}});
  std::vector<std::string> problems;
  const std::string html = pipeline::report::RenderHtmlReport(data, &problems);
  CHECK(html.find(pipeline::report::Base64("\x89PNG good picture")) != std::string::npos);
  CHECK(html.find(pipeline::report::Base64("\x89PNG flipped bytes")) == std::string::npos);
  CHECK(html.find("id=\"bad-pictures\"") != std::string::npos);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Matchers::Contains("bad.png") &&
                              Catch::Matchers::Contains("corrupt"));
}

TEST_CASE("per-epoch pictures of one stage are one strip in epoch order; others stay figures",
          "[report]") {
  testing_support::TempDir dir;
  pipeline::report::StudyData data;
  data.name = "grids";
  // Recorded out of order, with a lone picture and a second stage's series between them.
  const std::vector<std::pair<std::string, std::string>> files = {
      {"gan", "samples_epoch_020.png"}, {"gan", "samples_epoch_005.png"},
      {"gan", "summary.png"},           {"vae", "samples_epoch_010.png"},
      {"gan", "samples_epoch_010.png"}};
  for (const auto& [stage, name] : files) {
    std::filesystem::create_directories(dir.File(stage));
    const std::string path = dir.File(stage + "/" + name);
    std::ofstream(path, std::ios::binary) << "\x89PNG " << stage << " " << name;
    data.pictures.push_back({stage, name, path, pipeline::HashFile(path), {1}});
  }
  const std::string html = pipeline::report::RenderHtmlReport(data);
  CHECK(Count(html, "class=\"series\"") == 2);
  CHECK(html.find("gan / samples after each epoch (3 pictures)") != std::string::npos);
  const size_t e5 = html.find(pipeline::report::Base64("\x89PNG gan samples_epoch_005.png"));
  const size_t e10 = html.find(pipeline::report::Base64("\x89PNG gan samples_epoch_010.png"));
  const size_t e20 = html.find(pipeline::report::Base64("\x89PNG gan samples_epoch_020.png"));
  REQUIRE(e5 != std::string::npos);
  CHECK(e5 < e10);
  CHECK(e10 < e20);
  CHECK(html.find("epoch 5</div>") != std::string::npos);
  CHECK(html.find("gan / summary.png") != std::string::npos);  // not a series: its own figure
}

TEST_CASE("learning curves: runs sharing a stage draw one line named after all of them, variants "
          "label runs by name, and losses come before bookkeeping",
          "[report]") {
  pipeline::report::StudyData data;
  data.name = "shared";
  data.swept = {"variant", "g.layers"};
  for (int64_t number : {1, 2}) {
    pipeline::report::RunData run;
    run.number = number;
    run.status = "done";
    run.variant = number == 1 ? "mlp" : "dcgan";
    run.params = {{"variant", run.variant},
                  {"g.layers", nlohmann::json::array({{{"type", "linear"}, {"out", number}}})}};
    // vae is one execution shared by both runs (the same curve); g is one per run.
    run.stage_keys = {{"vae", "vae-key"}, {"g", "g-key-" + std::to_string(number)}};
    data.runs.push_back(run);
    data.histories["vae.train_loss"][number] = {{1, 300.0}, {2, 250.0}};
    data.histories["g.train_d_loss"][number] = {{1, 1.0 * number}, {2, 0.5 * number}};
    data.histories["g.lr"][number] = {{1, 0.1}, {2, 0.1}};
  }
  const std::vector<pipeline::report::Figure> figures = pipeline::report::BuildFigures(data, 4);  // 2 for curves
  REQUIRE(figures.size() == 2);  // g.lr (bookkeeping) is the one left out
  std::string svgs;
  for (const auto& figure : figures) svgs += figure.title + "\n" + figure.svg;
  const auto vae = std::find_if(figures.begin(), figures.end(),
                                [](const auto& f) { return f.title.find("vae.") == 0; });
  REQUIRE(vae != figures.end());
  CHECK(Count(vae->svg, "<polyline") == 1);              // the shared curve, once
  CHECK(Count(svgs, "<polyline") == 3);                  // and g's two runs
  CHECK(svgs.find(">mlp<") != std::string::npos);        // g: one line per run
  CHECK(svgs.find(">dcgan<") != std::string::npos);
  CHECK(svgs.find("g.layers") == std::string::npos);     // the variant name says it
  CHECK(svgs.find("g.lr") == std::string::npos);
}

namespace {

// A random search over a log-scaled delta; the slow stage logs base + step for steps 0..8, so
// ASHA (rungs at steps 1 and 3) stops the trials whose delta is small.
const char* kSearch =
    "study: searched\nseed: 4\nstages:\n  data: {type: constant, value: 2, n: 3}\n"
    "  plus: {type: add, input: data, delta: {loguniform: [0.01, 100]}}\n"
    "  train: {type: slow, input: plus, steps: 9, sleep_ms: 0}\n"
    "search:\n  strategy: random\n  trials: 9\n  objective: train.step\n  direction: maximize\n"
    "  pruner: {type: asha, metric: train.step, min_epochs: 1, reduction_factor: 3}\n";

// The inline SVG whose title is `title`.
std::string FigureTitled(const std::string& html, const std::string& title) {
  const size_t at = html.find(">" + title + "<");
  if (at == std::string::npos) return "";
  const size_t begin = html.rfind("<svg", at);
  const size_t end = html.find("</svg>", at);
  return html.substr(begin, end - begin);
}

// The inline SVG of the Charts figure captioned `caption`.
std::string FigureCaptioned(const std::string& html, const std::string& caption) {
  const size_t end = html.find("<figcaption>" + caption + "</figcaption>");
  if (end == std::string::npos) return "";
  const size_t begin = html.rfind("<svg", end);
  return html.substr(begin, end - begin);
}

}  // namespace

TEST_CASE("a search's report shows its progress, a log axis for log parameters and pruned runs "
          "in grey", "[report][search]") {
  StudyFixture f;
  REQUIRE(f.Run(kSearch, {}, "searched") == ExitCode::kOk);
  const int pruned = std::stoi(f.Scalar("SELECT count(*) FROM trials WHERE state = 'pruned'"));
  REQUIRE(pruned >= 1);
  REQUIRE(std::stoi(f.Scalar("SELECT count(*) FROM trials WHERE state = 'done'")) >= 1);
  const auto data = Load(f, "searched");
  REQUIRE(data.trials.size() == 9);
  const std::string html = pipeline::report::RenderHtmlReport(data);

  CHECK(html.find("<h2 id=\"search\">Search</h2>") != std::string::npos);
  CHECK(html.find("id=\"grid\"") == std::string::npos);  // the space replaces the grid
  CHECK(html.find("loguniform [0.01, 100]") != std::string::npos);
  CHECK(html.find(std::to_string(pruned) + " pruned") != std::string::npos);
  CHECK(html.find("best trial") != std::string::npos);
  CHECK(!FigureTitled(html, "best train.step so far (maximize)").empty());

  // Log x: decade ticks 0.01 .. 100, which a linear axis over the same values never labels.
  const std::string scatter = FigureTitled(html, "train.step vs plus.delta");
  REQUIRE(!scatter.empty());
  CHECK(scatter.find(">0.01</text>") != std::string::npos);
  CHECK(scatter.find(">0.1</text>") != std::string::npos);
  CHECK(scatter.find(">10</text>") != std::string::npos);

  // The learning curve: one grey line per pruned run, one legend entry for all of them, and the
  // surviving runs in palette colours.
  const std::string curves = FigureCaptioned(html, "train.step");
  REQUIRE(!curves.empty());
  const std::string grey = std::string("stroke=\"") + pipeline::report::kPrunedColor + "\"";
  CHECK(Count(curves, "<polyline fill=\"none\" " + grey) == static_cast<size_t>(pruned));
  CHECK(Count(curves, ">pruned trials</text>") == 1);
  CHECK(Count(curves, "<polyline") > static_cast<size_t>(pruned));
  // Grey lines are drawn first, behind the coloured ones.
  CHECK(curves.find("<polyline fill=\"none\" stroke=\"#1f77b4\"") > curves.rfind("<polyline fill=\"none\" " + grey));
}

TEST_CASE("a study without trials has no search section", "[report][search]") {
  StudyFixture f;
  REQUIRE(f.Run(kGrid) == ExitCode::kOk);
  const std::string html = pipeline::report::RenderHtmlReport(Load(f, "grid"));
  CHECK(html.find("id=\"search\"") == std::string::npos);
  CHECK(html.find("id=\"grid\"") != std::string::npos);
  CHECK(html.find(pipeline::report::kPrunedColor) == std::string::npos);
}
