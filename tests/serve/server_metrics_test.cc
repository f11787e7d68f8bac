#include "serve/server_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

namespace fruits::serve {
namespace {

// The samples of an exposition, "name{labels}" -> value, read back as a scraper reads them;
// comment lines must be # HELP or # TYPE.
std::map<std::string, double> Samples(const std::string& text,
                                      std::map<std::string, std::string>& types) {
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_FALSE(line.empty());
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      types[name] = type;
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    EXPECT_NE(line[0], '#') << line;
    const size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    EXPECT_EQ(samples.count(line.substr(0, space)), 0u) << "repeated: " << line;
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  EXPECT_EQ(text.back(), '\n');
  return samples;
}

TEST(ServerMetricsTest, ExpositionReadsBack) {
  ServerMetrics metrics;
  metrics.CountResponse(200);
  metrics.CountResponse(200);
  metrics.CountResponse(503);
  metrics.ClassifyStarted();
  metrics.ClassifyStarted();
  metrics.ClassifyFinished(0.003);
  metrics.CountBatch(1);
  metrics.CountBatch(5);
  metrics.CountBatch(16);

  std::map<std::string, std::string> types;
  const std::map<std::string, double> s = Samples(metrics.Exposition(), types);
  EXPECT_EQ(types["fruits_http_requests_total"], "counter");
  EXPECT_EQ(types["fruits_classify_request_duration_seconds"], "histogram");
  EXPECT_EQ(types["fruits_classify_requests_in_flight"], "gauge");
  EXPECT_EQ(types["fruits_batch_size"], "histogram");
  EXPECT_EQ(types["fruits_images_classified_total"], "counter");

  EXPECT_EQ(s.at("fruits_http_requests_total{code=\"200\"}"), 2);
  EXPECT_EQ(s.at("fruits_http_requests_total{code=\"503\"}"), 1);
  EXPECT_EQ(s.count("fruits_http_requests_total{code=\"404\"}"), 0u);
  EXPECT_EQ(s.at("fruits_classify_requests_in_flight"), 1);
  EXPECT_EQ(s.at("fruits_images_classified_total"), 22);

  // Buckets are cumulative: 0.003 is above 0.0025 and within 0.005.
  EXPECT_EQ(s.at("fruits_classify_request_duration_seconds_bucket{le=\"0.0025\"}"), 0);
  EXPECT_EQ(s.at("fruits_classify_request_duration_seconds_bucket{le=\"0.005\"}"), 1);
  EXPECT_EQ(s.at("fruits_classify_request_duration_seconds_bucket{le=\"+Inf\"}"), 1);
  EXPECT_DOUBLE_EQ(s.at("fruits_classify_request_duration_seconds_sum"), 0.003);
  EXPECT_EQ(s.at("fruits_classify_request_duration_seconds_count"), 1);

  // A bucket's bound is inclusive (le): 1 in le=1, 5 in le=8, 16 in le=16.
  EXPECT_EQ(s.at("fruits_batch_size_bucket{le=\"1\"}"), 1);
  EXPECT_EQ(s.at("fruits_batch_size_bucket{le=\"4\"}"), 1);
  EXPECT_EQ(s.at("fruits_batch_size_bucket{le=\"8\"}"), 2);
  EXPECT_EQ(s.at("fruits_batch_size_bucket{le=\"16\"}"), 3);
  EXPECT_EQ(s.at("fruits_batch_size_bucket{le=\"128\"}"), 3);
  EXPECT_EQ(s.at("fruits_batch_size_bucket{le=\"+Inf\"}"), 3);
  EXPECT_EQ(s.at("fruits_batch_size_sum"), 22);
  EXPECT_EQ(s.at("fruits_batch_size_count"), 3);
}

}  // namespace
}  // namespace fruits::serve
