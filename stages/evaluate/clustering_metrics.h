#pragma once
// Scores of a clustering against true class labels, all computed from one contingency table.
// Labels are arbitrary int32 values (they need not be contiguous or start at 0). All three
// scores are 1 for a perfect clustering, whatever the cluster numbering.
// Thread-safe: no shared state.

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace stages {

// counts(i, j) = number of examples of the i-th smallest class value that fall in the j-th
// smallest cluster value.
struct ContingencyTable {
  std::vector<int32_t> classes;   // distinct class values, increasing
  std::vector<int32_t> clusters;  // distinct cluster values, increasing
  Eigen::MatrixXd counts;         // [classes, clusters]
  int64_t total = 0;
};

// Throws pipeline::StageError unless both vectors have the same, non-zero length.
ContingencyTable BuildContingencyTable(const std::vector<int32_t>& truth,
                                       const std::vector<int32_t>& predicted);

// Fraction of examples whose cluster maps to their class under the one-to-one cluster -> class
// matching that maximises that fraction (Hungarian method, hungarian.h). With more clusters than
// classes, the unmatched clusters count as wrong.
double ClusteringAccuracy(const ContingencyTable& table);

// Normalised mutual information I(U; V) / ((H(U) + H(V)) / 2), the arithmetic-mean
// normalisation that is scikit-learn's default (Vinh, Epps & Bailey, JMLR 2010). Conventions as
// in scikit-learn: 1 when both labelings have a single value, 0 when I(U; V) = 0.
double NormalizedMutualInformation(const ContingencyTable& table);

// Adjusted Rand index (Hubert & Arabie, "Comparing partitions", 1985): the Rand index corrected
// for chance, 1 for identical partitions, about 0 for independent ones, possibly negative.
// Identical partitions (up to renumbering) score exactly 1, as in scikit-learn.
double AdjustedRandIndex(const ContingencyTable& table);

}  // namespace stages
