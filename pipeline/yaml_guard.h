#pragma once
// Checks a study's YAML text before it becomes a node graph, so hostile input gets a
// ConfigError (exit 2) instead of a crash or gigabytes of work. CheckYamlText refuses
//   - a second document after `---` (yaml-cpp would silently ignore it);
//   - an alias inside the node it names (`k: &a [1, *a]`), a cycle every later walk would
//     follow forever;
//   - nesting deeper than `max_depth` levels;
//   - more than `max_nodes` nodes once aliases are expanded ("billion laughs": a few hundred
//     bytes of nested aliases stand for billions of nodes), or a plain list of millions of items;
//   - a list or a map used as a key (every key is read as a string).
// CheckUtf8 refuses invalid UTF-8, which yaml-cpp would silently replace.
// The check streams parser events and builds no nodes, so its memory does not grow with the
// input. Stateless; thread-safe.

#include <cstdint>
#include <string>

namespace pipeline {

struct YamlLimits {
  int max_depth = 100;             // nested lists/maps, the top-level map being level 1
  int64_t max_nodes = 1'000'000;   // scalars, lists and maps, every alias counted expanded
};

// Throws ConfigError naming `file`, the line and column and, where known, the key path (e.g.
// "stages.km.k") if `text` breaks one of the rules above. Malformed YAML is left to the parse
// that follows (it reports its own position).
void CheckYamlText(const std::string& text, const std::string& file,
                   const YamlLimits& limits = {});

// Throws ConfigError with the byte offset, line and column of the first byte of `text` that
// is not part of a valid UTF-8 sequence (overlong forms, surrogates and code points above
// U+10FFFF included). `what` names the text in the message, e.g. "the study file".
void CheckUtf8(const std::string& text, const std::string& file, const std::string& what);

}  // namespace pipeline
