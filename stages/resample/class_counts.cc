#include "stages/resample/class_counts.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "pipeline/errors.h"

namespace stages {
namespace {

// fraction * count is computed in floating point; 0.29 * 100 gives 28.999999999999996. A
// slack far below 1 / (largest count) makes floor() see the intended integer.
constexpr double kFloorSlack = 1e-9;

}  // namespace

int64_t NumClasses(const std::vector<int32_t>& labels, int64_t declared) {
  int64_t classes = std::max<int64_t>(declared, 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) {
      throw pipeline::StageError("label " + std::to_string(labels[i]) + " of example " +
                                 std::to_string(i) +
                                 " is negative; resample stages need class indices >= 0 in 'y'");
    }
    classes = std::max<int64_t>(classes, int64_t{labels[i]} + 1);
  }
  return classes;
}

std::vector<int64_t> CountClasses(const std::vector<int32_t>& labels, int64_t classes) {
  std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
  for (int32_t label : labels) ++counts[static_cast<size_t>(label)];
  return counts;
}

std::vector<std::vector<int64_t>> ClassMembers(const std::vector<int32_t>& labels,
                                               int64_t classes) {
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    members[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  }
  return members;
}

std::vector<int64_t> ProportionalQuotas(const std::vector<int64_t>& counts, double fraction,
                                        const std::vector<int64_t>& capacity) {
  const std::vector<int64_t>& limit = capacity.empty() ? counts : capacity;
  const size_t classes = counts.size();
  std::vector<int64_t> quotas(classes);
  std::vector<double> remainders(classes);
  int64_t assigned = 0;
  for (size_t c = 0; c < classes; ++c) {
    const double exact = fraction * static_cast<double>(counts[c]);
    quotas[c] = std::min(limit[c], static_cast<int64_t>(std::floor(exact + kFloorSlack)));
    remainders[c] = exact - static_cast<double>(quotas[c]);
    assigned += quotas[c];
  }
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  int64_t missing = std::llround(fraction * static_cast<double>(total)) - assigned;

  std::vector<size_t> order(classes);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
  for (size_t c : order) {
    if (missing <= 0) break;
    if (remainders[c] > kFloorSlack && quotas[c] < limit[c]) {
      ++quotas[c];
      --missing;
    }
  }
  return quotas;
}

void CheckChosenClasses(const std::vector<int64_t>& chosen, int64_t classes) {
  for (int64_t c : chosen) {
    if (c < 0 || c >= classes) {
      throw pipeline::StageError("class " + std::to_string(c) +
                                 " is not in the data, whose classes are 0.." +
                                 std::to_string(classes - 1) + "; fix the 'classes' parameter");
    }
  }
}

}  // namespace stages
