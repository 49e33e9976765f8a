#include "stages/train/nn/denormals.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define PIPELINE_HAVE_MXCSR 1
#endif

namespace stages::nn {
namespace {

#ifdef PIPELINE_HAVE_MXCSR
constexpr unsigned int kFlushToZero = 0x8000;       // MXCSR bit 15
constexpr unsigned int kDenormalsAreZero = 0x0040;  // MXCSR bit 6
#endif

}  // namespace

ScopedFlushDenormals::ScopedFlushDenormals() {
#ifdef PIPELINE_HAVE_MXCSR
  saved_ = _mm_getcsr();
  _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
#endif
}

ScopedFlushDenormals::~ScopedFlushDenormals() {
#ifdef PIPELINE_HAVE_MXCSR
  _mm_setcsr(saved_);
#endif
}

void FlushDenormalsInOpenMpThreads() {
#ifdef PIPELINE_HAVE_MXCSR
#pragma omp parallel
  { _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero); }
#endif
}

}  // namespace stages::nn
