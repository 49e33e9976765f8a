#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "pipeline/artifact_cache.h"
#include "pipeline/errors.h"
#include "tests/support/study_fixture.h"

using Catch::Matchers::Contains;
using pipeline::ArtifactCache;
using pipeline::ExitCode;
using testing_support::StudyFixture;

namespace {

const char* kHead =
    "study: heal\nstages:\n  data: {type: constant, value: 2, n: 64}\n"
    "  plus: {type: add, input: data, delta: ";

// Inverts four bytes of the tensor payload just before the file's 16-byte trailer.
void FlipFourBytes(const std::string& path) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(0, std::ios::end);
  const std::streamoff at = static_cast<std::streamoff>(file.tellg()) - 24;
  char bytes[4];
  file.seekg(at);
  file.read(bytes, 4);
  for (char& b : bytes) b = static_cast<char>(~b);
  file.seekp(at);
  file.write(bytes, 4);
}

// Runs `text` like StudyFixture::Run but returns what the run printed.
std::string RunPrinting(StudyFixture& f, const std::string& text, ExitCode* code) {
  const std::string path = f.dir() + "/study.yaml";
  std::ofstream(path) << text;
  pipeline::RunOptions options;
  options.db_path = f.db();
  FILE* out = std::tmpfile();
  *code = pipeline::RunStudy(path, options, f.registry(), f.clock(), nullptr, out);
  std::rewind(out);
  std::string printed;
  for (int c = std::fgetc(out); c != EOF; c = std::fgetc(out)) printed += static_cast<char>(c);
  std::fclose(out);
  return printed;
}

size_t Entries(const std::string& folder) {
  std::error_code ec;
  const std::filesystem::directory_iterator it(folder, ec);
  return ec ? 0 : static_cast<size_t>(std::distance(it, std::filesystem::directory_iterator()));
}

}  // namespace

TEST_CASE("a corrupt cached output is quarantined and recomputed when the grid grows",
          "[cache_check][integration]") {
  StudyFixture f;
  REQUIRE(f.Run(std::string(kHead) + "[1, 2]}\n") == ExitCode::kOk);
  const std::string key = f.Scalar("SELECT key FROM stages WHERE name = 'data'");
  const std::string cache_dir = pipeline::DefaultCacheDir(f.db());
  ArtifactCache cache(cache_dir);
  FlipFourBytes(cache.OutputPath(key));
  REQUIRE_THROWS_WITH(cache.Load(key), Contains("checksum mismatch"));

  ExitCode code = ExitCode::kInternalError;
  const std::string printed = RunPrinting(f, std::string(kHead) + "[1, 2, 3]}\n", &code);
  CHECK(code == ExitCode::kOk);
  CHECK_THAT(printed, Contains("stage 'data'") && Contains("checksum mismatch") &&
                          Contains(cache_dir + "/quarantine/" + key + "-"));
  CHECK(f.Scalar("SELECT attempts FROM stages WHERE name = 'data'") == "2");
  CHECK(f.Scalar("SELECT count(*) FROM runs WHERE status = 'done'") == "3");
  // (2 + 3) * 64 for the new run, computed from the recomputed data.
  CHECK(f.Scalar("SELECT value FROM run_metrics rm JOIN runs r ON r.id = rm.run_id "
                 "WHERE r.number = 3 AND rm.stage = 'plus'") == "320.0");
  CHECK(Entries(cache_dir + "/quarantine") == 1);
  CHECK_NOTHROW(cache.Load(key));

  // Healed: the next run has nothing to do.
  REQUIRE(f.Run(std::string(kHead) + "[1, 2, 3]}\n") == ExitCode::kOk);
  CHECK(f.Scalar("SELECT attempts FROM stages WHERE name = 'data'") == "2");
}

TEST_CASE("a corrupt output nobody reads is left alone", "[cache_check][integration]") {
  StudyFixture f;
  REQUIRE(f.Run(std::string(kHead) + "[1, 2]}\n") == ExitCode::kOk);
  const std::string key = f.Scalar(
      "SELECT stage_key FROM run_stages rs JOIN runs r ON r.id = rs.run_id "
      "WHERE r.number = 1 AND rs.stage = 'plus'");
  ArtifactCache cache(pipeline::DefaultCacheDir(f.db()));
  FlipFourBytes(cache.OutputPath(key));
  ExitCode code = ExitCode::kInternalError;
  const std::string printed = RunPrinting(f, std::string(kHead) + "[1, 2, 3]}\n", &code);
  CHECK(code == ExitCode::kOk);
  CHECK_THAT(printed, !Contains("corrupt"));
  CHECK(f.Scalar("SELECT max(attempts) FROM stages") == "1");
}

TEST_CASE("Verify notices flipped bytes and Quarantine moves the entry aside", "[cache_check]") {
  StudyFixture f;
  REQUIRE(f.Run(std::string(kHead) + "1}\n") == ExitCode::kOk);
  const std::string key = f.Scalar("SELECT key FROM stages WHERE name = 'data'");
  ArtifactCache cache(pipeline::DefaultCacheDir(f.db()));
  CHECK_NOTHROW(cache.Verify(key));
  FlipFourBytes(cache.OutputPath(key));
  CHECK_THROWS_AS(cache.Verify(key), pipeline::DataError);
  const std::string first = cache.Quarantine(key, 1700000000);
  CHECK(first == cache.root() + "/quarantine/" + key + "-1700000000");
  CHECK_FALSE(cache.Has(key));
  CHECK(std::filesystem::is_regular_file(first + "/output.art"));
  std::filesystem::create_directories(cache.FinalDir(key));
  CHECK(cache.Quarantine(key, 1700000000) == first + "-1");
  CHECK(cache.RemoveStaleTempDirs() == 0);
}
