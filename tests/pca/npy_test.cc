#include "pca/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>

#include "support/read_file.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::pca {
namespace {

using fruits::testing::RunCommand;
using fruits::testing::ShellQuote;
using fruits::testing::TempDir;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// What we write, for numpy to read.
NpyArray Matrix() {
  NpyArray array{{3, 4}, {}};
  for (int i = 0; i < 12; ++i) array.values.push_back(i * 0.1 - 0.5);
  array.values[5] = std::numeric_limits<double>::denorm_min();
  array.values[6] = -0.0;
  array.values[7] = 1e300;
  return array;
}
NpyArray Vector() { return {{5}, {1, 2, 3, 4, 5.5}}; }
NpyArray Empty() { return {{0, 7}, {}}; }

// numpy, once for the suite: it loads what we wrote, prints dtype and shape and writes the
// values back raw; and it writes the files our reader gets.
constexpr char kNumpyScript[] = R"(
import sys, numpy as np
d = sys.argv[1]
for name in ["matrix", "vector", "empty"]:
    a = np.load(d + "/ours_" + name + ".npy")
    print(name, a.dtype.str, a.shape, a.flags["C_CONTIGUOUS"])
    a.astype("<f8").tofile(d + "/back_" + name + ".f64")
m = np.arange(12, dtype=np.float64).reshape(3, 4) / 7 - 0.25
np.save(d + "/numpy_f8.npy", m)
np.save(d + "/numpy_f4.npy", m.astype(np.float32))
np.save(d + "/numpy_vector.npy", np.array([1.5, -2.5]))
np.save(d + "/numpy_scalar.npy", np.float64(3.25))
with open(d + "/numpy_v2.npy", "wb") as f:
    np.lib.format.write_array(f, m, version=(2, 0))
np.save(d + "/numpy_fortran.npy", np.asfortranarray(m))
np.save(d + "/numpy_big_endian.npy", m.astype(">f8"))
np.save(d + "/numpy_int.npy", np.arange(4))
)";

class NpyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    WriteFile(dir_->File("ours_matrix.npy"), EncodeNpy(Matrix()));
    WriteFile(dir_->File("ours_vector.npy"), EncodeNpy(Vector()));
    WriteFile(dir_->File("ours_empty.npy"), EncodeNpy(Empty()));
    numpy_ =
        new testing::CommandResult(RunCommand("/usr/bin/python3 -c " + ShellQuote(kNumpyScript) +
                                              " " + ShellQuote(dir_->path().string())));
  }
  static void TearDownTestSuite() {
    delete numpy_;
    delete dir_;
  }
  void SetUp() override { ASSERT_EQ(numpy_->exit_code, 0) << numpy_->err; }

  static NpyArray DecodeFile(const std::string& name) {
    return DecodeNpy(testing::ReadFile(dir_->File(name)), name);
  }

  static TempDir* dir_;
  static testing::CommandResult* numpy_;
};

TempDir* NpyTest::dir_ = nullptr;
testing::CommandResult* NpyTest::numpy_ = nullptr;

std::string Hex(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%a", value);
  return text;
}

TEST_F(NpyTest, NumpyReadsWhatWeWrite) {
  EXPECT_NE(numpy_->out.find("matrix <f8 (3, 4) True\n"), std::string::npos) << numpy_->out;
  EXPECT_NE(numpy_->out.find("vector <f8 (5,) True\n"), std::string::npos) << numpy_->out;
  EXPECT_NE(numpy_->out.find("empty <f8 (0, 7) True\n"), std::string::npos) << numpy_->out;
  for (const auto& [name, array] : {std::pair{"matrix", Matrix()}, std::pair{"vector", Vector()}}) {
    const std::string back = testing::ReadFile(dir_->File(std::string("back_") + name + ".f64"));
    ASSERT_EQ(back.size(), array.values.size() * 8) << name;
    for (size_t i = 0; i < array.values.size(); ++i) {
      double value;
      std::memcpy(&value, back.data() + 8 * i, 8);
      EXPECT_EQ(Hex(value), Hex(array.values[i])) << name << " " << i;
    }
  }
}

TEST(Npy, HeaderIsPaddedToSixtyFourBytes) {
  for (const NpyArray& array : {Matrix(), Vector(), Empty(), NpyArray{{123456789, 1}, {}}}) {
    const std::string bytes = EncodeNpy(array);
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    const size_t header_length = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9])
                                                                      << 8;
    const size_t data_start = 10 + header_length;
    EXPECT_EQ(data_start % 64, 0u);
    EXPECT_EQ(bytes[data_start - 1], '\n');
    EXPECT_EQ(bytes.substr(10, 39), "{'descr': '<f8', 'fortran_order': False");
    if (array.values.size() > 0 || array.shape[0] == 0) {
      EXPECT_EQ(bytes.size(), data_start + 8 * array.values.size());
    }
  }
}

TEST(Npy, RoundTripIsExact) {
  NpyArray array = Matrix();
  array.values[0] = std::numeric_limits<double>::infinity();
  array.values[1] = std::numeric_limits<double>::quiet_NaN();
  const NpyArray back = DecodeNpy(EncodeNpy(array), "matrix.npy");
  EXPECT_EQ(back.shape, array.shape);
  ASSERT_EQ(back.values.size(), array.values.size());
  EXPECT_TRUE(std::isnan(back.values[1]));
  for (size_t i = 0; i < array.values.size(); ++i) {
    if (i == 1) continue;
    EXPECT_EQ(Hex(back.values[i]), Hex(array.values[i])) << i;
  }
  EXPECT_EQ(DecodeNpy(EncodeNpy(Empty()), "empty.npy").shape, Empty().shape);
}

TEST_F(NpyTest, ReadsWhatNumpyWrites) {
  std::vector<double> expected;
  for (int i = 0; i < 12; ++i) expected.push_back(i / 7.0 - 0.25);

  const NpyArray f8 = DecodeFile("numpy_f8.npy");
  EXPECT_EQ(f8.shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(f8.values, expected);

  const NpyArray v2 = DecodeFile("numpy_v2.npy");
  EXPECT_EQ(v2.shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(v2.values, expected);

  const NpyArray f4 = DecodeFile("numpy_f4.npy");
  EXPECT_EQ(f4.shape, (std::vector<int64_t>{3, 4}));
  ASSERT_EQ(f4.values.size(), 12u);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(f4.values[i], static_cast<double>(static_cast<float>(expected[i])));
  }

  EXPECT_EQ(DecodeFile("numpy_vector.npy").values, (std::vector<double>{1.5, -2.5}));
  const NpyArray scalar = DecodeFile("numpy_scalar.npy");
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.values, std::vector<double>{3.25});
}

void ExpectRefused(const std::string& bytes, const std::string& reason) {
  try {
    DecodeNpy(bytes, "model/x.npy");
    ADD_FAILURE() << "accepted; expected: " << reason;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'model/x.npy'"), std::string::npos) << message;
    EXPECT_NE(message.find(reason), std::string::npos) << message;
  }
}

TEST_F(NpyTest, RefusesWhatItCannotRead) {
  ExpectRefused(testing::ReadFile(dir_->File("numpy_fortran.npy")), "Fortran order");
  ExpectRefused(testing::ReadFile(dir_->File("numpy_big_endian.npy")), "dtype '>f8'");
  ExpectRefused(testing::ReadFile(dir_->File("numpy_int.npy")), "dtype '<i8'");
}

TEST(Npy, RefusesDamagedFiles) {
  const std::string good = EncodeNpy(Matrix());
  ExpectRefused("", "no \\x93NUMPY magic");
  ExpectRefused("PK\x03\x04 not numpy", "no \\x93NUMPY magic");
  ExpectRefused(good.substr(0, good.size() - 8), "needs 96 data bytes, the file has 88");
  ExpectRefused(good + "extra", "needs 96 data bytes, the file has 101");
  ExpectRefused(good.substr(0, 40), "truncated header");
  std::string version_3 = good;
  version_3[6] = 3;
  ExpectRefused(version_3, "format version 3.0");

  auto with_header = [](const std::string& dict) {
    std::string header = dict + "\n";
    return std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header;
  };
  EXPECT_EQ(
      DecodeNpy(with_header("{\"descr\": \"<f8\", \"shape\": (0,), \"fortran_order\": False}"), "x")
          .shape,
      std::vector<int64_t>{0});
  ExpectRefused(with_header("{'descr': '<f8', 'shape': (0,)}"), "missing");
  ExpectRefused(with_header("{'descr': '<f8', 'fortran_order': false, 'shape': (0,)}"),
                "True or False");
  ExpectRefused(with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (a,)}"),
                "expected a dimension");
  ExpectRefused(with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (0,), 'x': 1}"),
                "unexpected key 'x'");
  ExpectRefused(with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999,"
                            " 99999999999, 99999999999)}"),
                "too large");
}

}  // namespace
}  // namespace fruits::pca
