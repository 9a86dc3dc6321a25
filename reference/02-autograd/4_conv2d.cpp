// Lab 02, part 4 (reference): 2-D convolution as im2col + matmul, and its backward passes through
// col2im. im2col is a strided view of the zero-padded input, copied once; col2im adds each kernel
// offset's slice of the columns into a strided view of the padded gradient. Everything is tensor
// views and platform ops, so it runs on whatever device x lives on. Each pass is one matmul, in
// one of two layouts (per_image() below): image by image on large feature maps, where the batched
// matmul's result is already in the layout it must have, and on the whole batch as one
// [C R S, N P Q] matrix on small maps, where per-image GEMMs are too small to run at speed.
//
// Shapes: x [N, C, H, W], w [K, C, R, S], cols [N, C R S, P Q], y [N, K, P, Q].
#include <algorithm>

#include "aisys/lab02/conv.hpp"
#include "aisys/lab02/rules.hpp"

namespace aisys::lab02 {

namespace {

// The zero-padded input [N, C, H + 2 pad, W + 2 pad] (x itself when pad = 0 and x is contiguous).
Tensor padded(const Tensor& x, const ConvGeometry& g) {
  if (g.padding == 0) return x.contiguous();
  Tensor xp = Tensor::zeros({g.N, g.C, g.H + 2 * g.padding, g.W + 2 * g.padding}, x.dtype(), x.device());
  xp.slice(2, g.padding, g.padding + g.H).slice(3, g.padding, g.padding + g.W).copy_from(x);
  return xp;
}

// The [N, C, H, W] interior of a padded [N, C, H + 2 pad, W + 2 pad] gradient, contiguous.
Tensor unpadded(const Tensor& xp, const ConvGeometry& g) {
  if (g.padding == 0) return xp;
  return xp.slice(2, g.padding, g.padding + g.H).slice(3, g.padding, g.padding + g.W).contiguous();
}

// The receptive fields of a padded, contiguous xp as a view [N, C, R, S, P, Q]: element
// (n, c, r, s, p, q) is xp[n, c, p stride + r, q stride + s]. No copy.
Tensor fields_view(const Tensor& xp, const ConvGeometry& g) {
  const Shape& st = xp.strides();  // (C Hp Wp, Hp Wp, Wp, 1)
  return Tensor(xp.storage(), {g.N, g.C, g.R, g.S, g.P, g.Q},
                {st[0], st[1], st[2], st[3], st[2] * g.stride, st[3] * g.stride}, xp.offset(), xp.dtype());
}

void check_shape(const char* op, const char* what, const Tensor& t, const Shape& expected, const ConvGeometry& g) {
  if (t.shape() != expected) {
    throw InvalidArgument(std::string(op) + ": " + what + " has shape " + kernels::to_string(t.shape()) + ", expected " +
                          kernels::to_string(expected) + " for " + g.to_string());
  }
}

}  // namespace

Tensor im2col(const Tensor& x, const ConvGeometry& g) {
  check_shape("im2col", "the input", x, {g.N, g.C, g.H, g.W}, g);
  // (n, c, r, s, p, q) is already the order of cols[n, (c R + r) S + s, p Q + q]: one copy.
  return fields_view(padded(x, g), g).reshape({g.N, g.C * g.R * g.S, g.P * g.Q});
}

Tensor col2im(const Tensor& cols, const ConvGeometry& g) {
  check_shape("col2im", "the columns", cols, {g.N, g.C * g.R * g.S, g.P * g.Q}, g);
  Tensor dxp = Tensor::zeros({g.N, g.C, g.H + 2 * g.padding, g.W + 2 * g.padding}, cols.dtype(), cols.device());
  const Tensor fields = cols.contiguous().view({g.N, g.C, g.R, g.S, g.P, g.Q});
  const Tensor targets = fields_view(dxp, g);  // aliases dxp
  // For one kernel offset (r, s) the targets of distinct (p, q) are distinct, so each offset is one
  // strided read-add-write; offsets overlap each other, hence one at a time.
  for (std::int64_t r = 0; r < g.R; ++r) {
    for (std::int64_t s = 0; s < g.S; ++s) {
      Tensor target = targets.select(2, r).select(2, s);           // [N, C, P, Q] view of dxp
      const Tensor source = fields.select(2, r).select(2, s);     // [N, C, P, Q]
      target.add_from(source);
    }
  }
  return unpadded(dxp, g);
}

namespace {

// How a pass lays out its columns (layout_for()):
//  - kWholeBatch: colsT [C R S, N P Q], one GEMM over the batch, paid for by a permuting copy of
//    the result (and of dy); it keeps the GEMM large where the maps are small (the CNN's 28x28 and
//    14x14 at N = 64, ResNet's 28x28 and below), where per-image GEMMs are too small to run at speed.
//  - kPerImage: cols [N, C R S, P Q] (im2col's own) and one matmul batched over n, whose result is
//    already laid out as it must be (y as [N, K, P Q]); a 1x1 convolution at stride 1 without
//    padding copies nothing at all (its columns are x itself). On a GPU, for every large map.
//  - kRowBlocks, on the CPU for large maps: image by image, a block of output rows at a time, so
//    that each block's columns (about kBlockBytes) are written by the copy and read by the GEMM's
//    packing (or, in col2im, written by the GEMM and added back) while they are still in the
//    core's L2 cache. The columns of a whole 56x56 image are several MiB and went out to memory
//    twice: blocks made the 3x3 and 7x7 ResNet layers 1.1-1.6x faster on one core (lab 02's
//    `conv/` benchmarks).
enum class Layout { kWholeBatch, kPerImage, kRowBlocks };
constexpr std::int64_t kPerImageMinPixels = 1024;  // P Q from which a map counts as large (56x56 does)
constexpr std::int64_t kBlockBytes = std::int64_t{1} << 20;

bool columns_are_the_input(const ConvGeometry& g) {
  return g.R == 1 && g.S == 1 && g.stride == 1 && g.padding == 0;
}

Layout layout_for(const ConvGeometry& g, const Tensor& x) {
  if (g.P * g.Q < kPerImageMinPixels) return Layout::kWholeBatch;
  if (!x.device().is_cpu() || columns_are_the_input(g)) return Layout::kPerImage;
  return Layout::kRowBlocks;
}

// Output rows per block: as many as keep the block's columns within kBlockBytes (at least one).
std::int64_t rows_per_block(const ConvGeometry& g, const Tensor& x) {
  const std::int64_t row_bytes = g.C * g.R * g.S * g.Q * static_cast<std::int64_t>(kernels::size_of(x.dtype()));
  return std::clamp<std::int64_t>(kBlockBytes / row_bytes, 1, g.P);
}

// The columns of output rows [p0, p1) of image n, [C R S, (p1 - p0) Q], copied from the fields.
Tensor block_columns(const Tensor& fields, const ConvGeometry& g, std::int64_t n, std::int64_t p0, std::int64_t p1) {
  return fields.select(0, n).slice(3, p0, p1).reshape({g.C * g.R * g.S, (p1 - p0) * g.Q});
}

// Rows [p0, p1) of image n of a contiguous [N, K, P, Q] tensor as the [K, (p1 - p0) Q] matrix
// they are (a view: within a block of rows, (p, q) are contiguous).
Tensor block_rows(const Tensor& t, const ConvGeometry& g, std::int64_t n, std::int64_t p0, std::int64_t p1) {
  const Tensor v = t.select(0, n).slice(1, p0, p1);  // [K, p1 - p0, Q]
  return Tensor(v.storage(), {v.size(0), (p1 - p0) * g.Q}, {v.strides()[0], 1}, v.offset(), v.dtype());
}

// The columns of the whole batch as one matrix, colsT [C R S, N P Q] (rows (c, r, s), columns
// (n, p, q)): the same strided view as im2col's, permuted to [C, R, S, N, P, Q] before the copy.
Tensor batch_columns(const Tensor& x, const ConvGeometry& g) {
  return fields_view(padded(x, g), g).permute({1, 2, 3, 0, 4, 5}).reshape({g.C * g.R * g.S, g.N * g.P * g.Q});
}

// dy [N, K, P, Q] as [K, N P Q].
Tensor batch_gradient(const Tensor& dy, const ConvGeometry& g) {
  return dy.reshape({g.N, g.K, g.P * g.Q}).permute({1, 0, 2}).reshape({g.K, g.N * g.P * g.Q});
}

// y [N, K, P, Q] = x convolved with the weights given as a [K, C R S] matrix.
Tensor convolve(const Tensor& wm, const Tensor& x, const ConvGeometry& g) {
  switch (layout_for(g, x)) {
    case Layout::kPerImage:
      return ops::matmul(wm, im2col(x, g)).view({g.N, g.K, g.P, g.Q});  // [N, K, PQ]
    case Layout::kRowBlocks: {
      const Tensor fields = fields_view(padded(x, g), g);  // [N, C, R, S, P, Q], no copy
      Tensor y = Tensor::uninitialized({g.N, g.K, g.P, g.Q}, x.dtype(), x.device());
      const std::int64_t rows = rows_per_block(g, x);
      for (std::int64_t n = 0; n < g.N; ++n) {
        for (std::int64_t p0 = 0; p0 < g.P; p0 += rows) {
          const std::int64_t p1 = std::min(g.P, p0 + rows);
          block_rows(y, g, n, p0, p1).copy_from(ops::matmul(wm, block_columns(fields, g, n, p0, p1)));
        }
      }
      return y;
    }
    case Layout::kWholeBatch:
      break;
  }
  const Tensor out = ops::matmul(wm, batch_columns(x, g));  // [K, N PQ]
  return out.view({g.K, g.N, g.P, g.Q}).permute({1, 0, 2, 3}).contiguous();
}

}  // namespace

Tensor conv2d_forward(const Tensor& x, const Tensor& w, std::int64_t stride, std::int64_t padding) {
  const ConvGeometry g = ConvGeometry::from_shapes(x.shape(), w.shape(), stride, padding, "conv2d_forward");
  return convolve(w.reshape({g.K, g.C * g.R * g.S}), x, g);
}

namespace {

// Stride 1: the input gradient is itself a convolution, of dy zero-padded by R - 1 - pad (S - 1 -
// pad) with the weights flipped in space and with K and C swapped:
//   dx[n,c,i,j] = sum over (k, r, s) of dyp[n, k, i + r, j + s] w[k, c, R-1-r, S-1-s],
// so it runs as im2col + one GEMM, with no col2im (whose R S read-add-write passes are the slow
// part of the general path). Rows of dy that would land outside the padded frame (pad > R - 1)
// contribute nothing and are cut.
Tensor backward_data_as_convolution(const Tensor& dy, const Tensor& w, const ConvGeometry& g) {
  const std::int64_t hp = g.H + g.R - 1, wp = g.W + g.S - 1;
  const std::int64_t top = g.R - 1 - g.padding, left = g.S - 1 - g.padding;  // may be negative
  const std::int64_t p0 = std::max<std::int64_t>(0, -top), p1 = std::min<std::int64_t>(g.P, hp - top);
  const std::int64_t q0 = std::max<std::int64_t>(0, -left), q1 = std::min<std::int64_t>(g.Q, wp - left);
  Tensor dyp = Tensor::zeros({g.N, g.K, hp, wp}, dy.dtype(), dy.device());
  if (p1 > p0 && q1 > q0) {
    dyp.slice(2, top + p0, top + p1).slice(3, left + q0, left + q1).copy_from(dy.slice(2, p0, p1).slice(3, q0, q1));
  }
  // w_flipped[c, k, r, s] = w[k, c, R-1-r, S-1-s]: R S small copies of a [C, K] plane.
  Tensor w_flipped = Tensor::empty({g.C, g.K, g.R, g.S}, w.dtype(), w.device());
  for (std::int64_t r = 0; r < g.R; ++r) {
    for (std::int64_t s = 0; s < g.S; ++s) {
      w_flipped.select(2, r).select(2, s).copy_from(w.select(2, g.R - 1 - r).select(2, g.S - 1 - s).transpose(0, 1));
    }
  }
  ConvGeometry t = g;  // the convolution computing dx: input dyp [N, K, hp, wp], output [N, C, H, W]
  t.C = g.K;
  t.K = g.C;
  t.H = hp;
  t.W = wp;
  t.padding = 0;
  t.P = g.H;
  t.Q = g.W;
  return convolve(w_flipped.reshape({g.C, g.K * g.R * g.S}), dyp, t);
}

}  // namespace

Tensor conv2d_backward_data(const Tensor& dy, const Tensor& w, const ConvGeometry& g) {
  check_shape("conv2d_backward_data", "dy", dy, {g.N, g.K, g.P, g.Q}, g);
  check_shape("conv2d_backward_data", "the weight", w, {g.K, g.C, g.R, g.S}, g);
  // The convolution form copies the weights once (flipped) and dy once (as columns); col2im reads
  // and writes dx R S times. With many channels on small images (weights larger than a few
  // inputs) the flip costs more than col2im saves. Stride > 1 would need dy dilated with zeros
  // (mostly zeros to multiply): col2im there too.
  const std::int64_t weights = g.K * g.C * g.R * g.S, input = g.N * g.C * g.H * g.W;
  if (g.stride == 1 && weights <= 4 * input) return backward_data_as_convolution(dy, w, g);
  const Tensor wt = w.reshape({g.K, g.C * g.R * g.S}).t();                   // [CRS, K]
  switch (layout_for(g, dy)) {
    case Layout::kPerImage:
      return col2im(ops::matmul(wt, dy.reshape({g.N, g.K, g.P * g.Q})), g);  // [N, CRS, PQ]
    case Layout::kRowBlocks: {
      // col2im a block of rows at a time, while the block's columns are in L2.
      Tensor dxp = Tensor::zeros({g.N, g.C, g.H + 2 * g.padding, g.W + 2 * g.padding}, dy.dtype(), dy.device());
      const Tensor targets = fields_view(dxp, g), dyc = dy.contiguous();
      const std::int64_t rows = rows_per_block(g, dy);
      for (std::int64_t n = 0; n < g.N; ++n) {
        for (std::int64_t p0 = 0; p0 < g.P; p0 += rows) {
          const std::int64_t p1 = std::min(g.P, p0 + rows);
          const Tensor block = ops::matmul(wt, block_rows(dyc, g, n, p0, p1)).view({g.C, g.R, g.S, p1 - p0, g.Q});
          for (std::int64_t r = 0; r < g.R; ++r) {
            for (std::int64_t s = 0; s < g.S; ++s) {
              Tensor target = targets.select(0, n).select(1, r).select(1, s).slice(1, p0, p1);  // [C, p1 - p0, Q]
              target.add_from(block.select(1, r).select(1, s));
            }
          }
        }
      }
      return unpadded(dxp, g);
    }
    case Layout::kWholeBatch:
      break;
  }
  const Tensor dcols = ops::matmul(wt, batch_gradient(dy, g));               // [CRS, N PQ]
  // col2im of the batch layout: for each kernel offset, the [C, N, P, Q] slice viewed as [N, C, P, Q].
  Tensor dxp = Tensor::zeros({g.N, g.C, g.H + 2 * g.padding, g.W + 2 * g.padding}, dy.dtype(), dy.device());
  const Tensor fields = dcols.view({g.C, g.R, g.S, g.N, g.P, g.Q});
  const Tensor targets = fields_view(dxp, g);
  for (std::int64_t r = 0; r < g.R; ++r) {
    for (std::int64_t s = 0; s < g.S; ++s) {
      Tensor target = targets.select(2, r).select(2, s);                          // [N, C, P, Q] view of dxp
      const Tensor source = fields.select(1, r).select(1, s).permute({1, 0, 2, 3});  // [N, C, P, Q]
      target.add_from(source);
    }
  }
  return unpadded(dxp, g);
}

Tensor conv2d_backward_weights(const Tensor& x, const Tensor& dy, const ConvGeometry& g) {
  check_shape("conv2d_backward_weights", "the input", x, {g.N, g.C, g.H, g.W}, g);
  check_shape("conv2d_backward_weights", "dy", dy, {g.N, g.K, g.P, g.Q}, g);
  // dw = sum over n of dy[n] cols[n]^T: per image (or block of rows), the products summed; on the
  // whole batch, dy [K, N PQ] colsT^T, one GEMM whose inner dimension runs over the batch.
  switch (layout_for(g, x)) {
    case Layout::kPerImage: {
      const Tensor per = ops::matmul(dy.reshape({g.N, g.K, g.P * g.Q}), im2col(x, g).transpose(1, 2));  // [N, K, CRS]
      return ops::sum(per, {0}).view({g.K, g.C, g.R, g.S});
    }
    case Layout::kRowBlocks: {
      const Tensor fields = fields_view(padded(x, g), g), dyc = dy.contiguous();
      Tensor dw = Tensor::zeros({g.K, g.C * g.R * g.S}, x.dtype(), x.device());
      const std::int64_t rows = rows_per_block(g, x);
      for (std::int64_t n = 0; n < g.N; ++n) {
        for (std::int64_t p0 = 0; p0 < g.P; p0 += rows) {
          const std::int64_t p1 = std::min(g.P, p0 + rows);
          dw = ops::add(dw, ops::matmul(block_rows(dyc, g, n, p0, p1), block_columns(fields, g, n, p0, p1).t()));
        }
      }
      return dw.view({g.K, g.C, g.R, g.S});
    }
    case Layout::kWholeBatch:
      break;
  }
  const Tensor dw = ops::matmul(batch_gradient(dy, g), batch_columns(x, g).t());  // [K, CRS]
  return dw.view({g.K, g.C, g.R, g.S});
}

namespace rules {

Grads conv2d_backward(const Node& node, const Tensor& grad) {
  const Tensor& x = node.saved(0);
  const Tensor& w = node.saved(1);
  const ConvGeometry g = ConvGeometry::from_shapes(x.shape(), w.shape(), static_cast<std::int64_t>(node.attr("stride")),
                                                   static_cast<std::int64_t>(node.attr("padding")), "conv2d_backward");
  Tensor dx, dw;
  if (node.needs_input_grad(0)) dx = conv2d_backward_data(grad, w, g);
  if (node.needs_input_grad(1)) dw = conv2d_backward_weights(x, grad, g);
  return {dx, dw};
}

}  // namespace rules

}  // namespace aisys::lab02
