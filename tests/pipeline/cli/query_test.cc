// `pipeline query` and `status` on hostile input: SQL that would write a file is refused
// before it creates anything, and a database on read-only media can be read.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "pipeline/errors.h"
#include "pipeline/store.h"
#include "tests/support/child_process.h"
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

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

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

TEST_CASE("a read-only store names its file as an immutable URI only where the folder is not "
          "writable", "[query]") {
  CHECK(pipeline::ReadOnlyOpenName("/media/cd/results.db", true) == "/media/cd/results.db");
  CHECK(pipeline::ReadOnlyOpenName("/media/cd/results.db", false) ==
        "file:/media/cd/results.db?immutable=1");
  CHECK(pipeline::ReadOnlyOpenName("/media/100%/what?#.db", false) ==
        "file:/media/100%25/what%3F%23.db?immutable=1");
  CHECK(pipeline::ReadOnlyOpenName("results/pipeline.db", false) ==
        "file:results/pipeline.db?immutable=1");
}

// Root writes anywhere, so chmod alone does not make a folder read-only for the tests (they run
// as root here): then the CLI runs as user nobody through setpriv, which is what a user
// reading a database on read-only media is. A read-only bind mount would need CAP_SYS_ADMIN.
TEST_CASE("status and query read a database in a folder they cannot write", "[query][integration]") {
  StudyFixture f;
  REQUIRE(f.Run(kStudy) == ExitCode::kOk);
  const std::string folder = f.dir() + "/media";
  std::filesystem::create_directory(folder);
  const std::string db = folder + "/results.db";
  std::filesystem::rename(f.db(), db);
  REQUIRE(::chmod(db.c_str(), 0444) == 0);
  REQUIRE(::chmod(folder.c_str(), 0555) == 0);
  REQUIRE(::chmod(f.dir().c_str(), 0755) == 0);  // mkdtemp made it 0700
  std::vector<std::string> prefix;
  if (::geteuid() == 0) {
    if (!std::filesystem::exists("/usr/bin/setpriv")) {
      WARN("running as root without setpriv: cannot take write permission away; skipped");
      return;
    }
    prefix = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  }
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), PIPELINE_BINARY);
    args.insert(args.begin(), prefix.begin(), prefix.end());
    const std::string out = f.dir() + "/out.txt";
    const int code = testing_support::Wait(testing_support::Spawn(args, out));
    return std::make_pair(code, FileText(out));
  };
  const auto [query_code, query_out] =
      run({"query", "--db", db, "--csv", "SELECT count(*) AS n FROM runs WHERE status = 'done'"});
  CHECK(query_code == 0);
  CHECK_THAT(query_out, Contains("3"));
  const auto [status_code, status_out] = run({"status", "--db", db, "media"});
  CHECK(status_code == 0);
  CHECK_THAT(status_out, Contains("plus.delta"));
  CHECK(std::filesystem::is_empty(folder) == false);
  CHECK_FALSE(std::filesystem::exists(db + "-shm"));
  ::chmod(folder.c_str(), 0755);
}
