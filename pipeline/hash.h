#pragma once
// Content hashing (XXH3-128, from libxxhash). Used for stage keys, run identities, study file
// hashes and artifact content hashes. Not cryptographic: it guards against accidents, not
// adversaries.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pipeline {

// 32 lowercase hex digits.
std::string HashHex(std::string_view bytes);

// Streaming form for files and large buffers.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(const void* data, size_t size);
  std::string HexDigest();

 private:
  void* state_;  // XXH3_state_t*
};

// Hash of a file's bytes; throws StoreError if it cannot be read.
std::string HashFile(const std::string& path);

// Mixes two 64-bit values into a well-distributed 64-bit value (seed derivation).
uint64_t Mix64(uint64_t a, uint64_t b);
uint64_t Hash64(std::string_view bytes);

}  // namespace pipeline
