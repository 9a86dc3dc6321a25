// The seeded shuffling batch loader of datasets.hpp. Epoch e's order is a Fisher-Yates shuffle
// driven by SplitMix64 (Steele, Lea and Flood 2014) started at mix(mix(seed) + e), with an unbiased
// bounded draw by rejection: plain 64-bit integer arithmetic, so the same on every platform.
#include <algorithm>
#include <limits>
#include <numeric>
#include <string>

#include "aisys/kernels/datasets.hpp"

namespace aisys::kernels {

namespace {

// SplitMix64's output function: a bijective 64-bit mix.
std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t state) : state_(state) {}
  std::uint64_t next() { return mix64(state_ += 0x9E3779B97F4A7C15ULL); }
  // Uniform in 0..n-1 (n > 0), without modulo bias: draws below 2^64 mod n are redrawn.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const std::uint64_t r = next();
      if (r >= threshold) return r % n;
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace

BatchLoader::BatchLoader(std::span<const float> x, std::span<const std::int32_t> labels,
                         int features, BatchLoaderOptions options)
    : x_(x), labels_(labels), features_(features), options_(options) {
  if (options_.batch_size <= 0) {
    throw InvalidArgument("BatchLoader: batch_size " + std::to_string(options_.batch_size) +
                          " must be positive");
  }
  if (features_ <= 0) {
    throw InvalidArgument("BatchLoader: features " + std::to_string(features_) +
                          " must be positive");
  }
  if (labels_.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw InvalidArgument("BatchLoader: " + std::to_string(labels_.size()) +
                          " samples, more than an int counts");
  }
  count_ = static_cast<int>(labels_.size());
  if (x_.size() != labels_.size() * static_cast<std::size_t>(features_)) {
    throw InvalidArgument(
        "BatchLoader: x holds " + std::to_string(x_.size()) + " values, but " +
        std::to_string(count_) + " labels x " + std::to_string(features_) +
        " features = " + std::to_string(labels_.size() * static_cast<std::size_t>(features_)));
  }
}

BatchLoader::BatchLoader(const ImageDataset& data, BatchLoaderOptions options)
    : BatchLoader(data.images, data.labels, data.features(), options) {}

int BatchLoader::batches_per_epoch() const {
  const int b = options_.batch_size;
  return options_.drop_last ? count_ / b : (count_ + b - 1) / b;
}

int BatchLoader::samples_per_epoch() const {
  return options_.drop_last ? batches_per_epoch() * options_.batch_size : count_;
}

std::vector<int> BatchLoader::order(int epoch) const {
  if (epoch < 0) {
    throw InvalidArgument("BatchLoader: epoch " + std::to_string(epoch) + " is negative");
  }
  std::vector<int> order(static_cast<std::size_t>(count_));
  std::iota(order.begin(), order.end(), 0);
  if (options_.shuffle) {
    SplitMix64 generator(mix64(mix64(options_.seed) + static_cast<std::uint64_t>(epoch)));
    for (std::size_t i = order.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(generator.below(i));  // 0..i-1
      std::swap(order[i - 1], order[j]);
    }
  }
  return order;
}

void BatchLoader::prepare_order(int epoch) {
  if (options_.shuffle ? order_epoch_ == epoch : order_epoch_ >= 0) return;
  order_ = order(epoch);
  order_epoch_ = epoch;
}

Batch BatchLoader::batch(int epoch, int index) {
  const int batches = batches_per_epoch();
  if (epoch < 0 || index < 0 || index >= batches) {
    const std::string has =
        batches == 0 ? std::string("no batches") : "batches 0.." + std::to_string(batches - 1);
    throw InvalidArgument(
        "BatchLoader: batch " + std::to_string(index) + " of epoch " + std::to_string(epoch) +
        ": an epoch has " + has + " (" + std::to_string(count_) + " samples, batch size " +
        std::to_string(options_.batch_size) +
        (options_.drop_last ? ", last partial batch dropped)" : ")") + " and epochs count from 0");
  }
  prepare_order(epoch);
  const std::size_t begin = static_cast<std::size_t>(index) * options_.batch_size;
  const std::size_t size =
      std::min<std::size_t>(static_cast<std::size_t>(options_.batch_size), order_.size() - begin);
  const auto features = static_cast<std::size_t>(features_);

  Batch b;
  b.epoch = epoch;
  b.index = index;
  b.size = static_cast<int>(size);
  b.features = features_;
  b.samples = std::span<const int>(order_).subspan(begin, size);
  if (!options_.shuffle) {  // consecutive samples: views straight into the data
    b.x = x_.subspan(begin * features, size * features);
    b.labels = labels_.subspan(begin, size);
    return b;
  }
  x_buffer_.resize(size * features);
  label_buffer_.resize(size);
  for (std::size_t i = 0; i < size; ++i) {
    const auto sample = static_cast<std::size_t>(b.samples[i]);
    std::copy_n(x_.begin() + static_cast<std::ptrdiff_t>(sample * features), features,
                x_buffer_.begin() + static_cast<std::ptrdiff_t>(i * features));
    label_buffer_[i] = labels_[sample];
  }
  b.x = x_buffer_;
  b.labels = label_buffer_;
  return b;
}

BatchLoader::Epoch::Iterator::Iterator(BatchLoader* loader, int epoch, int index)
    : loader_(loader), epoch_(epoch), index_(index) {
  if (loader_ != nullptr && index_ < loader_->batches_per_epoch()) {
    batch_ = loader_->batch(epoch_, index_);
  }
}

BatchLoader::Epoch::Iterator& BatchLoader::Epoch::Iterator::operator++() {
  ++index_;
  if (index_ < loader_->batches_per_epoch()) batch_ = loader_->batch(epoch_, index_);
  return *this;
}

}  // namespace aisys::kernels
