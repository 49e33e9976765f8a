#include "pipeline/artifact_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <xxhash.h>

#include "pipeline/errors.h"
#include "pipeline/params.h"

namespace pipeline {
namespace {

constexpr char kMagic[8] = {'P', 'L', 'A', 'R', 'T', 'F', '0', '1'};
constexpr char kEndMagic[8] = {'P', 'L', 'E', 'N', 'D', '0', '0', '1'};
constexpr uint64_t kAlign = 64;

uint64_t AlignUp(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

DType ParseDType(const std::string& name, const std::string& path) {
  if (name == "float32") return DType::kFloat32;
  if (name == "int32") return DType::kInt32;
  if (name == "float64") return DType::kFloat64;
  throw DataError("unknown tensor type '" + name + "'", path, 16);
}

// A FILE* that hashes everything written through it.
class HashingWriter {
 public:
  explicit HashingWriter(const std::string& path)
      : path_(path), file_(std::fopen(path.c_str(), "wb")), state_(XXH3_createState()) {
    if (!file_) throw StoreError("cannot create " + path + ": " + std::strerror(errno));
    XXH3_64bits_reset(state_);
  }
  ~HashingWriter() {
    if (file_) std::fclose(file_);
    XXH3_freeState(state_);
  }
  void Write(const void* data, size_t size) {
    if (size == 0) return;
    XXH3_64bits_update(state_, data, size);
    if (std::fwrite(data, 1, size, file_) != size) {
      throw StoreError("cannot write " + path_ + ": " + std::strerror(errno));
    }
    written_ += size;
  }
  // Zero bytes up to `offset`. The gap can be longer than one alignment unit (the header
  // reserves room for the widest offsets), so it is written in pieces.
  void PadTo(uint64_t offset) {
    static const char zeros[kAlign] = {};
    while (written_ < offset) Write(zeros, std::min<uint64_t>(kAlign, offset - written_));
  }
  void Finish(bool sync) {
    const uint64_t digest = XXH3_64bits_digest(state_);
    if (std::fwrite(kEndMagic, 1, 8, file_) != 8 || std::fwrite(&digest, 1, 8, file_) != 8 ||
        std::fflush(file_) != 0 || (sync && fsync(fileno(file_)) != 0)) {
      throw StoreError("cannot write " + path_ + ": " + std::strerror(errno));
    }
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) throw StoreError("cannot close " + path_ + ": " + std::strerror(errno));
  }
  uint64_t written() const { return written_; }

 private:
  std::string path_;
  FILE* file_;
  XXH3_state_t* state_;
  uint64_t written_ = 0;
};

}  // namespace

void WriteArtifactFile(const Artifact& artifact, const std::string& path, bool sync) {
  // Lay out the payloads first so the header can state their offsets.
  Json header = {{"meta", artifact.meta()}, {"tensors", Json::array()}};
  std::vector<std::pair<const Tensor*, uint64_t>> layout;
  // The header's own length depends on the offsets; reserve generously and pad.
  Json probe = header;
  for (const auto& [name, tensor] : artifact.tensors()) {
    probe["tensors"].push_back({{"name", name}, {"dtype", DTypeName(tensor.dtype())},
                                {"shape", tensor.shape()}, {"offset", UINT64_MAX},
                                {"bytes", UINT64_MAX}});
  }
  uint64_t offset = AlignUp(16 + probe.dump().size());
  for (const auto& [name, tensor] : artifact.tensors()) {
    header["tensors"].push_back({{"name", name}, {"dtype", DTypeName(tensor.dtype())},
                                 {"shape", tensor.shape()}, {"offset", offset},
                                 {"bytes", tensor.byte_size()}});
    layout.push_back({&tensor, offset});
    offset = AlignUp(offset + tensor.byte_size());
  }
  const std::string header_text = header.dump();
  HashingWriter out(path);
  out.Write(kMagic, 8);
  const uint64_t length = header_text.size();
  out.Write(&length, 8);
  out.Write(header_text.data(), header_text.size());
  for (const auto& [tensor, tensor_offset] : layout) {
    out.PadTo(tensor_offset);
    out.Write(tensor->raw(), tensor->byte_size());
  }
  out.Finish(sync);
}

namespace {

using FilePtr = std::unique_ptr<FILE, int (*)(FILE*)>;
using HashState = std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)>;

// Opens an artifact file for reading; `size` gets its length. Throws DataError when it cannot
// be opened or is too short to be one.
FilePtr OpenArtifact(const std::string& path, int64_t* size) {
  FilePtr file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw DataError(std::string("cannot open: ") + std::strerror(errno), path);
  std::fseek(file.get(), 0, SEEK_END);
  *size = std::ftell(file.get());
  std::fseek(file.get(), 0, SEEK_SET);
  if (*size < 32) throw DataError("file too short to be an artifact", path, *size);
  return file;
}

HashState NewHashState() {
  HashState state(XXH3_createState(), &XXH3_freeState);
  XXH3_64bits_reset(state.get());
  return state;
}

}  // namespace

Artifact ReadArtifactFile(const std::string& path) {
  int64_t size = 0;
  const FilePtr file = OpenArtifact(path, &size);
  const HashState state_guard = NewHashState();
  XXH3_state_t* state = state_guard.get();
  auto read = [&](void* dst, size_t n, int64_t at) {
    if (std::fread(dst, 1, n, file.get()) != n) throw DataError("unexpected end of file", path, at);
    XXH3_64bits_update(state, dst, n);
  };
  char magic[8];
  read(magic, 8, 0);
  if (std::memcmp(magic, kMagic, 8) != 0) throw DataError("not an artifact file (bad magic)", path, 0);
  uint64_t length = 0;
  read(&length, 8, 8);
  if (length > static_cast<uint64_t>(size) - 32) {
    throw DataError("header length " + std::to_string(length) + " exceeds the file", path, 8);
  }
  std::string header_text(length, '\0');
  read(header_text.data(), length, 16);
  Json header;
  try {
    header = Json::parse(header_text);
  } catch (const Json::exception& e) {
    throw DataError(std::string("corrupt header: ") + e.what(), path, 16);
  }
  Artifact artifact;
  artifact.meta() = header.value("meta", Json::object());
  int64_t position = 16 + static_cast<int64_t>(length);
  for (const Json& entry : header.at("tensors")) {
    const int64_t offset = entry.at("offset").get<int64_t>();
    Tensor tensor(ParseDType(entry.at("dtype").get<std::string>(), path),
                  entry.at("shape").get<std::vector<int64_t>>());
    if (offset < position || offset + static_cast<int64_t>(tensor.byte_size()) > size - 16 ||
        entry.at("bytes").get<uint64_t>() != tensor.byte_size()) {
      throw DataError("tensor '" + entry.at("name").get<std::string>() +
                          "' lies outside the file or disagrees with its shape",
                      path, offset);
    }
    std::vector<char> padding(static_cast<size_t>(offset - position));
    read(padding.data(), padding.size(), position);
    read(tensor.raw(), tensor.byte_size(), offset);
    position = offset + static_cast<int64_t>(tensor.byte_size());
    artifact.Put(entry.at("name").get<std::string>(), std::move(tensor));
  }
  if (position != size - 16) throw DataError("unexpected bytes after the last tensor", path, position);
  char end[8];
  uint64_t stored = 0;
  const uint64_t digest = XXH3_64bits_digest(state);
  if (std::fread(end, 1, 8, file.get()) != 8 || std::fread(&stored, 1, 8, file.get()) != 8 ||
      std::memcmp(end, kEndMagic, 8) != 0) {
    throw DataError("missing end marker (truncated file?)", path, size - 16);
  }
  if (stored != digest) throw DataError("checksum mismatch: the file is corrupt", path, size - 8);
  return artifact;
}

void VerifyArtifactFile(const std::string& path) {
  int64_t size = 0;
  const FilePtr file = OpenArtifact(path, &size);
  const HashState state_guard = NewHashState();
  XXH3_state_t* state = state_guard.get();
  std::vector<char> buffer(1 << 20);
  for (int64_t left = size - 16; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(buffer.size())));
    if (std::fread(buffer.data(), 1, n, file.get()) != n) {
      throw DataError("unexpected end of file", path, size - 16 - left);
    }
    XXH3_64bits_update(state, buffer.data(), n);
    left -= static_cast<int64_t>(n);
  }
  char end[8];
  uint64_t stored = 0;
  if (std::fread(end, 1, 8, file.get()) != 8 || std::fread(&stored, 1, 8, file.get()) != 8 ||
      std::memcmp(end, kEndMagic, 8) != 0) {
    throw DataError("missing end marker (truncated file?)", path, size - 16);
  }
  if (stored != XXH3_64bits_digest(state)) {
    throw DataError("checksum mismatch: the file is corrupt", path, size - 8);
  }
}

}  // namespace pipeline
