// `pipeline status STUDY` in-process: the printed table has a column per swept parameter and
// per final metric that differs between runs, each value under its header, and no JSON; the
// metrics that are the same in every run follow in a second table.

#include <catch2/catch.hpp>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/cli/commands.h"
#include "pipeline/store.h"
#include "tests/support/study_fixture.h"

using pipeline::ExitCode;
using testing_support::StudyFixture;

namespace {

std::vector<std::string> StatusLines(StudyFixture& f, const std::string& study) {
  pipeline::Store store(f.db(), pipeline::Store::Mode::kReadOnly);
  FILE* out = std::tmpfile();
  REQUIRE(out != nullptr);
  pipeline::cli::PrintStudyStatus(store, study, out);
  std::rewind(out);
  std::string text;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, out)) > 0;) text.append(buffer, n);
  std::fclose(out);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The text of `line` in the column whose header starts at the same offset as `column`.
std::string Cell(const std::vector<std::string>& lines, size_t line, const std::string& column) {
  const size_t at = lines[0].find(column);
  REQUIRE(at != std::string::npos);
  REQUIRE(lines[line].size() > at);
  const std::string rest = lines[line].substr(at);
  return rest.substr(0, rest.find("  "));
}

}  // namespace

TEST_CASE("status shows swept parameters and final metrics under their column headers",
          "[status][query]") {
  StudyFixture f;
  REQUIRE(f.Run("study: q\nstages:\n  data: {type: constant, value: [1, 2, 3], n: 2}\n"
                "  plus: {type: add, input: data, delta: [10, 20]}\n"
                "  base: {type: constant, value: 7}\n") == ExitCode::kOk);
  auto lines = StatusLines(f, "q");
  // Header, rule, six runs, row count; then the shared metrics: blank line, title, header,
  // rule, one metric, row count.
  REQUIRE(lines.size() == 15);
  CHECK(lines[9].empty());
  CHECK(lines[10] == "final metrics with the same value in every run:");
  const std::vector<std::string> shared(lines.begin() + 11, lines.end());
  CHECK(Cell(shared, 2, "metric") == "base.value");
  CHECK(Cell(shared, 2, "value") == "7");
  lines.resize(9);
  const std::string& header = lines[0];
  for (const char* column : {"run_id", "run", "status", "data.value", "plus.delta", "plus.sum",
                             "seconds"}) {
    CHECK(header.find(column) != std::string::npos);
  }
  CHECK(header.find("data.n") == std::string::npos);      // the same in every run: not swept
  CHECK(header.find("base.value") == std::string::npos);  // the same in every run
  CHECK(header.find("error") == std::string::npos);       // no run failed
  CHECK(lines.back() == "(6 rows)");
  // Runs in number order: value 1..3 crossed with delta 10, 20; plus.sum = 2 rows x (v + d).
  CHECK(Cell(lines, 2, "data.value") == "1");
  CHECK(Cell(lines, 2, "plus.delta") == "10");
  CHECK(Cell(lines, 2, "plus.sum") == "22");
  CHECK(Cell(lines, 7, "data.value") == "3");
  CHECK(Cell(lines, 7, "plus.delta") == "20");
  CHECK(Cell(lines, 7, "plus.sum") == "46");
  CHECK(Cell(lines, 7, "status") == "done");
  for (const std::string& line : lines) {
    INFO(line);
    CHECK(line.find('{') == std::string::npos);  // no JSON objects
    CHECK(line.find('~') == std::string::npos);  // nothing cut
  }
}

TEST_CASE("status adds the error column when a run failed", "[status][query]") {
  StudyFixture f;
  f.Run("study: broken\nstages:\n  data: {type: constant}\n"
        "  check: {type: fail_if, input: data, fail: [false, true]}\n");
  const auto lines = StatusLines(f, "broken");
  // Two runs, then data.value (the same data stage) as a shared metric.
  REQUIRE(lines.size() == 11);
  CHECK(lines[10] == "(1 row)");
  CHECK(lines[9].rfind("data.value", 0) == 0);
  CHECK(Cell(lines, 0, "check.fail") == "check.fail");
  CHECK(Cell(lines, 2, "check.fail") == "false");
  CHECK(Cell(lines, 3, "check.fail") == "true");
  CHECK(Cell(lines, 3, "status") == "failed");
  CHECK(Cell(lines, 3, "error").find("asked to fail") != std::string::npos);
  CHECK(Cell(lines, 2, "error") == "NULL");
  CHECK(Cell(lines, 2, "check.mean") == "1");  // missing in the failed run: a column
  CHECK(Cell(lines, 3, "check.mean") == "NULL");
}

TEST_CASE("status of a single run keeps every metric in its row", "[status][query]") {
  StudyFixture f;
  REQUIRE(f.Run("study: one\nstages:\n  data: {type: constant, value: 4, n: 3}\n") ==
          ExitCode::kOk);
  const auto lines = StatusLines(f, "one");
  REQUIRE(lines.size() == 4);
  CHECK(Cell(lines, 2, "data.value") == "4");  // the metric; no parameter is swept
  CHECK(lines[3] == "(1 row)");
}

TEST_CASE("status names the study it cannot find", "[status][query]") {
  StudyFixture f;
  REQUIRE(f.Run("study: q\nstages:\n  data: {type: constant}\n") == ExitCode::kOk);
  pipeline::Store store(f.db(), pipeline::Store::Mode::kReadOnly);
  CHECK_THROWS_WITH(pipeline::cli::PrintStudyStatus(store, "nope", stdout),
                    Catch::Contains("no study named 'nope'"));
}
