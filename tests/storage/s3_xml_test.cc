// S3's XML answers parsed without a network: the documents S3 sends, and bytes that are not them.
#include "storage/s3/s3_xml.h"

#include <gtest/gtest.h>

namespace fruits::storage {
namespace {

TEST(S3Xml, ListObjectsV2Page) {
  Result<ListObjectsPage> page = ParseListObjectsV2(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>images/</Prefix><KeyCount>2</KeyCount>
  <IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents><Key>images/a b+é.jpg</Key><Size>12345</Size></Contents>
  <Contents><Key>images/big.parquet</Key><Size>6000000000</Size></Contents>
</ListBucketResult>)");
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page.value().objects.size(), 2u);
  EXPECT_EQ(page.value().objects[0].key, "images/a b+é.jpg");
  EXPECT_EQ(page.value().objects[0].size, 12345u);
  EXPECT_EQ(page.value().objects[1].size, 6000000000u);
  EXPECT_TRUE(page.value().is_truncated);
  EXPECT_EQ(page.value().next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

  Result<ListObjectsPage> empty =
      ParseListObjectsV2("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.value().objects.empty());
  EXPECT_FALSE(empty.value().is_truncated);

  for (const char* bad : {"", "not xml", "<Error><Code>NoSuchBucket</Code></Error>",
                          "<ListBucketResult><Contents>"}) {
    EXPECT_FALSE(ParseListObjectsV2(bad).ok()) << bad;
  }
}

TEST(S3Xml, ErrorBody) {
  Result<S3ErrorBody> error = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>AuthorizationHeaderMalformed</Code>"
      "<Message>the region is wrong</Message><Region>eu-west-1</Region></Error>");
  ASSERT_TRUE(error.ok()) << error.error();
  EXPECT_EQ(error.value().code, "AuthorizationHeaderMalformed");
  EXPECT_EQ(error.value().message, "the region is wrong");
  EXPECT_EQ(error.value().region, "eu-west-1");
  for (const char* bad : {"", "<html>503</html>", "<Error><Code>"}) {
    EXPECT_FALSE(ParseS3Error(bad).ok()) << bad;
  }
}

TEST(S3Xml, InitiateMultipartUpload) {
  Result<std::string> id = ParseInitiateMultipartUpload(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id.value(), "VXBsb2FkIElE");
  EXPECT_FALSE(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>").ok());
  EXPECT_FALSE(ParseInitiateMultipartUpload("garbage").ok());
}

TEST(S3Xml, CompleteMultipartUploadSuccessOrErrorInA200) {
  // S3 keeps a slow completion's connection open with spaces before the document.
  Result<std::string> done = ParseCompleteMultipartUpload(
      "    \n<?xml version=\"1.0\"?><CompleteMultipartUploadResult><ETag>\"3858f6-2\"</ETag>"
      "</CompleteMultipartUploadResult>");
  ASSERT_TRUE(done.ok()) << done.error();
  EXPECT_EQ(done.value(), "\"3858f6-2\"");
  Result<std::string> failed = ParseCompleteMultipartUpload(
      "    <Error><Code>InternalError</Code><Message>try again</Message></Error>");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), "S3 reported InternalError (try again)");
  EXPECT_FALSE(ParseCompleteMultipartUpload("<Complete").ok());
}

}  // namespace
}  // namespace fruits::storage
