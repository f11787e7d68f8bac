#include "cli/report_flags.h"

#include "report/instance_prices.h"

namespace fruits::cli {

void AddReportFlags(CLI::App& cmd, report::ReportOptions& options) {
  report::CostOptions& cost = options.cost;
  cmd.add_option("--price-per-hour", cost.price_per_hour,
                 "Report: the price of one machine-hour, for the run's cost (in --currency); "
                 "without it the cost assumes --instance-type's eu-west-3 on-demand price");
  cmd.add_option("--currency", cost.currency, "Report: the currency of --price-per-hour")
      ->capture_default_str();
  cmd.add_option("--instance-type", cost.instance_type,
                 "Report: price the run as this eu-west-3 instance type (" +
                     report::InstanceTypeNames() + "; default " +
                     std::string(report::kDefaultInstanceType) +
                     "): dated on-demand prices, assumptions");
  cmd.add_option("--instances", cost.instances,
                 "Report: machines the run was billed for (default: the hosts its processes ran "
                 "on, from the manifest)");
  cmd.add_option("--report-seed", options.seed,
                 "Report: seed of the PCA scatter's sample of points")
      ->capture_default_str();
}

}  // namespace fruits::cli
