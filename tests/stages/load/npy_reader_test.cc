#include "stages/load/npy_reader.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "tests/stages/load/npy_test_files.h"
#include "tests/support/temp_dir.h"

using stage_testing::NpyDict;
using stage_testing::NpyFile;
using stage_testing::NpyHeaderBytes;
using stage_testing::WriteBytes;

namespace {

// The DataError that reading `bytes` as features throws.
pipeline::DataError FeatureError(const std::vector<uint8_t>& bytes) {
  testing_support::TempDir dir;
  WriteBytes(dir.File("bad.npy"), bytes);
  try {
    stages::ReadNpyFloat(dir.File("bad.npy"), 0, true);
  } catch (const pipeline::DataError& error) {
    return error;
  }
  FAIL("no DataError");
  throw std::logic_error("unreachable");
}

// Offset of `needle` in the bytes (to check reported header offsets).
int64_t OffsetOf(const std::vector<uint8_t>& bytes, const std::string& needle) {
  const std::string text(bytes.begin(), bytes.end());
  return static_cast<int64_t>(text.find(needle));
}

}  // namespace

TEST_CASE("npy_reader reads float32, float64 and uint8 arrays of every version", "[npy]") {
  testing_support::TempDir dir;
  const int version = GENERATE(1, 2, 3);
  WriteBytes(dir.File("f4.npy"),
             NpyFile<float>("<f4", "(2, 3)", {1.5f, -2, 3, 4, 5, 6.25f}, version));
  const pipeline::Tensor f4 = stages::ReadNpyFloat(dir.File("f4.npy"), 0, true);
  CHECK(f4.shape() == std::vector<int64_t>{2, 3});
  CHECK(std::vector<float>(f4.f32(), f4.f32() + 6) ==
        std::vector<float>{1.5f, -2, 3, 4, 5, 6.25f});

  WriteBytes(dir.File("f8.npy"), NpyFile<double>("<f8", "(3,)", {0.1, 1e10, -7}, version));
  const pipeline::Tensor f8 = stages::ReadNpyFloat(dir.File("f8.npy"), 0, true);
  CHECK(f8.shape() == std::vector<int64_t>{3});
  CHECK(f8.f32()[0] == 0.1f);
  CHECK(f8.f32()[1] == 1e10f);

  WriteBytes(dir.File("u1.npy"), NpyFile<uint8_t>("|u1", "(2, 1, 2)", {0, 51, 255, 1}, version));
  const pipeline::Tensor scaled = stages::ReadNpyFloat(dir.File("u1.npy"), 0, true);
  CHECK(scaled.shape() == std::vector<int64_t>{2, 1, 2});
  CHECK(scaled.f32()[1] == 51.0f / 255.0f);
  CHECK(scaled.f32()[2] == 1.0f);
  const pipeline::Tensor raw = stages::ReadNpyFloat(dir.File("u1.npy"), 0, false);
  CHECK(raw.f32()[2] == 255.0f);

  const stages::NpyHeader header = stages::ReadNpyHeader(dir.File("u1.npy"));
  CHECK(header.major_version == version);
  CHECK(header.data_offset % 64 == 0);
  CHECK(header.data_offset == static_cast<int64_t>(
                                  stage_testing::NpyHeaderBytes(NpyDict("|u1", "(2, 1, 2)")).size()));
}

TEST_CASE("npy_reader keeps the first rows under a limit and reports the file's rows", "[npy]") {
  testing_support::TempDir dir;
  WriteBytes(dir.File("a.npy"), NpyFile<float>("<f4", "(3, 2)", {1, 2, 3, 4, 5, 6}));
  int64_t rows = 0;
  const pipeline::Tensor x = stages::ReadNpyFloat(dir.File("a.npy"), 2, true, &rows);
  CHECK(rows == 3);
  CHECK(x.shape() == std::vector<int64_t>{2, 2});
  CHECK(x.f32()[3] == 4.0f);
}

TEST_CASE("npy_reader reads labels of any integer dtype", "[npy]") {
  testing_support::TempDir dir;
  WriteBytes(dir.File("i8.npy"), NpyFile<int64_t>("<i8", "(3,)", {2, 0, 7}));
  WriteBytes(dir.File("u1.npy"), NpyFile<uint8_t>("|u1", "(3,)", {9, 1, 0}));
  WriteBytes(dir.File("i2.npy"), NpyFile<int16_t>("<i2", "(3,)", {300, 1, 0}));
  CHECK(stages::ReadNpyLabels(dir.File("i8.npy"), 0) == std::vector<int32_t>{2, 0, 7});
  CHECK(stages::ReadNpyLabels(dir.File("u1.npy"), 2) == std::vector<int32_t>{9, 1});
  CHECK(stages::ReadNpyLabels(dir.File("i2.npy"), 0) == std::vector<int32_t>{300, 1, 0});

  const std::vector<uint8_t> negative = NpyFile<int32_t>("<i4", "(3,)", {1, -1, 0});
  WriteBytes(dir.File("neg.npy"), negative);
  try {
    stages::ReadNpyLabels(dir.File("neg.npy"), 0);
    FAIL("negative label accepted");
  } catch (const pipeline::DataError& error) {
    CHECK(error.offset() == static_cast<int64_t>(negative.size()) - 8);  // element 1
    CHECK_THAT(error.what(), Catch::Contains("label -1"));
  }
  WriteBytes(dir.File("f4.npy"), NpyFile<float>("<f4", "(1,)", {1}));
  CHECK_THROWS_WITH(stages::ReadNpyLabels(dir.File("f4.npy"), 0),
                    Catch::Contains("integer dtype"));
  WriteBytes(dir.File("2d.npy"), NpyFile<int32_t>("<i4", "(1, 1)", {1}));
  CHECK_THROWS_WITH(stages::ReadNpyLabels(dir.File("2d.npy"), 0), Catch::Contains("1-D"));
}

TEST_CASE("npy_reader rejects unsupported arrays at the offending header field", "[npy]") {
  SECTION("fortran order") {
    std::vector<uint8_t> bytes = NpyHeaderBytes(NpyDict("<f4", "(1, 1)", true));
    stage_testing::AppendValues<float>(bytes, {1});
    const pipeline::DataError error = FeatureError(bytes);
    CHECK(error.offset() == OffsetOf(bytes, "True"));
    CHECK_THAT(error.what(), Catch::Contains("fortran_order") && Catch::Contains("bad.npy"));
  }
  SECTION("big-endian") {
    const std::vector<uint8_t> bytes = NpyFile<float>(">f4", "(1,)", {1});
    const pipeline::DataError error = FeatureError(bytes);
    CHECK(error.offset() == OffsetOf(bytes, "'>f4'"));
    CHECK_THAT(error.what(), Catch::Contains("big-endian"));
  }
  SECTION("object arrays") {
    const std::vector<uint8_t> bytes = NpyFile<uint8_t>("|O", "(1,)", {0, 0, 0, 0, 0, 0, 0, 0});
    CHECK_THAT(FeatureError(bytes).what(), Catch::Contains("object arrays"));
  }
  SECTION("other dtypes") {
    const std::vector<uint8_t> bytes = NpyFile<int32_t>("<i4", "(1,)", {1});
    const pipeline::DataError error = FeatureError(bytes);
    CHECK(error.offset() == OffsetOf(bytes, "'<i4'"));
    CHECK_THAT(error.what(), Catch::Contains("'<i4' is not supported"));
  }
  SECTION("structured dtypes") {
    std::vector<uint8_t> bytes = NpyHeaderBytes(
        "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }");
    CHECK_THAT(FeatureError(bytes).what(), Catch::Contains("structured"));
  }
}

TEST_CASE("npy_reader rejects bad magic, versions, headers and data sizes", "[npy]") {
  std::vector<uint8_t> good = NpyFile<float>("<f4", "(2, 2)", {1, 2, 3, 4});
  const auto data_offset = static_cast<int64_t>(good.size()) - 16;

  std::vector<uint8_t> magic = good;
  magic[1] = 'X';
  CHECK(FeatureError(magic).offset() == 0);

  std::vector<uint8_t> version = good;
  version[6] = 4;
  const pipeline::DataError version_error = FeatureError(version);
  CHECK(version_error.offset() == 6);
  CHECK_THAT(version_error.what(), Catch::Contains("version 4.0"));

  std::vector<uint8_t> truncated(good.begin(), good.end() - 3);
  const pipeline::DataError truncated_error = FeatureError(truncated);
  CHECK(truncated_error.offset() == data_offset + 13);
  CHECK_THAT(truncated_error.what(), Catch::Contains("truncated"));

  std::vector<uint8_t> trailing = good;
  trailing.push_back(0);
  CHECK(FeatureError(trailing).offset() == data_offset + 16);

  std::vector<uint8_t> unknown_key = NpyHeaderBytes(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}");
  CHECK(FeatureError(unknown_key).offset() == OffsetOf(unknown_key, "'x'"));

  std::vector<uint8_t> bad_shape =
      NpyHeaderBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2; 2), }");
  CHECK(FeatureError(bad_shape).offset() == OffsetOf(bad_shape, ";"));

  std::vector<uint8_t> missing = NpyHeaderBytes("{'descr': '<f4', 'shape': (1,), }");
  CHECK_THAT(FeatureError(missing).what(), Catch::Contains("lacks"));

  std::vector<uint8_t> short_header(good.begin(), good.begin() + 30);
  CHECK_THAT(FeatureError(short_header).what(), Catch::Contains("inside the header"));
}
