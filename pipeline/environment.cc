#include "pipeline/environment.h"

#include <fstream>
#include <string>
#include <thread>

#include <oneapi/dnnl/dnnl.hpp>
#include <sqlite3.h>
#include <tbb/version.h>
#include <Eigen/Core>

namespace pipeline {
namespace {

std::string CpuInfoField(const std::string& field) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "";
}

std::string VectorIsa() {
  const std::string flags = " " + CpuInfoField("flags") + " ";
  std::string isa;
  for (const char* flag : {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni",
                           "avx512_bf16", "amx_tile"}) {
    if (flags.find(std::string(" ") + flag + " ") != std::string::npos) {
      isa += (isa.empty() ? "" : " ") + std::string(flag);
    }
  }
  return isa;
}

std::string OneDnnIsaName() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

}  // namespace

EnvironmentRow CaptureEnvironment(int threads) {
  EnvironmentRow env;
  env.code_version = PIPELINE_VERSION;
  env.compiler = std::string("g++ ") + __VERSION__;
  // The flags CMake compiled with, and the widest vector ISA they let the compiler use.
  env.build_flags = PIPELINE_BUILD_FLAGS;
#ifdef __AVX512F__
  env.build_flags += " (AVX-512)";
#elif defined(__AVX2__)
  env.build_flags += " (AVX2)";
#endif
  const dnnl_version_t* dnnl = dnnl_version();
  nlohmann::json libraries = {
      {"onednn", std::to_string(dnnl->major) + "." + std::to_string(dnnl->minor) + "." +
                     std::to_string(dnnl->patch)},
      {"eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                    "." + std::to_string(EIGEN_MINOR_VERSION)},
      {"tbb", TBB_VERSION_STRING},
      {"sqlite", sqlite3_libversion()},
      // What oneDNN's kernels may use here: ONEDNN_MAX_CPU_ISA lowers it, and results can differ
      // in the last bits between ISAs.
      {"onednn_isa", OneDnnIsaName()}};
  env.libraries = libraries.dump();
  env.cpu = CpuInfoField("model name");
  env.isa = VectorIsa();
  env.cores = static_cast<int>(std::thread::hardware_concurrency());
  env.threads = threads;
  return env;
}

}  // namespace pipeline
