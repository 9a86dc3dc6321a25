// The forward primitive ops on CPU tensors (tensor_ops.hpp).
#include "aisys/kernels/tensor_ops.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "aisys/kernels/tensor_iter.hpp"
#include "matrix_layout.hpp"

#if AISYS_HAVE_CUDA
#include "cuda/tensor_ops_cuda.hpp"
#endif

#if AISYS_KERNELS_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace aisys::kernels::ops {

namespace {

void require(const Tensor& t, const char* op, const char* which = "input") {
  if (!t.defined()) throw InvalidArgument(std::string(op) + ": the " + which + " tensor is undefined");
}

// Whether the op runs on the GPU: every operand on one device (else an error naming both).
bool on_gpu(const char* op, std::initializer_list<const Tensor*> operands) {
  const Device d = (*operands.begin())->device();
  for (const Tensor* t : operands) {
    if (!(t->device() == d)) {
      const bool cpu_scalar = std::any_of(operands.begin(), operands.end(),
                                          [](const Tensor* x) { return x->dim() == 0 && x->device().is_cpu(); });
      throw InvalidArgument(std::string(op) + ": operands on different devices (" + to_string(d) + " and " +
                            to_string(t->device()) + "); move one with .to(Device)" +
                            (cpu_scalar ? " (a 0-d scalar is made on the CPU unless asked: Tensor::scalar(v, dtype, "
                                          "x.device()))"
                                        : ""));
    }
  }
#if AISYS_HAVE_CUDA
  return !d.is_cpu();
#else
  return false;
#endif
}

void same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  if (a.dtype() != b.dtype()) {
    throw InvalidArgument(std::string(op) + ": dtypes differ (" + name_of(a.dtype()) + " " + to_string(a.shape()) + " and " +
                          name_of(b.dtype()) + " " + to_string(b.shape()) + "); convert one with .to(DType)");
  }
}

template <typename T>
T* base(const Tensor& t) {
  return static_cast<T*>(t.storage()->data());
}

// Calls fn.template operator()<T>() with T = float or double according to the dtype.
template <typename Fn>
decltype(auto) dispatch(DType dtype, Fn&& fn) {
  if (dtype == DType::kFloat32) return fn.template operator()<float>();
  return fn.template operator()<double>();
}

#if AISYS_HAVE_CUDA
using Code = cuda_ops::Elementwise;
#else
enum class Code { kAdd, kSub, kMul, kDiv, kMaximum, kGreater, kNeg, kExp, kLog, kSqrt, kAbs, kTanh, kSigmoid, kRelu, kGelu,
                  kAddScalar, kMulScalar, kPowScalar };
#endif

template <typename F>
Tensor binary(const Tensor& a, const Tensor& b, const char* op, Code code, F f) {
  require(a, op, "first");
  require(b, op, "second");
  same_dtype(a, b, op);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
#if AISYS_HAVE_CUDA
  if (on_gpu(op, {&a, &b})) return cuda_ops::binary(code, a, b, shape);
#else
  (void)code;
  on_gpu(op, {&a, &b});
#endif
  Tensor out = Tensor::uninitialized(shape, a.dtype());
  const Tensor ab = a.broadcast_to(shape), bb = b.broadcast_to(shape);
  // A one-element operand is read once: the loop then walks two tensors (unit strides when they
  // are contiguous) instead of three with a stride-0 one.
  if (b.numel() == 1 && a.shape() == shape) {
    dispatch(a.dtype(), [&]<typename T>() {
      T* o = base<T>(out);
      const T* pa = base<T>(a);
      const T vb = base<T>(b)[b.offset()];
      for_each_offset2(shape, out.strides(), out.offset(), a.strides(), a.offset(),
                       [&](std::int64_t oo, std::int64_t oa) { o[oo] = static_cast<T>(f(pa[oa], vb)); });
    });
    return out;
  }
  if (a.numel() == 1 && b.shape() == shape) {
    dispatch(a.dtype(), [&]<typename T>() {
      T* o = base<T>(out);
      const T* pb = base<T>(b);
      const T va = base<T>(a)[a.offset()];
      for_each_offset2(shape, out.strides(), out.offset(), b.strides(), b.offset(),
                       [&](std::int64_t oo, std::int64_t ob) { o[oo] = static_cast<T>(f(va, pb[ob])); });
    });
    return out;
  }
  dispatch(a.dtype(), [&]<typename T>() {
    T* o = base<T>(out);
    const T* pa = base<T>(ab);
    const T* pb = base<T>(bb);
    for_each_offset3(shape, out.strides(), out.offset(), ab.strides(), ab.offset(), bb.strides(), bb.offset(),
                     [&](std::int64_t oo, std::int64_t oa, std::int64_t ob) { o[oo] = static_cast<T>(f(pa[oa], pb[ob])); });
  });
  return out;
}

template <typename F>
Tensor unary(const Tensor& a, const char* op, Code code, F f, double scalar = 0) {
  require(a, op);
#if AISYS_HAVE_CUDA
  if (on_gpu(op, {&a})) return cuda_ops::unary(code, a, scalar);
#else
  (void)code;
  (void)scalar;
#endif
  Tensor out = Tensor::uninitialized(a.shape(), a.dtype());
  dispatch(a.dtype(), [&]<typename T>() {
    T* o = base<T>(out);
    const T* pa = base<T>(a);
    for_each_offset2(a.shape(), out.strides(), out.offset(), a.strides(), a.offset(),
                     [&](std::int64_t oo, std::int64_t oa) { o[oo] = static_cast<T>(f(pa[oa])); });
  });
  return out;
}

int norm_axis(int axis, int dims, const char* op, const Shape& shape) {
  if (axis < -dims || axis >= dims) {
    throw InvalidArgument(std::string(op) + ": axis " + std::to_string(axis) + " out of range for shape " + to_string(shape));
  }
  return axis < 0 ? axis + dims : axis;
}

// Which axes are reduced (all when `axes` is empty).
std::vector<char> reduced_axes(const Tensor& a, const std::vector<int>& axes, const char* op) {
  std::vector<char> r(static_cast<std::size_t>(a.dim()), axes.empty() ? 1 : 0);
  for (int ax : axes) {
    const auto u = static_cast<std::size_t>(norm_axis(ax, a.dim(), op, a.shape()));
    if (r[u]) throw InvalidArgument(std::string(op) + ": axis " + std::to_string(ax) + " given twice");
    r[u] = 1;
  }
  return r;
}

// Reduces a into a float64 accumulator of the keepdim shape with `combine`, starting from `init`.
template <typename Combine>
Tensor reduce(const Tensor& a, const std::vector<int>& axes, bool keepdim, const char* op, double init, Combine combine,
              double scale_by_count = 0) {
  require(a, op);
  const std::vector<char> r = reduced_axes(a, axes, op);
#if AISYS_HAVE_CUDA
  if (on_gpu(op, {&a})) {
    Tensor out = cuda_ops::reduce(a, r, std::string(op) == "max", scale_by_count != 0);
    if (keepdim) return out;
    Shape squeezed;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (!r[i]) squeezed.push_back(a.shape()[i]);
    }
    return out.reshape(squeezed);
  }
#endif
  Shape kept = a.shape(), out_shape;
  std::int64_t count = 1;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i]) {
      count *= kept[i];
      kept[i] = 1;
    } else {
      out_shape.push_back(kept[i]);
    }
  }
  Tensor acc = Tensor::full(kept, init, DType::kFloat64);
  const Tensor accb = acc.broadcast_to(a.shape());
  double* pacc = base<double>(acc);
  dispatch(a.dtype(), [&]<typename T>() {
    const T* pa = base<T>(a);
    for_each_offset2(a.shape(), accb.strides(), accb.offset(), a.strides(), a.offset(),
                     [&](std::int64_t oo, std::int64_t oa) { pacc[oo] = combine(pacc[oo], static_cast<double>(pa[oa])); });
  });
  if (scale_by_count != 0 && count > 0) {
    for (std::int64_t i = 0; i < acc.numel(); ++i) pacc[i] /= static_cast<double>(count);
  }
  Tensor out = acc.to(a.dtype());
  return keepdim ? out : out.reshape(out_shape);
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(a, b, "add", Code::kAdd, [](auto x, auto y) { return x + y; }); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(a, b, "sub", Code::kSub, [](auto x, auto y) { return x - y; }); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(a, b, "mul", Code::kMul, [](auto x, auto y) { return x * y; }); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(a, b, "div", Code::kDiv, [](auto x, auto y) { return x / y; }); }
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary(a, b, "maximum", Code::kMaximum, [](auto x, auto y) { return x > y ? x : y; });
}
Tensor greater(const Tensor& a, const Tensor& b) {
  return binary(a, b, "greater", Code::kGreater, [](auto x, auto y) { return x > y ? 1.0 : 0.0; });
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  require(cond, "where", "condition");
  require(a, "where", "first");
  require(b, "where", "second");
  same_dtype(a, b, "where");
  const Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
#if AISYS_HAVE_CUDA
  if (on_gpu("where", {&cond, &a, &b})) return cuda_ops::where(cond, a, b, shape);
#endif
  Tensor out = Tensor::uninitialized(shape, a.dtype());
  const Tensor cb = cond.broadcast_to(shape), ab = a.broadcast_to(shape), bb = b.broadcast_to(shape);
  if (b.numel() == 1 && a.shape() == shape && cond.shape() == shape) {  // where(c, x, constant), e.g. ReLU's backward
    dispatch(a.dtype(), [&]<typename T>() {
      T* o = base<T>(out);
      const T* pa = base<T>(a);
      const T vb = base<T>(b)[b.offset()];
      dispatch(cond.dtype(), [&]<typename C>() {
        const C* pc = base<C>(cond);
        for_each_offset3(shape, out.strides(), out.offset(), cond.strides(), cond.offset(), a.strides(), a.offset(),
                         [&](std::int64_t oo, std::int64_t oc, std::int64_t oa) { o[oo] = pc[oc] != 0 ? pa[oa] : vb; });
      });
    });
    return out;
  }
  dispatch(a.dtype(), [&]<typename T>() {
    T* o = base<T>(out);
    const T* pa = base<T>(ab);
    const T* pb = base<T>(bb);
    dispatch(cond.dtype(), [&]<typename C>() {
      const C* pc = base<C>(cb);
      for_each_offset4(shape, out.strides(), out.offset(), cb.strides(), cb.offset(), ab.strides(), ab.offset(),
                       bb.strides(), bb.offset(), [&](std::int64_t oo, std::int64_t oc, std::int64_t oa, std::int64_t ob) {
                         o[oo] = pc[oc] != 0 ? pa[oa] : pb[ob];
                       });
    });
  });
  return out;
}

Tensor add_scalar(const Tensor& a, double s) { return unary(a, "add_scalar", Code::kAddScalar, [s](auto x) { return x + s; }, s); }
Tensor mul_scalar(const Tensor& a, double s) { return unary(a, "mul_scalar", Code::kMulScalar, [s](auto x) { return x * s; }, s); }
Tensor pow_scalar(const Tensor& a, double e) {
  return unary(a, "pow_scalar", Code::kPowScalar, [e](auto x) { return std::pow(static_cast<double>(x), e); }, e);
}

Tensor neg(const Tensor& a) { return unary(a, "neg", Code::kNeg, [](auto x) { return -x; }); }
Tensor exp(const Tensor& a) { return unary(a, "exp", Code::kExp, [](auto x) { return std::exp(x); }); }
Tensor log(const Tensor& a) { return unary(a, "log", Code::kLog, [](auto x) { return std::log(x); }); }
Tensor sqrt(const Tensor& a) { return unary(a, "sqrt", Code::kSqrt, [](auto x) { return std::sqrt(x); }); }
Tensor abs(const Tensor& a) { return unary(a, "abs", Code::kAbs, [](auto x) { return std::fabs(x); }); }
Tensor tanh(const Tensor& a) { return unary(a, "tanh", Code::kTanh, [](auto x) { return std::tanh(x); }); }
Tensor sigmoid(const Tensor& a) {
  return unary(a, "sigmoid", Code::kSigmoid, [](auto x) {
    using T = decltype(x);
    return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
  });
}
Tensor relu(const Tensor& a) { return unary(a, "relu", Code::kRelu, [](auto x) { return x > 0 ? x : decltype(x)(0); }); }
Tensor gelu(const Tensor& a) {
  return unary(a, "gelu", Code::kGelu, [](auto x) {
    const double v = static_cast<double>(x);
    return 0.5 * v * (1.0 + std::erf(v * 0.70710678118654752440));
  });
}

Tensor sum(const Tensor& a, const std::vector<int>& axes, bool keepdim) {
  return reduce(a, axes, keepdim, "sum", 0.0, [](double acc, double x) { return acc + x; });
}
Tensor mean(const Tensor& a, const std::vector<int>& axes, bool keepdim) {
  return reduce(a, axes, keepdim, "mean", 0.0, [](double acc, double x) { return acc + x; }, 1.0);
}
Tensor max(const Tensor& a, const std::vector<int>& axes, bool keepdim) {
  if (a.defined() && a.numel() == 0) throw InvalidArgument("max: the tensor " + to_string(a.shape()) + " is empty");
  return reduce(a, axes, keepdim, "max", -std::numeric_limits<double>::infinity(),
                [](double acc, double x) { return x > acc || std::isnan(x) ? x : acc; });
}

Tensor sum_to(const Tensor& a, const Shape& shape) {
  require(a, "sum_to");
  if (shape.size() > a.shape().size()) {
    throw InvalidArgument("sum_to: cannot sum " + to_string(a.shape()) + " to more dimensions " + to_string(shape));
  }
  const std::size_t lead = a.shape().size() - shape.size();
  std::vector<int> axes;
  for (std::size_t i = 0; i < a.shape().size(); ++i) {
    if (i < lead) {
      axes.push_back(static_cast<int>(i));
    } else if (shape[i - lead] == 1 && a.shape()[i] != 1) {
      axes.push_back(static_cast<int>(i));
    } else if (shape[i - lead] != a.shape()[i]) {
      throw InvalidArgument("sum_to: " + to_string(a.shape()) + " is not a broadcast of " + to_string(shape));
    }
  }
  if (axes.empty()) return a.contiguous().clone();
  return sum(a, axes, true).reshape(shape);
}

Tensor argmax(const Tensor& a, int axis) {
  require(a, "argmax");
  const int ax = norm_axis(axis, a.dim(), "argmax", a.shape());
  std::vector<int> perm;  // the other axes in order, then `axis`
  for (int i = 0; i < a.dim(); ++i) {
    if (i != ax) perm.push_back(i);
  }
  perm.push_back(ax);
  const Tensor moved = a.permute(perm).contiguous();
  const std::int64_t n = a.size(ax);
  if (n == 0) throw InvalidArgument("argmax: axis " + std::to_string(axis) + " of " + to_string(a.shape()) + " is empty");
  Shape out_shape = moved.shape();
  out_shape.pop_back();
  const std::int64_t rows = numel(out_shape);
#if AISYS_HAVE_CUDA
  if (on_gpu("argmax", {&a})) return cuda_ops::argmax_rows(moved, rows, n).reshape(out_shape);
#endif
  std::vector<double> idx(static_cast<std::size_t>(rows));
  dispatch(a.dtype(), [&]<typename T>() {
    const T* p = base<T>(moved) + moved.offset();
    for (std::int64_t r = 0; r < rows; ++r) {
      std::int64_t best = 0;
      for (std::int64_t j = 1; j < n; ++j) {
        if (p[r * n + j] > p[r * n + best]) best = j;
      }
      idx[static_cast<std::size_t>(r)] = static_cast<double>(best);
    }
  });
  return Tensor::from_values(idx, out_shape, DType::kFloat64);
}

// ---------------------------------------------------------------------------------------------
// matmul

namespace {

using detail::layout_of;
using detail::MatrixLayout;

template <typename T>
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda, const T* b,
          std::int64_t ldb, T* c, std::int64_t ldc) {
#if AISYS_KERNELS_HAVE_OPENBLAS
  const auto TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, TA, TB, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), 0.0f, c, static_cast<int>(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, TA, TB, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), 0.0, c, static_cast<int>(ldc));
  }
#else
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (std::int64_t p = 0; p < k; ++p) {
        const T x = ta ? a[p * lda + i] : a[i * lda + p];
        const T y = tb ? b[j * ldb + p] : b[p * ldb + j];
        s += static_cast<double>(x) * static_cast<double>(y);
      }
      c[i * ldc + j] = static_cast<T>(s);
    }
  }
#endif
}

}  // namespace

bool cpu_matmul_uses_openblas() {
#if AISYS_KERNELS_HAVE_OPENBLAS
  return true;
#else
  return false;
#endif
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  require(a_in, "matmul", "first");
  require(b_in, "matmul", "second");
  same_dtype(a_in, b_in, "matmul");
  if (a_in.dim() < 2 || b_in.dim() < 2) {
    throw InvalidArgument("matmul: both operands must be at least 2-D, got " + to_string(a_in.shape()) + " x " +
                          to_string(b_in.shape()));
  }
  const std::int64_t m = a_in.size(-2), k = a_in.size(-1), n = b_in.size(-1);
  if (b_in.size(-2) != k) {
    throw InvalidArgument("matmul: inner dimensions differ: " + to_string(a_in.shape()) + " x " + to_string(b_in.shape()));
  }
  const Shape a_batch(a_in.shape().begin(), a_in.shape().end() - 2), b_batch(b_in.shape().begin(), b_in.shape().end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch, "matmul (batch dimensions)");
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
#if AISYS_HAVE_CUDA
  if (on_gpu("matmul", {&a_in, &b_in})) return cuda_ops::matmul(a_in, b_in, batch);
#endif
  Tensor out = Tensor::zeros(out_shape, a_in.dtype());
  if (m == 0 || n == 0) return out;
  Shape a_full = batch, b_full = batch;
  a_full.insert(a_full.end(), {m, k});
  b_full.insert(b_full.end(), {k, n});
  Tensor a = a_in.broadcast_to(a_full), b = b_in.broadcast_to(b_full);
  MatrixLayout la = layout_of(m, k, a.strides()[a.strides().size() - 2], a.strides().back());
  MatrixLayout lb = layout_of(k, n, b.strides()[b.strides().size() - 2], b.strides().back());
  if (!la.ok) {
    a = a.contiguous();
    la = layout_of(m, k, k, 1);
  }
  if (!lb.ok) {
    b = b.contiguous();
    lb = layout_of(k, n, n, 1);
  }
  const Shape a_bs(a.strides().begin(), a.strides().end() - 2), b_bs(b.strides().begin(), b.strides().end() - 2);
  const Shape o_bs(out.strides().begin(), out.strides().end() - 2);
  dispatch(a.dtype(), [&]<typename T>() {
    const T* pa = base<T>(a);
    const T* pb = base<T>(b);
    T* po = base<T>(out);
    for_each_offset3(batch, a_bs, a.offset(), b_bs, b.offset(), o_bs, out.offset(),
                     [&](std::int64_t oa, std::int64_t ob, std::int64_t oo) {
                       if (k == 0) return;
                       gemm<T>(la.transposed, lb.transposed, m, n, k, pa + oa, std::max<std::int64_t>(1, la.ld), pb + ob,
                               std::max<std::int64_t>(1, lb.ld), po + oo, n);
                     });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// softmax, cross-entropy, layer norm, pooling, dropout

Tensor log_softmax(const Tensor& a, int axis) {
  require(a, "log_softmax");
  norm_axis(axis, a.dim(), "log_softmax", a.shape());
  const Tensor m = max(a, {axis}, true);
  const Tensor shifted = sub(a, m);
  const Tensor lse = log(sum(exp(shifted), {axis}, true));
  return sub(shifted, lse);
}

Tensor softmax(const Tensor& a, int axis) {
  require(a, "softmax");
  norm_axis(axis, a.dim(), "softmax", a.shape());
  const Tensor shifted = sub(a, max(a, {axis}, true));
  const Tensor e = exp(shifted);
  return div(e, sum(e, {axis}, true));
}

Tensor cross_entropy(const Tensor& logits, std::span<const std::int32_t> labels) {
  require(logits, "cross_entropy", "logits");
  if (logits.dim() != 2) throw InvalidArgument("cross_entropy: logits must be [N, C], got " + to_string(logits.shape()));
  const std::int64_t n = logits.size(0), c = logits.size(1);
  if (static_cast<std::int64_t>(labels.size()) != n) {
    throw InvalidArgument("cross_entropy: " + std::to_string(labels.size()) + " labels for logits " + to_string(logits.shape()));
  }
#if AISYS_HAVE_CUDA
  if (on_gpu("cross_entropy", {&logits})) {
    // Labels are checked here on the host; the GPU gathers each row's log-probability and the
    // mean runs as the device's reduction.
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int32_t y = labels[static_cast<std::size_t>(i)];
      if (y < 0 || y >= c) {
        throw InvalidArgument("cross_entropy: label " + std::to_string(y) + " at row " + std::to_string(i) + " is outside [0, " +
                              std::to_string(c) + ")");
      }
    }
    if (n == 0) return Tensor::scalar(0.0, logits.dtype()).to(logits.device());
    const Tensor picked = cuda_ops::pick_rows(log_softmax(logits, 1).contiguous(), {labels.begin(), labels.end()});
    return neg(mean(picked));
  }
#endif
  const std::vector<double> lp = log_softmax(logits, 1).to_vector();
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t y = labels[static_cast<std::size_t>(i)];
    if (y < 0 || y >= c) {
      throw InvalidArgument("cross_entropy: label " + std::to_string(y) + " at row " + std::to_string(i) + " is outside [0, " +
                            std::to_string(c) + ")");
    }
    total -= lp[static_cast<std::size_t>(i * c + y)];
  }
  return Tensor::scalar(n > 0 ? total / static_cast<double>(n) : 0.0, logits.dtype());
}

LayerNormResult layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps) {
  require(x, "layer_norm", "input");
  require(gamma, "layer_norm", "gamma");
  require(beta, "layer_norm", "beta");
  same_dtype(x, gamma, "layer_norm");
  same_dtype(x, beta, "layer_norm");
  if (x.dim() < 1) throw InvalidArgument("layer_norm: the input must have at least one dimension");
  const std::int64_t d = x.size(-1);
  if (gamma.shape() != Shape{d} || beta.shape() != Shape{d}) {
    throw InvalidArgument("layer_norm: gamma " + to_string(gamma.shape()) + " and beta " + to_string(beta.shape()) +
                          " must both be [" + std::to_string(d) + "] for input " + to_string(x.shape()));
  }
  LayerNormResult r;
  r.mean = mean(x, {-1}, true);
  const Tensor centered = sub(x, r.mean);
  const Tensor var = mean(mul(centered, centered), {-1}, true);
  r.rstd = pow_scalar(add_scalar(var, eps), -0.5);
  r.y = add(mul(mul(centered, r.rstd), gamma), beta);
  Shape reduced = x.shape();
  reduced.pop_back();
  r.mean = r.mean.reshape(reduced);
  r.rstd = r.rstd.reshape(reduced);
  return r;
}

MaxPoolResult max_pool2d(const Tensor& x_in, int kernel, int stride, int padding) {
  require(x_in, "max_pool2d");
  if (x_in.dim() != 4) throw InvalidArgument("max_pool2d: expected [N, C, H, W], got " + to_string(x_in.shape()));
  if (kernel < 1 || stride < 1 || padding < 0 || padding * 2 > kernel) {
    throw InvalidArgument("max_pool2d: kernel " + std::to_string(kernel) + ", stride " + std::to_string(stride) + ", padding " +
                          std::to_string(padding) + ": need kernel, stride >= 1 and 0 <= padding <= kernel / 2");
  }
  const Tensor x = x_in.contiguous();
  const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const std::int64_t OH = (H + 2 * padding - kernel) / stride + 1, OW = (W + 2 * padding - kernel) / stride + 1;
  if (OH < 1 || OW < 1) {
    throw InvalidArgument("max_pool2d: a " + std::to_string(kernel) + "x" + std::to_string(kernel) + " window does not fit " +
                          to_string(x_in.shape()) + " with padding " + std::to_string(padding));
  }
  MaxPoolResult r;
#if AISYS_HAVE_CUDA
  if (on_gpu("max_pool2d", {&x})) {
    r.y = cuda_ops::max_pool2d(x, kernel, stride, padding, OH, OW, r.argmax);
    return r;
  }
#endif
  r.y = Tensor::empty({N, C, OH, OW}, x.dtype());
  r.argmax.resize(static_cast<std::size_t>(N * C * OH * OW));
  dispatch(x.dtype(), [&]<typename T>() {
    const T* px = base<T>(x) + x.offset();
    T* py = base<T>(r.y);
    for (std::int64_t plane = 0; plane < N * C; ++plane) {
      const T* in = px + plane * H * W;
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          T best = -std::numeric_limits<T>::infinity();
          std::int64_t at = -1;
          for (int kh = 0; kh < kernel; ++kh) {
            const std::int64_t h = oh * stride - padding + kh;
            if (h < 0 || h >= H) continue;
            for (int kw = 0; kw < kernel; ++kw) {
              const std::int64_t w = ow * stride - padding + kw;
              if (w < 0 || w >= W) continue;
              if (at < 0 || in[h * W + w] > best) {
                best = in[h * W + w];
                at = h * W + w;
              }
            }
          }
          const std::int64_t o = (plane * OH + oh) * OW + ow;
          py[o] = best;
          r.argmax[static_cast<std::size_t>(o)] = at;
        }
      }
    }
  });
  return r;
}

Tensor dropout_mask(const Shape& shape, double p, std::uint64_t seed, DType dtype) {
  if (!(p >= 0 && p < 1)) throw InvalidArgument("dropout_mask: p must be in [0, 1), got " + std::to_string(p));
  const Tensor u = Tensor::uniform(shape, 0.0, 1.0, seed, DType::kFloat64);
  std::vector<double> v = u.to_vector();
  const double keep = 1.0 / (1.0 - p);
  for (double& x : v) x = x < p ? 0.0 : keep;
  return Tensor::from_values(v, shape, dtype);
}

}  // namespace aisys::kernels::ops
