// SHA-256 against the FIPS 180-4 examples and coreutils' sha256sum.

#include "util/sha256.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // An empty view with no data at all (an empty request body): UBSan caught memcpy(.., null, 0).
  EXPECT_EQ(Sha256Hex(std::string_view()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, PiecesGiveTheDigestOfTheWholeAndMatchSha256sum) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>((i * 131) % 251);
  Sha256 pieces;
  for (size_t at = 0, step = 1; at < data.size(); at += step, step = step * 3 % 1000 + 1) {
    pieces.Update(std::string_view(data).substr(at, step));
  }
  testing::TempDir dir;
  std::ofstream(dir.File("data"), std::ios::binary) << data;
  auto r = testing::RunCommand("sha256sum " + testing::ShellQuote(dir.File("data")));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(pieces.HexDigest(), r.out.substr(0, 64));
}

}  // namespace
}  // namespace fruits
