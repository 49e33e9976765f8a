#include "stages/resample/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "stages/resample/class_counts.h"

namespace stages {
namespace {

// `count` members of one class: a random choice from rng.Fork(c), or the first ones.
void TakeFromClass(std::vector<int64_t> members, int64_t count, bool random,
                   const pipeline::Rng& rng, uint64_t c, std::vector<int64_t>& rows) {
  if (random && count < static_cast<int64_t>(members.size())) {
    pipeline::Rng class_rng = rng.Fork(c);
    class_rng.Shuffle(members);
  }
  rows.insert(rows.end(), members.begin(), members.begin() + count);
}

bool Contains(const std::vector<int64_t>& values, int64_t value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

std::vector<int64_t> SubsetRows(const std::vector<int32_t>& labels, int64_t examples,
                                int64_t classes, const SubsetOptions& options,
                                const pipeline::Rng& rng) {
  const int64_t limit =
      options.limit <= 0 ? examples : std::min<int64_t>(options.limit, examples);
  std::vector<int64_t> rows;
  if (!options.stratified) {
    rows.resize(static_cast<size_t>(examples));
    std::iota(rows.begin(), rows.end(), int64_t{0});
    if (options.shuffle) {
      pipeline::Rng order_rng = rng.Fork(0);
      order_rng.Shuffle(rows);
    }
    rows.resize(static_cast<size_t>(limit));
    return rows;
  }

  const std::vector<std::vector<int64_t>> members = ClassMembers(labels, classes);
  const std::vector<int64_t> quotas = ProportionalQuotas(
      CountClasses(labels, classes),
      examples == 0 ? 0.0 : static_cast<double>(limit) / static_cast<double>(examples));
  for (size_t c = 0; c < members.size(); ++c) {
    TakeFromClass(members[c], quotas[c], options.shuffle, rng, c, rows);
  }
  if (options.shuffle) {
    pipeline::Rng order_rng = rng.Fork(static_cast<uint64_t>(classes));
    order_rng.Shuffle(rows);
  } else {
    std::sort(rows.begin(), rows.end());
  }
  return rows;
}

int64_t ImbalanceKeepCount(int64_t count, double fraction, int64_t keep) {
  if (count == 0) return 0;
  if (keep > 0) return std::min(keep, count);
  const int64_t rounded = std::llround(fraction * static_cast<double>(count));
  return std::clamp<int64_t>(rounded, 1, count);
}

std::vector<int64_t> ImbalanceRows(const std::vector<int32_t>& labels, int64_t classes,
                                   const std::vector<int64_t>& chosen, double fraction,
                                   int64_t keep, const pipeline::Rng& rng) {
  const std::vector<std::vector<int64_t>> members = ClassMembers(labels, classes);
  std::vector<int64_t> rows;
  for (size_t c = 0; c < members.size(); ++c) {
    const auto size = static_cast<int64_t>(members[c].size());
    const int64_t count = Contains(chosen, static_cast<int64_t>(c))
                              ? ImbalanceKeepCount(size, fraction, keep)
                              : size;
    TakeFromClass(members[c], count, /*random=*/true, rng, c, rows);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<int64_t> OversampleRows(const std::vector<int32_t>& labels,
                                    const std::vector<int64_t>& chosen, int64_t factor) {
  std::vector<int64_t> repeated;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (Contains(chosen, labels[i])) repeated.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> rows(labels.size());
  std::iota(rows.begin(), rows.end(), int64_t{0});
  for (int64_t round = 1; round < factor; ++round) {
    rows.insert(rows.end(), repeated.begin(), repeated.end());
  }
  return rows;
}

std::vector<int64_t> UndersampleRows(const std::vector<int32_t>& labels, int64_t classes,
                                     int64_t per_class, const pipeline::Rng& rng) {
  const std::vector<std::vector<int64_t>> members = ClassMembers(labels, classes);
  int64_t cap = per_class;
  if (cap <= 0) {
    cap = std::numeric_limits<int64_t>::max();
    for (const std::vector<int64_t>& m : members) {
      if (!m.empty()) cap = std::min(cap, static_cast<int64_t>(m.size()));
    }
  }
  std::vector<int64_t> rows;
  for (size_t c = 0; c < members.size(); ++c) {
    const int64_t count = std::min(cap, static_cast<int64_t>(members[c].size()));
    TakeFromClass(members[c], count, /*random=*/true, rng, c, rows);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace stages
