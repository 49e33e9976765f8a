#include "stages/load/mnist_json.h"

// Implementation notes
// - nlohmann::json's SAX parser reports values but not where they are. To name the byte offset
//   of a bad value, the text is fed through CountingIterator, which records how far the parser
//   has read. At each event the parser has consumed the whole token (plus, for a number, the one
//   character after it that ended it), so the next element of the array starts at the first
//   character after that position that is not whitespace or a comma.
// - The SAX handler accepts exactly one top-level object; only its key "data" is read, every
//   other key's value is skipped (however deeply nested). A non-number inside "data" stops the
//   parse at once, so a wrong file fails fast.
// - With max_images the parse stops after the last wanted value; the rest of the file is not
//   looked at, which keeps `limit: 20` cheap on the 2 MB files.

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pipeline/errors.h"

namespace stages {
namespace {

using pipeline::DataError;
using Json = nlohmann::json;

// A const char* that publishes, on every increment, how far it has advanced.
class CountingIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* position, const char** cursor)
      : position_(position), cursor_(cursor) {}
  reference operator*() const { return *position_; }
  CountingIterator& operator++() {
    *cursor_ = ++position_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& other) const { return position_ == other.position_; }
  bool operator!=(const CountingIterator& other) const { return position_ != other.position_; }

 private:
  const char* position_;
  const char** cursor_;
};

class DigitSax {
 public:
  DigitSax(const std::string& path, const std::string& text, int64_t max_values)
      : path_(path), text_(text), cursor_(text.data()), max_values_(max_values) {}

  const char** cursor() { return &cursor_; }
  std::vector<float>& values() { return values_; }
  bool found_data() const { return found_data_; }
  bool stopped_early() const { return stopped_early_; }

  bool null() { return Scalar("null"); }
  bool boolean(bool) { return Scalar("a boolean"); }
  bool string(std::string&) { return Scalar("a string"); }
  bool binary(Json::binary_t&) { return Scalar("binary data"); }
  bool number_integer(Json::number_integer_t value) { return Number(static_cast<double>(value)); }
  bool number_unsigned(Json::number_unsigned_t value) {
    return Number(static_cast<double>(value));
  }
  bool number_float(Json::number_float_t value, const std::string&) { return Number(value); }

  bool start_object(std::size_t) { return Open(false); }
  bool start_array(std::size_t) { return Open(true); }
  bool end_object() { return Close(); }
  bool end_array() {
    if (depth_ == 2 && in_data_) {
      const int64_t count = static_cast<int64_t>(values_.size());
      if (count % kMnistImageValues != 0) {
        throw DataError("the \"data\" array holds " + std::to_string(count) +
                            " values, not a multiple of " + std::to_string(kMnistImageValues) +
                            " (28 x 28 per image): the file is damaged; run scripts/setup.sh "
                            "again",
                        path_, Offset() - 1);
      }
    }
    return Close();
  }
  bool key(std::string& name) {
    next_is_data_ = depth_ == 1 && name == "data";
    MarkEvent();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const Json::exception& error) {
    throw DataError(std::string("not valid JSON: ") + error.what(), path_,
                    static_cast<int64_t>(position));
  }

 private:
  int64_t Offset() const { return cursor_ - text_.data(); }
  void MarkEvent() { last_event_ = cursor_; }

  // Byte offset of the token the current event reports: the first character after the
  // previous event that is not whitespace or a separator.
  int64_t TokenStart() const {
    const char* p = last_event_;
    const char* end = text_.data() + text_.size();
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ',' ||
                       *p == ':')) {
      ++p;
    }
    return p - text_.data();
  }

  bool Number(double value) {
    if (!in_data_ || depth_ != 2) return Scalar("a number");
    if (!(value >= 0.0 && value <= 1.0)) {
      const int64_t index = static_cast<int64_t>(values_.size());
      std::ostringstream message;
      message << "value " << value << " (image " << index / kMnistImageValues << ", pixel "
              << index % kMnistImageValues << ") is outside [0, 1]";
      throw DataError(message.str(), path_, TokenStart());
    }
    values_.push_back(static_cast<float>(value));
    MarkEvent();
    if (max_values_ > 0 && static_cast<int64_t>(values_.size()) == max_values_) {
      stopped_early_ = true;
      return false;
    }
    return true;
  }

  // A non-number value: fine outside "data", an error inside it.
  bool Scalar(const char* what) {
    if (depth_ == 0) throw DataError(std::string("the file holds ") + what +
                                         ", not an object {\"data\": [...]}",
                                     path_, TokenStart());
    if (next_is_data_) NotAnArray(what);
    if (in_data_ && depth_ == 2) NotANumber(what);
    MarkEvent();
    return true;
  }

  bool Open(bool is_array) {
    const char* what = is_array ? "an array" : "an object";
    if (depth_ == 0 && is_array) {
      throw DataError("the file holds an array, not an object {\"data\": [...]}", path_,
                      TokenStart());
    }
    if (next_is_data_) {
      if (!is_array) NotAnArray(what);
      next_is_data_ = false;
      in_data_ = true;
      found_data_ = true;
    } else if (in_data_ && depth_ == 2) {
      NotANumber(what);
    }
    ++depth_;
    MarkEvent();
    return true;
  }

  bool Close() {
    --depth_;
    if (depth_ == 1) in_data_ = false;
    MarkEvent();
    return true;
  }

  [[noreturn]] void NotAnArray(const char* what) {
    throw DataError(std::string("\"data\" is ") + what + ", not an array of numbers", path_,
                    TokenStart());
  }

  [[noreturn]] void NotANumber(const char* what) {
    throw DataError("element " + std::to_string(values_.size()) + " of \"data\" is " + what +
                        ", not a number",
                    path_, TokenStart());
  }

  const std::string& path_;
  const std::string& text_;
  const char* cursor_;
  const char* last_event_ = cursor_;
  int64_t max_values_;
  std::vector<float> values_;
  int depth_ = 0;
  bool next_is_data_ = false;
  bool in_data_ = false;
  bool found_data_ = false;
  bool stopped_early_ = false;
};

std::string ReadWholeFile(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw DataError("no such file (or not a regular file)", path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot open the file for reading", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw DataError("read error", path);
  return std::move(text).str();
}

}  // namespace

MnistDigitFile ReadMnistDigitFile(const std::string& path, int64_t max_images) {
  const std::string text = ReadWholeFile(path);
  DigitSax sax(path, text, max_images * kMnistImageValues);
  const char* begin = text.data();
  const char* end = begin + text.size();
  Json::sax_parse(CountingIterator(begin, sax.cursor()), CountingIterator(end, sax.cursor()),
                  &sax);
  if (!sax.found_data()) {
    throw DataError("no top-level key \"data\" holding the images", path, 0);
  }
  MnistDigitFile out;
  out.values = std::move(sax.values());
  out.images = static_cast<int64_t>(out.values.size()) / kMnistImageValues;
  return out;
}

}  // namespace stages
