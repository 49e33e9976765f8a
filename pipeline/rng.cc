#include "pipeline/rng.h"

#include <cmath>

#include "pipeline/hash.h"

namespace pipeline {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) : seed_(seed) {
  uint64_t x = seed;
  for (uint64_t& s : state_) s = SplitMix64(x);
}

// xoshiro256** (Blackman & Vigna, 2018).
uint64_t Rng::NextU64() {
  const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = Rotl(state_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

double Rng::Uniform(double low, double high) { return low + (high - low) * Uniform(); }

uint64_t Rng::UniformInt(uint64_t n) {
  if (n <= 1) return 0;
  // Rejection sampling on the top of the range keeps the draw unbiased.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t r;
  do {
    r = NextU64();
  } while (r >= limit);
  return r % n;
}

double Rng::Normal() {
  // Marsaglia's polar method; the second variate is discarded so the stream has no hidden state.
  double u, v, s;
  do {
    u = Uniform(-1.0, 1.0);
    v = Uniform(-1.0, 1.0);
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  return u * std::sqrt(-2.0 * std::log(s) / s);
}

double Rng::Normal(double mean, double stddev) { return mean + stddev * Normal(); }

Rng Rng::Fork(uint64_t index) const { return Rng(Mix64(seed_, index)); }

uint64_t DeriveStageSeed(uint64_t study_seed, const std::string& stage_key) {
  return Mix64(study_seed, Hash64(stage_key));
}

}  // namespace pipeline
