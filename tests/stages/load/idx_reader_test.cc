#include "stages/load/idx_reader.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "pipeline/errors.h"
#include "pipeline/rng.h"
#include "tests/stages/load/idx_test_files.h"
#include "tests/support/temp_dir.h"

using pipeline::DataError;
using stage_testing::IdxBytes;
using stage_testing::TestPixels;
using stage_testing::WriteFile;

namespace {

// 3 images of 2 x 4 pixels: header 16 bytes, payload 24 bytes.
constexpr uint32_t kImages = 3, kRows = 2, kCols = 4;
constexpr size_t kPayload = kImages * kRows * kCols;

// Runs fn, which must throw a DataError, and returns it.
template <typename Fn>
DataError CatchDataError(const Fn& fn) {
  try {
    fn();
  } catch (const DataError& error) {
    return error;
  }
  FAIL("no DataError thrown");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("IDX images read back exactly from gzip and raw files", "[idx]") {
  testing_support::TempDir dir;
  const bool gzip = GENERATE(true, false);
  const std::string path = dir.File(gzip ? "images.gz" : "images");
  WriteFile(path, IdxBytes({kImages, kRows, kCols}, TestPixels(kPayload)), gzip);

  const stages::IdxImages images = stages::ReadIdxImages(path);
  CHECK(images.examples_in_file == kImages);
  REQUIRE(images.pixels.shape() == std::vector<int64_t>{kImages, 1, kRows, kCols});
  for (size_t i = 0; i < kPayload; ++i) {
    CHECK(images.pixels.f32()[i] == static_cast<float>(stage_testing::TestPixel(i)) / 255.0f);
  }
}

TEST_CASE("IDX labels read back exactly and limit keeps the first examples", "[idx]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("labels.gz");
  WriteFile(path, IdxBytes({5}, {3, 0, 255, 7, 9}), true);

  const stages::IdxLabels all = stages::ReadIdxLabels(path);
  CHECK(all.labels.ToIntVector() == std::vector<int32_t>{3, 0, 255, 7, 9});
  const stages::IdxLabels first = stages::ReadIdxLabels(path, 2);
  CHECK(first.examples_in_file == 5);
  CHECK(first.labels.ToIntVector() == std::vector<int32_t>{3, 0});
  CHECK(stages::ReadIdxLabels(path, 50).labels.size() == 5);
}

TEST_CASE("IDX limit reads only the leading images", "[idx]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("images.gz");
  // The declared payload is truncated after the second image: a limit of 2 must not notice.
  std::vector<uint8_t> payload = TestPixels(kPayload);
  payload.resize(2 * kRows * kCols + 3);
  WriteFile(path, IdxBytes({kImages, kRows, kCols}, payload), true);

  const stages::IdxImages images = stages::ReadIdxImages(path, 2);
  REQUIRE(images.pixels.rows() == 2);
  CHECK(images.pixels.f32()[2 * kRows * kCols - 1] ==
        static_cast<float>(stage_testing::TestPixel(2 * kRows * kCols - 1)) / 255.0f);
  CHECK_THROWS_AS(stages::ReadIdxImages(path), DataError);
}

TEST_CASE("IDX bad magic fails naming the file and byte offset 0", "[idx]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("labels-as-images");
  WriteFile(path, IdxBytes({4}, {1, 2, 3, 4}), false);

  const DataError error = CatchDataError([&] { stages::ReadIdxImages(path); });
  CHECK(error.offset() == 0);
  CHECK(error.file() == path);
  CHECK_THAT(error.what(), Catch::Contains(path) && Catch::Contains("byte offset 0") &&
                               Catch::Contains("0x00000801") && Catch::Contains("0x00000803"));
}

TEST_CASE("IDX truncated payload fails at the byte offset where the data ends", "[idx]") {
  testing_support::TempDir dir;
  const bool gzip = GENERATE(true, false);
  const std::string path = dir.File(gzip ? "short.gz" : "short");
  std::vector<uint8_t> payload = TestPixels(kPayload);
  payload.resize(kPayload - 4);  // 16 header bytes + 20 data bytes: ends at offset 36
  WriteFile(path, IdxBytes({kImages, kRows, kCols}, payload), gzip);

  const DataError error = CatchDataError([&] { stages::ReadIdxImages(path); });
  CHECK(error.offset() == 36);
  CHECK_THAT(error.what(), Catch::Contains(path) && Catch::Contains("byte offset 36") &&
                               Catch::Contains("truncated"));
}

TEST_CASE("IDX truncated header fails at the end of the file", "[idx]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("header");
  std::vector<uint8_t> bytes = IdxBytes({kImages, kRows, kCols}, {});
  bytes.resize(10);
  WriteFile(path, bytes, false);

  const DataError error = CatchDataError([&] { stages::ReadIdxImages(path); });
  CHECK(error.offset() == 10);
}

TEST_CASE("IDX bytes after the declared data are rejected", "[idx]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("long.gz");
  WriteFile(path, IdxBytes({kImages, kRows, kCols}, TestPixels(kPayload + 1)), true);

  const DataError error = CatchDataError([&] { stages::ReadIdxImages(path); });
  CHECK(error.offset() == 16 + static_cast<int64_t>(kPayload));
}

TEST_CASE("IDX zero-sized dimension is rejected at its header offset", "[idx]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("empty");
  WriteFile(path, IdxBytes({kImages, 0, kCols}, {}), false);

  const DataError error = CatchDataError([&] { stages::ReadIdxImages(path); });
  CHECK(error.offset() == 8);
}

TEST_CASE("IDX damaged gzip stream is a DataError, not a crash", "[idx]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("cut.gz");
  // Random bytes do not compress, so half the file still holds thousands of decodable bytes.
  pipeline::Rng rng(7);
  std::vector<uint8_t> payload(64 * 16 * 16);
  for (uint8_t& byte : payload) byte = static_cast<uint8_t>(rng.UniformInt(256));
  WriteFile(path, IdxBytes({64, 16, 16}, payload), true);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);

  const DataError error = CatchDataError([&] { stages::ReadIdxImages(path); });
  CHECK(error.file() == path);
  CHECK(error.offset() > 1000);
}

TEST_CASE("IDX missing file is a DataError naming it", "[idx]") {
  const std::string path = "/nonexistent/train-images-idx3-ubyte.gz";
  const DataError error = CatchDataError([&] { stages::ReadIdxImages(path); });
  CHECK(error.file() == path);
}
