#pragma once
// Denormal floats (magnitudes below 1.2e-38) take 10-100x longer per operation on x86 than
// normal ones. Training produces them steadily: Adam's moment estimates of a weight whose
// gradient has gone quiet decay by 0.9 or 0.999 per step and cross into the denormal range
// after some hundreds of steps, and so do small activations and gradients. Measured here: the
// 784-200-10 MLP fell from 160,000 to 85,000 images/s between its first and third epoch. So
// training and inference run with the x86 "flush to zero" and "denormals are zero" modes on,
// as TensorFlow does by default and PyTorch offers (torch.set_flush_denormal): denormal
// results become 0 and denormal inputs count as 0. This changes numbers only below 1.2e-38, the
// same way on every run, so results stay reproducible.
//
// The mode is a per-thread register (MXCSR). ScopedFlushDenormals sets it on the calling thread
// and restores it on destruction, so it never leaks into other stages that later run on the
// same thread. FlushDenormalsInOpenMpThreads sets it (for good) on the OpenMP threads oneDNN
// uses from the calling thread; only oneDNN runs on OpenMP here, and every oneDNN user (the
// train, evaluate and encode stages) wants the mode. Elsewhere (not x86) both do nothing.

namespace stages::nn {

class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals();
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  unsigned int saved_ = 0;
};

void FlushDenormalsInOpenMpThreads();

}  // namespace stages::nn
