// What a run cost in compute: its measured time (from the manifest) times a price per
// instance-hour, either the user's (--price-per-hour) or an assumed one from the dated eu-west-3
// table (instance_prices.h), times the instances billed.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace fruits::report {

struct CostOptions {
  std::optional<double> price_per_hour;  // per instance-hour, in `currency`
  std::string currency = "EUR";          // of price_per_hour
  std::string instance_type;             // from the table; empty: kDefaultInstanceType
  // Machines billed for the run's time; unset: the hosts the manifest counted (settings.hosts),
  // or 1 for a manifest without them.
  std::optional<int> instances;
};

// Throws UsageError naming the flag: a price that is not positive, an unknown instance type
// (listing the table's), both a price and an instance type, fewer than one instance.
void CheckCostOptions(const CostOptions& options);

// The report's "cost" object (docs/outputs.md): seconds (the sum of the manifest's step_seconds,
// or seconds.total for an extraction), instances, price_per_hour, currency, price_source,
// assumed, instance_type, total, images (training and test inputs), per_1000_images, fruits360
// (the same rate over Fruits-360's 150,000 images), the price table, and where the instances
// and the price come from. REQUIRES:
// CheckCostOptions(options) passed. Throws Error when the manifest lacks its seconds.
nlohmann::ordered_json RunCost(const nlohmann::ordered_json& manifest, const CostOptions& options);

}  // namespace fruits::report
