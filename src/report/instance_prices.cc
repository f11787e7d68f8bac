#include "report/instance_prices.h"

#include <array>

namespace fruits::report {

namespace {

constexpr std::array<InstancePrice, 9> kPrices = {{
    {"c6i.xlarge", 4, 8, 0.215},
    {"c6i.2xlarge", 8, 16, 0.430},
    {"c6i.4xlarge", 16, 32, 0.860},
    {"c6i.8xlarge", 32, 64, 1.720},
    {"c7g.xlarge", 4, 8, 0.172},
    {"c7g.4xlarge", 16, 32, 0.686},
    {"m6i.xlarge", 4, 16, 0.224},
    {"m6i.2xlarge", 8, 32, 0.448},
    {"m5.xlarge", 4, 16, 0.224},
}};

}  // namespace

std::span<const InstancePrice> InstancePrices() { return kPrices; }

std::string InstanceTypeNames() {
  std::string names;
  for (const InstancePrice& price : kPrices) {
    if (!names.empty()) names += ", ";
    names += price.type;
  }
  return names;
}

const InstancePrice* FindInstancePrice(std::string_view type) {
  for (const InstancePrice& price : kPrices) {
    if (price.type == type) return &price;
  }
  return nullptr;
}

}  // namespace fruits::report
