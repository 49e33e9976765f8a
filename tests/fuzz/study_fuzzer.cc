// study_fuzzer: a seeded mutation fuzzer for study loading (issue 13).
//
//   study_fuzzer SECONDS SEED OUT_DIR STUDY.yaml...
//
// Case i mutates study i % n with a generator forked from (SEED, i) — 1 to 4 byte, line or
// token edits — and runs ParseStudy and ExpandGrid with the builtin stage registry. A
// pipeline::Error (ConfigError and its siblings) is the expected outcome of a bad file; any
// other exception, a signal, more than 5 s for one case (alarm) or more than 1 GiB of address
// space (RLIMIT_AS, seen as std::bad_alloc) is a failure. Cases run in forked children, a batch
// per child, so a crash costs one batch; the child publishes the case it is on in shared
// memory, and the parent writes that case's text to OUT_DIR/case-SEED-i.yaml and goes on after
// it. Prints a summary; exits 1 if any case failed. The same SEED gives the same cases.

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/clock.h"
#include "pipeline/errors.h"
#include "pipeline/grid.h"
#include "pipeline/rng.h"
#include "pipeline/stage_registry.h"
#include "pipeline/study.h"
#include "stages/builtin_stages.h"

namespace {

constexpr int kCasesPerBatch = 200;
constexpr unsigned kSecondsPerCase = 5;
constexpr rlim_t kAddressSpaceBytes = rlim_t{1} << 30;

// Fragments a study writer (or an attacker) might type: YAML syntax, aliases, sweep forms,
// extreme numbers, odd bytes.
const std::vector<std::string> kTokens = {
    "&a ", "*a", "&b [*a, *a, *a]", "&c [1, *c]", "[", "]", "{", "}", ": ", "- ", ", ", "\n",
    "\n---\n", "~", "''", "\"\"", "? ", "<<: *a", "!!str ", "!!binary ", "|\n  ", ">\n  ",
    "range: [1, 100000]", "{range: [0, 1, 0]}", "{sweep: []}", "{sweep: [1, 2, 3]}", "[]", "{}",
    "-1", "0", "1e308", "-1e308", ".nan", ".inf", "-.inf", "18446744073709551616",
    "9223372036854775807", "0x7fffffff", "0o777", "true", "null", "\t", "\xff", "\xc3",
    "\xe2\x9c\x93", "\"\\u0000\"", "\"\\x01\"", "variants: []", "zip: [[a, b]]", "name: ",
    "type: ", "input: ", "inputs: [", "seed: [1, 2]", "stages:\n", "#", "%YAML 1.2\n", "@", "`"};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

void MutateOnce(std::string& text, pipeline::Rng& rng) {
  const auto pick = [&](size_t n) { return static_cast<size_t>(rng.UniformInt(n)); };
  const size_t at = text.empty() ? 0 : pick(text.size());
  switch (rng.UniformInt(9)) {
    case 0:  // one byte changed
      if (!text.empty()) text[at] = static_cast<char>(rng.UniformInt(256));
      break;
    case 1:  // one byte inserted
      text.insert(at, 1, static_cast<char>(rng.UniformInt(256)));
      break;
    case 2:  // a range deleted
      if (!text.empty()) text.erase(at, 1 + pick(16));
      break;
    case 3:
    case 4:  // a token inserted
      text.insert(at, kTokens[pick(kTokens.size())]);
      break;
    case 5: {  // a token replaces the rest of a line
      const size_t end = text.find('\n', at);
      text.replace(at, end == std::string::npos ? std::string::npos : end - at,
                   kTokens[pick(kTokens.size())]);
      break;
    }
    default: {  // a line duplicated, deleted or swapped
      std::vector<std::string> lines = SplitLines(text);
      if (lines.empty()) break;
      const size_t a = pick(lines.size());
      const size_t b = pick(lines.size());
      const uint64_t how = rng.UniformInt(3);
      if (how == 0) {
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(a), lines[b]);
      } else if (how == 1) {
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(a));
      } else {
        std::swap(lines[a], lines[b]);
      }
      text = JoinLines(lines);
    }
  }
}

std::string MakeCase(const std::vector<std::string>& corpus, uint64_t seed, uint64_t index) {
  pipeline::Rng rng = pipeline::Rng(seed).Fork(index);
  std::string text = corpus[index % corpus.size()];
  const uint64_t edits = 1 + rng.UniformInt(4);
  for (uint64_t e = 0; e < edits; ++e) MutateOnce(text, rng);
  return text;
}

struct Shared {
  std::atomic<uint64_t> current;   // the case the child is on
  std::atomic<uint64_t> loaded;    // cases that parsed and expanded
  std::atomic<uint64_t> rejected;  // cases that ended in a pipeline::Error
  char message[512];               // the child's failure, if it reported one
};

// Runs one case; returns "" if it ended as it should (loaded, or a pipeline::Error).
std::string RunCase(const std::string& text, const pipeline::StageRegistry& registry,
                    Shared& shared) {
  try {
    const pipeline::Study study = pipeline::ParseStudy(text, "fuzz.yaml");
    pipeline::ExpandGrid(study, registry);
    ++shared.loaded;
  } catch (const pipeline::Error&) {
    ++shared.rejected;
    return "";
  } catch (const std::exception& e) {
    return std::string("unexpected exception: ") + e.what();
  } catch (...) {
    return "unexpected non-standard exception";
  }
  return "";
}

// The child: cases [first, last) under the guards; exits 0, or 1 after reporting a failure.
[[noreturn]] void RunBatch(const std::vector<std::string>& corpus, uint64_t seed,
                           uint64_t first, uint64_t last, Shared* shared) {
  const rlimit limit{kAddressSpaceBytes, kAddressSpaceBytes};
  setrlimit(RLIMIT_AS, &limit);
  const pipeline::StageRegistry registry(stages::BuiltinStages());
  for (uint64_t i = first; i < last; ++i) {
    shared->current.store(i);
    alarm(kSecondsPerCase);
    const std::string failure = RunCase(MakeCase(corpus, seed, i), registry, *shared);
    if (!failure.empty()) {
      std::snprintf(shared->message, sizeof shared->message, "%s", failure.c_str());
      std::_Exit(1);
    }
  }
  alarm(0);
  std::_Exit(0);
}

std::string Describe(int status, const char* message) {
  if (WIFEXITED(status)) return message;
  const int sig = WTERMSIG(status);
  if (sig == SIGALRM) return "took more than " + std::to_string(kSecondsPerCase) + " s";
  return std::string("killed by signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s SECONDS SEED OUT_DIR STUDY.yaml...\n", argv[0]);
    return 2;
  }
  const double seconds = std::atof(argv[1]);
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  const std::string out_dir = argv[3];
  std::vector<std::string> corpus;
  for (int a = 4; a < argc; ++a) {
    std::ifstream in(argv[a], std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    corpus.push_back(buffer.str());
  }
  void* memory = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    std::perror("mmap");
    return 2;
  }
  Shared* shared = new (memory) Shared{};

  pipeline::SystemClock clock;
  const double start = clock.MonotonicSeconds();
  uint64_t next = 0;
  int failures = 0;
  while (clock.MonotonicSeconds() - start < seconds) {
    const uint64_t last = next + kCasesPerBatch;
    shared->current.store(next);
    shared->message[0] = '\0';
    std::fflush(nullptr);
    const pid_t child = fork();
    if (child < 0) {
      std::perror("fork");
      return 2;
    }
    if (child == 0) RunBatch(corpus, seed, next, last, shared);
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      next = last;
      continue;
    }
    const uint64_t failed = shared->current.load();
    ++failures;
    std::filesystem::create_directories(out_dir);
    const std::string path =
        out_dir + "/case-" + std::to_string(seed) + "-" + std::to_string(failed) + ".yaml";
    std::ofstream(path, std::ios::binary) << MakeCase(corpus, seed, failed);
    std::printf("FAIL case %llu: %s (input: %s)\n", static_cast<unsigned long long>(failed),
                Describe(status, shared->message).c_str(), path.c_str());
    next = failed + 1;
  }
  std::printf("study_fuzzer: seed %llu, %llu cases from %zu studies in %.0f s: %llu loaded, "
              "%llu rejected with a pipeline error, %d failure(s)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(next),
              corpus.size(), clock.MonotonicSeconds() - start,
              static_cast<unsigned long long>(shared->loaded.load()),
              static_cast<unsigned long long>(shared->rejected.load()), failures);
  return failures == 0 ? 0 : 1;
}
