#include "serve/upload.h"

#include <gtest/gtest.h>

#include "serve/byte_size.h"

namespace fruits::serve {
namespace {

TEST(UploadTest, ImageTypesCaseAndParametersIgnored) {
  EXPECT_EQ(UploadKindOf("image/jpeg"), UploadKind::kImage);
  EXPECT_EQ(UploadKindOf("image/png"), UploadKind::kImage);
  EXPECT_EQ(UploadKindOf("image/webp"), UploadKind::kImage);
  EXPECT_EQ(UploadKindOf("image/bmp"), UploadKind::kImage);
  EXPECT_EQ(UploadKindOf(" Image/JPEG ; q=1"), UploadKind::kImage);
  EXPECT_EQ(UploadKindOf("multipart/form-data; boundary=xyz"), UploadKind::kMultipart);
}

TEST(UploadTest, EverythingElseIsUnsupported) {
  for (const char* type : {"", "text/plain", "application/octet-stream", "image/gif", "image/jpegx",
                           "application/x-www-form-urlencoded", "image"}) {
    EXPECT_EQ(UploadKindOf(type), UploadKind::kUnsupported) << type;
  }
  EXPECT_NE(UnsupportedUploadMessage("Text/Plain; charset=utf-8").find("text/plain"),
            std::string::npos);
  EXPECT_NE(UnsupportedUploadMessage("").find("no Content-Type"), std::string::npos);
}

TEST(ByteSizeTest, NumbersAndUnits) {
  EXPECT_EQ(ParseByteSize("0").value(), 0u);
  EXPECT_EQ(ParseByteSize("1234").value(), 1234u);
  EXPECT_EQ(ParseByteSize("10MiB").value(), 10u << 20);
  EXPECT_EQ(ParseByteSize("10 mib").value(), 10u << 20);
  EXPECT_EQ(ParseByteSize("512KiB").value(), 512u << 10);
  EXPECT_EQ(ParseByteSize("2GiB").value(), uint64_t{2} << 30);
  EXPECT_EQ(ParseByteSize("3kB").value(), 3000u);
  EXPECT_EQ(ParseByteSize("2MB").value(), 2000000u);
  EXPECT_EQ(ParseByteSize("7b").value(), 7u);
}

TEST(ByteSizeTest, RefusesWhatIsNotASize) {
  for (const char* text : {"", "MiB", "-1", "1.5MiB", "10 MiBs", "10XB", "99999999999GiB"}) {
    const Result<uint64_t> size = ParseByteSize(text);
    ASSERT_FALSE(size.ok()) << text;
    EXPECT_NE(size.error().find("10MiB"), std::string::npos) << size.error();
  }
}

}  // namespace
}  // namespace fruits::serve
