// Implementation of aisys/harness/conv_reference.hpp: direct convolution loops in double.
#include "aisys/harness/conv_reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <vector>

#include "aisys/harness/testing.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::testing {

using baselines::Conv2dShape;
using kernels::DType;
using kernels::Shape;
using kernels::Tensor;

namespace {

// The values of `t` as doubles in row-major order, after checking its shape.
std::vector<double> values_of(const char* function, const char* name, const Tensor& t,
                              const Shape& want, const Conv2dShape& shape) {
  if (!t.defined() || t.shape() != want) {
    throw InvalidArgument(std::string(function) + ": " + name + " must be " +
                          kernels::to_string(want) + " (" + shape.to_string() + "), got " +
                          (t.defined() ? kernels::to_string(t.shape()) : "an undefined tensor"));
  }
  return t.to_vector();
}

Tensor float64_tensor(const std::vector<double>& values, const Shape& shape) {
  return Tensor::from_values(std::span<const double>(values.data(), values.size()), shape,
                             DType::kFloat64);
}

double tolerance_of_count(std::int64_t count) {
  return fp32_tolerance(static_cast<int>(std::min<std::int64_t>(count, 1 << 30)));
}

}  // namespace

// y[n,k,p,q] = sum_{c,r,s} x[n, c, p*stride + r - padding, q*stride + s - padding] w[k,c,r,s]
Tensor reference_conv2d_forward(const Conv2dShape& s, const Tensor& x_t, const Tensor& w_t) {
  s.validate();
  const char* fn = "reference_conv2d_forward";
  const std::vector<double> x = values_of(fn, "x", x_t, s.input_shape(), s);
  const std::vector<double> w = values_of(fn, "w", w_t, s.weight_shape(), s);
  const std::int64_t P = s.P(), Q = s.Q();
  std::vector<double> y(static_cast<std::size_t>(s.N * s.K * P * Q), 0.0);
  for (std::int64_t n = 0; n < s.N; ++n) {
    for (std::int64_t k = 0; k < s.K; ++k) {
      for (std::int64_t p = 0; p < P; ++p) {
        for (std::int64_t q = 0; q < Q; ++q) {
          double sum = 0.0;
          for (std::int64_t c = 0; c < s.C; ++c) {
            for (std::int64_t r = 0; r < s.R; ++r) {
              const std::int64_t i = p * s.stride + r - s.padding;
              if (i < 0 || i >= s.H) continue;
              for (std::int64_t t = 0; t < s.S; ++t) {
                const std::int64_t j = q * s.stride + t - s.padding;
                if (j < 0 || j >= s.W) continue;
                sum += x[static_cast<std::size_t>(((n * s.C + c) * s.H + i) * s.W + j)] *
                       w[static_cast<std::size_t>(((k * s.C + c) * s.R + r) * s.S + t)];
              }
            }
          }
          y[static_cast<std::size_t>(((n * s.K + k) * P + p) * Q + q)] = sum;
        }
      }
    }
  }
  return float64_tensor(y, s.output_shape());
}

// dx[n,c,i,j] = sum of dy[n,k,p,q] w[k,c,r,s] over i = p*stride + r - padding,
// j = q*stride + s - padding (the transpose of the forward map, scattered).
Tensor reference_conv2d_backward_data(const Conv2dShape& s, const Tensor& dy_t, const Tensor& w_t) {
  s.validate();
  const char* fn = "reference_conv2d_backward_data";
  const std::vector<double> dy = values_of(fn, "dy", dy_t, s.output_shape(), s);
  const std::vector<double> w = values_of(fn, "w", w_t, s.weight_shape(), s);
  const std::int64_t P = s.P(), Q = s.Q();
  std::vector<double> dx(static_cast<std::size_t>(s.N * s.C * s.H * s.W), 0.0);
  for (std::int64_t n = 0; n < s.N; ++n) {
    for (std::int64_t k = 0; k < s.K; ++k) {
      for (std::int64_t p = 0; p < P; ++p) {
        for (std::int64_t q = 0; q < Q; ++q) {
          const double g = dy[static_cast<std::size_t>(((n * s.K + k) * P + p) * Q + q)];
          for (std::int64_t c = 0; c < s.C; ++c) {
            for (std::int64_t r = 0; r < s.R; ++r) {
              const std::int64_t i = p * s.stride + r - s.padding;
              if (i < 0 || i >= s.H) continue;
              for (std::int64_t t = 0; t < s.S; ++t) {
                const std::int64_t j = q * s.stride + t - s.padding;
                if (j < 0 || j >= s.W) continue;
                dx[static_cast<std::size_t>(((n * s.C + c) * s.H + i) * s.W + j)] +=
                    g * w[static_cast<std::size_t>(((k * s.C + c) * s.R + r) * s.S + t)];
              }
            }
          }
        }
      }
    }
  }
  return float64_tensor(dx, s.input_shape());
}

// dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] x[n, c, p*stride + r - padding, q*stride + s - padding]
Tensor reference_conv2d_backward_weights(const Conv2dShape& s, const Tensor& x_t,
                                         const Tensor& dy_t) {
  s.validate();
  const char* fn = "reference_conv2d_backward_weights";
  const std::vector<double> x = values_of(fn, "x", x_t, s.input_shape(), s);
  const std::vector<double> dy = values_of(fn, "dy", dy_t, s.output_shape(), s);
  const std::int64_t P = s.P(), Q = s.Q();
  std::vector<double> dw(static_cast<std::size_t>(s.K * s.C * s.R * s.S), 0.0);
  for (std::int64_t k = 0; k < s.K; ++k) {
    for (std::int64_t c = 0; c < s.C; ++c) {
      for (std::int64_t r = 0; r < s.R; ++r) {
        for (std::int64_t t = 0; t < s.S; ++t) {
          double sum = 0.0;
          for (std::int64_t n = 0; n < s.N; ++n) {
            for (std::int64_t p = 0; p < P; ++p) {
              const std::int64_t i = p * s.stride + r - s.padding;
              if (i < 0 || i >= s.H) continue;
              for (std::int64_t q = 0; q < Q; ++q) {
                const std::int64_t j = q * s.stride + t - s.padding;
                if (j < 0 || j >= s.W) continue;
                sum += dy[static_cast<std::size_t>(((n * s.K + k) * P + p) * Q + q)] *
                       x[static_cast<std::size_t>(((n * s.C + c) * s.H + i) * s.W + j)];
              }
            }
          }
          dw[static_cast<std::size_t>(((k * s.C + c) * s.R + r) * s.S + t)] = sum;
        }
      }
    }
  }
  return float64_tensor(dw, s.weight_shape());
}

double conv2d_forward_tolerance(const Conv2dShape& s) {
  return tolerance_of_count(s.C * s.R * s.S);
}
double conv2d_backward_data_tolerance(const Conv2dShape& s) {
  return tolerance_of_count(s.K * s.R * s.S);
}
double conv2d_backward_weights_tolerance(const Conv2dShape& s) {
  return tolerance_of_count(s.N * s.P() * s.Q());
}

::testing::AssertionResult close_tensor(const std::string& what, const Tensor& got,
                                        const Tensor& expected, double tolerance) {
  if (!got.defined() || !expected.defined() || got.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << what << ": got shape "
           << (got.defined() ? kernels::to_string(got.shape()) : "undefined") << ", expected "
           << (expected.defined() ? kernels::to_string(expected.shape()) : "undefined");
  }
  const std::vector<double> g = got.to_vector();
  const std::vector<double> e = expected.to_vector();
  double diff2 = 0.0, ref2 = 0.0, max_ref = 0.0;
  std::int64_t first_nonfinite = -1;
  for (std::size_t i = 0; i < e.size(); ++i) {
    max_ref = std::max(max_ref, std::abs(e[i]));
    ref2 += e[i] * e[i];
    if (!std::isfinite(g[i]) && first_nonfinite < 0) first_nonfinite = static_cast<std::int64_t>(i);
    const double d = g[i] - e[i];
    diff2 += d * d;
  }
  const double rel =
      std::sqrt(diff2) / std::max(std::sqrt(ref2), std::numeric_limits<double>::min());
  if (first_nonfinite < 0 && rel <= tolerance) return ::testing::AssertionSuccess();
  // The element to show: the first non-finite one, else the first whose error is well above the
  // tolerance (scaled by the largest expected magnitude), else the largest error.
  std::int64_t show = first_nonfinite;
  const double scale = std::max(max_ref, 1.0);
  for (std::size_t i = 0; i < e.size() && show < 0; ++i) {
    if (!(std::abs(g[i] - e[i]) <= 4.0 * tolerance * scale)) show = static_cast<std::int64_t>(i);
  }
  const bool largest = show < 0;
  if (largest) {
    double worst = -1.0;
    for (std::size_t i = 0; i < e.size(); ++i) {
      if (std::abs(g[i] - e[i]) > worst) {
        worst = std::abs(g[i] - e[i]);
        show = static_cast<std::int64_t>(i);
      }
    }
  }
  std::ostringstream msg;
  msg << what << " " << kernels::to_string(got.shape()) << ", seed " << test_seed()
      << ": relative Frobenius error " << rel << " vs tolerance " << tolerance;
  if (show >= 0) {
    Shape index(got.shape().size());
    std::int64_t rest = show;
    for (std::size_t d = index.size(); d-- > 0;) {
      index[d] = rest % got.shape()[d];
      rest /= got.shape()[d];
    }
    msg << (largest ? "; largest error at " : "; first bad element ") << kernels::to_string(index)
        << ": expected " << e[static_cast<std::size_t>(show)] << ", got "
        << g[static_cast<std::size_t>(show)];
    if (first_nonfinite >= 0) msg << " (not finite: an element was never written?)";
  }
  msg << "\n  rerun: " << rerun_command();
  return ::testing::AssertionFailure() << msg.str();
}

}  // namespace aisys::testing
