#include "stages/load/mnist_json.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "tests/stages/load/mnist_test_files.h"
#include "tests/support/temp_dir.h"

using stage_testing::MnistTestJson;
using stage_testing::MnistTestPixel;
using stage_testing::WriteText;

namespace {

// The DataError ReadMnistDigitFile throws on `text`.
pipeline::DataError ErrorOn(const std::string& text) {
  testing_support::TempDir dir;
  const std::string path = dir.File("bad.json");
  WriteText(path, text);
  try {
    stages::ReadMnistDigitFile(path);
  } catch (const pipeline::DataError& error) {
    return error;
  }
  FAIL("no DataError for " << text.substr(0, 60));
  throw std::logic_error("unreachable");
}

// A data array of `values` zeros, with `bad` spliced in as element `at`.
std::string ZerosWith(int values, int at, const std::string& bad) {
  std::string text = "{\"data\": [";
  for (int i = 0; i < values; ++i) {
    if (i > 0) text += ", ";
    text += i == at ? bad : "0";
  }
  return text + "]}";
}

}  // namespace

TEST_CASE("mnist_json reads the images of a digit file in order", "[mnist_json]") {
  testing_support::TempDir dir;
  WriteText(dir.File("7.json"), MnistTestJson(7, 3));
  const stages::MnistDigitFile file = stages::ReadMnistDigitFile(dir.File("7.json"));
  REQUIRE(file.images == 3);
  REQUIRE(file.values.size() == 3 * 784);
  CHECK(file.values[0] == static_cast<float>(MnistTestPixel(7, 0, 0)));
  CHECK(file.values[784 + 5] == static_cast<float>(MnistTestPixel(7, 1, 5)));
  CHECK(file.values[2 * 784 + 783] == static_cast<float>(MnistTestPixel(7, 2, 783)));
}

TEST_CASE("mnist_json stops after max_images and ignores other keys", "[mnist_json]") {
  testing_support::TempDir dir;
  std::string text = MnistTestJson(1, 3);
  text.insert(1, "\"note\": {\"a\": [1, \"x\", null], \"b\": true}, ");
  WriteText(dir.File("1.json"), text);
  const stages::MnistDigitFile file = stages::ReadMnistDigitFile(dir.File("1.json"), 2);
  CHECK(file.images == 2);
  CHECK(file.values.size() == 2 * 784);
  CHECK(file.values[784 + 1] == static_cast<float>(MnistTestPixel(1, 1, 1)));
}

TEST_CASE("mnist_json names the byte offset of a value outside [0, 1]", "[mnist_json]") {
  // Element 2 starts after "{\"data\": [" (10 bytes) and two "0, " (6 bytes).
  const pipeline::DataError error = ErrorOn(ZerosWith(784, 2, "1.5"));
  CHECK(error.offset() == 16);
  CHECK_THAT(error.what(), Catch::Contains("1.5") && Catch::Contains("outside [0, 1]") &&
                               Catch::Contains("bad.json"));
  CHECK(ErrorOn(ZerosWith(784, 0, "-0.25")).offset() == 10);
}

TEST_CASE("mnist_json rejects an array whose length is not a multiple of 784",
          "[mnist_json]") {
  const std::string text = ZerosWith(785, -1, "");
  const pipeline::DataError error = ErrorOn(text);
  CHECK(error.offset() == static_cast<int64_t>(text.size()) - 2);  // the closing ']'
  CHECK_THAT(error.what(), Catch::Contains("785") && Catch::Contains("multiple of 784"));
}

TEST_CASE("mnist_json rejects non-numbers, a missing data key and invalid JSON",
          "[mnist_json]") {
  const pipeline::DataError string_error = ErrorOn(ZerosWith(784, 1, "\"x\""));
  CHECK(string_error.offset() == 13);
  CHECK_THAT(string_error.what(), Catch::Contains("element 1") && Catch::Contains("a string"));
  CHECK_THAT(ErrorOn(ZerosWith(784, 3, "[0]")).what(), Catch::Contains("an array"));
  CHECK_THAT(ErrorOn("{\"data\": 3}").what(), Catch::Contains("not an array"));
  CHECK_THAT(ErrorOn("{\"pixels\": []}").what(), Catch::Contains("no top-level key \"data\""));
  CHECK_THAT(ErrorOn("[0, 1]").what(), Catch::Contains("not an object"));
  const pipeline::DataError syntax = ErrorOn("{\"data\": [0, 0,, 0]}");
  CHECK(syntax.offset() == 16);
  CHECK_THAT(syntax.what(), Catch::Contains("not valid JSON"));
}

TEST_CASE("mnist_json reports a missing file", "[mnist_json]") {
  testing_support::TempDir dir;
  CHECK_THROWS_AS(stages::ReadMnistDigitFile(dir.File("0.json")), pipeline::DataError);
}
