#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "pipeline/artifact_io.h"
#include "pipeline/errors.h"
#include "tests/support/temp_dir.h"

using pipeline::Artifact;
using pipeline::DType;
using pipeline::Tensor;

namespace {

Artifact Sample() {
  Artifact a;
  Tensor x(DType::kFloat32, {3, 2, 2});
  for (int i = 0; i < 12; ++i) x.f32()[i] = 0.5f * i - 1.0f;
  a.Put("x", std::move(x));
  a.Put("y", Tensor::FromVector(std::vector<int32_t>{2, 0, 1}));
  a.Put("mean", Tensor::FromVector(std::vector<double>{1.0 / 3.0, -2.5}));
  a.meta()["classes"] = 3;
  return a;
}

}  // namespace

TEST_CASE("an artifact survives a write and read unchanged", "[artifact_io]") {
  testing_support::TempDir dir;
  pipeline::WriteArtifactFile(Sample(), dir.File("a.art"));
  const Artifact back = pipeline::ReadArtifactFile(dir.File("a.art"));
  CHECK(back.meta()["classes"] == 3);
  REQUIRE(back.Get("x").shape() == std::vector<int64_t>{3, 2, 2});
  for (int i = 0; i < 12; ++i) CHECK(back.Get("x").f32()[i] == 0.5f * i - 1.0f);
  CHECK(back.Get("y").ToIntVector() == std::vector<int32_t>{2, 0, 1});
  CHECK(back.Get("mean").f64()[0] == 1.0 / 3.0);
}

TEST_CASE("a truncated artifact is reported with its byte offset", "[artifact_io]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("a.art");
  pipeline::WriteArtifactFile(Sample(), path);
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 20);
  try {
    pipeline::ReadArtifactFile(path);
    FAIL("expected a DataError");
  } catch (const pipeline::DataError& e) {
    CHECK(e.file() == path);
    CHECK(e.offset() >= 0);
    CHECK(std::string(e.what()).find("byte offset") != std::string::npos);
  }
}

TEST_CASE("a flipped byte in a payload fails the checksum", "[artifact_io]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("a.art");
  pipeline::WriteArtifactFile(Sample(), path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) - 20));
    f.put('\x7f');
  }
  CHECK_THROWS_WITH(pipeline::ReadArtifactFile(path), Catch::Contains("checksum"));
}

TEST_CASE("a file that is not an artifact is rejected by its magic", "[artifact_io]") {
  testing_support::TempDir dir;
  std::ofstream(dir.File("junk")) << "this is not an artifact file at all, no no no";
  CHECK_THROWS_WITH(pipeline::ReadArtifactFile(dir.File("junk")), Catch::Contains("bad magic"));
}
