// What S3's error answers become for the user: each usual cause with its hint, from answers
// shaped as AWS documents them (no S3 here can answer a wrong region or an expired token).
#include "storage/s3/s3_error.h"

#include <gtest/gtest.h>

#include "support/text_assertions.h"

namespace fruits::storage {
namespace {

using testing::Contains;
using testing::Lacks;

HttpResponse Answer(long status, const std::string& code, const std::string& extra = "") {
  HttpResponse response;
  response.status = status;
  response.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                  "</Code><Message>m</Message>" + extra + "</Error>";
  return response;
}

const S3Location kImage{"fruits-360", "Training/Banana/0_100.jpg"};
const S3Caller kCaller{.region = "eu-west-3",
                       .endpoint = "AWS eu-west-3",
                       .access_key_id = "AKIAEXAMPLE",
                       .credentials_source = "environment"};

TEST(S3ErrorTest, BucketInAnotherRegionNamesItAndTheVariable) {
  HttpResponse moved;
  moved.status = 301;
  moved.headers["x-amz-bucket-region"] = "us-east-1";
  std::string text = DescribeS3Error(moved, kImage, kCaller);
  EXPECT_TRUE(Contains(text, "S3 answered 301"));
  EXPECT_TRUE(Contains(text, "bucket 'fruits-360' is in region us-east-1, not eu-west-3"));
  EXPECT_TRUE(Contains(text, "AWS_REGION=us-east-1"));

  text = DescribeS3Error(Answer(400, "AuthorizationHeaderMalformed", "<Region>ap-south-1</Region>"),
                         kImage, kCaller);
  EXPECT_TRUE(Contains(text, "is in region ap-south-1"));
}

TEST(S3ErrorTest, CredentialProblemsNameTheKeyIdAndItsSource) {
  std::string text = DescribeS3Error(Answer(403, "SignatureDoesNotMatch"), kImage, kCaller);
  EXPECT_TRUE(Contains(text, "403 SignatureDoesNotMatch (m)"));
  EXPECT_TRUE(Contains(text, "does not match access key id AKIAEXAMPLE (from environment)"));
  EXPECT_TRUE(Contains(DescribeS3Error(Answer(403, "InvalidAccessKeyId"), kImage, kCaller),
                       "S3 does not know access key id AKIAEXAMPLE"));
  EXPECT_TRUE(Contains(DescribeS3Error(Answer(400, "ExpiredToken"), kImage, kCaller),
                       "has expired or is invalid: get new credentials"));
  EXPECT_TRUE(Contains(DescribeS3Error(Answer(403, "RequestTimeTooSkewed"), kImage, kCaller),
                       "clock is more than 15 minutes off"));
  text = DescribeS3Error(Answer(403, "AccessDenied"), kImage, kCaller);
  EXPECT_TRUE(Contains(text, "s3:ListBucket"));
  EXPECT_TRUE(Lacks(text, "secret"));
}

TEST(S3ErrorTest, MissingBucketOrKeyAndBodylessAnswers) {
  EXPECT_TRUE(Contains(DescribeS3Error(Answer(404, "NoSuchBucket"), kImage, kCaller),
                       "bucket 'fruits-360' does not exist at AWS eu-west-3"));
  EXPECT_TRUE(Contains(DescribeS3Error(Answer(404, "NoSuchKey"), kImage, kCaller),
                       "no object s3://fruits-360/Training/Banana/0_100.jpg"));
  HttpResponse head;  // HEAD answers have no body
  head.status = 404;
  EXPECT_EQ(S3ErrorCode(head), "");
  EXPECT_TRUE(Contains(DescribeS3Error(head, kImage, kCaller), "no object s3://fruits-360/"));
  head.status = 500;
  EXPECT_EQ(DescribeS3Error(head, kImage, kCaller), "S3 answered 500");
}

}  // namespace
}  // namespace fruits::storage
