#pragma once
// Rng: the only source of randomness for stages. xoshiro256** seeded through SplitMix64, with
// its own uniform/normal transforms so numbers are identical across compilers and standard
// libraries (std::normal_distribution is implementation-defined).
//
// A stage gets an Rng seeded from (study seed, stage key); parallel loops call Fork(i) to get an
// independent stream per item, so results do not depend on the number of threads.
// Not thread-safe: each thread uses its own Rng (from Fork).

#include <cstdint>
#include <string>
#include <vector>

namespace pipeline {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t seed() const { return seed_; }
  uint64_t NextU64();
  double Uniform();                          // [0, 1)
  double Uniform(double low, double high);   // [low, high)
  uint64_t UniformInt(uint64_t n);           // [0, n), unbiased
  double Normal();                           // standard normal
  double Normal(double mean, double stddev);
  // A new generator for sub-stream `index`; does not advance this one.
  Rng Fork(uint64_t index) const;
  // Fisher-Yates shuffle.
  template <typename T>
  void Shuffle(std::vector<T>& values) {
    for (size_t i = values.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(UniformInt(i));
      std::swap(values[i - 1], values[j]);
    }
  }

 private:
  uint64_t seed_;
  uint64_t state_[4];
};

// The seed a stage uses: a function of the study seed and the stage's key only, so adding grid
// values never changes the numbers of existing runs.
uint64_t DeriveStageSeed(uint64_t study_seed, const std::string& stage_key);

}  // namespace pipeline
