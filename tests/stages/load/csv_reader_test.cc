#include "stages/load/csv_reader.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "tests/stages/load/mnist_test_files.h"
#include "tests/support/temp_dir.h"

using stage_testing::WriteText;

namespace {

stages::CsvTable ReadText(const std::string& text, const stages::CsvOptions& options = {}) {
  testing_support::TempDir dir;
  WriteText(dir.File("t.csv"), text);
  return stages::ReadCsv(dir.File("t.csv"), options);
}

stages::CsvOptions WithLabels(const std::string& column) {
  stages::CsvOptions options;
  options.label_column = column;
  return options;
}

}  // namespace

TEST_CASE("csv_reader reads features of a headerless file", "[csv]") {
  const stages::CsvTable table = ReadText("1, 2.5,-3\n+4,5e-1,6\r\n\n  \n7,8,9\n");
  CHECK_FALSE(table.has_header);
  CHECK_FALSE(table.has_labels);
  REQUIRE(table.features.rows() == 3);
  REQUIRE(table.features.cols() == 3);
  CHECK(table.features(0, 1) == 2.5f);
  CHECK(table.features(0, 2) == -3.0f);
  CHECK(table.features(1, 0) == 4.0f);
  CHECK(table.features(1, 1) == 0.5f);
  CHECK(table.features(2, 2) == 9.0f);
}

TEST_CASE("csv_reader detects a header and takes the label column by name", "[csv]") {
  const stages::CsvTable table =
      ReadText("a,label,b\n1,2,3\n4,0,6\n", WithLabels("label"));
  CHECK(table.has_header);
  CHECK(table.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(table.label_index == 1);
  CHECK(table.label_name == "label");
  CHECK(table.labels == std::vector<int32_t>{2, 0});
  CHECK(table.classes == 3);
  CHECK(table.class_names.empty());
  CHECK(table.features(1, 0) == 4.0f);
  CHECK(table.features(1, 1) == 6.0f);
}

TEST_CASE("csv_reader maps class names to sorted indices", "[csv]") {
  const stages::CsvTable table = ReadText(
      "5.1;3.5;\"setosa\"\n6.0;2.2;virginica\n5.5;2.4;\"versi\"\"color\"\n4.9;3.0;setosa\n",
      [] {
        stages::CsvOptions options = WithLabels("2");
        options.delimiter = ';';
        return options;
      }());
  CHECK_FALSE(table.has_header);
  CHECK(table.label_name == "2");
  CHECK(table.class_names == std::vector<std::string>{"setosa", "versi\"color", "virginica"});
  CHECK(table.labels == std::vector<int32_t>{0, 2, 1, 0});
  CHECK(table.classes == 3);
  CHECK(table.features.cols() == 2);
  CHECK(table.features(1, 1) == 2.2f);
}

TEST_CASE("csv_reader honours header=no, header=yes and limit", "[csv]") {
  stages::CsvOptions options;
  options.header = stages::CsvHeader::kYes;
  options.limit = 1;
  const stages::CsvTable table = ReadText("1,2\n3,4\n5,6\n", options);
  CHECK(table.feature_names == std::vector<std::string>{"1", "2"});
  REQUIRE(table.features.rows() == 1);
  CHECK(table.features(0, 0) == 3.0f);

  options.header = stages::CsvHeader::kNo;
  CHECK_THROWS_WITH(ReadText("x,y\n1,2\n", options),
                    Catch::Contains("(row 1, column 1)") && Catch::Contains("'x' is not a number"));
}

TEST_CASE("csv_reader names row, column and text of bad fields", "[csv]") {
  CHECK_THROWS_WITH(ReadText("a,b\n1,2\n3,oops\n"),
                    Catch::Contains("t.csv (row 3, column 2)") && Catch::Contains("'oops'"));
  CHECK_THROWS_WITH(ReadText("1,2\n3,\n"),
                    Catch::Contains("(row 2, column 2)") && Catch::Contains("empty field"));
  CHECK_THROWS_WITH(ReadText("1,2\n3,nan\n"), Catch::Contains("'nan' is not a number"));
  CHECK_THROWS_WITH(ReadText("1,2\n3,1e300\n"), Catch::Contains("float32 range"));
  CHECK_THROWS_WITH(ReadText("1,2\n\"3,4\n"),
                    Catch::Contains("(row 2, column 1)") && Catch::Contains("closing quote"));
  CHECK_THROWS_WITH(ReadText("1,\"2\"x\n"), Catch::Contains("after a closing quote"));
}

TEST_CASE("csv_reader rejects ragged rows at the first missing or extra field", "[csv]") {
  CHECK_THROWS_WITH(ReadText("1,2,3\n4,5\n"),
                    Catch::Contains("(row 2, column 3)") && Catch::Contains("2 fields") &&
                        Catch::Contains("row 1 has 3"));
  CHECK_THROWS_WITH(ReadText("1,2\n\n4,5,6\n"), Catch::Contains("(row 3, column 3)"));
}

TEST_CASE("csv_reader rejects empty files, header-only files and bad label columns", "[csv]") {
  CHECK_THROWS_WITH(ReadText(""), Catch::Contains("empty file"));
  CHECK_THROWS_WITH(ReadText("\n \n"), Catch::Contains("empty file"));
  CHECK_THROWS_WITH(ReadText("a,b\n"), Catch::Contains("no data rows"));
  CHECK_THROWS_WITH(ReadText("a,b\n1,2\n", WithLabels("c")),
                    Catch::Contains("'c'") && Catch::Contains("(a, b)"));
  CHECK_THROWS_WITH(ReadText("1,2\n", WithLabels("2")), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(ReadText("1,2\n", WithLabels("y")), Catch::Contains("has no header"));
  CHECK_THROWS_WITH(ReadText("1\n", WithLabels("0")), Catch::Contains("no feature column"));
  CHECK_THROWS_WITH(ReadText("1,2\n3,1.5\n", WithLabels("1")),
                    Catch::Contains("(row 2, column 2)") && Catch::Contains("'1.5'"));
  CHECK_THROWS_WITH(ReadText("1,-2\n", WithLabels("1")), Catch::Contains("integer >= 0"));
  CHECK_THROWS_AS(stages::ReadCsv("/nonexistent/t.csv", {}), pipeline::DataError);
}
