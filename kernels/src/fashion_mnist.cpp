// Fashion-MNIST of datasets.hpp: where the files are (an explicit folder, AISYS_FASHION_MNIST_DIR,
// or the dataset-fashion-mnist package's folder) and loading its two splits.
#include <cstdlib>
#include <string>
#include <system_error>

#include "aisys/kernels/datasets.hpp"

namespace aisys::kernels {

namespace fs = std::filesystem;

namespace {

// The four files as upstream names them and the package installs them (gzip-compressed).
constexpr std::string_view kTrainImages = "train-images-idx3-ubyte";
constexpr std::string_view kTrainLabels = "train-labels-idx1-ubyte";
constexpr std::string_view kTestImages = "t10k-images-idx3-ubyte";
constexpr std::string_view kTestLabels = "t10k-labels-idx1-ubyte";

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);  // follows symbolic links
}

// dir/name.gz, or dir/name where only the uncompressed file exists.
fs::path file_in(const fs::path& dir, std::string_view name) {
  const fs::path gz = dir / (std::string(name) + ".gz");
  const fs::path plain = dir / std::string(name);
  return !is_file(gz) && is_file(plain) ? plain : gz;
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

std::string_view split_name(Split split) { return split == Split::kTrain ? "train" : "test"; }

SplitFiles fashion_mnist_files(const fs::path& dir, Split split) {
  const bool train = split == Split::kTrain;
  return {file_in(dir, train ? kTrainImages : kTestImages),
          file_in(dir, train ? kTrainLabels : kTestLabels)};
}

fs::path find_fashion_mnist(const fs::path& dir) {
  fs::path chosen;
  std::string source;
  const std::string variable(kFashionMnistEnvironmentVariable);
  const char* env = std::getenv(variable.c_str());
  if (!dir.empty()) {
    chosen = dir;
    source = "the folder given";
  } else if (env != nullptr && *env != '\0') {
    chosen = env;
    source = "from " + variable;
  } else {
    chosen = kFashionMnistPackageDir;
    source = "the " + std::string(kFashionMnistPackage) + " package's folder";
  }

  std::string problem;
  std::error_code ec;
  if (!fs::is_directory(chosen, ec)) {
    problem = "no such folder";
  } else {
    for (std::string_view name : {kTrainImages, kTrainLabels, kTestImages, kTestLabels}) {
      if (!is_file(chosen / (std::string(name) + ".gz")) && !is_file(chosen / std::string(name))) {
        problem += (problem.empty() ? "missing " : ", ") + std::string(name) + ".gz";
      }
    }
  }
  if (problem.empty()) return chosen;
  throw DatasetNotFound("Fashion-MNIST not found in " + chosen.string() + " (" + source + ": " +
                        problem + "): install the distribution's package (apt install " +
                        std::string(kFashionMnistPackage) + ") or set " + variable);
}

namespace {

ImageDataset load_split_from(const fs::path& dir, Split split) {
  const SplitFiles files = fashion_mnist_files(dir, split);
  ImageDataset data = load_idx_dataset(files.images, files.labels, fashion_mnist_class_names(),
                                       "Fashion-MNIST " + std::string(split_name(split)));
  if (data.rows != kFashionMnistRows || data.cols != kFashionMnistCols) {
    throw DataFileError(files.images.string() + ": images of " + std::to_string(data.rows) + " x " +
                        std::to_string(data.cols) + " pixels, but Fashion-MNIST's are " +
                        std::to_string(kFashionMnistRows) + " x " +
                        std::to_string(kFashionMnistCols));
  }
  return data;
}

}  // namespace

ImageDataset load_fashion_mnist_split(Split split, const fs::path& dir) {
  return load_split_from(find_fashion_mnist(dir), split);
}

FashionMnist load_fashion_mnist(const FashionMnistOptions& options) {
  const fs::path dir = find_fashion_mnist(options.dir);  // both splits from the same folder
  FashionMnist data{load_split_from(dir, Split::kTrain), load_split_from(dir, Split::kTest)};
  if (options.normalize) {
    const PixelStatistics train = pixel_statistics(data.train);
    normalize(data.train, train.mean, train.stddev);
    normalize(data.test, train.mean, train.stddev);
  }
  return data;
}

}  // namespace aisys::kernels
