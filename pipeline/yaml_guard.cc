// Implementation notes: CheckYamlText runs yaml-cpp's parser with an event handler of its own
// instead of YAML::Load's node builder. Every node event adds to a running count; an alias adds
// the expanded size of the node it names, recorded when that node's events ended (so nested
// aliases are counted by multiplication without ever being expanded). An alias whose anchor
// is still open — its collection has started and not ended — names a node that contains the
// alias: a cycle. The handler throws ConfigError from inside the parser, which stops at once.

#include "pipeline/yaml_guard.h"

#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "pipeline/errors.h"

namespace pipeline {
namespace {

class LimitChecker : public YAML::EventHandler {
 public:
  LimitChecker(const std::string& file, const YamlLimits& limits)
      : file_(file), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      Fail("one study per file: a second YAML document starts here (after `---`); put each "
           "study in a file of its own",
           mark);
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Leaf(mark, anchor, "");
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Leaf(mark, anchor, value);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    for (const Frame& frame : stack_) {
      if (frame.anchor == anchor) {
        Fail("recursive alias: it refers to a node that contains it (anchored at line " +
                 std::to_string(frame.mark.line + 1) + "), which would expand forever",
             mark);
      }
    }
    if (InKey() && collections_.count(anchor)) KeyIsCollection(mark);
    auto size = sizes_.find(anchor);
    Count(size == sizes_.end() ? 1 : size->second, mark);
    EndNode("*alias");
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor, false);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor, true);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    bool is_map = false;
    bool expect_key = true;  // maps: the next node is a key
    std::string key;         // maps: the key of the value being read
    size_t index = 0;        // lists: the item being read
    YAML::anchor_t anchor = YAML::NullAnchor;
    int64_t nodes_before = 0;
    YAML::Mark mark;
  };

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& value) {
    Count(1, mark);
    if (anchor != YAML::NullAnchor) sizes_[anchor] = 1;
    EndNode(value);
  }

  // A key is a name or value: every key is read as a string, so a list or a map as a key
  // (`? [a, b]: 1`) has no meaning in a study.
  bool InKey() const { return !stack_.empty() && stack_.back().is_map && stack_.back().expect_key; }
  [[noreturn]] void KeyIsCollection(const YAML::Mark& mark) const {
    Fail("a key must be a single value, not a list or a map", mark);
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map) {
    if (InKey()) KeyIsCollection(mark);
    if (anchor != YAML::NullAnchor) collections_.insert(anchor);
    Frame frame;
    frame.is_map = is_map;
    frame.anchor = anchor;
    frame.nodes_before = nodes_;
    frame.mark = mark;
    Count(1, mark);
    stack_.push_back(frame);
    if (static_cast<int>(stack_.size()) > limits_.max_depth) {
      Fail("lists and maps nest deeper than " + std::to_string(limits_.max_depth) + " levels",
           mark);
    }
  }

  void Close() {
    const Frame frame = stack_.back();
    stack_.pop_back();
    if (frame.anchor != YAML::NullAnchor) sizes_[frame.anchor] = nodes_ - frame.nodes_before;
    EndNode("");
  }

  // Moves the enclosing collection on to its next key, value or item.
  void EndNode(const std::string& scalar) {
    if (stack_.empty()) return;
    Frame& parent = stack_.back();
    if (!parent.is_map) {
      ++parent.index;
    } else if (parent.expect_key) {
      parent.key = scalar.empty() ? "?" : scalar;
      parent.expect_key = false;
    } else {
      parent.expect_key = true;
    }
  }

  void Count(int64_t nodes, const YAML::Mark& mark) {
    nodes_ += nodes;
    if (nodes_ > limits_.max_nodes) {
      Fail("the study has more than " + std::to_string(limits_.max_nodes) +
               " values once aliases are expanded; a list of millions of items or aliases "
               "nested in aliases are not a study (split it, or use `range:`)",
           mark);
    }
  }

  // "stages.km.k[2]": the keys and list indices down to the node being read (the first few
  // levels only: past them, "..." stands for the rest).
  std::string KeyPath() const {
    constexpr size_t kShownLevels = 8;
    std::string path;
    for (size_t level = 0; level < stack_.size(); ++level) {
      if (level == kShownLevels) return path + "...";
      const Frame& frame = stack_[level];
      if (frame.is_map) {
        if (frame.expect_key) break;  // inside a key: the path ends at its map
        path += (path.empty() ? "" : ".") + frame.key;
      } else {
        path += "[" + std::to_string(frame.index) + "]";
      }
    }
    return path;
  }

  [[noreturn]] void Fail(const std::string& message, const YAML::Mark& mark) const {
    throw ConfigError(message, file_, mark.line + 1, mark.column + 1, KeyPath());
  }

  const std::string& file_;
  const YamlLimits& limits_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, int64_t> sizes_;  // expanded node count of each finished anchor
  std::set<YAML::anchor_t> collections_;     // anchors of lists and maps
  int64_t nodes_ = 0;
  int documents_ = 0;
};

// The length of the UTF-8 sequence starting at text[i], or 0 if it is not valid there.
size_t Utf8SequenceLength(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10FFFF ||
      (code >= 0xD800 && code <= 0xDFFF)) {
    return 0;  // overlong, beyond Unicode, or a UTF-16 surrogate
  }
  return length;
}

}  // namespace

void CheckYamlText(const std::string& text, const std::string& file, const YamlLimits& limits) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  LimitChecker checker(file, limits);
  try {
    while (parser.HandleNextDocument(checker)) {
    }
  } catch (const YAML::ParserException&) {
    // Malformed YAML: the parse that builds the nodes reports it with its position.
  }
}

void CheckUtf8(const std::string& text, const std::string& file, const std::string& what) {
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[i]));
      throw ConfigError(what + " is not valid UTF-8: byte " + hex + " at byte offset " +
                            std::to_string(i) + " (save the file as UTF-8)",
                        file, line, static_cast<int>(i - line_start) + 1);
    }
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
    i += length;
  }
}

}  // namespace pipeline
