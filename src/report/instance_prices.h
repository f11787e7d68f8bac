// The instance prices the report's cost section assumes when no --price-per-hour is given: a
// small, dated table of on-demand Linux prices in AWS eu-west-3 (Paris), the region the project
// runs in. They are assumptions, not quotes: AWS changes prices, and a user with savings plans or
// spot instances pays less. The page says so, and --price-per-hour replaces them.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace fruits::report {

struct InstancePrice {
  std::string_view type;
  int vcpus = 0;
  int memory_gib = 0;
  double usd_per_hour = 0;
};

inline constexpr std::string_view kPricesRegion = "eu-west-3";
inline constexpr std::string_view kPricesDate = "2026-11-30";
inline constexpr std::string_view kPricesNote =
    "on-demand Linux prices per instance-hour in eu-west-3 (Paris), USD, as assumed on the date "
    "shown (about $0.054 per vCPU-hour for c6i, as in docs/deploy.md); not a quote: check the "
    "AWS price list, and pass --price-per-hour for your own price";
// The type the cost section assumes when neither --price-per-hour nor --instance-type is given:
// a 4-vCPU compute instance, the smallest that runs a full Fruits-360 job in minutes.
inline constexpr std::string_view kDefaultInstanceType = "c6i.xlarge";

std::span<const InstancePrice> InstancePrices();

// The table's types, in table order, comma-separated: for help texts and messages.
std::string InstanceTypeNames();

// The table's row for `type`, or nullptr.
const InstancePrice* FindInstancePrice(std::string_view type);

}  // namespace fruits::report
