// GPU tests of lab 02's cuDNN convolution baseline (harness/cudnn_conv_baselines.hpp): each pass,
// asked for alone as the benchmark asks, against the double-precision reference convolution on
// random inputs (seed printed; AISYS_SEED=S reruns), outputs poisoned with NaN first so that every
// element must be written; a pass that was not asked for is refused; the chosen algorithm uses
// FMA math. Skipped without a GPU or without cuDNN; on the CPU, under the emulated cuDNN
// (kernels/src/simt/cudnn.cpp), as harness.simt.CudnnConv.*.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "aisys/harness/conv_reference.hpp"
#include "aisys/harness/cudnn_conv_baselines.hpp"
#include "aisys/harness/testing.hpp"
#include "aisys/kernels/device.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/kernels/tensor.hpp"

namespace {

namespace t = aisys::testing;
using aisys::baselines::Conv2dShape;
using aisys::baselines::CudnnConv2d;
using aisys::kernels::Device;
using aisys::kernels::Tensor;

#define SKIP_WITHOUT_GPU_OR_CUDNN()                                                                      \
  if (!aisys::gpu_available()) GTEST_SKIP() << "no GPU: " << aisys::gpu_unavailable_reason();          \
  if (!aisys::baselines::have_cudnn()) {                                                                 \
    GTEST_SKIP() << aisys::baselines::cudnn_info().value("reason", std::string("no cuDNN"));            \
  }

// A strided, padded 3x3 layer with odd sizes, and a 1x1 layer with more channels.
std::vector<Conv2dShape> shapes() {
  Conv2dShape a;
  a.N = 2, a.C = 3, a.H = 9, a.W = 11, a.K = 5, a.R = 3, a.S = 3, a.stride = 2, a.padding = 1;
  Conv2dShape b;
  b.N = 3, b.C = 16, b.H = 7, b.W = 7, b.K = 8, b.R = 1, b.S = 1, b.stride = 1, b.padding = 0;
  return {a, b};
}

Tensor random_tensor(const aisys::kernels::Shape& shape, std::uint64_t salt) {
  return Tensor::uniform(shape, -1.0, 1.0, t::case_seed(salt));
}
Tensor on_gpu(const Tensor& t) { return t.to(Device::cuda()); }
Tensor poisoned_on_gpu(const aisys::kernels::Shape& shape) {
  return Tensor::full(shape, std::nan(""), aisys::kernels::DType::kFloat32, Device::cuda());
}

// Whether a pass's record names an algorithm that its candidates list under CUDNN_FMA_MATH.
bool chosen_with_fma_math(const nlohmann::json& pass) {
  const std::string algorithm = pass.value("algorithm", std::string());
  if (algorithm.empty() || !pass.contains("candidates")) return false;
  for (const auto& c : pass["candidates"]) {
    if (c.value("algorithm", std::string()) == algorithm && c.value("math_type", std::string()) == "CUDNN_FMA_MATH") {
      return true;
    }
  }
  return false;
}

TEST(CudnnConv, EachPassAloneMatchesTheReference) {
  SKIP_WITHOUT_GPU_OR_CUDNN();
  std::uint64_t salt = 7000;
  for (const Conv2dShape& s : shapes()) {
    const Tensor x = random_tensor(s.input_shape(), ++salt), w = random_tensor(s.weight_shape(), ++salt),
                 dy = random_tensor(s.output_shape(), ++salt);
    {
      CudnnConv2d conv(s, nullptr, CudnnConv2d::kForward);
      const Tensor y = poisoned_on_gpu(s.output_shape());
      conv.forward(on_gpu(x), on_gpu(w), y);
      EXPECT_TRUE(t::close_tensor("cudnn forward " + s.to_string(), y.to(Device::cpu()),
                                  t::reference_conv2d_forward(s, x, w), t::conv2d_forward_tolerance(s)));
      EXPECT_TRUE(chosen_with_fma_math(conv.info()["passes"]["forward"])) << conv.info().dump();
      EXPECT_FALSE(conv.info()["passes"].contains("backward_data")) << "a pass not asked for was searched";
    }
    {
      CudnnConv2d conv(s, nullptr, CudnnConv2d::kBackwardData);
      const Tensor dx = poisoned_on_gpu(s.input_shape());
      conv.backward_data(on_gpu(dy), on_gpu(w), dx);
      EXPECT_TRUE(t::close_tensor("cudnn backward_data " + s.to_string(), dx.to(Device::cpu()),
                                  t::reference_conv2d_backward_data(s, dy, w), t::conv2d_backward_data_tolerance(s)));
      EXPECT_TRUE(chosen_with_fma_math(conv.info()["passes"]["backward_data"])) << conv.info().dump();
    }
    {
      CudnnConv2d conv(s, nullptr, CudnnConv2d::kBackwardWeights);
      const Tensor dw = poisoned_on_gpu(s.weight_shape());
      conv.backward_weights(on_gpu(x), on_gpu(dy), dw);
      EXPECT_TRUE(t::close_tensor("cudnn backward_weights " + s.to_string(), dw.to(Device::cpu()),
                                  t::reference_conv2d_backward_weights(s, x, dy),
                                  t::conv2d_backward_weights_tolerance(s)));
      EXPECT_TRUE(chosen_with_fma_math(conv.info()["passes"]["backward_weights"])) << conv.info().dump();
    }
  }
}

TEST(CudnnConv, APassNotAskedForIsRefused) {
  SKIP_WITHOUT_GPU_OR_CUDNN();
  const Conv2dShape s = shapes().front();
  CudnnConv2d conv(s, nullptr, CudnnConv2d::kForward);
  try {
    conv.backward_data(poisoned_on_gpu(s.output_shape()), poisoned_on_gpu(s.weight_shape()),
                       poisoned_on_gpu(s.input_shape()));
    ADD_FAILURE() << "backward_data ran on a CudnnConv2d made for the forward pass only";
  } catch (const aisys::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("made without that pass"), std::string::npos) << e.what();
  }
}

}  // namespace
