// RunCost: a run's measured seconds times a price per instance-hour (the dated table's, assumed,
// or the user's) times the instances; CheckCostOptions refuses options it cannot price.

#include "report/run_cost.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "report/instance_prices.h"
#include "support/text_assertions.h"
#include "util/error.h"

namespace fruits::report {
namespace {

using nlohmann::ordered_json;
using testing::Contains;

// A `fruits run` manifest: 1800 s over three steps, 900 training and 100 test images.
ordered_json RunManifest() {
  return ordered_json::parse(R"({
    "input": {"images": 900},
    "test": {"input": {"images": 100}},
    "step_seconds": {"extract": 1000, "pca": 200.5, "classify": 599.5}
  })");
}

// A `fruits extract` manifest: no steps, 720 s in total, 500 images, no test set.
ordered_json ExtractManifest() {
  return ordered_json::parse(R"({
    "input": {"images": 500},
    "seconds": {"extract": 700, "total": 720}
  })");
}

// The UsageError `options` make CheckCostOptions throw, or "" (and a test failure) when none.
std::string RefusalOf(const CostOptions& options) {
  try {
    CheckCostOptions(options);
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no UsageError thrown";
  return "";
}

TEST(RunCost, DefaultsToTheTablesDefaultInstanceType) {
  const ordered_json cost = RunCost(RunManifest(), CostOptions{});
  EXPECT_EQ(cost["seconds"], 1800.0);
  EXPECT_EQ(cost["seconds_source"], "the sum of the manifest's step_seconds");
  EXPECT_EQ(cost["instances"], 1);
  EXPECT_TRUE(Contains(cost["instances_source"].get<std::string>(), "assumed: one machine"));
  EXPECT_EQ(cost["instance_type"], "c6i.xlarge");
  EXPECT_EQ(cost["price_per_hour"], 0.215);
  EXPECT_EQ(cost["currency"], "USD");
  EXPECT_EQ(cost["assumed"], true);
  EXPECT_TRUE(Contains(cost["price_source"].get<std::string>(), "c6i.xlarge on-demand, eu-west-3"));
  EXPECT_TRUE(Contains(cost["price_source"].get<std::string>(), "2026-11-30"));
  EXPECT_DOUBLE_EQ(cost["total"].get<double>(), 0.5 * 0.215);
  EXPECT_EQ(cost["images"], 1000);
  EXPECT_DOUBLE_EQ(cost["per_1000_images"].get<double>(), 0.5 * 0.215);
}

// Under mpirun the manifest counts the hosts the processes ran on: each was billed.
TEST(RunCost, InstancesAreTheManifestsHostsUnlessGiven) {
  ordered_json manifest = RunManifest();
  manifest["settings"] = {{"processes", 8}, {"hosts", 4}};
  ordered_json cost = RunCost(manifest, CostOptions{});
  EXPECT_EQ(cost["instances"], 4);
  EXPECT_EQ(cost["instances_source"], "the hosts the run's processes ran on");
  EXPECT_DOUBLE_EQ(cost["total"].get<double>(), 0.5 * 4 * 0.215);
  CostOptions options;
  options.instances = 2;
  cost = RunCost(manifest, options);
  EXPECT_EQ(cost["instances"], 2);
  EXPECT_EQ(cost["instances_source"], "--instances");
}

TEST(RunCost, FruitsProjectionScalesLinearlyToItsImages) {
  const ordered_json cost = RunCost(RunManifest(), CostOptions{});
  EXPECT_EQ(cost["fruits360"]["images"], 150000.0);
  EXPECT_DOUBLE_EQ(cost["fruits360"]["seconds"].get<double>(), 1800.0 * 150);
  EXPECT_DOUBLE_EQ(cost["fruits360"]["total"].get<double>(), 0.5 * 0.215 * 150);
}

TEST(RunCost, ExtractionUsesSecondsTotalAndItsImagesOnly) {
  CostOptions options;
  options.instance_type = "m6i.2xlarge";
  options.instances = 3;
  const ordered_json cost = RunCost(ExtractManifest(), options);
  EXPECT_EQ(cost["seconds"], 720.0);
  EXPECT_EQ(cost["seconds_source"], "the manifest's seconds.total");
  EXPECT_EQ(cost["instance_type"], "m6i.2xlarge");
  EXPECT_EQ(cost["price_per_hour"], 0.448);
  EXPECT_EQ(cost["instances"], 3);
  EXPECT_DOUBLE_EQ(cost["total"].get<double>(), 0.2 * 3 * 0.448);
  EXPECT_EQ(cost["images"], 500);
  EXPECT_DOUBLE_EQ(cost["per_1000_images"].get<double>(), 0.2 * 3 * 0.448 * 2);
  EXPECT_DOUBLE_EQ(cost["fruits360"]["total"].get<double>(), 0.2 * 3 * 0.448 * 300);
}

TEST(RunCost, TheUsersPriceIsNotAnAssumption) {
  CostOptions options;
  options.price_per_hour = 2.5;
  options.currency = "EUR";
  options.instances = 2;
  const ordered_json cost = RunCost(RunManifest(), options);
  EXPECT_EQ(cost["price_per_hour"], 2.5);
  EXPECT_EQ(cost["currency"], "EUR");
  EXPECT_EQ(cost["price_source"], "--price-per-hour");
  EXPECT_EQ(cost["assumed"], false);
  EXPECT_TRUE(cost["instance_type"].is_null());
  EXPECT_DOUBLE_EQ(cost["total"].get<double>(), 0.5 * 2 * 2.5);
  EXPECT_DOUBLE_EQ(cost["per_1000_images"].get<double>(), 2.5);
}

TEST(RunCost, NoImagesGivesNoRatesInsteadOfDividingByZero) {
  ordered_json manifest = ExtractManifest();
  manifest["input"]["images"] = 0;
  const ordered_json cost = RunCost(manifest, CostOptions{});
  EXPECT_EQ(cost["images"], 0);
  EXPECT_EQ(cost["per_1000_images"], 0.0);
  EXPECT_TRUE(cost["fruits360"].is_null());
}

TEST(RunCost, CarriesTheWholePriceTable) {
  const ordered_json table = RunCost(RunManifest(), CostOptions{})["table"];
  EXPECT_EQ(table["region"], "eu-west-3");
  EXPECT_EQ(table["date"], "2026-11-30");
  EXPECT_EQ(table["currency"], "USD");
  ASSERT_EQ(table["rows"].size(), InstancePrices().size());
  EXPECT_EQ(table["rows"][0]["type"], "c6i.xlarge");
  EXPECT_EQ(table["rows"][0]["vcpus"], 4);
  EXPECT_EQ(table["rows"][0]["memory_gib"], 8);
  EXPECT_EQ(table["rows"][0]["price_per_hour"], 0.215);
}

TEST(RunCost, AManifestWithoutSecondsIsRefused) {
  ordered_json manifest = ExtractManifest();
  manifest.erase("seconds");
  EXPECT_EQ(testing::MessageOf([&] { RunCost(manifest, CostOptions{}); }),
            "the manifest has neither step_seconds nor seconds.total: no run time to price");
}

TEST(InstancePrices, TheDefaultTypeIsInTheTable) {
  const InstancePrice* row = FindInstancePrice(kDefaultInstanceType);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->vcpus, 4);
  EXPECT_EQ(FindInstancePrice("c6i.metal"), nullptr);
}

TEST(CheckCostOptions, AcceptsTheDefaultsATypeOrAPrice) {
  CheckCostOptions(CostOptions{});
  CostOptions typed;
  typed.instance_type = "c7g.4xlarge";
  typed.instances = 4;
  CheckCostOptions(typed);
  CostOptions priced;
  priced.price_per_hour = 0.01;
  CheckCostOptions(priced);
}

TEST(CheckCostOptions, RefusesAPriceThatIsNotPositive) {
  for (double price : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN()}) {
    CostOptions options;
    options.price_per_hour = price;
    EXPECT_EQ(RefusalOf(options), "--price-per-hour must be a positive price per instance-hour")
        << price;
  }
}

TEST(CheckCostOptions, RefusesAnUnknownTypeListingTheTables) {
  CostOptions options;
  options.instance_type = "x9.huge";
  const std::string message = RefusalOf(options);
  EXPECT_TRUE(Contains(message,
                       "--instance-type 'x9.huge' is not in the report's price table ("
                       "c6i.xlarge, c6i.2xlarge, c6i.4xlarge, c6i.8xlarge, c7g.xlarge, "
                       "c7g.4xlarge, m6i.xlarge, m6i.2xlarge, m5.xlarge)"));
  EXPECT_TRUE(Contains(message, "--price-per-hour"));
}

TEST(CheckCostOptions, RefusesBothAPriceAndAType) {
  CostOptions options;
  options.price_per_hour = 1;
  options.instance_type = "c6i.xlarge";
  EXPECT_EQ(RefusalOf(options), "give --price-per-hour or --instance-type, not both");
}

TEST(CheckCostOptions, RefusesFewerThanOneInstance) {
  for (int instances : {0, -2}) {
    CostOptions options;
    options.instances = instances;
    EXPECT_EQ(RefusalOf(options), "--instances must be at least 1") << instances;
  }
}

}  // namespace
}  // namespace fruits::report
