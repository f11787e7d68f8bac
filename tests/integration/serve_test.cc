// `fruits serve` end to end, as a real process on the sample set's exported app model: answers
// equal `fruits classify --json`, raw and multipart uploads, every error status, 2,000 requests
// from 16 clients, a hostile corpus repeated with bounded memory growth, /metrics counting what
// was sent, and SIGTERM with a request in flight.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/fruits_cli.h"
#include "support/fruits_server.h"
#include "support/read_file.h"
#include "support/run_command.h"

namespace fruits {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::FruitsServer;
using testing::ShellQuote;

std::vector<std::string> TestImages() {
  std::vector<std::string> images;
  for (const auto& entry :
       fs::recursive_directory_iterator(std::string(FRUITS_SAMPLE_SET) + "/data/Test")) {
    if (entry.is_regular_file()) images.push_back(entry.path().string());
  }
  std::sort(images.begin(), images.end());
  return images;
}

std::vector<std::string> ServeArgs(std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--model", FRUITS_APP_MODEL, "--port", "0", "--quiet"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::unique_ptr<httplib::Client> Client(const FruitsServer& server) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", server.port());
  client->set_connection_timeout(std::chrono::seconds(60));
  client->set_read_timeout(std::chrono::seconds(60));
  client->set_write_timeout(std::chrono::seconds(60));
  return client;
}

int StatusOf(const httplib::Result& res) { return res ? res->status : -1; }

// Waits until `done()` holds; the bound only turns a hang into a failure.
bool WaitUntil(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Sends `request` on a fresh connection and closes it without waiting for an answer (a client
// that gives up; httplib does not answer a client that closed its sending side).
void SendAndClose(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  ::close(fd);
}

// The resident memory of a process, in KiB (/proc/PID/status VmRSS).
int64_t RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

// The value of one sample of a Prometheus exposition ("name{labels}"), 0 when absent.
double Sample(const std::string& metrics, const std::string& name) {
  std::istringstream lines(metrics);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return 0;
}

std::string Metrics(const FruitsServer& server) {
  const httplib::Result res = Client(server)->Get("/metrics");
  EXPECT_EQ(StatusOf(res), 200);
  return res ? res->body : "";
}

double Count(const std::string& metrics, int code) {
  return Sample(metrics, "fruits_http_requests_total{code=\"" + std::to_string(code) + "\"}");
}

void ExpectSameTop(const json& served, const json& classified, const std::string& image) {
  ASSERT_EQ(served.size(), classified.size()) << image;
  for (size_t i = 0; i < served.size(); ++i) {
    EXPECT_EQ(served[i]["label"], classified[i]["label"]) << image;
    EXPECT_EQ(served[i]["index"], classified[i]["index"]) << image;
    EXPECT_NEAR(served[i]["probability"].get<double>(), classified[i]["probability"].get<double>(),
                1e-6)
        << image;
  }
}

TEST(ServeCli, AnswersEqualFruitsClassify) {
  const std::vector<std::string> images = TestImages();
  ASSERT_GE(images.size(), 6u);
  std::string command = "classify --model " + ShellQuote(FRUITS_APP_MODEL) + " --json --top 3";
  for (const std::string& image : images) command += " " + ShellQuote(image);
  const testing::CommandResult classified = testing::Fruits(command);
  ASSERT_EQ(classified.exit_code, 0) << classified.err;
  std::map<std::string, json> expected;
  std::istringstream lines(classified.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    const json entry = json::parse(line);
    expected[entry["path"].get<std::string>()] = entry["top"];
  }
  ASSERT_EQ(expected.size(), images.size()) << classified.err;

  FruitsServer server(ServeArgs());
  ASSERT_GT(server.port(), 0);
  const std::string sha256 =
      testing::RunCommand("sha256sum " + ShellQuote(FRUITS_APP_MODEL)).out.substr(0, 64);
  const httplib::Result model = Client(server)->Get("/v1/model");
  ASSERT_EQ(StatusOf(model), 200);
  const json info = json::parse(model->body);
  EXPECT_EQ(info["sha256"], sha256);
  EXPECT_EQ(info["name"], "fruit_classifier.onnx");
  EXPECT_EQ(info["input"]["layout"], "NHWC");
  EXPECT_EQ(info["labels"].size(), 3u);

  for (const std::string& image : images) {
    const std::string bytes = testing::ReadFile(image);
    const httplib::Result raw = Client(server)->Post("/v1/classify?top=3", bytes, "image/jpeg");
    ASSERT_EQ(StatusOf(raw), 200) << (raw ? raw->body : "no answer");
    const json body = json::parse(raw->body);
    EXPECT_EQ(body["model"], (json{{"name", "fruit_classifier.onnx"}, {"sha256", sha256}}));
    EXPECT_TRUE(body["ms"].is_number());
    ExpectSameTop(body["top"], expected[image], image);

    const httplib::MultipartFormDataItems form = {{"image", bytes, "fruit.jpg", "image/jpeg"}};
    const httplib::Result multipart = Client(server)->Post("/v1/classify?top=3", form);
    ASSERT_EQ(StatusOf(multipart), 200);
    ExpectSameTop(json::parse(multipart->body)["top"], expected[image], image);
  }
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

TEST(ServeCli, ErrorStatuses) {
  FruitsServer server(ServeArgs({"--max-body", "2KiB"}));
  ASSERT_GT(server.port(), 0);
  auto client = Client(server);
  const auto error_of = [](const httplib::Result& res) {
    return res ? json::parse(res->body).value("error", "") : "";
  };
  const httplib::Result garbage = client->Post("/v1/classify", "garbage bytes", "image/jpeg");
  EXPECT_EQ(StatusOf(garbage), 400);
  EXPECT_FALSE(error_of(garbage).empty());
  const httplib::Result big = client->Post("/v1/classify", std::string(4096, 'x'), "image/jpeg");
  EXPECT_EQ(StatusOf(big), 413);
  EXPECT_NE(error_of(big).find("2048 bytes"), std::string::npos);
  const httplib::Result text = client->Post("/v1/classify", "hello", "text/plain");
  EXPECT_EQ(StatusOf(text), 415);
  EXPECT_NE(error_of(text).find("text/plain"), std::string::npos);
  const httplib::Result missing = client->Get("/v2/nothing");
  EXPECT_EQ(StatusOf(missing), 404);
  EXPECT_FALSE(error_of(missing).empty());
  EXPECT_EQ(StatusOf(client->Get("/v1/classify")), 405);
  EXPECT_EQ(StatusOf(client->Get("/healthz")), 200);
  const httplib::Result page = client->Get("/");
  ASSERT_EQ(StatusOf(page), 200);
  EXPECT_EQ(page->get_header_value("Content-Security-Policy"),
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "img-src blob: data:; connect-src 'self'");
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

TEST(ServeCli, BadFlagsAndModel) {
  const testing::CommandResult no_model =
      testing::Fruits("serve --model /nonexistent.onnx --port 0");
  EXPECT_EQ(no_model.exit_code, 2) << no_model.err;
  const testing::CommandResult bad_body = testing::Fruits(
      "serve --model " + ShellQuote(FRUITS_APP_MODEL) + " --port 0 --max-body 10XB");
  EXPECT_EQ(bad_body.exit_code, 2) << bad_body.err;
  testing::ExpectContains(bad_body.err, "--max-body");
  const testing::CommandResult bad_batch = testing::Fruits(
      "serve --model " + ShellQuote(FRUITS_APP_MODEL) + " --port 0 --batch-size 100000");
  EXPECT_EQ(bad_batch.exit_code, 2) << bad_batch.err;
  testing::ExpectContains(bad_batch.err, "--batch-size");
}

TEST(ServeCli, TwoThousandRequestsFromSixteenClients) {
  const std::vector<std::string> images = TestImages();
  std::vector<std::string> bodies;
  for (const std::string& image : images) bodies.push_back(testing::ReadFile(image));
  FruitsServer server(ServeArgs({"--http-threads", "16"}));
  ASSERT_GT(server.port(), 0);
  constexpr int kClients = 16;
  constexpr int kPerClient = 125;
  std::atomic<int> ok{0};
  std::mutex failures_mutex;
  std::map<std::string, int> failures;  // what came back instead of a 200, and how often
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = Client(server);
      for (int i = 0; i < kPerClient; ++i) {
        const std::string& body = bodies[static_cast<size_t>(c + i) % bodies.size()];
        const httplib::Result res = client->Post("/v1/classify", body, "image/jpeg");
        if (StatusOf(res) == 200) {
          ++ok;
          continue;
        }
        const std::lock_guard<std::mutex> lock(failures_mutex);
        ++failures[res ? std::to_string(res->status) + " " + res->body : to_string(res.error())];
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(ok.load(), kClients * kPerClient);
  for (const auto& [failure, count] : failures) ADD_FAILURE() << count << " x " << failure;
  const std::string metrics = Metrics(server);
  EXPECT_EQ(Count(metrics, 200), kClients * kPerClient);
  EXPECT_EQ(Sample(metrics, "fruits_images_classified_total"), kClients * kPerClient);
  EXPECT_EQ(Sample(metrics, "fruits_batch_size_sum"), kClients * kPerClient);
  EXPECT_EQ(Sample(metrics, "fruits_classify_request_duration_seconds_count"),
            kClients * kPerClient);
  EXPECT_EQ(Sample(metrics, "fruits_classify_requests_in_flight"), 0);
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

// A PNG whose header declares 60000 x 60000 pixels (and no pixel data).
std::string HugePngHeader() {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  const auto u32 = [](std::string& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
  };
  std::string chunk = "IHDR";
  u32(chunk, 60000);
  u32(chunk, 60000);
  chunk += std::string("\x08\x02\x00\x00\x00", 5);
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : chunk) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  u32(png, 13);
  png += chunk;
  u32(png, crc ^ 0xffffffffu);
  return png;
}

TEST(ServeCli, HostileCorpusNeitherCrashesNorLeaks) {
  const std::vector<std::string> images = TestImages();
  const std::string jpeg = testing::ReadFile(images[0]);
  std::mt19937 random(7);
  std::string noise(5000, '\0');
  for (char& c : noise) c = static_cast<char>(random() & 0xff);
  const std::string half_body =
      "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
      "Content-Length: 100000\r\n\r\n" +
      jpeg.substr(0, 100);

  FruitsServer server(ServeArgs({"--max-body", "1MiB"}));
  ASSERT_GT(server.port(), 0);
  auto client = Client(server);
  std::map<int, int> sent;  // status -> requests
  const auto round = [&] {
    const auto post = [&](const std::string& body, const std::string& type, int expected) {
      const int status = StatusOf(client->Post("/v1/classify", body, type.c_str()));
      EXPECT_EQ(status, expected) << type << " " << body.size() << " bytes";
      ++sent[status];
    };
    post(jpeg.substr(0, 30), "image/jpeg", 400);  // truncated inside its header
    post(noise, "image/jpeg", 400);               // random bytes
    post(noise, "image/png", 400);
    post(HugePngHeader(), "image/png", 400);  // 3.6 gigapixels declared
    post(jpeg, "text/plain", 415);            // a real image, the wrong type
    post(jpeg, "application/octet-stream", 415);
    post("", "image/jpeg", 400);  // empty body
    post(std::string((1 << 20) + 1000, 'z'), "image/png", 413);
    // The body stops half way: the server reads to the end of the connection, answers 400 (to
    // nobody) and counts it.
    SendAndClose(server.port(), half_body);
    ++sent[400];
    post(jpeg, "image/jpeg", 200);  // still serving
  };
  for (int i = 0; i < 5; ++i) round();  // warm-up: allocator pools, thread stacks
  const int64_t before = RssKib(server.pid());
  for (int i = 0; i < 50; ++i) round();
  const int64_t after = RssKib(server.pid());
  EXPECT_LT(after - before, 20 * 1024) << before << " KiB -> " << after << " KiB";

  // The last cut body may still be on its way to its 400; every other answer was counted
  // before the client saw it. /metrics answers count as 200s, each after its own exposition.
  std::string metrics;
  int metrics_calls = 0;
  ASSERT_TRUE(WaitUntil([&] {
    metrics = Metrics(server);
    return Count(metrics, 400) == sent[400] && Count(metrics, 200) == sent[200] + metrics_calls++;
  })) << metrics;
  for (const auto& [status, count] : sent) {
    if (status != 200) {
      EXPECT_EQ(Count(metrics, status), count) << status;
    }
  }
  EXPECT_EQ(Sample(metrics, "fruits_images_classified_total"), sent[200]);
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

// SIGTERM while a request's body is half sent: the server stops accepting, reads the rest,
// answers 200 and exits 0. The in-flight gauge says the request reached its handler; refused
// connections say the stop has begun.
TEST(ServeCli, SigtermFinishesTheRequestInFlight) {
  const std::string jpeg = testing::ReadFile(TestImages()[0]);
  FruitsServer server(ServeArgs());
  ASSERT_GT(server.port(), 0);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string head =
      "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
      "Content-Length: " +
      std::to_string(jpeg.size()) + "\r\n\r\n";
  const size_t half = jpeg.size() / 2;
  const std::string first = head + jpeg.substr(0, half);
  ASSERT_EQ(::send(fd, first.data(), first.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(first.size()));
  ASSERT_TRUE(WaitUntil(
      [&] { return Sample(Metrics(server), "fruits_classify_requests_in_flight") == 1; }));

  ::kill(server.pid(), SIGTERM);
  ASSERT_TRUE(WaitUntil([&] { return StatusOf(Client(server)->Get("/healthz")) == -1; }));
  const std::string rest = jpeg.substr(half);
  ASSERT_EQ(::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL), static_cast<ssize_t>(rest.size()));
  std::string answer;
  char buffer[4096];
  ssize_t n = 0;
  while (answer.find("\r\n\r\n") == std::string::npos &&
         (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
    answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 200") << answer;
  EXPECT_EQ(server.Wait(), 0) << server.log();
}

TEST(ServeCli, SigintOnAnIdleServerExitsZero) {
  FruitsServer server(ServeArgs());
  ASSERT_GT(server.port(), 0);
  ::kill(server.pid(), SIGINT);
  EXPECT_EQ(server.Wait(), 0) << server.log();
}

}  // namespace
}  // namespace fruits
