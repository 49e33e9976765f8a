#include "stages/load/idx_reader.h"

// Implementation notes
// - zlib's gzread reads gzip and raw files alike: gzopen checks the gzip magic (1f 8b) and
//   passes other files through unchanged ("transparent" mode, reported by gzdirect). One code
//   path therefore serves both, and offsets always count bytes of the IDX stream.
// - The payload is read in 16 MiB chunks into a buffer that grows chunk by chunk, so a header
//   that declares absurd sizes fails as "truncated" at the real end of the data instead of
//   first allocating what the header claims.
// - Decompression is single-threaded (zlib); the byte -> float conversion runs in parallel and
//   is element-wise, so it is exact and thread-count independent.

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <filesystem>

#include "pipeline/errors.h"

namespace stages {
namespace {

using pipeline::DataError;

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension
constexpr int64_t kChunkBytes = int64_t{16} << 20;
constexpr unsigned kZlibBufferBytes = 1u << 20;
// No IDX file in use comes near this; a larger declaration means a corrupt header.
constexpr int64_t kMaxPayloadBytes = int64_t{1} << 40;

std::string Hex32(uint32_t value) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out += kDigits[(value >> shift) & 0xF];
  return out;
}

// Owns an open IDX file (gzip or raw) and counts the bytes read from its IDX stream.
class IdxFile {
 public:
  explicit IdxFile(std::string path) : path_(std::move(path)) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path_, error)) {
      throw DataError("no such file (or not a regular file)", path_);
    }
    file_ = gzopen(path_.c_str(), "rb");
    if (file_ == nullptr) throw DataError("cannot open the file for reading", path_);
    gzbuffer(file_, kZlibBufferBytes);
  }
  ~IdxFile() { gzclose(file_); }
  IdxFile(const IdxFile&) = delete;
  IdxFile& operator=(const IdxFile&) = delete;

  const std::string& path() const { return path_; }
  int64_t offset() const { return offset_; }

  // Reads up to `size` bytes; fewer only at the end of the stream. Throws on a corrupt stream.
  int64_t Read(void* buffer, int64_t size) {
    auto* out = static_cast<char*>(buffer);
    int64_t done = 0;
    while (done < size) {
      const auto request = static_cast<unsigned>(std::min<int64_t>(size - done, INT_MAX));
      const int got = gzread(file_, out + done, request);
      if (got < 0) {
        int code = 0;
        const char* reason = gzerror(file_, &code);
        throw DataError(std::string("cannot decompress: ") + reason +
                            " (the gzip file is damaged; install or download it again)",
                        path_, offset_ + done);
      }
      if (got == 0) break;
      done += got;
    }
    offset_ += done;
    return done;
  }

  // Reads exactly `size` bytes or throws a DataError at the offset where the data ended.
  void ReadExactly(void* buffer, int64_t size, const std::string& what) {
    const int64_t start = offset_;
    if (Read(buffer, size) < size) {
      throw DataError("file ends inside the " + what + " (bytes " + std::to_string(start) + ".." +
                          std::to_string(start + size) + " expected): the file is " +
                          "truncated; install or download it again",
                      path_, offset_);
    }
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  int64_t offset_ = 0;
};

uint32_t BigEndian32(const uint8_t* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

struct IdxHeader {
  std::vector<int64_t> dims;  // dims[0]: examples
  int64_t example_bytes = 1;  // product of dims[1..]
};

IdxHeader ReadHeader(IdxFile& file, uint32_t expected_magic, const std::string& kind) {
  std::array<uint8_t, 4> word{};
  file.ReadExactly(word.data(), 4, "IDX magic number");
  const uint32_t magic = BigEndian32(word.data());
  if (magic != expected_magic) {
    std::string hint;
    if (magic == kImagesMagic) hint = " (this is an IDX images file)";
    if (magic == kLabelsMagic) hint = " (this is an IDX labels file)";
    if (word[0] == 0x1f && word[1] == 0x8b) hint = " (a gzip file inside a gzip file?)";
    throw DataError("bad magic number " + Hex32(magic) + ", expected " + Hex32(expected_magic) +
                        " for an IDX " + kind + " file" + hint,
                    file.path(), 0);
  }
  IdxHeader header;
  const int dims = word[3];
  int64_t payload = 1;
  for (int i = 0; i < dims; ++i) {
    const int64_t offset = file.offset();
    file.ReadExactly(word.data(), 4, "IDX header (dimension sizes)");
    const int64_t size = BigEndian32(word.data());
    if (size == 0) {
      throw DataError("dimension " + std::to_string(i) + " of the " + kind +
                          " has size 0; the file holds no data",
                      file.path(), offset);
    }
    payload *= size;
    if (payload > kMaxPayloadBytes) {
      throw DataError("the header declares more than " + std::to_string(kMaxPayloadBytes) +
                          " bytes of data; the header is corrupt",
                      file.path(), offset);
    }
    header.dims.push_back(size);
    if (i > 0) header.example_bytes *= size;
  }
  return header;
}

// Reads the first `examples` examples into bytes.
std::vector<uint8_t> ReadPayload(IdxFile& file, const IdxHeader& header, int64_t examples) {
  const int64_t start = file.offset();
  const int64_t total = examples * header.example_bytes;
  std::vector<uint8_t> bytes;
  for (int64_t done = 0; done < total;) {
    const int64_t chunk = std::min(kChunkBytes, total - done);
    bytes.resize(static_cast<size_t>(done + chunk));
    const int64_t got = file.Read(bytes.data() + done, chunk);
    done += got;
    if (got < chunk) {
      throw DataError("file ends after " + std::to_string(done / header.example_bytes) +
                          " complete examples, but " + std::to_string(examples) +
                          " were expected (data should end at byte offset " +
                          std::to_string(start + total) +
                          "): the file is truncated; install or download it again",
                      file.path(), file.offset());
    }
  }
  return bytes;
}

void CheckNoTrailingBytes(IdxFile& file) {
  uint8_t extra = 0;
  const int64_t end = file.offset();
  if (file.Read(&extra, 1) != 0) {
    throw DataError(
        "unexpected bytes after the data the header declares (is the header "
        "wrong, or two files concatenated?)",
        file.path(), end);
  }
}

int64_t ExamplesToRead(const IdxHeader& header, int64_t limit) {
  return limit > 0 ? std::min(limit, header.dims[0]) : header.dims[0];
}

}  // namespace

IdxImages ReadIdxImages(const std::string& path, int64_t limit) {
  IdxFile file(path);
  const IdxHeader header = ReadHeader(file, kImagesMagic, "images");
  const int64_t examples = ExamplesToRead(header, limit);
  const std::vector<uint8_t> bytes = ReadPayload(file, header, examples);
  if (examples == header.dims[0]) CheckNoTrailingBytes(file);

  IdxImages out;
  out.examples_in_file = header.dims[0];
  out.pixels =
      pipeline::Tensor(pipeline::DType::kFloat32, {examples, 1, header.dims[1], header.dims[2]});
  std::array<float, 256> scale{};
  for (size_t value = 0; value < scale.size(); ++value) {
    scale[value] = static_cast<float>(value) / 255.0f;
  }
  float* pixels = out.pixels.f32();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, bytes.size(), size_t{1} << 16),
                    [&](const tbb::blocked_range<size_t>& range) {
                      for (size_t i = range.begin(); i < range.end(); ++i) {
                        pixels[i] = scale[bytes[i]];
                      }
                    });
  return out;
}

IdxLabels ReadIdxLabels(const std::string& path, int64_t limit) {
  IdxFile file(path);
  const IdxHeader header = ReadHeader(file, kLabelsMagic, "labels");
  const int64_t examples = ExamplesToRead(header, limit);
  const std::vector<uint8_t> bytes = ReadPayload(file, header, examples);
  if (examples == header.dims[0]) CheckNoTrailingBytes(file);

  IdxLabels out;
  out.examples_in_file = header.dims[0];
  out.labels = pipeline::Tensor(pipeline::DType::kInt32, {examples});
  std::copy(bytes.begin(), bytes.end(), out.labels.i32());
  return out;
}

}  // namespace stages
