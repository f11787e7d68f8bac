// SigV4 against the examples AWS documents for S3 (header-based authentication, the example
// credentials AKIAIOSFODNN7EXAMPLE), whose signatures AWS publishes.
#include "storage/s3/sigv4_signer.h"

#include <gtest/gtest.h>

#include <ctime>

#include "util/sha256.h"

namespace fruits::storage {
namespace {

const SigningCredentials kExampleKeys{"AKIAIOSFODNN7EXAMPLE",
                                      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::chrono::system_clock::time_point May24th2013() {
  std::tm utc{};
  utc.tm_year = 2013 - 1900;
  utc.tm_mon = 4;
  utc.tm_mday = 24;
  return std::chrono::system_clock::from_time_t(timegm(&utc));
}

std::string HeaderValue(const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

// One of AWS's examples: a request to examplebucket, signed on 2013-05-24 in us-east-1.
SignableRequest Example(std::string method, std::string encoded_path,
                        std::vector<std::pair<std::string, std::string>> query = {},
                        std::vector<std::pair<std::string, std::string>> headers = {},
                        std::string payload_sha256 = kEmptySha256) {
  return {.method = std::move(method),
          .host = "examplebucket.s3.amazonaws.com",
          .encoded_path = std::move(encoded_path),
          .query = std::move(query),
          .headers = std::move(headers),
          .payload_sha256 = std::move(payload_sha256)};
}

// The Authorization header AWS publishes for an example, from its signed headers and signature.
std::string Published(const std::string& signed_headers, const std::string& signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
         "SignedHeaders=" +
         signed_headers + ", Signature=" + signature;
}

std::vector<std::pair<std::string, std::string>> Sign(const SignableRequest& request) {
  return SignV4(request, kExampleKeys, "us-east-1", "s3", May24th2013());
}

TEST(SigV4SignerTest, GetObjectWithRangeMatchesAwsExample) {
  auto headers = Sign(Example("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}));
  EXPECT_EQ(HeaderValue(headers, "Authorization"),
            Published("host;range;x-amz-content-sha256;x-amz-date",
                      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
  EXPECT_EQ(HeaderValue(headers, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(HeaderValue(headers, "x-amz-content-sha256"), kEmptySha256);
}

TEST(SigV4SignerTest, PutObjectMatchesAwsExample) {
  std::string path = "/";
  path += UriEncode("test$file.text", true);
  const std::string body_sha256 = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(body_sha256, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto headers = Sign(Example(
      "PUT", path, {},
      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      body_sha256));
  EXPECT_EQ(HeaderValue(headers, "Authorization"),
            Published("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
}

TEST(SigV4SignerTest, ValuelessQueryParameterMatchesAwsExample) {
  auto headers = Sign(Example("GET", "/", {{"lifecycle", ""}}));
  EXPECT_EQ(HeaderValue(headers, "Authorization"),
            Published("host;x-amz-content-sha256;x-amz-date",
                      "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
}

TEST(SigV4SignerTest, ListObjectsQueryIsSortedAndMatchesAwsExample) {
  auto headers = Sign(Example("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}));
  EXPECT_EQ(HeaderValue(headers, "Authorization"),
            Published("host;x-amz-content-sha256;x-amz-date",
                      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
}

TEST(SigV4SignerTest, SessionTokenIsSignedAndSecretNeverSent) {
  SigningCredentials keys = kExampleKeys;
  keys.session_token = "TOKEN/with+chars";
  SignableRequest request{
      .method = "GET", .host = "h", .encoded_path = "/k", .payload_sha256 = kEmptySha256};
  auto headers = SignV4(request, keys, "eu-west-3", "s3", May24th2013());
  EXPECT_EQ(HeaderValue(headers, "x-amz-security-token"), "TOKEN/with+chars");
  EXPECT_NE(HeaderValue(headers, "Authorization").find("x-amz-security-token"), std::string::npos);
  for (const auto& [name, value] : headers) {
    EXPECT_EQ(value.find(keys.secret_access_key), std::string::npos) << name;
  }
}

TEST(SigV4SignerTest, EncodesKeysAndQueryAsS3Expects) {
  EXPECT_EQ(UriEncode("Training/Apple Red 1/0_100.jpg", true),
            "Training/Apple%20Red%201/0_100.jpg");
  EXPECT_EQ(UriEncode("a+b=c&d~e", false), "a%2Bb%3Dc%26d~e");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(UriEncode("\xc3\xa9", true), "%C3%A9");
  EXPECT_EQ(CanonicalQueryString({{"uploadId", "x y"}, {"partNumber", "2"}, {"uploads", ""}}),
            "partNumber=2&uploadId=x%20y&uploads=");
}

}  // namespace
}  // namespace fruits::storage
