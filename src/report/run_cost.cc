#include "report/run_cost.h"

#include <string>
#include <utility>

#include "report/instance_prices.h"
#include "util/error.h"

namespace fruits::report {

namespace {

constexpr double kFruits360Images = 150'000;

// The run's measured time and where it comes from.
std::pair<double, std::string> RunSeconds(const nlohmann::ordered_json& manifest) {
  if (manifest.contains("step_seconds")) {
    double seconds = 0;
    for (const auto& [step, value] : manifest["step_seconds"].items()) {
      seconds += value.get<double>();
    }
    return {seconds, "the sum of the manifest's step_seconds"};
  }
  if (manifest.contains("seconds") && manifest["seconds"].contains("total")) {
    return {manifest["seconds"]["total"].get<double>(), "the manifest's seconds.total"};
  }
  throw Error("the manifest has neither step_seconds nor seconds.total: no run time to price");
}

int64_t HandledImages(const nlohmann::ordered_json& manifest) {
  int64_t images = manifest.at("input").at("images").get<int64_t>();
  if (manifest.contains("test")) images += manifest["test"]["input"]["images"].get<int64_t>();
  return images;
}

// The machines billed and where that number comes from.
std::pair<int, std::string> Instances(const nlohmann::ordered_json& manifest,
                                      const CostOptions& options) {
  if (options.instances) return {*options.instances, "--instances"};
  const nlohmann::ordered_json& settings = manifest.value("settings", nlohmann::ordered_json{});
  if (settings.contains("hosts")) {
    return {settings["hosts"].get<int>(), "the hosts the run's processes ran on"};
  }
  return {1, "assumed: one machine (the manifest does not count hosts; pass --instances)"};
}

nlohmann::ordered_json PriceTable() {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const InstancePrice& price : InstancePrices()) {
    rows.push_back({{"type", price.type},
                    {"vcpus", price.vcpus},
                    {"memory_gib", price.memory_gib},
                    {"price_per_hour", price.usd_per_hour}});
  }
  return {{"region", kPricesRegion},
          {"date", kPricesDate},
          {"currency", "USD"},
          {"note", kPricesNote},
          {"rows", rows}};
}

}  // namespace

void CheckCostOptions(const CostOptions& options) {
  if (options.price_per_hour && !(*options.price_per_hour > 0)) {
    throw UsageError("--price-per-hour must be a positive price per instance-hour");
  }
  if (options.price_per_hour && !options.instance_type.empty()) {
    throw UsageError("give --price-per-hour or --instance-type, not both");
  }
  if (!options.instance_type.empty() && !FindInstancePrice(options.instance_type)) {
    throw UsageError("--instance-type '" + options.instance_type +
                     "' is not in the report's price table (" + InstanceTypeNames() +
                     "): pass --price-per-hour with your own price instead");
  }
  if (options.instances && *options.instances < 1) {
    throw UsageError("--instances must be at least 1");
  }
  if (options.currency.empty()) throw UsageError("--currency must not be empty");
}

nlohmann::ordered_json RunCost(const nlohmann::ordered_json& manifest, const CostOptions& options) {
  const auto [seconds, seconds_source] = RunSeconds(manifest);
  const int64_t images = HandledImages(manifest);
  nlohmann::ordered_json cost;
  cost["seconds"] = seconds;
  cost["seconds_source"] = seconds_source;
  const auto [instances, instances_source] = Instances(manifest, options);
  cost["instances"] = instances;
  cost["instances_source"] = instances_source;
  double price = 0;
  if (options.price_per_hour) {
    price = *options.price_per_hour;
    cost["price_per_hour"] = price;
    cost["currency"] = options.currency;
    cost["price_source"] = "--price-per-hour";
    cost["assumed"] = false;
    cost["instance_type"] = nullptr;
  } else {
    const std::string type =
        options.instance_type.empty() ? std::string(kDefaultInstanceType) : options.instance_type;
    const InstancePrice& row = *FindInstancePrice(type);
    price = row.usd_per_hour;
    cost["price_per_hour"] = price;
    cost["currency"] = "USD";
    std::string source = type;
    source.append(" on-demand, ")
        .append(kPricesRegion)
        .append(" (price table of ")
        .append(kPricesDate)
        .append(": an assumption, check the AWS price list)");
    cost["price_source"] = source;
    cost["assumed"] = true;
    cost["instance_type"] = type;
  }
  const double total = seconds / 3600.0 * instances * price;
  cost["total"] = total;
  cost["images"] = images;
  cost["per_1000_images"] = images > 0 ? total / static_cast<double>(images) * 1000 : 0.0;
  if (images > 0) {
    const double scale = kFruits360Images / static_cast<double>(images);
    cost["fruits360"] = {
        {"images", kFruits360Images}, {"seconds", seconds * scale}, {"total", total * scale}};
  } else {
    cost["fruits360"] = nullptr;
  }
  cost["table"] = PriceTable();
  return cost;
}

}  // namespace fruits::report
