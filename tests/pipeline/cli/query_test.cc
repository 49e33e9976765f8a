// `pipeline query` on hostile input: SQL that would write a file is refused before it creates
// anything.

#include <catch2/catch.hpp>

#include <filesystem>
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

const char* kStudy = "study: media\nstages:\n  data: {type: constant}\n"
                     "  plus: {type: add, input: data, delta: [1, 2, 3]}\n";

void Ignore(const std::vector<std::string>&, const std::vector<std::optional<std::string>>&) {}

}  // namespace

TEST_CASE("a read-only query that would write or attach a file is refused and creates nothing",
          "[query]") {
  StudyFixture f;
  REQUIRE(f.Run(kStudy) == ExitCode::kOk);
  Store store(f.db(), Store::Mode::kReadOnly);
  const std::string target = f.dir() + "/copy.db";
  const std::string side_doors[] = {
      "VACUUM INTO '" + target + "'",
      "VACUUM",
      "ATTACH DATABASE '" + target + "' AS other",
      "ATTACH 'file:" + target + "?mode=rwc' AS other",
      "PRAGMA journal_mode = DELETE",
  };
  for (const std::string& sql : side_doors) {
    INFO(sql);
    CHECK_THROWS_AS(store.Query(sql, Ignore), StoreError);
    CHECK_FALSE(std::filesystem::exists(target));
  }
  CHECK_THROWS_WITH(store.Query("VACUUM INTO '" + target + "'", Ignore),
                    Contains("could write a file") && Contains(f.db()));
  // Reading still works, pragmas that only read included.
  CHECK(f.Scalar("SELECT count(*) FROM runs") == "3");
  size_t columns = 0;
  store.Query("PRAGMA table_info(runs)", [&](const auto&, const auto&) { ++columns; });
  CHECK(columns > 5);
}
