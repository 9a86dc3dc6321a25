// The graph executor's convolution passes and max-pool backward as direct loops (graph_conv.hpp).
// Shapes are checked by the IR's shape rules before these run; the loops trust them.
#include "graph_conv.hpp"

#include <vector>

namespace aisys::kernels::graph::detail {

namespace {

struct Geometry {
  std::int64_t N, C, H, W, K, R, S, P, Q, stride, padding;
};

Geometry geometry(const Shape& x, const Shape& w, std::int64_t stride, std::int64_t padding) {
  Geometry g{x[0], x[1], x[2], x[3], w[0], w[2], w[3], 0, 0, stride, padding};
  g.P = (g.H + 2 * padding - g.R) / stride + 1;
  g.Q = (g.W + 2 * padding - g.S) / stride + 1;
  return g;
}

// Calls f(x index, w index, y index) for every multiply-add of the convolution.
template <typename F>
void for_each_tap(const Geometry& g, F&& f) {
  for (std::int64_t n = 0; n < g.N; ++n) {
    for (std::int64_t k = 0; k < g.K; ++k) {
      for (std::int64_t c = 0; c < g.C; ++c) {
        for (std::int64_t r = 0; r < g.R; ++r) {
          for (std::int64_t s = 0; s < g.S; ++s) {
            const std::int64_t wi = ((k * g.C + c) * g.R + r) * g.S + s;
            for (std::int64_t p = 0; p < g.P; ++p) {
              const std::int64_t h = p * g.stride - g.padding + r;
              if (h < 0 || h >= g.H) continue;
              for (std::int64_t q = 0; q < g.Q; ++q) {
                const std::int64_t wc = q * g.stride - g.padding + s;
                if (wc < 0 || wc >= g.W) continue;
                f(((n * g.C + c) * g.H + h) * g.W + wc, wi, ((n * g.K + k) * g.P + p) * g.Q + q);
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace

Tensor conv2d_direct(const Tensor& x, const Tensor& w, std::int64_t stride, std::int64_t padding) {
  const Geometry g = geometry(x.shape(), w.shape(), stride, padding);
  const std::vector<double> xv = x.to_vector(), wv = w.to_vector();
  std::vector<double> y(static_cast<std::size_t>(g.N * g.K * g.P * g.Q), 0.0);
  for_each_tap(g, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) {
    y[static_cast<std::size_t>(yi)] += xv[static_cast<std::size_t>(xi)] * wv[static_cast<std::size_t>(wi)];
  });
  return Tensor::from_values(y, {g.N, g.K, g.P, g.Q}, x.dtype());
}

Tensor conv2d_backward_data_direct(const Tensor& dy, const Tensor& w, const Shape& x_shape, std::int64_t stride,
                                   std::int64_t padding) {
  const Geometry g = geometry(x_shape, w.shape(), stride, padding);
  const std::vector<double> dyv = dy.to_vector(), wv = w.to_vector();
  std::vector<double> dx(static_cast<std::size_t>(numel(x_shape)), 0.0);
  for_each_tap(g, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) {
    dx[static_cast<std::size_t>(xi)] += dyv[static_cast<std::size_t>(yi)] * wv[static_cast<std::size_t>(wi)];
  });
  return Tensor::from_values(dx, x_shape, dy.dtype());
}

Tensor conv2d_backward_weight_direct(const Tensor& x, const Tensor& dy, const Shape& w_shape, std::int64_t stride,
                                     std::int64_t padding) {
  const Geometry g = geometry(x.shape(), w_shape, stride, padding);
  const std::vector<double> xv = x.to_vector(), dyv = dy.to_vector();
  std::vector<double> dw(static_cast<std::size_t>(numel(w_shape)), 0.0);
  for_each_tap(g, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) {
    dw[static_cast<std::size_t>(wi)] += xv[static_cast<std::size_t>(xi)] * dyv[static_cast<std::size_t>(yi)];
  });
  return Tensor::from_values(dw, w_shape, x.dtype());
}

Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& x_shape) {
  const std::vector<double> dyv = dy.to_vector(), idx = indices.to_vector();
  const std::int64_t plane_out = dy.size(2) * dy.size(3), plane_in = x_shape[2] * x_shape[3];
  std::vector<double> dx(static_cast<std::size_t>(numel(x_shape)), 0.0);
  for (std::size_t o = 0; o < dyv.size(); ++o) {
    const auto plane = static_cast<std::int64_t>(o) / plane_out;
    const auto at = static_cast<std::int64_t>(idx[o]);
    if (at < 0 || at >= plane_in) {
      throw InvalidArgument("max_pool2d_backward: index " + std::to_string(at) + " outside a " + std::to_string(x_shape[2]) +
                            "x" + std::to_string(x_shape[3]) + " plane");
    }
    dx[static_cast<std::size_t>(plane * plane_in + at)] += dyv[o];
  }
  return Tensor::from_values(dx, x_shape, dy.dtype());
}

}  // namespace aisys::kernels::graph::detail
