// A stratified, seeded holdout: which training rows are set aside to choose k (`--holdout`).
//
// Each label keeps its share: of its c rows, round(fraction * c) go to validation, at least one
// when c >= 2, never all of them (a label with one row stays in training). Which rows is decided
// by a Fisher-Yates shuffle of each label's rows, in label order, driven by SplitMix64 from
// `seed`: the same labels and seed give the same split on every machine and library (no
// std::shuffle, whose algorithm is the library's choice). Pure function, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace fruits::classify {

// One flag per row: 1 when the row is held out for validation. REQUIRES: labels in
// [0, num_labels), 0 < fraction < 1 (checked: InternalError).
std::vector<uint8_t> StratifiedHoldout(std::span<const int32_t> labels, int64_t num_labels,
                                       double fraction, uint64_t seed);

}  // namespace fruits::classify
