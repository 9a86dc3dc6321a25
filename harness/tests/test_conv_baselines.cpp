// Tests of lab 02's CPU convolution baselines (conv_baselines.hpp) and of their oracle
// (conv_reference.hpp): the double-precision loops against hand-computed values and against each
// other (the backward passes are the adjoints of the forward), the comparison catching one wrong
// element, then oneDNN's forward, backward-data and backward-weights against the loops on random
// inputs (seed printed; AISYS_SEED=S reruns) for small ResNet-like shapes, in each memory-format
// mode (fastest, preferred, plain), and its argument checks. Without oneDNN, the oneDNN tests
// skip with the reason and one test checks the "built without oneDNN" error.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "aisys/harness/conv_baselines.hpp"
#include "aisys/harness/conv_reference.hpp"
#include "aisys/harness/cudnn_conv_baselines.hpp"
#include "aisys/harness/testing.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/kernels/tensor.hpp"

namespace aisys::baselines {
// How gtest prints the parameter (in failure messages).
void PrintTo(OnednnFormats formats, std::ostream* out) { *out << formats_name(formats); }
}  // namespace aisys::baselines

namespace {

namespace t = aisys::testing;
using aisys::baselines::Conv2dShape;
using aisys::baselines::OnednnConv2d;
using aisys::baselines::OnednnFormats;
using aisys::kernels::DType;
using aisys::kernels::Tensor;

// Small ResNet-like shapes: 3x3 same-padding, stride 2 (with an input row and column no output
// reads when H, W are even and padding 0), 1x1, non-square input and kernel, and one with 16+
// channels where oneDNN's blocked kernels apply.
const std::vector<Conv2dShape>& test_shapes() {
  static const std::vector<Conv2dShape> shapes = {
      {.N = 2, .C = 3, .H = 9, .W = 9, .K = 4, .R = 3, .S = 3, .stride = 1, .padding = 1},
      {.N = 2, .C = 3, .H = 9, .W = 9, .K = 4, .R = 3, .S = 3, .stride = 2, .padding = 1},
      {.N = 2, .C = 5, .H = 8, .W = 6, .K = 3, .R = 3, .S = 3, .stride = 2, .padding = 0},
      {.N = 2, .C = 8, .H = 7, .W = 7, .K = 5, .R = 1, .S = 1, .stride = 1, .padding = 0},
      {.N = 1, .C = 4, .H = 10, .W = 7, .K = 6, .R = 3, .S = 5, .stride = 1, .padding = 2},
      {.N = 2, .C = 16, .H = 14, .W = 14, .K = 32, .R = 3, .S = 3, .stride = 1, .padding = 1},
  };
  return shapes;
}

Tensor random_tensor(const aisys::kernels::Shape& shape, std::uint64_t salt) {
  return Tensor::uniform(shape, -1.0, 1.0, t::case_seed(salt));
}

double dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double s = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

// Expects `f` to throw E with every one of `parts` in its message.
template <typename E, typename F>
void expect_throw_with(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning " << parts.front();
  } catch (const E& e) {
    const std::string what = e.what();
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << what;
  }
}

// --- Conv2dShape ----------------------------------------------------------------------------

TEST(Conv2dShape, DerivedSizesFlopsAndName) {
  const Conv2dShape resnet{
      .N = 32, .C = 64, .H = 56, .W = 56, .K = 64, .R = 3, .S = 3, .stride = 1, .padding = 1};
  EXPECT_EQ(resnet.P(), 56);
  EXPECT_EQ(resnet.Q(), 56);
  EXPECT_DOUBLE_EQ(resnet.flops(), 2.0 * 32 * 64 * 56 * 56 * 64 * 3 * 3);
  EXPECT_EQ(resnet.to_string(), "N32 C64 H56 W56 K64 R3 S3 /1 p1");
  const Conv2dShape down{
      .N = 1, .C = 3, .H = 224, .W = 223, .K = 64, .R = 7, .S = 7, .stride = 2, .padding = 3};
  EXPECT_EQ(down.P(), 112);
  EXPECT_EQ(down.Q(), 112);  // (223 + 6 - 7) / 2 + 1: the last column is never read
  EXPECT_EQ(down.output_shape(), (aisys::kernels::Shape{1, 64, 112, 112}));
  EXPECT_EQ(down.weight_shape(), (aisys::kernels::Shape{64, 3, 7, 7}));
  EXPECT_NO_THROW(down.validate());
}

TEST(Conv2dShape, BadShapesAreRejectedByName) {
  expect_throw_with<aisys::InvalidArgument>(
      [] { Conv2dShape{.H = 2, .W = 2, .R = 5, .S = 3, .padding = 1}.validate(); },
      {"N1 C1 H2 W2 K1 R5 S3 /1 p1", "5x3 kernel does not fit in the 4x4 padded input"});
  expect_throw_with<aisys::InvalidArgument>(
      [] { Conv2dShape{.H = 4, .W = 4, .stride = 0}.validate(); }, {"/0", "stride"});
  expect_throw_with<aisys::InvalidArgument>(
      [] { Conv2dShape{.H = 4, .W = 4, .padding = -1}.validate(); }, {"p-1", "padding"});
  expect_throw_with<aisys::InvalidArgument>([] { Conv2dShape{.C = 0}.validate(); },
                                            {"C0", "at least 1"});
}

// --- the oracle -----------------------------------------------------------------------------

// One input channel, 3x3 input 1..9, 2x2 kernel [[1, 2], [3, 4]], worked by hand.
TEST(ConvReference, MatchesHandComputedValues) {
  const Conv2dShape s{.H = 3, .W = 3, .R = 2, .S = 2};
  const Tensor x = Tensor::from_values({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor w = Tensor::from_values({1, 2, 3, 4}, {1, 1, 2, 2});
  // y[p,q] = x[p,q] + 2 x[p,q+1] + 3 x[p+1,q] + 4 x[p+1,q+1]
  EXPECT_EQ(t::reference_conv2d_forward(s, x, w).to_vector(),
            (std::vector<double>{37, 47, 67, 77}));
  // dy = ones: dx[i,j] = sum of the kernel taps that land on (i, j).
  const Tensor dy = Tensor::ones({1, 1, 2, 2});
  EXPECT_EQ(t::reference_conv2d_backward_data(s, dy, w).to_vector(),
            (std::vector<double>{1, 3, 2, 4, 10, 6, 3, 7, 4}));
  // dw[r,s] = sum of the 2x2 window of x starting at (r, s).
  EXPECT_EQ(t::reference_conv2d_backward_weights(s, x, dy).to_vector(),
            (std::vector<double>{12, 16, 24, 28}));
  // Stride 2, padding 1: the 2x2 output reads x[-1..0] and x[1..2] windows.
  const Conv2dShape p{.H = 3, .W = 3, .R = 2, .S = 2, .stride = 2, .padding = 1};
  EXPECT_EQ(
      t::reference_conv2d_forward(p, x, w).to_vector(),
      (std::vector<double>{4 * 1, 3 * 2 + 4 * 3, 2 * 4 + 4 * 7, 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9}));
}

// <conv(x, w), dy> = <x, backward_data(dy, w)> = <w, backward_weights(x, dy)>: the backward
// loops are the adjoints of the forward loop, checked without any library.
TEST(ConvReference, BackwardPassesAreAdjointsOfForward) {
  for (std::size_t i = 0; i < test_shapes().size(); ++i) {
    const Conv2dShape& s = test_shapes()[i];
    const Tensor x = random_tensor(s.input_shape(), 100 + 3 * i);
    const Tensor w = random_tensor(s.weight_shape(), 101 + 3 * i);
    const Tensor dy = random_tensor(s.output_shape(), 102 + 3 * i);
    const double forward = dot(t::reference_conv2d_forward(s, x, w), dy);
    const double data = dot(x, t::reference_conv2d_backward_data(s, dy, w));
    const double weights = dot(w, t::reference_conv2d_backward_weights(s, x, dy));
    const double scale = std::max(1.0, std::abs(forward));
    EXPECT_NEAR(forward, data, 1e-12 * scale) << s.to_string() << ", seed " << t::test_seed();
    EXPECT_NEAR(forward, weights, 1e-12 * scale) << s.to_string() << ", seed " << t::test_seed();
  }
}

TEST(ConvReference, ShapeMismatchNamesTheFunction) {
  const Conv2dShape s{.N = 1, .C = 2, .H = 5, .W = 5, .K = 3, .R = 3, .S = 3};
  expect_throw_with<aisys::InvalidArgument>(
      [&] {
        t::reference_conv2d_forward(s, Tensor::zeros({1, 2, 5, 4}), Tensor::zeros({3, 2, 3, 3}));
      },
      {"reference_conv2d_forward", "x must be [1, 2, 5, 5]", "got [1, 2, 5, 4]"});
}

TEST(CloseTensor, PassesRoundingAndCatchesOneWrongElement) {
  const Tensor want = Tensor::uniform({2, 3, 4, 5}, -1, 1, t::case_seed(7), DType::kFloat64);
  Tensor got = want.to(DType::kFloat32);
  EXPECT_TRUE(t::close_tensor("rounded", got, want, t::fp32_tolerance(16)));
  got.data<float>()[(((1 * 3 + 2) * 4 + 3) * 5) + 1] += 0.25f;
  const auto r = t::close_tensor("perturbed", got, want, t::fp32_tolerance(16));
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("first bad element [1, 2, 3, 1]"), std::string::npos)
      << r.message();
  got.data<float>()[0] = std::nanf("");
  EXPECT_FALSE(t::close_tensor("nan", got, want, 1.0));
  EXPECT_FALSE(t::close_tensor("shape", Tensor::zeros({2, 3}), want, 1.0));
}

// --- cuDNN (its passes; the convolutions themselves are GPU tests: cuda/test_cudnn_conv.cpp) ---

TEST(CudnnConv2dPasses, AnEmptyOrUnknownSetOfPassesIsRefused) {
  if (!aisys::baselines::have_cudnn()) GTEST_SKIP() << aisys::baselines::cudnn_info().value("reason", std::string());
  Conv2dShape s;
  s.C = 2, s.H = s.W = 5, s.K = 3, s.R = s.S = 3;
  for (const unsigned passes : {0u, 8u, 9u}) {
    expect_throw_with<aisys::InvalidArgument>([&] { aisys::baselines::CudnnConv2d conv(s, nullptr, passes); },
                                              {"CudnnConv2d: passes must be", std::to_string(passes)});
  }
}

// --- oneDNN ---------------------------------------------------------------------------------

// The reason is onednn_info()'s: "built without oneDNN: install libdnnl-dev and reconfigure ...".
#define SKIP_WITHOUT_ONEDNN()                                                                  \
  if (!aisys::baselines::have_onednn()) {                                                      \
    GTEST_SKIP() << aisys::baselines::onednn_info().value("reason", std::string("no oneDNN")); \
  }

class OnednnConv : public ::testing::TestWithParam<std::tuple<std::size_t, OnednnFormats>> {
 protected:
  const Conv2dShape& shape() const { return test_shapes()[std::get<0>(GetParam())]; }
  OnednnFormats formats() const { return std::get<1>(GetParam()); }
  std::uint64_t salt(std::uint64_t which) const {
    return 1000 + 10 * std::get<0>(GetParam()) + which;
  }
  std::string what(const char* op, const OnednnConv2d& conv) const {
    return std::string("onednn conv2d ") + op + " " + shape().to_string() + " (" +
           aisys::baselines::formats_name(formats()) + " formats, " +
           conv.info()["passes"][op]["implementation"].get<std::string>() + ")";
  }
};

TEST_P(OnednnConv, ForwardMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  const Conv2dShape& s = shape();
  OnednnConv2d conv(s, formats());
  const Tensor x = random_tensor(s.input_shape(), salt(0));
  const Tensor w = random_tensor(s.weight_shape(), salt(1));
  const Tensor y = Tensor::full(s.output_shape(), std::nan(""));  // every element must be written
  conv.forward(x, w, y);
  EXPECT_TRUE(t::close_tensor(what("forward", conv), y, t::reference_conv2d_forward(s, x, w),
                              t::conv2d_forward_tolerance(s)));
}

TEST_P(OnednnConv, BackwardDataMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  const Conv2dShape& s = shape();
  OnednnConv2d conv(s, formats());
  const Tensor dy = random_tensor(s.output_shape(), salt(2));
  const Tensor w = random_tensor(s.weight_shape(), salt(3));
  const Tensor dx = Tensor::full(s.input_shape(), std::nan(""));
  conv.backward_data(dy, w, dx);
  EXPECT_TRUE(t::close_tensor(what("backward_data", conv), dx,
                              t::reference_conv2d_backward_data(s, dy, w),
                              t::conv2d_backward_data_tolerance(s)));
}

TEST_P(OnednnConv, BackwardWeightsMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  const Conv2dShape& s = shape();
  OnednnConv2d conv(s, formats());
  const Tensor x = random_tensor(s.input_shape(), salt(4));
  const Tensor dy = random_tensor(s.output_shape(), salt(5));
  const Tensor dw = Tensor::full(s.weight_shape(), std::nan(""));
  conv.backward_weights(x, dy, dw);
  EXPECT_TRUE(t::close_tensor(what("backward_weights", conv), dw,
                              t::reference_conv2d_backward_weights(s, x, dy),
                              t::conv2d_backward_weights_tolerance(s)));
}

// Calling again on new inputs (the memory objects are reused) gives the new answer.
TEST_P(OnednnConv, RepeatedCallsUseTheNewData) {
  SKIP_WITHOUT_ONEDNN();
  const Conv2dShape& s = shape();
  OnednnConv2d conv(s, formats());
  const Tensor w = random_tensor(s.weight_shape(), salt(6));
  const Tensor y = Tensor::empty(s.output_shape());
  for (std::uint64_t round = 0; round < 2; ++round) {
    const Tensor x = random_tensor(s.input_shape(), salt(7 + round));
    conv.forward(x, w, y);
    EXPECT_TRUE(t::close_tensor(what("forward", conv) + ", call " + std::to_string(round + 1), y,
                                t::reference_conv2d_forward(s, x, w),
                                t::conv2d_forward_tolerance(s)));
  }
}

std::string param_name(
    const ::testing::TestParamInfo<std::tuple<std::size_t, OnednnFormats>>& info) {
  const Conv2dShape& s = test_shapes()[std::get<0>(info.param)];
  const std::string name =
      "N" + std::to_string(s.N) + "C" + std::to_string(s.C) + "H" + std::to_string(s.H) + "W" +
      std::to_string(s.W) + "K" + std::to_string(s.K) + "R" + std::to_string(s.R) + "S" +
      std::to_string(s.S) + "s" + std::to_string(s.stride) + "p" + std::to_string(s.padding);
  return name + "_" + aisys::baselines::formats_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Shapes, OnednnConv,
                         ::testing::Combine(::testing::Range<std::size_t>(0, 6),
                                            ::testing::Values(OnednnFormats::kFastest,
                                                              OnednnFormats::kPreferred,
                                                              OnednnFormats::kPlain)),
                         param_name);

TEST(OnednnConv2d, BadTensorsNameTheOpAndShapes) {
  SKIP_WITHOUT_ONEDNN();
  const Conv2dShape s{
      .N = 2, .C = 3, .H = 9, .W = 9, .K = 4, .R = 3, .S = 3, .stride = 1, .padding = 1};
  OnednnConv2d conv(s);
  const Tensor x = Tensor::zeros(s.input_shape());
  const Tensor w = Tensor::zeros(s.weight_shape());
  const Tensor y = Tensor::zeros(s.output_shape());
  expect_throw_with<aisys::InvalidArgument>(
      [&] {
        conv.forward(Tensor::zeros({2, 3, 9, 8}), w, y);
      },
      {"forward", "x must be float32[2, 3, 9, 9]", "N2 C3 H9 W9 K4 R3 S3 /1 p1",
       "got float32[2, 3, 9, 8]"});
  expect_throw_with<aisys::InvalidArgument>(
      [&] { conv.backward_data(y, w.to(DType::kFloat64), x); },
      {"backward_data", "w must be float32[4, 3, 3, 3]", "got float64[4, 3, 3, 3]"});
  const Tensor y_transposed = Tensor::zeros({2, 4, 9, 9}).transpose(2, 3);
  expect_throw_with<aisys::InvalidArgument>(
      [&] { conv.backward_weights(x, y_transposed, w.clone()); },
      {"backward_weights", "dy must be", "contiguous", "with strides"});
  expect_throw_with<aisys::InvalidArgument>([&] { conv.backward_weights(x, y, Tensor()); },
                                            {"dw must be", "undefined"});
  const Tensor same = Tensor::zeros({2, 3, 9, 9});
  const Conv2dShape one{.N = 2, .C = 3, .H = 9, .W = 9, .K = 3, .R = 1, .S = 1};
  OnednnConv2d pointwise(one);
  expect_throw_with<aisys::InvalidArgument>(
      [&] {
        pointwise.forward(same, Tensor::zeros({3, 3, 1, 1}), same);
      },
      {"forward", "shares storage", "not in place"});
  expect_throw_with<aisys::InvalidArgument>(
      [] { OnednnConv2d{Conv2dShape{.H = 2, .W = 2, .R = 3, .S = 3}}; }, {"does not fit"});
}

TEST(OnednnConv2d, InfoNamesVersionAndImplementations) {
  SKIP_WITHOUT_ONEDNN();
  const Conv2dShape s{
      .N = 2, .C = 16, .H = 14, .W = 14, .K = 32, .R = 3, .S = 3, .stride = 1, .padding = 1};
  for (OnednnFormats f :
       {OnednnFormats::kFastest, OnednnFormats::kPreferred, OnednnFormats::kPlain}) {
    const auto info = OnednnConv2d(s, f).info();
    std::printf("[ aisys ] %s\n", info.dump().c_str());
    EXPECT_TRUE(info.at("available").get<bool>());
    EXPECT_EQ(info.at("version").get<std::string>().substr(0, 2), "2.");
    EXPECT_EQ(info.at("formats").get<std::string>(), aisys::baselines::formats_name(f));
    for (const char* name : {"forward", "backward_data", "backward_weights"}) {
      const auto& pass = info.at("passes").at(name);
      EXPECT_FALSE(pass.at("implementation").get<std::string>().empty()) << name;
      EXPECT_EQ(pass.contains("trial_seconds"), f == OnednnFormats::kFastest) << name;
      if (f == OnednnFormats::kFastest) {
        // The kept candidate is the one that was faster on the trial runs.
        const double plain = pass.at("trial_seconds").at("plain").get<double>();
        const double preferred = pass.at("trial_seconds").at("preferred").get<double>();
        EXPECT_EQ(pass.at("layouts").get<std::string>(), preferred < plain ? "preferred" : "plain");
      }
      if (f == OnednnFormats::kPlain) {
        EXPECT_EQ(pass.at("layouts").get<std::string>(), "plain");
        EXPECT_EQ(pass.at("reorders").get<int>(), 0) << name;
        for (const auto& [arg, layout] : pass.at("formats").items()) {
          EXPECT_EQ(layout.get<std::string>(), "abcd") << name << " " << arg;
        }
      }
    }
  }
}

TEST(OnednnConv2d, WithoutOnednnEveryCallSaysSo) {
  if (aisys::baselines::have_onednn()) GTEST_SKIP() << "built with oneDNN: nothing to refuse";
  EXPECT_FALSE(aisys::baselines::onednn_info().at("available").get<bool>());
  expect_throw_with<aisys::LibraryError>(
      [] { OnednnConv2d conv(Conv2dShape{.H = 3, .W = 3, .R = 3, .S = 3}); },
      {"built without oneDNN: install libdnnl-dev and reconfigure"});
}

}  // namespace
