// Lab 02, part 4: im2col, col2im and convolution. im2col against its definition (exactly), col2im
// as its adjoint, the three passes against the harness's double-precision oracle
// (conv_reference.hpp, tolerance growing like sqrt of the terms summed), and the conv2d node's
// rule against finite differences, at strides 1 and 2, paddings 0-2, 1x1 and non-square shapes, and
// on feature maps of over a thousand output pixels.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "aisys/harness/conv_reference.hpp"
#include "aisys/lab02/conv.hpp"
#include "gradcheck.hpp"

namespace aisys::lab02 {
namespace {

using baselines::Conv2dShape;

struct ConvCase {
  std::int64_t N, C, H, W, K, R, S, stride, padding;
  Conv2dShape shape() const {
    return {.N = N, .C = C, .H = H, .W = W, .K = K, .R = R, .S = S, .stride = stride, .padding = padding};
  }
  std::string name() const { return shape().to_string(); }
};

const ConvCase kCases[] = {
    {2, 3, 6, 6, 4, 3, 3, 1, 1},  {1, 2, 7, 5, 3, 3, 3, 2, 0}, {2, 4, 5, 5, 6, 1, 1, 1, 0},
    {1, 3, 8, 6, 2, 3, 2, 2, 2},  {3, 1, 4, 4, 1, 4, 4, 1, 0}, {1, 2, 9, 9, 3, 5, 5, 3, 2},
    {1, 2, 4, 5, 3, 1, 1, 1, 1},  {2, 2, 5, 4, 2, 2, 3, 1, 2},  // padding wider than the kernel
    {1, 8, 3, 3, 16, 3, 3, 1, 1},                              // weights much larger than the input
};

ConvGeometry geometry(const ConvCase& c) {
  return ConvGeometry::from_shapes({c.N, c.C, c.H, c.W}, {c.K, c.C, c.R, c.S}, c.stride, c.padding);
}

TEST(Conv2d, Im2colMatchesDefinition) {
  std::uint64_t salt = 400;
  for (const ConvCase& c : kCases) {
    const ConvGeometry g = geometry(c);
    const Tensor x = testing::random_input({c.N, c.C, c.H, c.W}, ++salt);
    const Tensor cols = im2col(x, g);
    ASSERT_EQ(cols.shape(), (Shape{c.N, c.C * c.R * c.S, g.P * g.Q})) << c.name();
    for (std::int64_t n = 0; n < c.N; ++n) {
      for (std::int64_t ch = 0; ch < c.C; ++ch) {
        for (std::int64_t r = 0; r < c.R; ++r) {
          for (std::int64_t s = 0; s < c.S; ++s) {
            for (std::int64_t p = 0; p < g.P; ++p) {
              for (std::int64_t q = 0; q < g.Q; ++q) {
                const std::int64_t i = p * c.stride + r - c.padding, j = q * c.stride + s - c.padding;
                const double expected = (i >= 0 && i < c.H && j >= 0 && j < c.W) ? x.at({n, ch, i, j}) : 0.0;
                const double got = cols.at({n, (ch * c.R + r) * c.S + s, p * g.Q + q});
                ASSERT_EQ(got, expected) << "im2col " << c.name() << ", seed " << aisys::testing::test_seed()
                                         << ": cols[" << n << ", " << (ch * c.R + r) * c.S + s << ", " << p * g.Q + q
                                         << "] (c " << ch << " r " << r << " s " << s << " p " << p << " q " << q
                                         << ")\n  rerun: " << aisys::testing::rerun_command();
              }
            }
          }
        }
      }
    }
  }
}

TEST(Conv2d, Col2imIsTheAdjointOfIm2col) {
  // <im2col(x), c> = <x, col2im(c)> for every x and c: col2im adds each column element back where
  // im2col took it from.
  std::uint64_t salt = 420;
  for (const ConvCase& c : kCases) {
    const ConvGeometry g = geometry(c);
    const Tensor x = testing::random_input({c.N, c.C, c.H, c.W}, ++salt);
    const Tensor cols = testing::random_input({c.N, c.C * c.R * c.S, g.P * g.Q}, ++salt);
    const Tensor back = col2im(cols, g);
    ASSERT_EQ(back.shape(), x.shape()) << c.name();
    const std::vector<double> a = im2col(x, g).to_vector(), b = cols.to_vector(), u = x.to_vector(), v = back.to_vector();
    double lhs = 0, rhs = 0, scale = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      lhs += a[i] * b[i];
      scale += std::abs(a[i] * b[i]);
    }
    for (std::size_t i = 0; i < u.size(); ++i) rhs += u[i] * v[i];
    EXPECT_NEAR(lhs, rhs, 1e-12 * std::max(scale, 1.0))
        << "col2im " << c.name() << ", seed " << aisys::testing::test_seed() << ": <im2col(x), c> = " << lhs
        << " but <x, col2im(c)> = " << rhs << "\n  rerun: " << aisys::testing::rerun_command();
  }
}

TEST(Conv2d, ForwardMatchesOracle) {
  std::uint64_t salt = 440;
  for (const ConvCase& c : kCases) {
    const Conv2dShape shape = c.shape();
    const Tensor x = Tensor::uniform(shape.input_shape(), -1, 1, aisys::testing::case_seed(++salt));
    const Tensor w = Tensor::uniform(shape.weight_shape(), -1, 1, aisys::testing::case_seed(++salt));
    const Tensor y = conv2d_forward(x, w, c.stride, c.padding);
    EXPECT_EQ(y.dtype(), DType::kFloat32);
    EXPECT_TRUE(aisys::testing::close_tensor("conv2d_forward " + c.name(), y, aisys::testing::reference_conv2d_forward(shape, x, w),
                                             aisys::testing::conv2d_forward_tolerance(shape)));
  }
}

TEST(Conv2d, BackwardDataMatchesOracle) {
  std::uint64_t salt = 460;
  for (const ConvCase& c : kCases) {
    const Conv2dShape shape = c.shape();
    const Tensor dy = Tensor::uniform(shape.output_shape(), -1, 1, aisys::testing::case_seed(++salt));
    const Tensor w = Tensor::uniform(shape.weight_shape(), -1, 1, aisys::testing::case_seed(++salt));
    EXPECT_TRUE(aisys::testing::close_tensor("conv2d_backward_data " + c.name(), conv2d_backward_data(dy, w, geometry(c)),
                                             aisys::testing::reference_conv2d_backward_data(shape, dy, w),
                                             aisys::testing::conv2d_backward_data_tolerance(shape)));
  }
}

TEST(Conv2d, BackwardWeightsMatchesOracle) {
  std::uint64_t salt = 480;
  for (const ConvCase& c : kCases) {
    const Conv2dShape shape = c.shape();
    const Tensor x = Tensor::uniform(shape.input_shape(), -1, 1, aisys::testing::case_seed(++salt));
    const Tensor dy = Tensor::uniform(shape.output_shape(), -1, 1, aisys::testing::case_seed(++salt));
    EXPECT_TRUE(aisys::testing::close_tensor("conv2d_backward_weights " + c.name(),
                                             conv2d_backward_weights(x, dy, geometry(c)),
                                             aisys::testing::reference_conv2d_backward_weights(shape, x, dy),
                                             aisys::testing::conv2d_backward_weights_tolerance(shape)));
  }
}

// All three passes of one convolution against the oracle, on random x, w and dy.
void expect_passes_match_oracle(const Conv2dShape& shape, std::uint64_t salt) {
  const Tensor x = Tensor::uniform(shape.input_shape(), -1, 1, aisys::testing::case_seed(salt));
  const Tensor w = Tensor::uniform(shape.weight_shape(), -1, 1, aisys::testing::case_seed(salt + 1));
  const Tensor dy = Tensor::uniform(shape.output_shape(), -1, 1, aisys::testing::case_seed(salt + 2));
  const ConvGeometry g = ConvGeometry::from_shapes(shape.input_shape(), shape.weight_shape(), shape.stride, shape.padding);
  EXPECT_TRUE(aisys::testing::close_tensor("conv2d_forward " + shape.to_string(), conv2d_forward(x, w, shape.stride, shape.padding),
                                           aisys::testing::reference_conv2d_forward(shape, x, w),
                                           aisys::testing::conv2d_forward_tolerance(shape)));
  EXPECT_TRUE(aisys::testing::close_tensor("conv2d_backward_data " + shape.to_string(), conv2d_backward_data(dy, w, g),
                                           aisys::testing::reference_conv2d_backward_data(shape, dy, w),
                                           aisys::testing::conv2d_backward_data_tolerance(shape)));
  EXPECT_TRUE(aisys::testing::close_tensor("conv2d_backward_weights " + shape.to_string(), conv2d_backward_weights(x, dy, g),
                                           aisys::testing::reference_conv2d_backward_weights(shape, x, dy),
                                           aisys::testing::conv2d_backward_weights_tolerance(shape)));
}

TEST(Conv2d, ResNetLikeLayerMatchesOracle) {
  // One larger layer (a ResNet stage-2 3x3 at a small batch), all three passes.
  expect_passes_match_oracle({.N = 2, .C = 16, .H = 14, .W = 14, .K = 32, .R = 3, .S = 3, .stride = 1, .padding = 1}, 501);
}

// Feature maps of a thousand output pixels and more (P Q >= 1024), where an implementation may lay
// its columns out differently than for small maps (image by image, or a block of output rows at a
// time, instead of the whole batch): a 3x3, a 3x3 with 48 channels in and out (columns of over
// 1 MiB per image), a 1x1 at stride 1 without padding (whose columns are x itself) and a strided
// 3x3 with 40 channels whose backward-data goes through col2im.
TEST(Conv2d, LargeFeatureMapsMatchOracle) {
  const ConvCase cases[] = {{2, 3, 34, 34, 4, 3, 3, 1, 1},
                            {1, 48, 34, 32, 48, 3, 3, 1, 1},
                            {2, 5, 32, 40, 3, 1, 1, 1, 0},
                            {1, 40, 66, 67, 3, 3, 3, 2, 1}};
  std::uint64_t salt = 600;
  for (const ConvCase& c : cases) {
    ASSERT_GE(geometry(c).P * geometry(c).Q, 1024) << c.name();
    expect_passes_match_oracle(c.shape(), salt += 3);
  }
}

TEST(Conv2d, RuleMatchesFiniteDifferences) {
  std::uint64_t salt = 520;
  for (const ConvCase& c : {kCases[0], kCases[1], kCases[3]}) {
    auto f = [c](const std::vector<Variable>& v) {
      return conv2d(v[0], v[1], static_cast<int>(c.stride), static_cast<int>(c.padding));
    };
    EXPECT_TRUE(testing::check_rule("conv2d " + c.name(), f,
                                    {testing::random_input({c.N, c.C, c.H, c.W}, ++salt),
                                     testing::random_input({c.K, c.C, c.R, c.S}, ++salt)}));
  }
  // Views as inputs (H and W transposed in memory, weights a transposed view) and a non-contiguous
  // output gradient: the rule must read all three through their strides.
  {
    const ConvCase& v = kCases[1];
    auto f = [v](const std::vector<Variable>& in) {
      return conv2d(in[0], in[1], static_cast<int>(v.stride), static_cast<int>(v.padding));
    };
    EXPECT_TRUE(testing::check_rule("conv2d of strided views " + v.name(), f,
                                    {testing::random_input({v.N, v.C, v.W, v.H}, 533).transpose(2, 3),
                                     testing::random_input({v.K, v.C, v.S, v.R}, 534).transpose(2, 3)},
                                    {}, 1e-6, testing::OutputGrad::kStrided));
  }
  // Only the weights need a gradient (the first layer of a network).
  const ConvCase& c = kCases[0];
  EXPECT_TRUE(testing::check_rule("conv2d, input fixed",
                                  [](const std::vector<Variable>& v) { return conv2d(v[0], v[1], 1, 1); },
                                  {testing::random_input({c.N, c.C, c.H, c.W}, 531), testing::random_input({c.K, c.C, c.R, c.S}, 532)},
                                  {false, true}));
}

TEST(Conv2d, BadShapesAreNamed) {
  const Tensor x = Tensor::zeros({1, 3, 5, 5}), w = Tensor::zeros({2, 4, 3, 3});
  try {
    conv2d_forward(x, w, 1, 0);
    FAIL() << "conv2d_forward accepted 3 input channels against a weight of 4";
  } catch (const InvalidArgument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("[1, 3, 5, 5]"), std::string::npos) << m;
    EXPECT_NE(m.find("[2, 4, 3, 3]"), std::string::npos) << m;
  }
  const ConvGeometry g = ConvGeometry::from_shapes({1, 3, 5, 5}, {2, 3, 3, 3}, 1, 0);
  EXPECT_THROW(im2col(Tensor::zeros({1, 3, 6, 5}), g), InvalidArgument);
  EXPECT_THROW(col2im(Tensor::zeros({1, 27, 10}), g), InvalidArgument);
}

}  // namespace
}  // namespace aisys::lab02
