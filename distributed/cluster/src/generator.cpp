// generator.cpp: the seeded synthetic trace of aisys/cluster/generator.hpp. Every random draw is
// written out here (xoshiro256** seeded by splitmix64, uniforms from 53 bits, Box-Muller normals,
// inverse-CDF exponentials), so a seed gives the same trace with every standard library.
#include "aisys/cluster/generator.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include "aisys/kernels/error.hpp"

namespace aisys::cluster {
namespace {

constexpr double kSecondsPerDay = 86400.0;
// The 0.9 quantile of the standard normal distribution: p90 = p50 * exp(sigma * kZ90).
constexpr double kNormalQuantile90 = 1.2815515655446004;

// xoshiro256** (Blackman and Vigna), its state filled by splitmix64 from the seed.
class Random {
 public:
  explicit Random(std::uint64_t seed) {
    for (std::uint64_t& word : state_) word = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
    const std::uint64_t shifted = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= shifted;
    state_[3] = rotate_left(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Standard normal (Box-Muller; the second value of the pair is not kept).
  double normal() {
    const double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    return radius * std::cos(2.0 * std::numbers::pi * uniform());
  }

  // Exponential with the given rate (mean 1 / rate).
  double exponential(double rate) { return -std::log(1.0 - uniform()) / rate; }

 private:
  static std::uint64_t rotate_left(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  static std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::array<std::uint64_t, 4> state_{};
};

// Draws an index with probability proportional to its weight (weights non-negative, sum > 0).
class Categorical {
 public:
  explicit Categorical(const std::vector<double>& weights) {
    double total = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      total += weights[i];
      cumulative_.push_back(total);
      if (weights[i] > 0) last_positive_ = i;
    }
  }

  std::size_t draw(Random& random) const {
    const double target = random.uniform() * cumulative_.back();
    const auto found = std::upper_bound(cumulative_.begin(), cumulative_.end(), target);
    // u * total may round up to total itself: that draw belongs to the last possible index.
    if (found == cumulative_.end()) return last_positive_;
    return static_cast<std::size_t>(found - cumulative_.begin());
  }

 private:
  std::vector<double> cumulative_;
  std::size_t last_positive_ = 0;
};

std::string format_number(double value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  AISYS_ASSERT(error == std::errc(), "a double always fits in 64 characters");
  return std::string(buffer, end);
}

[[noreturn]] void reject(const std::string& option, const std::string& requirement,
                         const std::string& value) {
  throw InvalidArgument("generate_trace: GeneratorOptions::" + option + " " + requirement +
                        ", got " + value);
}

void check_options(const GeneratorOptions& options) {
  if (options.jobs < 1) reject("jobs", "must be >= 1", std::to_string(options.jobs));
  if (options.cluster_gpus < 1) {
    reject("cluster_gpus", "must be >= 1", std::to_string(options.cluster_gpus));
  }
  if (!(std::isfinite(options.offered_load) && options.offered_load > 0)) {
    reject("offered_load", "must be a finite number > 0", format_number(options.offered_load));
  }
  if (options.gpu_counts.empty()) reject("gpu_counts", "must not be empty", "none");
  if (options.gpu_weights.size() != options.gpu_counts.size()) {
    reject("gpu_weights",
           "must have one weight per entry of gpu_counts (" +
               std::to_string(options.gpu_counts.size()) + ")",
           std::to_string(options.gpu_weights.size()) + " weights");
  }
  for (const int count : options.gpu_counts) {
    if (count < 1 || count > options.cluster_gpus) {
      reject("gpu_counts",
             "must each be in [1, cluster_gpus = " + std::to_string(options.cluster_gpus) + "]",
             std::to_string(count));
    }
  }
  double weight_sum = 0;
  for (const double weight : options.gpu_weights) {
    if (!(std::isfinite(weight) && weight >= 0)) {
      reject("gpu_weights", "must each be a finite number >= 0", format_number(weight));
    }
    weight_sum += weight;
  }
  if (!(weight_sum > 0)) reject("gpu_weights", "must have a positive sum", "0");
  if (!(std::isfinite(options.duration_p50_s) && options.duration_p50_s > 0)) {
    reject("duration_p50_s", "must be a finite number > 0", format_number(options.duration_p50_s));
  }
  if (!(std::isfinite(options.duration_p90_s) && options.duration_p90_s > options.duration_p50_s)) {
    reject("duration_p90_s", "must be finite and > duration_p50_s",
           format_number(options.duration_p90_s));
  }
  if (!(std::isfinite(options.duration_min_s) && options.duration_min_s > 0)) {
    reject("duration_min_s", "must be a finite number > 0", format_number(options.duration_min_s));
  }
  if (!(std::isfinite(options.duration_max_s) && options.duration_max_s > options.duration_min_s)) {
    reject("duration_max_s", "must be finite and > duration_min_s",
           format_number(options.duration_max_s));
  }
  if (!(std::isfinite(options.duration_growth_per_doubling) &&
        options.duration_growth_per_doubling >= 0)) {
    reject("duration_growth_per_doubling", "must be a finite number >= 0",
           format_number(options.duration_growth_per_doubling));
  }
  if (!(options.diurnal_amplitude >= 0 && options.diurnal_amplitude < 1)) {
    reject("diurnal_amplitude", "must be in [0, 1)", format_number(options.diurnal_amplitude));
  }
  if (options.users < 1) reject("users", "must be >= 1", std::to_string(options.users));
  if (options.vcs < 1 || options.vcs > options.users) {
    reject("vcs", "must be in [1, users = " + std::to_string(options.users) + "]",
           std::to_string(options.vcs));
  }
  if (!(std::isfinite(options.user_zipf_s) && options.user_zipf_s >= 0)) {
    reject("user_zipf_s", "must be a finite number >= 0", format_number(options.user_zipf_s));
  }
  if (!(options.util_min > 0 && options.util_min <= 1)) {
    reject("util_min", "must be in (0, 1]", format_number(options.util_min));
  }
}

// "prefix" followed by index, zero-padded to at least `width` digits: name("user-", 3, 2) ==
// "user-03".
std::string padded_name(const char* prefix, long index, int width) {
  std::string digits = std::to_string(index);
  if (static_cast<int>(digits.size()) < width) {
    digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  }
  return prefix + digits;
}

int digit_count(long value) { return static_cast<int>(std::to_string(value).size()); }

// What is drawn for one job before its arrival time is known.
struct JobShape {
  int gpus = 1;
  double duration_s = 0;
  int user = 0;  // Zipf rank
  double gpu_util = 1;
};

}  // namespace

Trace generate_trace(const GeneratorOptions& options) {
  check_options(options);
  Random random(options.seed);

  const Categorical gpu_mix(options.gpu_weights);
  std::vector<double> zipf_weights(static_cast<std::size_t>(options.users));
  for (std::size_t rank = 0; rank < zipf_weights.size(); ++rank) {
    zipf_weights[rank] = std::pow(static_cast<double>(rank + 1), -options.user_zipf_s);
  }
  const Categorical user_mix(zipf_weights);
  const double mu = std::log(options.duration_p50_s);
  const double sigma =
      std::log(options.duration_p90_s / options.duration_p50_s) / kNormalQuantile90;

  // Job sizes first: their mean GPU-seconds sets the arrival rate.
  std::vector<JobShape> shapes(static_cast<std::size_t>(options.jobs));
  double total_gpu_seconds = 0;
  for (JobShape& shape : shapes) {
    shape.gpus = options.gpu_counts[gpu_mix.draw(random)];
    const double growth =
        1.0 + options.duration_growth_per_doubling * std::log2(static_cast<double>(shape.gpus));
    shape.duration_s = std::clamp(std::exp(mu + sigma * random.normal()) * growth,
                                  options.duration_min_s, options.duration_max_s);
    shape.user = static_cast<int>(user_mix.draw(random));
    shape.gpu_util = options.util_min + (1.0 - options.util_min) * random.uniform();
    total_gpu_seconds += shape.gpus * shape.duration_s;
  }
  const double mean_gpu_seconds = total_gpu_seconds / static_cast<double>(options.jobs);
  const double mean_rate = options.offered_load * options.cluster_gpus / mean_gpu_seconds;

  // Arrivals: a Poisson process of rate mean_rate * (1 + a sin(2 pi t / day)), by thinning a
  // process of the peak rate.
  const double amplitude = options.diurnal_amplitude;
  const double peak_rate = mean_rate * (1.0 + amplitude);
  const int user_width = std::max(2, digit_count(options.users - 1));
  const int job_width = std::max(6, digit_count(options.jobs));
  TraceBuilder builder;
  double time_s = 0;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    while (true) {
      time_s += random.exponential(peak_rate);
      const double rate =
          mean_rate *
          (1.0 + amplitude * std::sin(2.0 * std::numbers::pi * time_s / kSecondsPerDay));
      if (random.uniform() * peak_rate < rate) break;
    }
    const JobShape& shape = shapes[i];
    builder.add(padded_name("g", static_cast<long>(i) + 1, job_width), time_s,
                padded_name("user-", shape.user, user_width),
                padded_name("vc-", shape.user % options.vcs, 1), shape.gpus, shape.duration_s,
                shape.gpu_util);
  }
  return std::move(builder).build(describe(options));
}

std::string describe(const GeneratorOptions& options) {
  std::string text = "generated:";
  const auto add = [&text](const char* key, const std::string& value) {
    text.append(1, ' ').append(key).append(1, '=').append(value);
  };
  std::string gpu_mix;
  for (std::size_t i = 0; i < options.gpu_counts.size(); ++i) {
    if (i > 0) gpu_mix.append(1, ',');
    gpu_mix.append(std::to_string(options.gpu_counts[i])).append(1, ':');
    gpu_mix.append(i < options.gpu_weights.size() ? format_number(options.gpu_weights[i]) : "?");
  }
  add("seed", std::to_string(options.seed));
  add("jobs", std::to_string(options.jobs));
  add("cluster_gpus", std::to_string(options.cluster_gpus));
  add("offered_load", format_number(options.offered_load));
  add("gpus", gpu_mix);
  add("duration_p50_s", format_number(options.duration_p50_s));
  add("duration_p90_s", format_number(options.duration_p90_s));
  add("duration_min_s", format_number(options.duration_min_s));
  add("duration_max_s", format_number(options.duration_max_s));
  add("duration_growth_per_doubling", format_number(options.duration_growth_per_doubling));
  add("diurnal_amplitude", format_number(options.diurnal_amplitude));
  add("users", std::to_string(options.users));
  add("vcs", std::to_string(options.vcs));
  add("user_zipf_s", format_number(options.user_zipf_s));
  add("util_min", format_number(options.util_min));
  return text;
}

}  // namespace aisys::cluster
