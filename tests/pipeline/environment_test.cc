#include <catch2/catch.hpp>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "pipeline/environment.h"

TEST_CASE("the environment records the flags the build used and oneDNN's ISA", "[environment]") {
  const pipeline::EnvironmentRow env = pipeline::CaptureEnvironment(2);
  // The flags come from CMake, not from a guess: a Release build compiles with -O3.
#ifdef NDEBUG
  CHECK(env.build_flags.find("-O3") != std::string::npos);
#endif
#ifdef __AVX2__
  CHECK(env.build_flags.find("AVX") != std::string::npos);
#endif
  const auto libraries = nlohmann::json::parse(env.libraries);
  REQUIRE(libraries.contains("onednn_isa"));
  const std::string isa = libraries["onednn_isa"];
  CHECK(isa != "other");
  // ONEDNN_MAX_CPU_ISA=AVX2 (how the tests run the AVX2 path on an AVX-512 machine) must show.
  const char* max_isa = std::getenv("ONEDNN_MAX_CPU_ISA");
  if (max_isa != nullptr && std::string(max_isa) == "AVX2") CHECK(isa.rfind("avx2", 0) == 0);
  if (env.isa.find("avx512f") == std::string::npos) CHECK(isa.find("avx512") == std::string::npos);
}
