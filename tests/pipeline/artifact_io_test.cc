#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iterator>
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

TEST_CASE("the padding between the header and the payloads is zero bytes", "[artifact_io]") {
  // The header reserves room for 20-digit offsets, so with small real offsets the gap before
  // the first payload spans several alignment units; every byte of it must be zero, or the
  // file (and its hash) would depend on whatever memory follows the padding source.
  testing_support::TempDir dir;
  Artifact artifact;
  for (const char* name : {"a", "b", "c", "d", "e", "f"}) {
    Tensor t(DType::kInt32, {3});
    for (int i = 0; i < 3; ++i) t.i32()[i] = 7;
    artifact.Put(name, t);
  }
  const std::string path = dir.File("padded.art");
  pipeline::WriteArtifactFile(artifact, path, false);
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data() + 8, 8);
  const std::string header = bytes.substr(16, header_length);
  const size_t first = header.find("\"offset\":");
  REQUIRE(first != std::string::npos);
  const uint64_t first_offset = std::stoull(header.substr(first + 9));
  const uint64_t gap = first_offset - 16 - header_length;
  REQUIRE(gap > 64);  // the case that used to read past the zero buffer
  CHECK(std::all_of(bytes.begin() + 16 + static_cast<std::ptrdiff_t>(header_length),
                    bytes.begin() + static_cast<std::ptrdiff_t>(first_offset),
                    [](char c) { return c == 0; }));
  // And two writes of the same artifact are byte-identical.
  const std::string again = dir.File("again.art");
  pipeline::WriteArtifactFile(artifact, again, false);
  std::ifstream in2(again, std::ios::binary);
  CHECK(std::string((std::istreambuf_iterator<char>(in2)), std::istreambuf_iterator<char>()) ==
        bytes);
}
