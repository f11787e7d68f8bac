#include "util/base64.h"

#include <gtest/gtest.h>

#include "util/sha256.h"

namespace fruits {
namespace {

// RFC 4648 section 10's test vectors: every padding case.
TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, EveryByteValueAndBothHighAlphabetCharacters) {
  EXPECT_EQ(Base64Encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(Base64Encode(std::string("\0\0\0", 3)), "AAAA");
}

// The form a Content-Security-Policy hash takes: base64 of the raw digest (the value of
// `printf abc | openssl dgst -sha256 -binary | base64`).
TEST(Base64, Sha256DigestOfAbc) {
  Sha256 hash;
  hash.Update("abc");
  EXPECT_EQ(Base64Encode(hash.Digest()), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

}  // namespace
}  // namespace fruits
