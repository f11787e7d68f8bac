// The order of labels along the report's confusion heatmap: labels that are confused with each
// other sit next to each other, so that at 131 labels the confusions form visible blocks near
// the diagonal instead of dots scattered over the matrix.
//
// Average-linkage agglomerative clustering on confusion shares: the similarity of labels i and
// j is C[i][j] / row_i + C[j][i] / row_j (how often each is taken for the other, as a share of
// its test images). Each cluster is an ordered run of labels; the two most similar clusters are
// joined end to end, flipped so that their most similar ends meet, until no two clusters are
// confused at all. The clusters then follow each other by their smallest label index (label
// order elsewhere: a label confused with nothing keeps its place relative to its neighbours).
// Deterministic (ties go to the smaller indices). O(n^3) time for n labels, O(n^2) memory.
#pragma once

#include <cstdint>
#include <vector>

namespace fruits::report {

// A permutation of 0..n-1. REQUIRES: `confusion` is n x n (rows: true label, columns:
// predicted), counts >= 0.
std::vector<int> ConfusionOrder(const std::vector<std::vector<int64_t>>& confusion);

}  // namespace fruits::report
