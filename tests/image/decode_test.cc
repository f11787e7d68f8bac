// DecodeImage against Pillow, and every way an input can be refused.
//
// tests/references/pillow_reference.py (run once for the suite) writes JPEG, PNG, WebP and BMP
// files in every colour mode we convert, with EXIF orientations, and the pixels Pillow decodes
// (ImageOps.exif_transpose(im).convert("RGB")). Tolerances: 0 levels everywhere (Pillow and OpenCV
// both decode JPEG with Debian's libjpeg-turbo 2.1.5 and WebP with libwebp 1.2.4), except CMYK
// JPEG: 1 level (OpenCV and Pillow round the CMYK to RGB conversion differently).

#include "image/decode.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <random>

#include "image/image_header.h"
#include "support/python_reference.h"
#include "support/read_file.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fruits::image {
namespace {

struct Fixture {
  std::string file;
  int width, height;  // after the EXIF orientation
};

class PillowDecode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::TempDir>();
    testing::CommandResult r = testing::RunPythonReference(
        "pillow_reference.py", "decode " + testing::ShellQuote(dir_->path().string()));
    setup_error_ = r.exit_code == 0 ? "" : "pillow_reference.py decode failed: " + r.err;
    std::ifstream manifest(dir_->File("manifest.txt"));
    Fixture f;
    while (manifest >> f.file >> f.width >> f.height) fixtures_.push_back(f);
  }
  static void TearDownTestSuite() {
    fixtures_.clear();
    dir_.reset();
  }

  void SetUp() override {
    ASSERT_EQ(setup_error_, "");
    ASSERT_FALSE(fixtures_.empty());
  }

  static std::string Bytes(const std::string& file) { return testing::ReadFile(dir_->File(file)); }

  static std::unique_ptr<testing::TempDir> dir_;
  static std::vector<Fixture> fixtures_;
  static std::string setup_error_;
};

std::unique_ptr<testing::TempDir> PillowDecode::dir_;
std::vector<Fixture> PillowDecode::fixtures_;
std::string PillowDecode::setup_error_;

TEST_F(PillowDecode, EveryFormatAndModeGivesPillowsPixels) {
  for (const Fixture& f : fixtures_) {
    SCOPED_TRACE(f.file);
    Result<RgbImage> decoded = DecodeImage(Bytes(f.file), {});
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    const RgbImage& image = decoded.value();
    EXPECT_EQ(image.width, f.width);
    EXPECT_EQ(image.height, f.height);
    const std::string pillow = Bytes(f.file + ".rgb");
    ASSERT_EQ(image.pixels.size(), pillow.size());
    int max_diff = 0;
    for (size_t i = 0; i < pillow.size(); ++i) {
      max_diff = std::max(max_diff, std::abs(image.pixels[i] - static_cast<uint8_t>(pillow[i])));
    }
    EXPECT_LE(max_diff, f.file == "cmyk.jpg" ? 1 : 0);
  }
}

TEST_F(PillowDecode, HeadersGiveTheStoredSize) {
  for (const Fixture& f : fixtures_) {
    SCOPED_TRACE(f.file);
    Result<ImageHeader> header = ReadImageHeader(Bytes(f.file));
    ASSERT_TRUE(header.ok()) << header.error();
    const std::string extension = f.file.substr(f.file.find('.') + 1);
    EXPECT_EQ(header.value().format, extension == "jpg" ? "jpeg" : extension);
    // Orientations 5 to 8 turn the stored image by a quarter.
    const bool turned = f.file.starts_with("exif") && f.file[4] >= '5';
    EXPECT_EQ(header.value().width, turned ? f.height : f.width);
    EXPECT_EQ(header.value().height, turned ? f.width : f.height);
  }
}

std::string DecodeFailure(const std::string& bytes, const DecodeOptions& options = {}) {
  Result<RgbImage> decoded = DecodeImage(bytes, options);
  return decoded.ok() ? "decoded" : decoded.error();
}

TEST_F(PillowDecode, TruncatedFilesAreFailures) {
  const std::pair<std::string, std::string> cases[] = {
      {"rgb.jpg", "truncated jpeg: the file ends before its end-of-image marker"},
      {"progressive.jpg", "truncated jpeg: the file ends before its end-of-image marker"},
      {"rgb.png", "truncated png: the file ends before its IEND chunk"},
      {"palette.png", "truncated png: the file ends before its IEND chunk"},
      {"lossy.webp", "truncated webp: the file is shorter than its RIFF size"},
      {"alpha.webp", "truncated webp: the file is shorter than its RIFF size"},
      {"rgb.bmp", "truncated bmp: the file is shorter than its pixel data"},
  };
  for (const auto& [file, reason] : cases) {
    const std::string bytes = Bytes(file);
    // Cuts past the header: in the image data, and just before the end (a JPEG without its
    // EOI marker, a PNG without its IEND chunk).
    for (size_t keep :
         {bytes.size() / 2, bytes.size() * 7 / 8, bytes.size() - 2, bytes.size() - 1}) {
      EXPECT_EQ(DecodeFailure(bytes.substr(0, keep)), reason) << file << " cut to " << keep;
    }
  }
  // Bytes after the end are ignored, as by libjpeg and Pillow.
  EXPECT_TRUE(DecodeImage(Bytes("rgb.jpg") + std::string(100, '\0') + "trailer", {}).ok());
}

TEST_F(PillowDecode, PixelLimitIsCheckedBeforeDecoding) {
  EXPECT_EQ(DecodeFailure(Bytes("rgb.png"), {.max_pixels = 4000}),
            "image is 81x59 = 0.0 megapixels, above the 0.004 megapixel limit (--max-megapixels)");
  EXPECT_TRUE(DecodeImage(Bytes("rgb.png"), {.max_pixels = 81 * 59}).ok());
  // A decompression bomb: a PNG whose header claims 100000x100000 (30 GB of RGB).
  std::string bomb = Bytes("rgb.png");
  bomb.replace(16, 8, std::string("\x00\x01\x86\xA0\x00\x01\x86\xA0", 8));
  EXPECT_EQ(DecodeFailure(bomb),
            "image is 100000x100000 = 10000.0 megapixels, above the 50 "
            "megapixel limit (--max-megapixels)");
}

TEST_F(PillowDecode, BadInputsAreFailuresWithReasons) {
  EXPECT_EQ(DecodeFailure(""), "empty file");
  EXPECT_EQ(DecodeFailure("name,label\nfoo.jpg,apple\n"),
            "not an image: unrecognised format (starts with 6e 61 6d 65 2c 6c 61 62)");
  std::mt19937 random(7);
  std::string noise(5000, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  EXPECT_EQ(DecodeFailure(noise).rfind("not an image: unrecognised format", 0), 0u);
  std::string empty_png = Bytes("rgb.png");
  empty_png.replace(16, 4, std::string(4, '\0'));
  EXPECT_EQ(DecodeFailure(empty_png), "png header gives an empty image (0x59)");
  EXPECT_EQ(DecodeFailure("GIF89a" + std::string(20, '\0')),
            "unsupported image format gif (fruits reads JPEG, PNG, WebP and BMP)");
  // OpenCV 4.6 cannot decode animations (Pillow would give the first frame).
  std::string animated = Bytes("alpha.webp");
  ASSERT_EQ(animated.substr(12, 4), "VP8X");
  animated[20] |= 0x02;
  EXPECT_EQ(DecodeFailure(animated), "animated webp is not supported");
  // A JPEG whose scan data is replaced by a PNG's: the decoder's verdict, not a crash.
  std::string jpeg = Bytes("rgb.jpg");
  const size_t scan = jpeg.find("\xFF\xDA");
  const std::string png = Bytes("rgb.png");
  jpeg.replace(scan + 20, jpeg.size() - scan - 22, png.substr(0, jpeg.size() - scan - 22));
  ::testing::internal::CaptureStderr();  // libjpeg warns about the data it skips
  Result<RgbImage> garbled = DecodeImage(jpeg, {});
  ::testing::internal::GetCapturedStderr();
  if (garbled.ok()) {
    EXPECT_EQ(garbled.value().pixels.size(), 81u * 59 * 3);
  }
}

TEST_F(PillowDecode, RefusalsBeforeTheDecoderLeaveStderrClean) {
  // OpenCV's decoders print libpng errors and OpenCV warnings on stderr for these; our checks
  // answer first.
  ::testing::internal::CaptureStderr();
  const std::string jpeg = Bytes("rgb.jpg"), png = Bytes("rgb.png"), bmp = Bytes("rgb.bmp");
  EXPECT_FALSE(DecodeImage(jpeg.substr(0, jpeg.size() / 2), {}).ok());
  EXPECT_FALSE(DecodeImage(png.substr(0, png.size() / 2), {}).ok());
  EXPECT_FALSE(DecodeImage(png.substr(0, png.size() - 12), {}).ok());
  EXPECT_FALSE(DecodeImage(bmp.substr(0, bmp.size() / 2), {}).ok());
  EXPECT_FALSE(DecodeImage("hello", {}).ok());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

// Random byte damage in every fixture: a Failure or an image of the header's size, never a crash
// (the sanitizer build runs this too).
TEST_F(PillowDecode, DamagedBytesNeverCrash) {
  std::mt19937 random(42);
  ::testing::internal::CaptureStderr();  // the decoders' warnings about the damage
  int decoded = 0, refused = 0;
  for (const Fixture& f : fixtures_) {
    const std::string original = Bytes(f.file);
    for (int trial = 0; trial < 20; ++trial) {
      std::string bytes = original;
      const int flips = 1 + static_cast<int>(random() % 8);
      for (int i = 0; i < flips; ++i) bytes[random() % bytes.size()] = static_cast<char>(random());
      Result<RgbImage> result = DecodeImage(bytes, {});
      if (!result.ok()) {
        EXPECT_FALSE(result.error().empty());
        ++refused;
        continue;
      }
      const RgbImage& image = result.value();
      EXPECT_EQ(image.pixels.size(), static_cast<size_t>(image.width) * image.height * 3);
      ++decoded;
    }
  }
  ::testing::internal::GetCapturedStderr();
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

// Found by fuzz/image_fuzzer: RIFF/WEBP/VP8X bytes that libwebp declines, with "DICM" at offset
// 128. OpenCV's WebP decoder passed them on to its DICOM decoder (GDCM), which aborted the process;
// other such bytes went to GDAL through a temporary file.
TEST(DecodeImage, WebpBytesLibwebpDeclinesReachNoOtherDecoder) {
  const std::string bytes(
      "\x52\x49\x46\x46\x3c\x00\x00\x00\x57\x45\x42\x50\x56\x50\x38\x58"
      "\x49\x49\x2a\x00\x30\x80\x2f\x00\x64\x00\x00\x00\x00\x00\x83\x00"
      "\x85\x14\x10\x61\x00\x00\xff\xdb\x20\x43\x00\x08\x06\xff\xd8\xff"
      "\xe0\x00\x10\x4a\x46\x49\x46\x00\x01\x01\x00\x00\x01\x00\x01\x00"
      "\x00\xff\xdb\x00\x43\x00\x08\x06\x06\x07\x06\x05\x08\x07\x07\x07"
      "\x09\x09\xff\xff\xff\xff\xff\xff\xff\x32\x32\x32\x32\x32\x32\x32"
      "\x32\x32\x32\x32\x32\x32\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30"
      "\x30\x30\x31\x36\x35\x37\x38\x38\x36\x38\x30\x36\x37\x30\x38\x31"
      "\x44\x49\x43\x4d\x40\x01",
      134);
  ASSERT_TRUE(ReadImageHeader(bytes).ok());
  EXPECT_EQ(DecodeFailure(bytes), "corrupt webp header: libwebp does not read its first 32 bytes");
}

}  // namespace
}  // namespace fruits::image
