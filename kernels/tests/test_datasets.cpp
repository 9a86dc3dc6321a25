// Data sets (datasets.hpp): the IDX reader on small synthetic files written here and gzipped with
// zlib (exact values, and every malformed case with the message it gives), Fashion-MNIST's finder
// (explicit folder, AISYS_FASHION_MNIST_DIR, the package's folder), the batch loader's orders and
// batches, and, when the dataset-fashion-mnist package is installed, the real files (skipped with
// the reason when it is not).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <numeric>
#include <optional>
#include <string>

#include "aisys/kernels/datasets.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::kernels {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// ---- fixtures ----------------------------------------------------------------------------------

void put_u32(Bytes& b, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
}

Bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, const Bytes& pixels,
                 std::uint32_t magic = kIdxImagesMagic) {
  Bytes b;
  put_u32(b, magic);
  put_u32(b, count);
  put_u32(b, rows);
  put_u32(b, cols);
  b.insert(b.end(), pixels.begin(), pixels.end());
  return b;
}

Bytes idx_labels(const Bytes& labels, std::uint32_t magic = kIdxLabelsMagic) {
  Bytes b;
  put_u32(b, magic);
  put_u32(b, static_cast<std::uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

// A gzip file's bytes (one member, RFC 1952), made with zlib's deflate.
Bytes gzip(const Bytes& data) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    ADD_FAILURE() << "deflateInit2 failed";
    return {};
  }
  Bytes out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END) << "deflate did not finish";
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void write_file(const fs::path& file, const Bytes& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << file;
}

// A fresh folder under the system's temporary folder, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("aisys-datasets-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Sets (or, with nullopt, unsets) an environment variable for one scope.
class ScopedEnvironment {
 public:
  ScopedEnvironment(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnvironment() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

const std::string kEnv(kFashionMnistEnvironmentVariable);

// count images of 28 x 28 with distinct, non-constant pixels covering 0 and 255.
Bytes test_pixels(int count, int rows = 28, int cols = 28) {
  Bytes p(static_cast<std::size_t>(count) * rows * cols);
  for (std::size_t k = 0; k < p.size(); ++k)
    p[k] = static_cast<std::uint8_t>((k * 37 + k / 11) % 256);
  p.front() = 0;
  p.back() = 255;
  return p;
}

// Expects f() to throw exactly an E (or a type derived from it) whose message contains every part.
template <class E, class F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing \"" << *parts.begin() << "\"";
  } catch (const E& e) {
    const std::string message = e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "the message\n  " << message << "\nlacks\n  " << part;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type; message: " << e.what();
  }
}

// The 3-image fixture: labels 9, 0, 4.
const Bytes kThreeLabels = {9, 0, 4};

// ---- the IDX reader ----------------------------------------------------------------------------

TEST(Idx, ReadsThreeGzippedImagesExactly) {
  TempDir dir;
  const Bytes pixels = test_pixels(3);
  write_file(dir / "images.gz", gzip(idx_images(3, 28, 28, pixels)));
  write_file(dir / "labels.gz", gzip(idx_labels(kThreeLabels)));

  const IdxImages images = read_idx_images(dir / "images.gz");
  EXPECT_EQ(images.count, 3);
  EXPECT_EQ(images.rows, 28);
  EXPECT_EQ(images.cols, 28);
  EXPECT_EQ(images.pixels, pixels);
  EXPECT_EQ(read_idx_labels(dir / "labels.gz"), kThreeLabels);
}

TEST(Idx, ReadsUncompressedFilesAlike) {
  TempDir dir;
  const Bytes pixels = test_pixels(3, 5, 7);
  write_file(dir / "images", idx_images(3, 5, 7, pixels));
  write_file(dir / "labels", idx_labels(kThreeLabels));
  const IdxImages images = read_idx_images(dir / "images");
  EXPECT_EQ(images.count, 3);
  EXPECT_EQ(images.rows, 5);
  EXPECT_EQ(images.cols, 7);
  EXPECT_EQ(images.pixels, pixels);
  EXPECT_EQ(read_idx_labels(dir / "labels"), kThreeLabels);
}

TEST(Idx, ReadsConcatenatedGzipMembers) {
  TempDir dir;
  const Bytes whole = idx_images(3, 28, 28, test_pixels(3));
  const Bytes first(whole.begin(), whole.begin() + 1000), second(whole.begin() + 1000, whole.end());
  Bytes gz = gzip(first);
  const Bytes gz2 = gzip(second);
  gz.insert(gz.end(), gz2.begin(), gz2.end());
  write_file(dir / "images.gz", gz);
  EXPECT_EQ(read_maybe_gzipped_file(dir / "images.gz"), whole);
  EXPECT_EQ(read_idx_images(dir / "images.gz").pixels, test_pixels(3));
}

TEST(Idx, LoadsDatasetWithPixelsScaledToUnitInterval) {
  TempDir dir;
  const Bytes pixels = test_pixels(3);
  write_file(dir / "images.gz", gzip(idx_images(3, 28, 28, pixels)));
  write_file(dir / "labels.gz", gzip(idx_labels(kThreeLabels)));
  const ImageDataset data =
      load_idx_dataset(dir / "images.gz", dir / "labels.gz", fashion_mnist_class_names(), "three");
  EXPECT_EQ(data.name, "three");
  EXPECT_EQ(data.count, 3);
  EXPECT_EQ(data.features(), 784);
  EXPECT_EQ(data.classes(), 10);
  ASSERT_EQ(data.images.size(), pixels.size());
  for (std::size_t k = 0; k < pixels.size(); ++k) {
    ASSERT_EQ(data.images[k], static_cast<float>(pixels[k]) / 255.0f) << "pixel " << k;
  }
  EXPECT_EQ(*std::min_element(data.images.begin(), data.images.end()), 0.0f);
  EXPECT_EQ(*std::max_element(data.images.begin(), data.images.end()), 1.0f);
  EXPECT_EQ(data.labels, (std::vector<std::int32_t>{9, 0, 4}));
  EXPECT_EQ(data.mean, 0.0);
  EXPECT_EQ(data.stddev, 1.0);
  const auto second = data.image(1);
  ASSERT_EQ(second.size(), 784u);
  EXPECT_EQ(second[5], static_cast<float>(pixels[784 + 5]) / 255.0f);
  expect_error<InvalidArgument>([&] { (void)data.image(3); }, {"three", "image 3", "0..2"});
}

TEST(IdxErrors, ImageFileWithTheLabelMagic) {
  TempDir dir;
  const fs::path file = dir / "train-images-idx3-ubyte.gz";
  write_file(file, gzip(idx_images(3, 28, 28, test_pixels(3), kIdxLabelsMagic)));
  expect_error<DataFileError>(
      [&] { read_idx_images(file); },
      {file.string() + ": magic number 0x00000801 (unsigned bytes, 1 dimension)",
       "expected 0x00000803 (unsigned bytes, 3 dimensions: IDX images)"});
}

TEST(IdxErrors, LabelFileWithTheImageMagic) {
  TempDir dir;
  const fs::path file = dir / "labels.gz";
  write_file(file, gzip(idx_labels(kThreeLabels, kIdxImagesMagic)));
  expect_error<DataFileError>([&] { read_idx_labels(file); },
                              {file.string() + ": magic number 0x00000803",
                               "expected 0x00000801 (unsigned bytes, 1 dimension: IDX labels)"});
}

TEST(IdxErrors, NotAnIdxFile) {
  TempDir dir;
  const fs::path file = dir / "notes.txt";
  const std::string text = "these are not pixels at all";
  write_file(file, Bytes(text.begin(), text.end()));
  expect_error<DataFileError>([&] { read_idx_images(file); },
                              {file.string() + ": magic number 0x74686573", "not an IDX magic"});
}

TEST(IdxErrors, FileTooShortForAMagicNumber) {
  TempDir dir;
  const fs::path file = dir / "tiny.gz";
  write_file(file, gzip(Bytes{0, 0}));
  expect_error<DataFileError>(
      [&] { read_idx_labels(file); },
      {file.string() + ": the decompressed data holds 2 bytes", "too few for an IDX header"});
}

TEST(IdxErrors, TruncatedHeader) {
  TempDir dir;
  const fs::path file = dir / "images.gz";
  Bytes b;
  put_u32(b, kIdxImagesMagic);
  put_u32(b, 3);
  write_file(file, gzip(b));
  expect_error<DataFileError>([&] { read_idx_images(file); },
                              {file.string() + ": truncated", "holds 8 bytes",
                               "header of an IDX file with 3 dimensions is 16 bytes"});
}

TEST(IdxErrors, TruncatedPixels) {
  TempDir dir;
  const fs::path file = dir / "images.gz";
  Bytes pixels = test_pixels(3);
  pixels.resize(2000);
  write_file(file, gzip(idx_images(3, 28, 28, pixels)));
  expect_error<DataFileError>(
      [&] { read_idx_images(file); },
      {file.string() + ": truncated: the header says 3 x 28 x 28 = 2352 bytes of images",
       "holds 2000 after its 16-byte header"});
}

TEST(IdxErrors, DimensionsDisagreeWithSize) {
  TempDir dir;
  const fs::path images = dir / "images", labels = dir / "labels.gz";
  Bytes pixels = test_pixels(3);
  pixels.resize(pixels.size() + 5, 7);
  write_file(images, idx_images(3, 28, 28, pixels));
  expect_error<DataFileError>(
      [&] { read_idx_images(images); },
      {images.string() + ": dimensions and size disagree", "3 x 28 x 28 = 2352 bytes of images",
       "the file holds 2357", "(5 bytes too many)"});
  Bytes label_file = idx_labels(kThreeLabels);
  label_file[7] = 2;  // the header says 2 labels, 3 follow
  write_file(labels, gzip(label_file));
  expect_error<DataFileError>([&] { read_idx_labels(labels); },
                              {labels.string() + ": dimensions and size disagree",
                               "the decompressed data holds 3", "(1 byte too many)"});
}

TEST(IdxErrors, HugeDimensionsAreTruncationNotOverflow) {
  TempDir dir;
  const fs::path file = dir / "images";
  write_file(file, idx_images(0x7fffffff, 0x7fffffff, 0x7fffffff, test_pixels(1)));
  expect_error<DataFileError>(
      [&] { read_idx_images(file); },
      {file.string() + ": truncated", "2147483647 x 2147483647 x 2147483647", "holds 784 after"});
}

TEST(IdxErrors, LabelCountDiffersFromImageCount) {
  TempDir dir;
  const fs::path images = dir / "train-images-idx3-ubyte.gz";
  const fs::path labels = dir / "train-labels-idx1-ubyte.gz";
  write_file(images, gzip(idx_images(3, 28, 28, test_pixels(3))));
  write_file(labels, gzip(idx_labels({9, 0})));
  expect_error<DataFileError>(
      [&] { load_idx_dataset(images, labels, fashion_mnist_class_names(), "t"); },
      {labels.string() + ": 2 labels but 3 images (in " + images.string() + ")"});
}

TEST(IdxErrors, LabelOutsideTheClasses) {
  TempDir dir;
  const fs::path images = dir / "images.gz", labels = dir / "labels.gz";
  write_file(images, gzip(idx_images(3, 28, 28, test_pixels(3))));
  write_file(labels, gzip(idx_labels({9, 10, 4})));
  expect_error<DataFileError>(
      [&] { load_idx_dataset(images, labels, fashion_mnist_class_names(), "t"); },
      {labels.string() + ": label 10 at index 1 is outside 0..9 (10 classes)"});
  write_file(labels, gzip(idx_labels({255, 10, 4})));
  expect_error<DataFileError>(
      [&] { load_idx_dataset(images, labels, fashion_mnist_class_names(), "t"); },
      {labels.string() + ": label 255 at index 0 (and 1 more) is outside 0..9"});
  expect_error<InvalidArgument>([&] { load_idx_dataset(images, labels, {}, "t"); },
                                {"no class names"});
}

TEST(IdxErrors, CorruptGzipStream) {
  TempDir dir;
  const fs::path file = dir / "images.gz";
  Bytes gz = gzip(idx_images(3, 28, 28, test_pixels(3)));
  ASSERT_GT(gz.size(), 100u);
  // A damaged checksum in the trailer: the data inflates, the CRC-32 disagrees.
  Bytes bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0xff;
  write_file(file, bad_crc);
  expect_error<DataFileError>(
      [&] { read_idx_images(file); },
      {file.string() + ": corrupt gzip stream (incorrect data check)", "the file is damaged"});
  // Damaged compressed data.
  Bytes bad_data = gz;
  for (std::size_t k = 20; k < 60; ++k) bad_data[k] ^= 0x5a;
  write_file(file, bad_data);
  expect_error<DataFileError>([&] { read_idx_images(file); },
                              {file.string() + ": corrupt gzip stream ("});
}

TEST(IdxErrors, TruncatedGzipStream) {
  TempDir dir;
  const fs::path file = dir / "images.gz";
  Bytes gz = gzip(idx_images(3, 28, 28, test_pixels(3)));
  gz.resize(gz.size() / 2);
  write_file(file, gz);
  expect_error<DataFileError>([&] { read_idx_images(file); },
                              {file.string() + ": the gzip stream ends early, after " +
                                   std::to_string(gz.size()) + " compressed bytes",
                               "the file is truncated"});
}

TEST(IdxErrors, BytesAfterTheGzipStream) {
  TempDir dir;
  const fs::path file = dir / "labels.gz";
  Bytes gz = gzip(idx_labels(kThreeLabels));
  gz.insert(gz.end(), {'j', 'u', 'n', 'k'});
  write_file(file, gz);
  expect_error<DataFileError>([&] { read_idx_labels(file); },
                              {file.string() + ": 4 bytes after the end of the gzip stream"});
}

TEST(IdxErrors, MissingFileAndFolder) {
  TempDir dir;
  expect_error<DataFileError>(
      [&] { read_idx_images(dir / "absent.gz"); },
      {(dir / "absent.gz").string() + ": cannot open (No such file or directory)"});
  expect_error<DataFileError>([&] { read_idx_labels(dir.path()); },
                              {dir.path().string() + ": is a folder, not a file"});
}

TEST(IdxErrors, EmptyImages) {
  TempDir dir;
  const fs::path file = dir / "images";
  write_file(file, idx_images(3, 0, 28, {}));
  expect_error<DataFileError>([&] { read_idx_images(file); },
                              {file.string() + ": images of 0 x 28 pixels"});
}

// ---- Fashion-MNIST: finding and loading ---------------------------------------------------------

// Writes a small Fashion-MNIST folder: train (3 images), test (2 images, uncompressed files).
void write_small_fashion_mnist(const fs::path& dir) {
  write_file(dir / "train-images-idx3-ubyte.gz", gzip(idx_images(3, 28, 28, test_pixels(3))));
  write_file(dir / "train-labels-idx1-ubyte.gz", gzip(idx_labels(kThreeLabels)));
  Bytes test = test_pixels(2);
  std::reverse(test.begin(), test.end());
  write_file(dir / "t10k-images-idx3-ubyte", idx_images(2, 28, 28, test));
  write_file(dir / "t10k-labels-idx1-ubyte", idx_labels({1, 7}));
}

TEST(FashionMnistFolder, ClassNames) {
  const auto& names = fashion_mnist_class_names();
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "T-shirt/top");
  EXPECT_EQ(names[5], "Sandal");
  EXPECT_EQ(names[9], "Ankle boot");
  EXPECT_EQ(split_name(Split::kTrain), "train");
  EXPECT_EQ(split_name(Split::kTest), "test");
}

TEST(FashionMnistFolder, ExplicitFolderThatDoesNotExist) {
  TempDir dir;
  const fs::path absent = dir / "nowhere";
  ScopedEnvironment env(kEnv, std::nullopt);
  expect_error<DatasetNotFound>(
      [&] { find_fashion_mnist(absent); },
      {"Fashion-MNIST not found in " + absent.string() + " (the folder given: no such folder)",
       ": install the distribution's package (apt install dataset-fashion-mnist) or set "
       "AISYS_FASHION_MNIST_DIR"});
}

TEST(FashionMnistFolder, FolderMissingSomeFilesNamesThem) {
  TempDir dir;
  write_small_fashion_mnist(dir.path());
  fs::remove(dir / "t10k-images-idx3-ubyte");
  fs::remove(dir / "train-labels-idx1-ubyte.gz");
  expect_error<DatasetNotFound>([&] { find_fashion_mnist(dir.path()); },
                                {"Fashion-MNIST not found in " + dir.path().string(),
                                 "missing train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz)",
                                 "apt install dataset-fashion-mnist"});
}

TEST(FashionMnistFolder, EnvironmentVariableAndExplicitFolder) {
  TempDir good, bad;
  write_small_fashion_mnist(good.path());
  {
    ScopedEnvironment env(kEnv, good.path().string());
    EXPECT_EQ(find_fashion_mnist(), good.path());
    EXPECT_EQ(load_fashion_mnist_split(Split::kTest).count, 2);
  }
  {
    ScopedEnvironment env(kEnv, bad.path().string());
    EXPECT_EQ(find_fashion_mnist(good.path()), good.path()) << "an explicit folder comes first";
    expect_error<DatasetNotFound>(
        [&] { find_fashion_mnist(); },
        {"Fashion-MNIST not found in " + bad.path().string() +
         " (from AISYS_FASHION_MNIST_DIR: missing "
         "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
         "t10k-labels-idx1-ubyte.gz)"});
  }
}

TEST(FashionMnistFolder, DefaultIsThePackageFolder) {
  ScopedEnvironment env(kEnv, std::nullopt);
  const fs::path package_dir{std::string(kFashionMnistPackageDir)};
  EXPECT_EQ(package_dir, fs::path("/usr/share/datasets/fashion-mnist"));
  try {
    EXPECT_EQ(find_fashion_mnist(), package_dir);
  } catch (const DatasetNotFound& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("not found in " + package_dir.string() +
                           " (the dataset-fashion-mnist package's folder"),
              std::string::npos)
        << message;
  }
  ScopedEnvironment empty(kEnv, "");  // set but empty: as if unset
  try {
    EXPECT_EQ(find_fashion_mnist(), package_dir);
  } catch (const DatasetNotFound& e) {
    EXPECT_NE(std::string(e.what()).find(package_dir.string()), std::string::npos) << e.what();
  }
}

TEST(FashionMnistFolder, FileNamesPreferGzipAndFallBackToUncompressed) {
  TempDir dir;
  write_small_fashion_mnist(dir.path());
  const SplitFiles train = fashion_mnist_files(dir.path(), Split::kTrain);
  EXPECT_EQ(train.images, dir / "train-images-idx3-ubyte.gz");
  EXPECT_EQ(train.labels, dir / "train-labels-idx1-ubyte.gz");
  const SplitFiles test = fashion_mnist_files(dir.path(), Split::kTest);
  EXPECT_EQ(test.images, dir / "t10k-images-idx3-ubyte");
  EXPECT_EQ(test.labels, dir / "t10k-labels-idx1-ubyte");
}

TEST(FashionMnistFolder, LoadsSplitsAndNormalisesWithTrainingStatistics) {
  TempDir dir;
  write_small_fashion_mnist(dir.path());
  const FashionMnist raw = load_fashion_mnist({.dir = dir.path()});
  EXPECT_EQ(raw.train.name, "Fashion-MNIST train");
  EXPECT_EQ(raw.test.name, "Fashion-MNIST test");
  EXPECT_EQ(raw.train.count, 3);
  EXPECT_EQ(raw.test.count, 2);
  EXPECT_EQ(raw.train.labels, (std::vector<std::int32_t>{9, 0, 4}));
  EXPECT_EQ(raw.test.labels, (std::vector<std::int32_t>{1, 7}));
  EXPECT_EQ(raw.test.images.front(), 1.0f);  // the reversed pixels: 255 first
  EXPECT_EQ(raw.train.class_names, fashion_mnist_class_names());

  const PixelStatistics train_stats = pixel_statistics(raw.train);
  EXPECT_GT(train_stats.mean, 0.2);
  EXPECT_GT(train_stats.stddev, 0.1);

  const FashionMnist data = load_fashion_mnist({.dir = dir.path(), .normalize = true});
  EXPECT_NEAR(data.train.mean, train_stats.mean, 1e-12);
  EXPECT_NEAR(data.train.stddev, train_stats.stddev, 1e-12);
  EXPECT_EQ(data.test.mean, data.train.mean) << "the test split uses the training statistics";
  EXPECT_EQ(data.test.stddev, data.train.stddev);
  const PixelStatistics after = pixel_statistics(data.train);
  EXPECT_NEAR(after.mean, 0.0, 1e-6);
  EXPECT_NEAR(after.stddev, 1.0, 1e-6);
  for (std::size_t k = 0; k < data.test.images.size(); k += 97) {
    const double expected = (raw.test.images[k] - train_stats.mean) / train_stats.stddev;
    ASSERT_NEAR(data.test.images[k], expected, 1e-5) << "test pixel " << k;
  }
  // The test split alone is not centred by the training statistics.
  EXPECT_GT(std::abs(pixel_statistics(data.test).mean), 1e-3);
}

TEST(FashionMnistFolder, NormalizeComposesAndRejectsBadDeviation) {
  TempDir dir;
  write_small_fashion_mnist(dir.path());
  ImageDataset data = load_fashion_mnist_split(Split::kTrain, dir.path());
  const float p = data.images[100];
  normalize(data, 0.5, 2.0);
  normalize(data, 0.25, 4.0);
  // x = (((p - 0.5) / 2) - 0.25) / 4 = (p - 1.0) / 8
  EXPECT_DOUBLE_EQ(data.mean, 1.0);
  EXPECT_DOUBLE_EQ(data.stddev, 8.0);
  EXPECT_NEAR(data.images[100], (p - data.mean) / data.stddev, 1e-6);
  expect_error<InvalidArgument>([&] { normalize(data, 0.0, 0.0); },
                                {"Fashion-MNIST train", "must be positive"});
}

TEST(FashionMnistFolder, WrongImageSizeIsNamed) {
  TempDir dir;
  write_small_fashion_mnist(dir.path());
  const fs::path images = dir / "train-images-idx3-ubyte.gz";
  write_file(images, gzip(idx_images(3, 27, 28, test_pixels(3, 27, 28))));
  expect_error<DataFileError>(
      [&] { load_fashion_mnist_split(Split::kTrain, dir.path()); },
      {images.string() + ": images of 27 x 28 pixels, but Fashion-MNIST's are 28 x 28"});
}

TEST(FashionMnistFolder, MalformedFileInAFoundFolderNamesTheFile) {
  TempDir dir;
  write_small_fashion_mnist(dir.path());
  const fs::path labels = dir / "train-labels-idx1-ubyte.gz";
  write_file(labels, gzip(idx_labels({9, 0})));
  expect_error<DataFileError>([&] { load_fashion_mnist({.dir = dir.path()}); },
                              {labels.string() + ": 2 labels but 3 images"});
}

// ---- the batch loader ---------------------------------------------------------------------------

// n samples of `features` values: x[i][f] = i * 100 + f, label i % 10.
struct Toy {
  std::vector<float> x;
  std::vector<std::int32_t> labels;
  int features;
  Toy(int n, int f) : features(f) {
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < f; ++j) x.push_back(static_cast<float>(i * 100 + j));
      labels.push_back(i % 10);
    }
  }
};

// Checks that a batch's rows are the samples it names; returns those samples.
std::vector<int> check_batch(const Batch& b, const Toy& toy) {
  EXPECT_EQ(b.x.size(), static_cast<std::size_t>(b.size) * toy.features);
  EXPECT_EQ(b.labels.size(), static_cast<std::size_t>(b.size));
  EXPECT_EQ(b.samples.size(), static_cast<std::size_t>(b.size));
  for (int i = 0; i < b.size; ++i) {
    const int s = b.samples[static_cast<std::size_t>(i)];
    for (int j = 0; j < toy.features; ++j) {
      EXPECT_EQ(b.x[static_cast<std::size_t>(i) * toy.features + j],
                static_cast<float>(s * 100 + j))
          << "epoch " << b.epoch << " batch " << b.index << " row " << i << " feature " << j;
    }
    EXPECT_EQ(b.labels[static_cast<std::size_t>(i)], s % 10);
  }
  return {b.samples.begin(), b.samples.end()};
}

TEST(BatchLoader, EverySampleExactlyOncePerEpoch) {
  const Toy toy(103, 3);
  BatchLoader loader(toy.x, toy.labels, toy.features, {.batch_size = 10, .seed = 1});
  EXPECT_EQ(loader.count(), 103);
  EXPECT_EQ(loader.batches_per_epoch(), 11);
  EXPECT_EQ(loader.samples_per_epoch(), 103);
  for (int epoch = 0; epoch < 4; ++epoch) {
    std::vector<int> seen, sizes;
    for (const Batch& b : loader.epoch(epoch)) {
      EXPECT_EQ(b.epoch, epoch);
      EXPECT_EQ(b.index, static_cast<int>(sizes.size()));
      sizes.push_back(b.size);
      const auto samples = check_batch(b, toy);
      seen.insert(seen.end(), samples.begin(), samples.end());
    }
    EXPECT_EQ(sizes, (std::vector<int>{10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3}));
    EXPECT_EQ(seen, loader.order(epoch));
    std::sort(seen.begin(), seen.end());
    std::vector<int> all(103);
    std::iota(all.begin(), all.end(), 0);
    EXPECT_EQ(seen, all) << "epoch " << epoch;
  }
}

TEST(BatchLoader, DifferentOrderEachEpoch) {
  const Toy toy(200, 1);
  const BatchLoader loader(toy.x, toy.labels, 1, {.batch_size = 16, .seed = 5});
  std::vector<int> identity(200);
  std::iota(identity.begin(), identity.end(), 0);
  std::vector<std::vector<int>> orders;
  for (int e = 0; e < 5; ++e) orders.push_back(loader.order(e));
  for (int e = 0; e < 5; ++e) {
    EXPECT_NE(orders[static_cast<std::size_t>(e)], identity) << "epoch " << e << " is not shuffled";
    for (int f = e + 1; f < 5; ++f) {
      EXPECT_NE(orders[static_cast<std::size_t>(e)], orders[static_cast<std::size_t>(f)])
          << "epochs " << e << " and " << f;
    }
  }
}

TEST(BatchLoader, SameSeedSameOrderWhateverCameBefore) {
  const Toy toy(57, 2);
  BatchLoader a(toy.x, toy.labels, 2, {.batch_size = 8, .seed = 1234});
  BatchLoader b(toy.x, toy.labels, 2, {.batch_size = 8, .seed = 1234});
  BatchLoader other(toy.x, toy.labels, 2, {.batch_size = 8, .seed = 1235});
  // a runs epochs 0, 1, 2 in turn; b jumps straight to epoch 2 (a resumed run).
  std::vector<int> a2;
  for (int e = 0; e < 3; ++e) {
    for (const Batch& batch : a.epoch(e)) {
      if (e == 2) a2.insert(a2.end(), batch.samples.begin(), batch.samples.end());
    }
  }
  std::vector<int> b2;
  for (const Batch& batch : b.epoch(2))
    b2.insert(b2.end(), batch.samples.begin(), batch.samples.end());
  EXPECT_EQ(a2, b2);
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(a.order(e), b.order(e)) << "epoch " << e;
    EXPECT_NE(a.order(e), other.order(e)) << "seeds 1234 and 1235 agree at epoch " << e;
  }
}

TEST(BatchLoader, OrderIsPinnedAcrossPlatforms) {
  // SplitMix64 and Fisher-Yates with a rejection-sampled bounded draw: integer arithmetic only, so
  // these orders hold on every compiler and standard library. A change here changes every run.
  const Toy toy(10, 1);
  const BatchLoader loader(toy.x, toy.labels, 1, {.batch_size = 4, .seed = 42});
  // Computed independently (a few lines of Python with 64-bit masks) from the algorithm above.
  EXPECT_EQ(loader.order(0), (std::vector<int>{2, 8, 9, 7, 1, 4, 6, 0, 5, 3}));
  EXPECT_EQ(loader.order(1), (std::vector<int>{3, 1, 6, 8, 4, 5, 9, 7, 2, 0}));
}

TEST(BatchLoader, PartialLastBatchKeptOrDropped) {
  const Toy toy(10, 2);
  BatchLoader keep(toy.x, toy.labels, 2, {.batch_size = 4, .seed = 9});
  BatchLoader drop(toy.x, toy.labels, 2, {.batch_size = 4, .drop_last = true, .seed = 9});
  EXPECT_EQ(keep.batches_per_epoch(), 3);
  EXPECT_EQ(drop.batches_per_epoch(), 2);
  EXPECT_EQ(keep.samples_per_epoch(), 10);
  EXPECT_EQ(drop.samples_per_epoch(), 8);
  std::vector<int> keep_sizes, drop_sizes, dropped_seen;
  for (const Batch& b : keep.epoch(0)) {
    keep_sizes.push_back(b.size);
    check_batch(b, toy);
  }
  for (const Batch& b : drop.epoch(0)) {
    drop_sizes.push_back(b.size);
    const auto s = check_batch(b, toy);
    dropped_seen.insert(dropped_seen.end(), s.begin(), s.end());
  }
  EXPECT_EQ(keep_sizes, (std::vector<int>{4, 4, 2}));
  EXPECT_EQ(drop_sizes, (std::vector<int>{4, 4}));
  std::sort(dropped_seen.begin(), dropped_seen.end());
  EXPECT_EQ(std::adjacent_find(dropped_seen.begin(), dropped_seen.end()), dropped_seen.end())
      << "a sample twice in one epoch";
  // The same seed: the dropped epoch is the first 8 of the kept epoch's order.
  const auto order = keep.order(0);
  std::vector<int> first8(order.begin(), order.begin() + 8);
  std::sort(first8.begin(), first8.end());
  EXPECT_EQ(dropped_seen, first8);

  // Fewer samples than one batch: no batch at all when dropping, one partial batch otherwise.
  BatchLoader small_drop(toy.x, toy.labels, 2, {.batch_size = 32, .drop_last = true});
  EXPECT_EQ(small_drop.batches_per_epoch(), 0);
  int batches = 0;
  for (const Batch& b : small_drop.epoch(0)) {
    (void)b;
    ++batches;
  }
  EXPECT_EQ(batches, 0);
  BatchLoader small_keep(toy.x, toy.labels, 2, {.batch_size = 32});
  EXPECT_EQ(small_keep.batch(0, 0).size, 10);
}

TEST(BatchLoader, WithoutShufflingBatchesAreViewsInOrder) {
  const Toy toy(10, 3);
  BatchLoader loader(toy.x, toy.labels, 3, {.batch_size = 4, .shuffle = false});
  for (int epoch = 0; epoch < 2; ++epoch) {
    int begin = 0;
    for (const Batch& b : loader.epoch(epoch)) {
      check_batch(b, toy);
      EXPECT_EQ(b.x.data(), toy.x.data() + begin * 3) << "not a view into the data";
      EXPECT_EQ(b.labels.data(), toy.labels.data() + begin);
      EXPECT_EQ(b.samples[0], begin);
      begin += b.size;
    }
    EXPECT_EQ(begin, 10);
  }
}

TEST(BatchLoader, RangeAndIndexedAccessAgree) {
  const Toy toy(37, 2);
  BatchLoader ranged(toy.x, toy.labels, 2, {.batch_size = 5, .seed = 77});
  BatchLoader indexed(toy.x, toy.labels, 2, {.batch_size = 5, .seed = 77});
  const auto epoch = ranged.epoch(3);
  EXPECT_EQ(epoch.size(), 8);
  int i = 0;
  for (const Batch& b : epoch) {
    const Batch c = indexed.batch(3, i++);
    EXPECT_EQ(std::vector<int>(b.samples.begin(), b.samples.end()),
              std::vector<int>(c.samples.begin(), c.samples.end()));
    EXPECT_TRUE(std::equal(b.x.begin(), b.x.end(), c.x.begin(), c.x.end()));
    EXPECT_TRUE(std::equal(b.labels.begin(), b.labels.end(), c.labels.begin(), c.labels.end()));
  }
  EXPECT_EQ(i, 8);
}

TEST(BatchLoader, WorksOnAnImageDataset) {
  TempDir dir;
  write_small_fashion_mnist(dir.path());
  const ImageDataset data = load_fashion_mnist_split(Split::kTrain, dir.path());
  BatchLoader loader(data, {.batch_size = 2, .seed = 3});
  EXPECT_EQ(loader.features(), 784);
  std::vector<int> seen;
  for (const Batch& b : loader.epoch(0)) {
    for (int i = 0; i < b.size; ++i) {
      const int s = b.samples[static_cast<std::size_t>(i)];
      seen.push_back(s);
      const auto row = b.x.subspan(static_cast<std::size_t>(i) * 784, 784);
      const auto image = data.image(s);
      EXPECT_TRUE(std::equal(row.begin(), row.end(), image.begin(), image.end())) << "sample " << s;
      EXPECT_EQ(b.labels[static_cast<std::size_t>(i)], data.labels[static_cast<std::size_t>(s)]);
    }
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
}

TEST(BatchLoader, RejectsBadArguments) {
  const Toy toy(10, 3);
  expect_error<InvalidArgument>([&] { BatchLoader(toy.x, toy.labels, 3, {.batch_size = 0}); },
                                {"BatchLoader: batch_size 0 must be positive"});
  expect_error<InvalidArgument>([&] { BatchLoader(toy.x, toy.labels, 0, {}); },
                                {"BatchLoader: features 0 must be positive"});
  expect_error<InvalidArgument>(
      [&] { BatchLoader(std::span<const float>(toy.x).first(29), toy.labels, 3, {}); },
      {"BatchLoader: x holds 29 values, but 10 labels x 3 features = 30"});
  BatchLoader loader(toy.x, toy.labels, 3, {.batch_size = 4});
  expect_error<InvalidArgument>([&] { loader.batch(0, 3); },
                                {"batch 3 of epoch 0: an epoch has batches 0..2 (10 samples, "
                                 "batch size 4)"});
  expect_error<InvalidArgument>([&] { loader.batch(-1, 0); }, {"epoch -1"});
  expect_error<InvalidArgument>([&] { loader.order(-2); }, {"epoch -2 is negative"});
}

// ---- the real data set, when its package is installed
// --------------------------------------------

TEST(FashionMnistPackage, RealFilesLoadWithBalancedClasses) {
  fs::path dir;
  try {
    dir = find_fashion_mnist();
  } catch (const DatasetNotFound& e) {
    GTEST_SKIP() << e.what();
  }
  std::cout << "[ data ] Fashion-MNIST from " << dir.string() << "\n";
  const FashionMnist data = load_fashion_mnist({.dir = dir});
  for (const ImageDataset* split : {&data.train, &data.test}) {
    const int expected = split == &data.train ? 60000 : 10000;
    EXPECT_EQ(split->count, expected) << split->name;
    EXPECT_EQ(split->rows, 28);
    EXPECT_EQ(split->cols, 28);
    ASSERT_EQ(split->images.size(), static_cast<std::size_t>(expected) * 784) << split->name;
    ASSERT_EQ(split->labels.size(), static_cast<std::size_t>(expected)) << split->name;
    std::vector<int> per_class(10, 0);
    for (std::int32_t l : split->labels) {
      ASSERT_TRUE(l >= 0 && l < 10) << split->name << ": label " << l;
      ++per_class[static_cast<std::size_t>(l)];
    }
    EXPECT_EQ(per_class, std::vector<int>(10, expected / 10))
        << split->name << ": classes unbalanced";
    const auto [lo, hi] = std::minmax_element(split->images.begin(), split->images.end());
    EXPECT_EQ(*lo, 0.0f) << split->name;
    EXPECT_EQ(*hi, 1.0f) << split->name;
  }
  // Known first labels of the published files: train starts Ankle boot, T-shirt/top, T-shirt/top,
  // Dress; test starts Ankle boot, Pullover, Trouser, Trouser, Shirt.
  EXPECT_EQ(std::vector<std::int32_t>(data.train.labels.begin(), data.train.labels.begin() + 4),
            (std::vector<std::int32_t>{9, 0, 0, 3}));
  EXPECT_EQ(std::vector<std::int32_t>(data.test.labels.begin(), data.test.labels.begin() + 5),
            (std::vector<std::int32_t>{9, 2, 1, 1, 6}));
  // The training split's pixel statistics, the usual normalisation constants.
  const PixelStatistics stats = pixel_statistics(data.train);
  EXPECT_NEAR(stats.mean, 0.2860, 5e-4);
  EXPECT_NEAR(stats.stddev, 0.3530, 5e-4);
}

}  // namespace
}  // namespace aisys::kernels
