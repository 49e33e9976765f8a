// Issue 13: study files written to break the loader. Each must end in a ConfigError (exit 2)
// that says what is wrong and where, quickly and in little memory: no crash, no gigabytes.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "pipeline/errors.h"
#include "pipeline/study.h"
#include "tests/support/temp_dir.h"

using pipeline::ConfigError;
using pipeline::ParseStudy;

namespace {

ConfigError LoadError(const std::string& path) {
  try {
    pipeline::LoadStudyFile(path);
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  throw;
}

ConfigError ParseError(const std::string& text) {
  try {
    ParseStudy(text, "hostile.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  throw;
}

bool Says(const ConfigError& e, const std::string& words) {
  return std::string(e.what()).find(words) != std::string::npos;
}

// `levels` lists nested in one another around a 1.
std::string Nested(int levels) {
  return std::string(static_cast<size_t>(levels), '[') + "1" +
         std::string(static_cast<size_t>(levels), ']');
}

}  // namespace

TEST_CASE("a recursive alias is rejected where it is written, not followed until the stack "
          "overflows",
          "[hostile]") {
  SECTION("in a list") {
    const ConfigError e = ParseError("stages:\n  data: {type: constant, value: &a [1, *a]}\n");
    CHECK(Says(e, "recursive alias"));
    CHECK(e.line() == 2);
    CHECK(e.key_path() == "stages.data.value[1]");
  }
  SECTION("in a map") {
    const ConfigError e = ParseError("stages:\n  data: &s {type: constant, more: *s}\n");
    CHECK(Says(e, "recursive alias"));
    CHECK(e.key_path() == "stages.data.more");
  }
  SECTION("on the command line") {
    auto study = ParseStudy("stages:\n  a: {type: constant}\n", "s.yaml");
    CHECK_THROWS_AS(pipeline::ApplyOverride(study, "a.value=&a [1, *a]"), ConfigError);
  }
}

TEST_CASE("aliases nested in aliases (billion laughs) are refused before they are expanded",
          "[hostile]") {
  // Ten levels of ten aliases each: about 600 bytes that stand for 10^10 values.
  std::string text = "stages:\n  data:\n    type: constant\n    value:\n      - &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int level = 1; level < 10; ++level) {
    const std::string previous = "*l" + std::to_string(level - 1);
    text += "      - &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", " : "") + previous;
    text += "]\n";
  }
  const ConfigError e = ParseError(text);
  CHECK(Says(e, "more than 1000000 values"));
  CHECK(e.key_path().rfind("stages.data.value[", 0) == 0);
  CHECK(e.line() > 4);
}

TEST_CASE("a list of millions of items is refused", "[hostile]") {
  std::string items;
  items.reserve(2'500'000);
  for (int i = 0; i < 1'200'000; ++i) items += "1,";
  const ConfigError e = ParseError("stages:\n  data: {type: constant, value: [" + items + "1]}\n");
  CHECK(Says(e, "more than 1000000 values"));
  CHECK(e.key_path().rfind("stages.data.value[", 0) == 0);
}

TEST_CASE("nesting deeper than 100 levels is refused with a clear message", "[hostile]") {
  SECTION("ten thousand levels") {
    const ConfigError e =
        ParseError("stages:\n  data: {type: constant, value: " + Nested(10000) + "}\n");
    CHECK(Says(e, "nest deeper than 100 levels"));
    CHECK(e.line() == 2);
  }
  SECTION("a hundred and one levels, counting the file's own map") {
    // study map, stages, data, value: the value's lists start at level 4.
    CHECK_THROWS_AS(ParseStudy("stages:\n  data: {type: constant, value: " + Nested(98) + "}\n",
                               "hostile.yaml"),
                    ConfigError);
    CHECK_NOTHROW(ParseStudy("stages:\n  data: {type: constant, value: " + Nested(97) + "}\n",
                             "hostile.yaml"));
  }
}

TEST_CASE("a second YAML document is an error, not silently ignored", "[hostile]") {
  const ConfigError e =
      ParseError("study: a\nstages:\n  data: {type: constant}\n---\nstudy: b\n");
  CHECK(Says(e, "one study per file"));
  CHECK(e.line() == 4);
  SECTION("a leading document marker is fine") {
    CHECK_NOTHROW(ParseStudy("---\nstages:\n  data: {type: constant}\n", "ok.yaml"));
  }
}

TEST_CASE("only a regular file is read as a study: not a device, a pipe or a directory",
          "[hostile]") {
  SECTION("/dev/zero, which would be read until memory ran out") {
    const ConfigError e = LoadError("/dev/zero");
    CHECK(Says(e, "not a regular file"));
    CHECK(e.file() == "/dev/zero");
  }
  SECTION("a named pipe, which would block") {
    testing_support::TempDir dir;
    REQUIRE(mkfifo(dir.File("fifo.yaml").c_str(), 0600) == 0);
    CHECK(Says(LoadError(dir.File("fifo.yaml")), "not a regular file"));
  }
  SECTION("a directory") {
    testing_support::TempDir dir;
    CHECK(Says(LoadError(dir.path()), "is a directory"));
  }
}

TEST_CASE("a study file larger than 16 MiB is refused; one just under is read", "[hostile]") {
  testing_support::TempDir dir;
  const std::string body = "stages:\n  data: {type: constant}\n";
  auto write = [&](const std::string& name, size_t bytes) {
    std::ofstream out(dir.File(name), std::ios::binary);
    out << body << "#" << std::string(bytes - body.size() - 2, ' ') << "\n";
  };
  write("big.yaml", pipeline::kMaxStudyFileBytes + 1);
  write("fits.yaml", pipeline::kMaxStudyFileBytes);
  CHECK(Says(LoadError(dir.File("big.yaml")), "larger than 16 MiB"));
  CHECK(pipeline::LoadStudyFile(dir.File("fits.yaml")).stages.size() == 1);
}

TEST_CASE("names must say something: an empty study, stage or variant name is rejected",
          "[hostile]") {
  SECTION("study") {
    const ConfigError e = ParseError("study: ''\nstages:\n  data: {type: constant}\n");
    CHECK(Says(e, "the study name is empty"));
    CHECK(e.line() == 1);
  }
  SECTION("stage") {
    const ConfigError e = ParseError("stages:\n  '': {type: constant}\n");
    CHECK(Says(e, "a stage name is empty"));
    CHECK(e.line() == 2);
  }
  SECTION("null stage") {
    CHECK(Says(ParseError("stages:\n  ~: {type: constant}\n"), "may not be null"));
    CHECK(Says(ParseError("stages:\n  null: {type: constant}\n"), "may not be null"));
  }
  SECTION("blank stage") {
    CHECK(Says(ParseError("stages:\n  '  ': {type: constant}\n"), "is empty"));
  }
  SECTION("variant") {
    const ConfigError e = ParseError(
        "stages:\n  data: {type: constant}\nvariants:\n  - {name: a}\n  - {name: ''}\n");
    CHECK(Says(e, "a variant name is empty"));
    CHECK(e.line() == 5);
  }
  SECTION("a control character written as an escape") {
    CHECK(Says(ParseError("stages:\n  \"a\\nb\": {type: constant}\n"), "control character"));
  }
}

TEST_CASE("invalid UTF-8 is rejected with its byte offset and line", "[hostile]") {
  // "caf\xE9" is Latin-1; yaml-cpp would have turned the byte into U+FFFD.
  const ConfigError e = ParseError("study: ok\nstages:\n  caf\xE9: {type: constant}\n");
  CHECK(Says(e, "not valid UTF-8"));
  CHECK(Says(e, "byte offset 23"));
  CHECK(e.line() == 3);
  CHECK(e.column() == 6);
  SECTION("overlong forms and surrogates too") {
    CHECK(Says(ParseError("study: \xC0\xAF\nstages: {}\n"), "not valid UTF-8"));
    CHECK(Says(ParseError("study: \xED\xA0\x80\nstages: {}\n"), "not valid UTF-8"));
  }
  SECTION("valid multi-byte names are fine") {
    CHECK(ParseStudy("study: \xC3\xA9t\xC3\xA9\nstages:\n  \xE2\x9C\x93: {type: constant}\n",
                     "ok.yaml")
              .name == "\xC3\xA9t\xC3\xA9");
  }
}

TEST_CASE("variants must be a non-empty list of named maps", "[hostile]") {
  SECTION("an empty list") {
    const ConfigError e = ParseError("stages:\n  data: {type: constant}\nvariants: []\n");
    CHECK(Says(e, "empty list"));
    CHECK(e.key_path() == "variants");
  }
  SECTION("a variant without a name") {
    const ConfigError e = ParseError(
        "stages:\n  data: {type: constant}\nvariants:\n  - {name: a}\n  - {data.n: 3}\n");
    CHECK(Says(e, "variant 2 has no `name:`"));
    CHECK(e.line() == 5);
  }
}

TEST_CASE("a list or a map as a key is a configuration error, not a conversion failure",
          "[hostile]") {
  CHECK(Says(ParseError("stages:\n  [a, b]: {type: constant}\n"), "a key must be a single value"));
  CHECK(Says(ParseError("stages:\n  data: {type: constant, value: {? {x: 1} : 2}}\n"),
             "a key must be a single value"));
  CHECK(Says(ParseError("x: &k [1]\nstages:\n  *k : {type: constant}\n"),
             "a key must be a single value"));
}
