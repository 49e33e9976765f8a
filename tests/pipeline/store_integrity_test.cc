#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <string>

#include "pipeline/errors.h"
#include "pipeline/store.h"
#include "tests/support/study_fixture.h"

using Catch::Matchers::Contains;
using pipeline::ExitCode;
using pipeline::Store;
using pipeline::StoreError;
using testing_support::StudyFixture;

namespace {

const char* kGrowing = "study: damaged\nstages:\n  data: {type: constant}\n"
                       "  plus: {type: add, input: data, delta: ";

std::string RawValue(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::string value;
  sqlite3_exec(db, sql.c_str(), [](void* out, int, char** values, char**) {
    *static_cast<std::string*>(out) = values[0] ? values[0] : "NULL";
    return 0;
  }, &value, nullptr);
  sqlite3_close(db);
  return value;
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Overwrites the root page of `table` with garbage, as a bad sector or a stray write would.
void Garble(const std::string& path, const std::string& table) {
  const long page = std::stol(RawValue(path, "SELECT rootpage FROM sqlite_schema WHERE name = '" +
                                                 table + "'"));
  const long page_size = std::stol(RawValue(path, "PRAGMA page_size"));
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp((page - 1) * page_size);
  const std::string garbage(static_cast<size_t>(page_size), '\xa5');
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

}  // namespace

TEST_CASE("a run refuses a damaged database before writing to it, saying how to recover",
          "[store][integration]") {
  StudyFixture f;
  REQUIRE(f.Run(std::string(kGrowing) + "[1, 2]}\n") == ExitCode::kOk);
  Garble(f.db(), "metrics");
  REQUIRE(RawValue(f.db(), "PRAGMA integrity_check") != "ok");
  const std::string before = FileBytes(f.db());

  const auto expect_refusal = [&](const std::string& deltas) {
    const std::string path = f.dir() + "/study.yaml";
    std::ofstream(path) << kGrowing << deltas << "}\n";
    pipeline::RunOptions options;
    options.db_path = f.db();
    FILE* sink = std::fopen("/dev/null", "w");
    CHECK_THROWS_WITH(pipeline::RunStudy(path, options, f.registry(), f.clock(), nullptr, sink),
                      Contains("is damaged") && Contains("quick_check") &&
                          Contains(".recover") && Contains("nothing was written"));
    std::fclose(sink);
  };
  SECTION("re-running the finished study") { expect_refusal("[1, 2]"); }
  SECTION("growing its grid") { expect_refusal("[1, 2, 3]"); }
  CHECK(FileBytes(f.db()) == before);
}

TEST_CASE("an intact database opens for writing and a damaged one still opens read-only",
          "[store]") {
  StudyFixture f;
  REQUIRE(f.Run(std::string(kGrowing) + "1}\n") == ExitCode::kOk);
  CHECK_NOTHROW(Store(f.db(), Store::Mode::kReadWrite));
  Garble(f.db(), "metrics");
  CHECK_THROWS_AS(Store(f.db(), Store::Mode::kReadWrite), StoreError);
  // Reading what is still readable stays possible (status, query, export of a damaged file).
  Store reader(f.db(), Store::Mode::kReadOnly);
  CHECK(f.Scalar("SELECT count(*) FROM runs") == "1");
}
