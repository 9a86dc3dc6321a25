// aisys/kernels/datasets.hpp: data sets for the labs that train on real data (lab 02, autograd,
// trains an MLP and a small CNN on Fashion-MNIST), and a seeded shuffling batch loader.
//
//   const FashionMnist data = load_fashion_mnist({.normalize = true});  // 60,000 and 10,000
//   BatchLoader loader(data.train, {.batch_size = 64, .seed = 42});
//   for (int epoch = 0; epoch < epochs; ++epoch) {
//     for (const Batch& batch : loader.epoch(epoch)) {
//       // batch.x: (batch.size, 784) row-major float32; batch.labels: (batch.size) int32 in 0..9
//       model.compute_gradients(batch.x.data(), batch.labels.data(), batch.size);
//     }
//   }
//
// Where the files come from: the distribution's package (apt install dataset-fashion-mnist) puts
// the four gzip-compressed IDX files in /usr/share/datasets/fashion-mnist; AISYS_FASHION_MNIST_DIR
// or an explicit folder overrides that (see find_fashion_mnist()). Nothing is ever downloaded.
//
// IDX (the MNIST file format): a big-endian 32-bit magic 0x0000TTNN (TT the element type, 0x08 for
// unsigned bytes; NN the number of dimensions), then NN big-endian 32-bit dimensions, then the
// elements row-major. Images are 0x00000803 (count, rows, cols), labels 0x00000801 (count). Files
// are read whole, gzip-compressed (detected by the gzip magic bytes, decompressed with zlib) or
// plain, and checked exactly: a wrong magic, a truncated file, dimensions that disagree with the
// file's size, trailing bytes, a corrupt or cut-off gzip stream, label and image counts that
// differ, labels outside 0..classes-1. Each throws DataFileError whose message starts with the
// file's path:
//   "/data/train-labels-idx1-ubyte.gz: 59999 labels but 60000 images (in .../train-images-...)"
//
// Pixels become float32 p / 255 in [0, 1]. Optional normalisation (load_fashion_mnist's
// `normalize`) subtracts the training split's mean pixel and divides by its standard deviation, one
// scalar pair over all pixels of all training images (about 0.2860 and 0.3530 for Fashion-MNIST),
// applied to both splits, so the test split never leaks into the statistics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aisys/kernels/error.hpp"

namespace aisys::kernels {

// A data file that cannot be read or is malformed; the message starts with the file's path.
class DataFileError : public aisys::Error {
 public:
  using Error::Error;
};

// The data set is not where it was looked for; the message names the folders tried, the files
// missing there, and the package to install.
class DatasetNotFound : public aisys::Error {
 public:
  using Error::Error;
};

// ---- IDX files ---------------------------------------------------------------------------------

inline constexpr std::uint32_t kIdxImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
inline constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension

// The file's bytes, gunzipped when it starts with the gzip magic (1f 8b; concatenated gzip members
// are read one after another), as they are otherwise. Throws DataFileError: cannot open or read,
// corrupt gzip stream, gzip stream cut off, bytes after the gzip stream.
std::vector<std::uint8_t> read_maybe_gzipped_file(const std::filesystem::path& file);

// An IDX image file: pixels (count, rows, cols), row-major, 0..255.
struct IdxImages {
  int count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;
};
IdxImages read_idx_images(const std::filesystem::path& file);

// An IDX label file: one unsigned byte per sample.
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& file);

// ---- labelled image data sets ------------------------------------------------------------------

// Images with a class label each, in memory.
struct ImageDataset {
  std::string name;                   // "Fashion-MNIST train"
  int count = 0, rows = 0, cols = 0;  // count images of rows x cols pixels
  std::vector<float> images;          // (count, rows * cols) row-major: (p / 255 - mean) / stddev
  std::vector<std::int32_t> labels;   // (count), each in 0..classes()-1
  std::vector<std::string> class_names;  // label -> name
  double mean = 0.0, stddev = 1.0;       // the normalisation applied (0 and 1: pixels in [0, 1])

  int features() const { return rows * cols; }
  int classes() const { return static_cast<int>(class_names.size()); }
  // Image i: (rows * cols) floats.
  std::span<const float> image(int i) const;
};

// Reads an IDX image file and its IDX label file into a data set with pixels in [0, 1]. Throws
// DataFileError naming the file at fault: everything read_idx_images()/read_idx_labels() check,
// and a label count differing from the image count, a label outside 0..class_names.size()-1.
ImageDataset load_idx_dataset(const std::filesystem::path& images_file,
                              const std::filesystem::path& labels_file,
                              std::vector<std::string> class_names, std::string name);

// Mean and standard deviation (population, computed in double) over every value of every image,
// as the images are now (after any normalisation already applied).
struct PixelStatistics {
  double mean = 0.0, stddev = 1.0;
};
PixelStatistics pixel_statistics(const ImageDataset& data);

// x = (x - mean) / stddev on every value; records the map in data.mean and data.stddev, composed
// with any normalisation already applied, so that x = (p / 255 - data.mean) / data.stddev always
// holds. Throws InvalidArgument when stddev is not positive and finite.
void normalize(ImageDataset& data, double mean, double stddev);

// ---- Fashion-MNIST -----------------------------------------------------------------------------

// Zalando's Fashion-MNIST: 28 x 28 grey images of clothing in 10 classes, train 60,000 (6,000 per
// class), test 10,000 (1,000 per class).
inline constexpr std::string_view kFashionMnistPackage = "dataset-fashion-mnist";
inline constexpr std::string_view kFashionMnistEnvironmentVariable = "AISYS_FASHION_MNIST_DIR";
inline constexpr std::string_view kFashionMnistPackageDir = "/usr/share/datasets/fashion-mnist";
inline constexpr int kFashionMnistClasses = 10;
inline constexpr int kFashionMnistRows = 28, kFashionMnistCols = 28;

// "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
// "Ankle boot": label -> name.
const std::vector<std::string>& fashion_mnist_class_names();

enum class Split { kTrain, kTest };
std::string_view split_name(Split split);  // "train", "test"

// The two files of a split in `dir`: {images, labels}, e.g. {dir/train-images-idx3-ubyte.gz,
// dir/train-labels-idx1-ubyte.gz}. The uncompressed name (no .gz) is used where only that exists.
struct SplitFiles {
  std::filesystem::path images, labels;
};
SplitFiles fashion_mnist_files(const std::filesystem::path& dir, Split split);

// The folder holding the four Fashion-MNIST files. Looked for in the first of: `dir` when not
// empty, else $AISYS_FASHION_MNIST_DIR when set and not empty, else
// /usr/share/datasets/fashion-mnist (the package's folder). Only that one folder is tried: a folder
// named on purpose that lacks the files is reported, not silently replaced by another. Throws
// DatasetNotFound:
//   "Fashion-MNIST not found in /x (from AISYS_FASHION_MNIST_DIR: missing
//    train-images-idx3-ubyte.gz, ...): install the distribution's package
//    (apt install dataset-fashion-mnist) or set AISYS_FASHION_MNIST_DIR"
std::filesystem::path find_fashion_mnist(const std::filesystem::path& dir = {});

// One split, pixels in [0, 1] (not normalised), checked to be 28 x 28 with labels in 0..9. `dir` as
// for find_fashion_mnist().
ImageDataset load_fashion_mnist_split(Split split, const std::filesystem::path& dir = {});

struct FashionMnistOptions {
  std::filesystem::path dir;  // empty: find_fashion_mnist()'s search
  bool normalize = false;     // both splits by the training split's pixel mean and std
};
struct FashionMnist {
  ImageDataset train, test;
};
FashionMnist load_fashion_mnist(const FashionMnistOptions& options = {});

// ---- shuffling batch loader ---------------------------------------------------------------------

struct BatchLoaderOptions {
  int batch_size = 64;
  bool shuffle = true;     // false: samples in their stored order every epoch
  bool drop_last = false;  // drop the last, partial batch of an epoch (true) or keep it (false)
  std::uint64_t seed = 0;  // the order of epoch e is a function of (seed, e) only
};

// One batch: views, valid until the loader produces its next batch or is destroyed.
struct Batch {
  int epoch = 0, index = 0;              // batch `index` of epoch `epoch`
  int size = 0, features = 0;            // size <= batch_size (the last batch may be partial)
  std::span<const float> x;              // (size, features) row-major
  std::span<const std::int32_t> labels;  // (size)
  std::span<const int> samples;          // (size): which samples of the data set these are
};

// Batches over a labelled data set (x: (count, features) row-major, labels: (count)), reshuffled
// each epoch. With shuffling, epoch e visits the samples in a permutation drawn by Fisher-Yates
// from a SplitMix64 generator seeded with (seed, e): the same seed gives the same order on every
// machine, compiler and standard library (no std:: distribution is involved), any epoch can be
// produced without the ones before it (resuming at epoch 7 sees epoch 7's order), and different
// epochs see different orders. A batch's x and labels are gathered into the loader's buffers;
// without shuffling they are views straight into the data set. The loader keeps views of the data,
// which must outlive it.
class BatchLoader {
 public:
  BatchLoader(std::span<const float> x, std::span<const std::int32_t> labels, int features,
              BatchLoaderOptions options);
  BatchLoader(const ImageDataset& data, BatchLoaderOptions options);

  int count() const { return count_; }
  int features() const { return features_; }
  int batch_size() const { return options_.batch_size; }
  const BatchLoaderOptions& options() const { return options_; }
  // ceil(count / batch_size), or floor(count / batch_size) with drop_last.
  int batches_per_epoch() const;
  // Samples an epoch visits: count, or batches_per_epoch() * batch_size with drop_last.
  int samples_per_epoch() const;

  // The order of epoch e: a permutation of 0..count-1 (0, 1, 2, ... without shuffling).
  std::vector<int> order(int epoch) const;

  // Batch `index` (0..batches_per_epoch()-1) of epoch `epoch`. Throws InvalidArgument on an index
  // out of range or a negative epoch.
  Batch batch(int epoch, int index);

  // The batches of one epoch, for a range-for loop: for (const Batch& b : loader.epoch(e)).
  class Epoch;
  Epoch epoch(int epoch);

 private:
  void prepare_order(int epoch);

  std::span<const float> x_;
  std::span<const std::int32_t> labels_;
  int count_ = 0, features_ = 0;
  BatchLoaderOptions options_;
  int order_epoch_ = -1;  // the epoch whose order order_ holds (-1: none yet)
  std::vector<int> order_;
  std::vector<float> x_buffer_;
  std::vector<std::int32_t> label_buffer_;
};

class BatchLoader::Epoch {
 public:
  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    const Batch& operator*() const { return batch_; }
    const Batch* operator->() const { return &batch_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    friend class Epoch;
    Iterator(BatchLoader* loader, int epoch, int index);
    BatchLoader* loader_ = nullptr;
    int epoch_ = 0, index_ = 0;
    Batch batch_;
  };

  Iterator begin() const { return Iterator(loader_, epoch_, 0); }
  Iterator end() const { return Iterator(nullptr, epoch_, loader_->batches_per_epoch()); }
  int size() const { return loader_->batches_per_epoch(); }

 private:
  friend class BatchLoader;
  Epoch(BatchLoader* loader, int epoch) : loader_(loader), epoch_(epoch) {}
  BatchLoader* loader_;
  int epoch_;
};

inline BatchLoader::Epoch BatchLoader::epoch(int epoch) { return Epoch(this, epoch); }

}  // namespace aisys::kernels
