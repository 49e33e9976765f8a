#pragma once
// Per-class bookkeeping over a label vector, shared by the resample algorithms (split.h,
// sampling.h, class_weights.h): counts, members, and proportional per-class quotas.
//
// Labels are int32 class indices in [0, classes). All functions are pure and thread-safe.

#include <cstdint>
#include <vector>

namespace stages {

// The number of classes: max(declared, largest label + 1). `declared` is what the data set's
// metadata says (0 when unknown), so classes absent from a sample still count. Throws
// pipeline::StageError on a negative label.
int64_t NumClasses(const std::vector<int32_t>& labels, int64_t declared);

// counts[c] = number of labels equal to c, for c in [0, classes).
std::vector<int64_t> CountClasses(const std::vector<int32_t>& labels, int64_t classes);

// members[c] = the indices i with labels[i] == c, ascending.
std::vector<std::vector<int64_t>> ClassMembers(const std::vector<int32_t>& labels,
                                               int64_t classes);

// How many of each class to take so that about `fraction` of every class is taken and the
// total is round(fraction * sum(counts)): Hamilton's largest-remainder apportionment. Class c
// gets floor(fraction * counts[c]) plus one more for the classes with the largest fractional
// remainders (ties: lower class first), so every quota is within 1 of fraction * counts[c].
// A class never gets more than capacity[c] (an empty `capacity` means counts); when the
// capacities block the extra units the total comes out smaller.
std::vector<int64_t> ProportionalQuotas(const std::vector<int64_t>& counts, double fraction,
                                        const std::vector<int64_t>& capacity = {});

// Checks that every chosen class lies in [0, classes); throws pipeline::StageError naming the
// offending class and the valid range otherwise.
void CheckChosenClasses(const std::vector<int64_t>& chosen, int64_t classes);

}  // namespace stages
