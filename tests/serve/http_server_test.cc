// The HTTP server in-process, on loopback, with a fake engine the test holds and releases:
// answers, every error status, the 503 of a full queue and a stop with a request in flight,
// decided by synchronisation (the engine's gate, the batcher's queue), not by timing.
#include "serve/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/bmp.h"
#include "serve/gated_engine.h"
#include "serve/web_page.h"
#include "util/error.h"

namespace fruits::serve {
namespace {

using nlohmann::json;
using testing::GatedEngine;
using testing::SolidBmp;
using testing::WaitUntil;

ServedModel FakeModel() {
  app::AppModelInfo info;
  info.name = "fake.onnx";
  info.sha256 = "0123abcd";
  info.labels = {"apple", "banana", "cherry"};
  info.height = 4;
  info.width = 4;
  info.input_type = "uint8";
  info.fruits_version = "0.1.0";
  info.accuracy = 0.75;
  image::PreprocessOptions options{
      .width = 4, .height = 4, .normalization = image::Normalization::kNone, .channels_last = true};
  return {info, image::Preprocessor(options), "fake"};
}

class HttpServerTest : public ::testing::Test {
 protected:
  // gated: the engine holds every batch until the test opens it.
  void Start(int64_t batch_size = 4, int64_t queue = 64, HttpOptions http = {},
             bool gated = false) {
    engine_.set_outputs(3);
    if (!gated) engine_.Open();
    batcher_ = std::make_unique<Batcher>(BatcherOptions{.image_shape = {4, 4, 3},
                                                        .batch_size = batch_size,
                                                        .queue_capacity = queue,
                                                        .workers = 1,
                                                        .window = std::chrono::microseconds(0)},
                                         [this](const model::Tensor& batch) {
                                           model::Tensor out = engine_(batch);
                                           metrics_.CountBatch(batch.dim(0));
                                           return out;
                                         });
    server_ = std::make_unique<HttpServer>(model_, *batcher_, metrics_, http);
    port_ = server_->Bind("127.0.0.1", 0);
    serving_ = std::thread([this] { server_->Serve(); });
  }
  void TearDown() override {
    engine_.Open();
    if (server_) {
      server_->Stop();
      serving_.join();
    }
  }

  std::unique_ptr<httplib::Client> Client() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client->set_read_timeout(std::chrono::seconds(60));
    return client;
  }
  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& type) const {
    return Client()->Post(path.c_str(), body, type.c_str());
  }

  const ServedModel model_ = FakeModel();
  GatedEngine engine_;
  ServerMetrics metrics_;
  std::unique_ptr<Batcher> batcher_;
  std::unique_ptr<HttpServer> server_;
  std::thread serving_;
  int port_ = 0;
};

// The status of an answer, -1 when none came.
int StatusOf(const httplib::Result& res) { return res ? res->status : -1; }

// The JSON of an error answer; fails the test when it is not one.
std::string ErrorOf(const httplib::Result& res) {
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const json body = json::parse(res->body);
  EXPECT_EQ(body.size(), 1u) << res->body;
  return body.at("error").get<std::string>();
}

void ExpectSolidTop(const json& body, size_t count) {
  EXPECT_EQ(body.at("model"), (json{{"name", "fake.onnx"}, {"sha256", "0123abcd"}}));
  // The fake engine's row for a pixel value of 10: 10, 11, 12 (the label index added).
  const json expected = json::array({{{"label", "cherry"}, {"index", 2}, {"probability", 12.0}},
                                     {{"label", "banana"}, {"index", 1}, {"probability", 11.0}},
                                     {{"label", "apple"}, {"index", 0}, {"probability", 10.0}}});
  ASSERT_EQ(body.at("top").size(), count);
  for (size_t i = 0; i < count; ++i) EXPECT_EQ(body["top"][i], expected[i]);
  EXPECT_GE(body.at("ms").get<double>(), 0.0);
  EXPECT_EQ(body.size(), 3u);
}

TEST_F(HttpServerTest, ClassifiesARawImage) {
  Start();
  const httplib::Result res = Post("/v1/classify", SolidBmp(6, 5, 10, 20, 30), "image/bmp");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  ExpectSolidTop(json::parse(res->body), 3);
}

TEST_F(HttpServerTest, ClassifiesAMultipartForm) {
  Start();
  const httplib::MultipartFormDataItems items = {
      {"note", "not the image", "", ""},
      {"image", SolidBmp(3, 7, 10, 0, 0), "fruit.bmp", "image/bmp"},
  };
  const httplib::Result res = Client()->Post("/v1/classify", items);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  ExpectSolidTop(json::parse(res->body), 3);

  const httplib::Result without =
      Client()->Post("/v1/classify", httplib::MultipartFormDataItems{{"file", "x", "x.bmp", ""}});
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 400);
  EXPECT_NE(ErrorOf(without).find("no field named 'image'"), std::string::npos);
}

TEST_F(HttpServerTest, TopParameter) {
  Start();
  const std::string bmp = SolidBmp(4, 4, 10, 10, 10);
  const httplib::Result one = Post("/v1/classify?top=1", bmp, "image/bmp");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->status, 200) << one->body;
  ExpectSolidTop(json::parse(one->body), 1);
  for (const char* bad : {"0", "4", "x", "-1", "2x"}) {
    const httplib::Result res = Post(std::string("/v1/classify?top=") + bad, bmp, "image/bmp");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << bad;
    EXPECT_NE(ErrorOf(res).find("?top="), std::string::npos);
  }
}

TEST_F(HttpServerTest, ErrorsAreJsonWithTheirStatus) {
  HttpOptions http;
  http.max_body = 1000;
  Start(4, 64, http);
  const httplib::Result garbage = Post("/v1/classify", "not an image at all", "image/jpeg");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_NE(ErrorOf(garbage).find("could not be decoded"), std::string::npos);

  const httplib::Result empty = Post("/v1/classify", "", "image/png");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);

  const httplib::Result text = Post("/v1/classify", "hello", "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415);
  EXPECT_NE(ErrorOf(text).find("text/plain"), std::string::npos);

  const httplib::Result big = Post("/v1/classify", std::string(5000, 'x'), "image/png");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(ErrorOf(big).find("1000 bytes"), std::string::npos);

  // Chunked: no declared length, the server counts (and drains up to twice the limit, so the
  // client can read the answer).
  const httplib::Result chunked = Client()->Post(
      "/v1/classify",
      [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 1500) {
          sink.done();
          return true;
        }
        const std::string chunk(500, 'y');
        return sink.write(chunk.data(), chunk.size());
      },
      "image/png");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 413);

  const httplib::Result missing = Client()->Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(ErrorOf(missing).find("/nope"), std::string::npos);

  const httplib::Result get_classify = Client()->Get("/v1/classify");
  ASSERT_TRUE(get_classify);
  EXPECT_EQ(get_classify->status, 405);
  EXPECT_EQ(get_classify->get_header_value("Allow"), "POST");
  ErrorOf(get_classify);

  const httplib::Result post_health = Post("/healthz", "x", "text/plain");
  ASSERT_TRUE(post_health);
  EXPECT_EQ(post_health->status, 405);
  EXPECT_EQ(post_health->get_header_value("Allow"), "GET");

  // Still serving.
  const httplib::Result after = Post("/v1/classify", SolidBmp(4, 4, 10, 1, 1), "image/bmp");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, PageModelHealth) {
  Start();
  const httplib::Result page = Client()->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, std::string(WebPage()));
  EXPECT_NE(page->body.find("<html"), std::string::npos);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->get_header_value("Content-Security-Policy"),
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "img-src blob: data:; connect-src 'self'");

  const httplib::Result health = Client()->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body), (json{{"status", "ok"}}));

  const httplib::Result model = Client()->Get("/v1/model");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->status, 200);
  const json expected = {
      {"name", "fake.onnx"},
      {"sha256", "0123abcd"},
      {"labels", {"apple", "banana", "cherry"}},
      {"input",
       {{"height", 4}, {"width", 4}, {"type", "uint8"}, {"layout", "NHWC"}, {"resize", "bicubic"}}},
      {"accuracy", 0.75},
      {"fruits_version", "0.1.0"},
      {"backend", "fake"}};
  EXPECT_EQ(json::parse(model->body), expected);
}

// With one engine busy and the one queue place taken, the next request is refused at once.
TEST_F(HttpServerTest, AFullQueueAnswers503) {
  Start(/*batch_size=*/1, /*queue=*/1, {}, /*gated=*/true);
  const std::string bmp = SolidBmp(4, 4, 10, 10, 10);
  int first = 0;
  int second = 0;
  std::thread a([&] { first = StatusOf(Post("/v1/classify", bmp, "image/bmp")); });
  ASSERT_TRUE(engine_.WaitForCalls(1));
  std::thread b([&] { second = StatusOf(Post("/v1/classify", bmp, "image/bmp")); });
  ASSERT_TRUE(WaitUntil([&] { return batcher_->queued() == 1; }));

  const httplib::Result refused = Post("/v1/classify", bmp, "image/bmp");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(ErrorOf(refused).find("busy"), std::string::npos);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");

  engine_.Open();
  a.join();
  b.join();
  EXPECT_EQ(first, 200);
  EXPECT_EQ(second, 200);

  // Every answer is counted before a client can see it.
  const std::string metrics = Client()->Get("/metrics")->body;
  EXPECT_NE(metrics.find("fruits_http_requests_total{code=\"200\"} 2\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("fruits_http_requests_total{code=\"503\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("fruits_images_classified_total 2\n"), std::string::npos);
  EXPECT_NE(metrics.find("fruits_classify_requests_in_flight 0\n"), std::string::npos);
  EXPECT_NE(metrics.find("fruits_classify_request_duration_seconds_count 3\n"), std::string::npos);
}

// Stop() while a request waits for the engine: no new connections, the request still answered.
TEST_F(HttpServerTest, StopAnswersTheRequestInFlight) {
  Start(4, 64, {}, /*gated=*/true);
  int answer = 0;
  std::thread client(
      [&] { answer = StatusOf(Post("/v1/classify", SolidBmp(4, 4, 10, 10, 10), "image/bmp")); });
  ASSERT_TRUE(engine_.WaitForCalls(1));
  server_->Stop();
  EXPECT_FALSE(Client()->Get("/healthz"));  // the listening socket is closed
  engine_.Open();
  client.join();
  EXPECT_EQ(answer, 200);
  serving_.join();
  server_.reset();
}

TEST_F(HttpServerTest, APortInUseIsRefused) {
  Start();
  HttpServer second(model_, *batcher_, metrics_, {});
  EXPECT_THROW(second.Bind("127.0.0.1", port_), UsageError);
}

}  // namespace
}  // namespace fruits::serve
