#include "stages/load/npy_reader.h"

// Implementation notes
// - The header dict is parsed by a small recursive-descent parser for exactly the literal
//   numpy writes (strings in either quote, True/False, tuples of integers, an optional trailing
//   comma; Python 2's "3L" integers too), keeping every value's byte offset for errors. It
//   never evaluates anything, unlike numpy's own ast.literal_eval, and rejects unknown keys as
//   numpy does.
// - The data is read little-endian straight into memory, so the host must be little-endian
//   (checked at compile time). Only the first `limit` rows are read; C order makes them a
//   prefix of the data. The file size is still checked against the whole declared shape, so a
//   truncated file fails even when only a few rows are wanted.
// - Conversion to float32 is element-wise in parallel, hence exact and thread-count independent.

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "pipeline/errors.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "npy_reader reads little-endian data in place");

namespace stages {
namespace {

using pipeline::DataError;

constexpr char kMagic[] = "\x93NUMPY";
constexpr int64_t kMagicBytes = 6;
// Far beyond any real file; a larger shape means a corrupt header (and would overflow).
constexpr int64_t kMaxBytes = int64_t{1} << 50;

// Parses the header dict literal; offsets are file offsets (base + position in the text).
class DictParser {
 public:
  DictParser(std::string text, int64_t base, const std::string& path)
      : text_(std::move(text)), base_(base), path_(path) {}

  NpyHeader Parse() {
    NpyHeader header;
    bool seen_descr = false;
    bool seen_order = false;
    bool seen_shape = false;
    Expect('{', "the header dict to start with '{'");
    while (true) {
      SkipSpace();
      if (Peek() == '}') break;
      const int64_t key_offset = Offset();
      const std::string key = ParseString("a quoted key");
      Expect(':', "':' after the key '" + key + "'");
      SkipSpace();
      if (key == "descr") {
        header.descr_offset = Offset();
        if (Peek() == '[') Fail("structured dtypes (a list descr) are not supported");
        header.descr = ParseString("the descr string, e.g. '<f4'");
        seen_descr = true;
      } else if (key == "fortran_order") {
        const int64_t offset = Offset();
        if (ParseBool()) {
          throw DataError("fortran_order is True: only C-order arrays are supported (save with "
                          "np.save(path, np.ascontiguousarray(a)))",
                          path_, offset);
        }
        seen_order = true;
      } else if (key == "shape") {
        header.shape_offset = Offset();
        header.shape = ParseShape();
        seen_shape = true;
      } else {
        throw DataError("unknown header key '" + key + "'", path_, key_offset);
      }
      SkipSpace();
      if (Peek() == ',') ++pos_;
    }
    ++pos_;
    SkipSpace();
    if (pos_ != text_.size()) Fail("unexpected text after the header dict");
    if (!seen_descr || !seen_order || !seen_shape) {
      throw DataError("the header dict lacks one of the keys 'descr', 'fortran_order', 'shape'",
                      path_, base_);
    }
    return header;
  }

 private:
  int64_t Offset() const { return base_ + static_cast<int64_t>(pos_); }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  [[noreturn]] void Fail(const std::string& message) const {
    throw DataError("bad .npy header: " + message, path_, Offset());
  }
  void Expect(char c, const std::string& what) {
    SkipSpace();
    if (Peek() != c) Fail("expected " + what);
    ++pos_;
  }

  std::string ParseString(const std::string& what) {
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Fail("expected " + what);
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) Fail("unterminated string");
    std::string value = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return value;
  }

  bool ParseBool() {
    if (text_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (text_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    Fail("expected True or False");
  }

  std::vector<int64_t> ParseShape() {
    if (Peek() != '(') Fail("expected the shape tuple, e.g. (60000, 28, 28)");
    ++pos_;
    std::vector<int64_t> shape;
    int64_t elements = 1;
    while (true) {
      SkipSpace();
      if (Peek() == ')') break;
      const int64_t offset = Offset();
      int64_t value = 0;
      if (!std::isdigit(static_cast<unsigned char>(Peek()))) Fail("expected a dimension size");
      while (std::isdigit(static_cast<unsigned char>(Peek()))) {
        value = value * 10 + (text_[pos_++] - '0');
        if (value > kMaxBytes) throw DataError("absurd dimension size", path_, offset);
      }
      if (Peek() == 'L') ++pos_;  // Python 2 long
      elements *= std::max<int64_t>(value, 1);
      if (elements > kMaxBytes) throw DataError("absurd array size", path_, offset);
      shape.push_back(value);
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != ')') {
        Fail("expected ',' or ')' in the shape");
      }
    }
    ++pos_;
    return shape;
  }

  std::string text_;
  int64_t base_;
  const std::string& path_;
  size_t pos_ = 0;
};

uint32_t LittleEndian(const unsigned char* bytes, int count) {
  uint32_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

// Splits the descr into kind and size, rejecting what no caller can read.
void ParseDescr(const std::string& path, NpyHeader& header) {
  const std::string& descr = header.descr;
  const char order = descr.empty() ? '\0' : descr[0];
  if (descr.size() < 2 || std::string("<>|=").find(order) == std::string::npos) {
    throw DataError("unsupported dtype '" + descr + "'", path, header.descr_offset);
  }
  header.kind = descr[1];
  if (header.kind == 'O') {
    throw DataError("object arrays (dtype 'O') are not supported; save a numeric array",
                    path, header.descr_offset);
  }
  const std::string size = descr.substr(2);
  if (size.empty() || size.size() > 2 ||
      !std::all_of(size.begin(), size.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw DataError("unsupported dtype '" + descr + "'", path, header.descr_offset);
  }
  header.item_size = std::stoi(size);
  if (order == '>' && header.item_size > 1) {
    throw DataError("big-endian dtype '" + descr + "' is not supported; save with "
                    "a.astype(a.dtype.newbyteorder('<'))",
                    path, header.descr_offset);
  }
}

int64_t Elements(const std::vector<int64_t>& shape, size_t from) {
  int64_t count = 1;
  for (size_t i = from; i < shape.size(); ++i) count *= shape[i];
  return count;
}

// Checks the file size against the header and reads the first `rows` rows of data.
std::vector<unsigned char> ReadRows(const std::string& path, const NpyHeader& header,
                                    int64_t rows) {
  const int64_t expected = Elements(header.shape, 0) * header.item_size;
  const auto file_size = static_cast<int64_t>(std::filesystem::file_size(path));
  const int64_t actual = file_size - header.data_offset;
  if (actual < expected) {
    throw DataError("file ends after " + std::to_string(actual) + " of the " +
                        std::to_string(expected) + " data bytes the header declares (shape and "
                        "dtype): the file is truncated",
                    path, file_size);
  }
  if (actual > expected) {
    throw DataError(std::to_string(actual - expected) +
                        " unexpected bytes after the data the header declares",
                    path, header.data_offset + expected);
  }
  const int64_t row_bytes =
      (header.shape.empty() ? 1 : Elements(header.shape, 1)) * header.item_size;
  std::vector<unsigned char> bytes(static_cast<size_t>(rows * row_bytes));
  std::ifstream in(path, std::ios::binary);
  in.seekg(header.data_offset);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) throw DataError("read error", path, header.data_offset);
  return bytes;
}

int64_t RowsToRead(const NpyHeader& header, int64_t limit) {
  return limit > 0 ? std::min(limit, header.shape[0]) : header.shape[0];
}

template <typename T>
T Load(const unsigned char* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

// Element i of integer data of the header's kind and size, widened to int64 (u8 values above
// int64's range come out negative and are rejected as such by the caller).
int64_t IntegerAt(const NpyHeader& header, const unsigned char* data, int64_t i) {
  const unsigned char* p = data + i * header.item_size;
  const bool is_signed = header.kind == 'i';
  // Each branch widens on its own: in `c ? int32 : uint32` the common type would be unsigned.
  switch (header.item_size) {
    case 1:
      if (is_signed) return Load<int8_t>(p);
      return Load<uint8_t>(p);
    case 2:
      if (is_signed) return Load<int16_t>(p);
      return Load<uint16_t>(p);
    case 4:
      if (is_signed) return Load<int32_t>(p);
      return Load<uint32_t>(p);
    default:
      return Load<int64_t>(p);
  }
}

}  // namespace

NpyHeader ReadNpyHeader(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw DataError("no such file (or not a regular file)", path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot open the file for reading", path);
  unsigned char prefix[12] = {};
  in.read(reinterpret_cast<char*>(prefix), 8);
  if (in.gcount() < 8 || std::memcmp(prefix, kMagic, kMagicBytes) != 0) {
    throw DataError("not a .npy file (it does not start with \\x93NUMPY)", path, 0);
  }
  NpyHeader header;
  header.major_version = prefix[6];
  header.minor_version = prefix[7];
  if (header.major_version < 1 || header.major_version > 3) {
    throw DataError("unsupported .npy format version " + std::to_string(header.major_version) +
                        "." + std::to_string(header.minor_version) + " (1.0, 2.0, 3.0 are read)",
                    path, 6);
  }
  const int length_bytes = header.major_version == 1 ? 2 : 4;
  in.read(reinterpret_cast<char*>(prefix + 8), length_bytes);
  if (in.gcount() < length_bytes) throw DataError("file ends inside the header", path, 8);
  const uint32_t header_length = LittleEndian(prefix + 8, length_bytes);
  const int64_t text_offset = 8 + length_bytes;
  std::string text(header_length, '\0');
  in.read(text.data(), header_length);
  if (in.gcount() < static_cast<std::streamsize>(header_length)) {
    throw DataError("file ends inside the header, which declares " +
                        std::to_string(header_length) + " bytes",
                    path, text_offset + in.gcount());
  }
  NpyHeader parsed = DictParser(text, text_offset, path).Parse();
  parsed.major_version = header.major_version;
  parsed.minor_version = header.minor_version;
  parsed.data_offset = text_offset + header_length;
  ParseDescr(path, parsed);
  return parsed;
}

pipeline::Tensor ReadNpyFloat(const std::string& path, int64_t limit, bool scale_uint8,
                              int64_t* rows_in_file) {
  const NpyHeader header = ReadNpyHeader(path);
  const bool supported = (header.kind == 'f' && (header.item_size == 4 || header.item_size == 8)) ||
                         (header.kind == 'u' && header.item_size == 1);
  if (!supported) {
    throw DataError("dtype '" + header.descr + "' is not supported for features (use <f4, <f8 "
                    "or |u1)",
                    path, header.descr_offset);
  }
  if (header.shape.empty()) {
    throw DataError("the array is a scalar (shape ()); expected [N, ...]", path,
                    header.data_offset);
  }
  const int64_t rows = RowsToRead(header, limit);
  if (rows_in_file != nullptr) *rows_in_file = header.shape[0];
  const std::vector<unsigned char> bytes = ReadRows(path, header, rows);

  std::vector<int64_t> shape = header.shape;
  shape[0] = rows;
  pipeline::Tensor out(pipeline::DType::kFloat32, shape);
  float* values = out.f32();
  const auto count = static_cast<size_t>(out.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, count, size_t{1} << 16),
                    [&](const tbb::blocked_range<size_t>& range) {
                      for (size_t i = range.begin(); i < range.end(); ++i) {
                        const unsigned char* p = bytes.data() + i * header.item_size;
                        if (header.kind == 'u') {
                          values[i] = scale_uint8 ? static_cast<float>(*p) / 255.0f
                                                  : static_cast<float>(*p);
                        } else if (header.item_size == 4) {
                          values[i] = Load<float>(p);
                        } else {
                          values[i] = static_cast<float>(Load<double>(p));
                        }
                      }
                    });
  return out;
}

std::vector<int32_t> ReadNpyLabels(const std::string& path, int64_t limit,
                                   int64_t* rows_in_file) {
  const NpyHeader header = ReadNpyHeader(path);
  if (header.kind != 'i' && header.kind != 'u') {
    throw DataError("labels need an integer dtype (<i4, <i8, |u1, ...), not '" + header.descr +
                        "'",
                    path, header.descr_offset);
  }
  if (header.item_size != 1 && header.item_size != 2 && header.item_size != 4 &&
      header.item_size != 8) {
    throw DataError("unsupported integer dtype '" + header.descr + "'", path,
                    header.descr_offset);
  }
  if (header.shape.size() != 1) {
    throw DataError("labels must be a 1-D array [N], but the shape has " +
                        std::to_string(header.shape.size()) + " dimensions",
                    path, header.descr_offset);
  }
  const int64_t rows = RowsToRead(header, limit);
  if (rows_in_file != nullptr) *rows_in_file = header.shape[0];
  const std::vector<unsigned char> bytes = ReadRows(path, header, rows);
  std::vector<int32_t> labels(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t value = IntegerAt(header, bytes.data(), i);
    if (value < 0 || value > std::numeric_limits<int32_t>::max()) {
      throw DataError("label " + std::to_string(value) + " (element " + std::to_string(i) +
                          ") is not a class index in [0, 2^31 - 1]",
                      path, header.data_offset + i * header.item_size);
    }
    labels[static_cast<size_t>(i)] = static_cast<int32_t>(value);
  }
  return labels;
}

}  // namespace stages
