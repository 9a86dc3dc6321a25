// Shared fixture of the CUDA tests of aisys::kernels: skips every test, with the reason, when this
// machine has no usable GPU, and draws random data from a seed it prints.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <random>
#include <vector>

#include "aisys/kernels/device.hpp"

namespace aisys::testing {

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!aisys::gpu_available()) GTEST_SKIP() << aisys::gpu_unavailable_reason();
  }

  // Uniform floats in [-1, 1), never all zero; the seed is printed so a failure can be replayed.
  static std::vector<float> random_floats(std::size_t n, std::uint32_t seed) {
    std::cout << "[ seed     ] " << seed << "\n";
    std::mt19937 engine(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> values(n);
    for (float& v : values) v = uniform(engine);
    return values;
  }
};

}  // namespace aisys::testing
