// The CUDA side of the tensor ops (tensor_ops_cuda.hpp): one strided elementwise kernel for every
// unary, scalar, binary and copy op (shapes and strides of up to kMaxDims dimensions passed by
// value; broadcast operands carry stride 0), a block-per-output reduction accumulating in double
// (a grid of at most 65535 blocks, each taking several outputs beyond that),
// matmul through cuBLAS strided-batched GEMM (row-major C = A B computed as C^T = B^T A^T, transposed
// views and broadcast batches passed as they lie; cuBLAS opened on the first matmul,
// cuda/cublas_library.hpp), and
// one thread per output for argmax over rows, the label gather of cross_entropy and max-pool.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/cuda/cublas_library.hpp"
#include "../matrix_layout.hpp"
#include "tensor_ops_cuda.hpp"

namespace aisys::kernels::cuda_ops {
namespace {

using ::aisys::cuda::cublas_library;

constexpr int kMaxDims = 8;
constexpr int kThreads = 256;

struct Strided {
  int dims = 0;
  long long shape[kMaxDims] = {};
  long long stride[4][kMaxDims] = {};  // out, a, b, c
  long long offset[4] = {};
};

Strided describe(const Shape& shape, const std::vector<const Tensor*>& operands) {
  if (shape.size() > static_cast<std::size_t>(kMaxDims)) {
    throw InvalidArgument("tensor ops on CUDA: at most " + std::to_string(kMaxDims) + " dimensions, got " + to_string(shape));
  }
  Strided s;
  s.dims = static_cast<int>(shape.size());
  for (int d = 0; d < s.dims; ++d) s.shape[d] = shape[static_cast<std::size_t>(d)];
  for (std::size_t k = 0; k < operands.size(); ++k) {
    if (!operands[k]) continue;
    const Tensor& t = *operands[k];
    for (int d = 0; d < s.dims; ++d) s.stride[k][d] = t.strides()[static_cast<std::size_t>(d)];
    s.offset[k] = t.offset();
  }
  return s;
}

__device__ inline void offsets_of(const Strided& s, long long i, int operands, long long* o) {
  for (int k = 0; k < operands; ++k) o[k] = s.offset[k];
  for (int d = s.dims - 1; d >= 0; --d) {
    const long long idx = i % s.shape[d];
    i /= s.shape[d];
    for (int k = 0; k < operands; ++k) o[k] += idx * s.stride[k][d];
  }
}

template <typename T>
__device__ inline T apply(Elementwise op, T x, T y, double scalar) {
  switch (op) {
    case Elementwise::kAdd: return x + y;
    case Elementwise::kSub: return x - y;
    case Elementwise::kMul: return x * y;
    case Elementwise::kDiv: return x / y;
    case Elementwise::kMaximum: return x > y ? x : y;
    case Elementwise::kGreater: return x > y ? T(1) : T(0);
    case Elementwise::kNeg: return -x;
    case Elementwise::kExp: return exp(x);
    case Elementwise::kLog: return log(x);
    case Elementwise::kSqrt: return sqrt(x);
    case Elementwise::kAbs: return fabs(x);
    case Elementwise::kTanh: return tanh(x);
    case Elementwise::kSigmoid: return x >= T(0) ? T(1) / (T(1) + exp(-x)) : exp(x) / (T(1) + exp(x));
    case Elementwise::kRelu: return x > T(0) ? x : T(0);
    case Elementwise::kGelu: return static_cast<T>(0.5 * double(x) * (1.0 + erf(double(x) * 0.70710678118654752440)));
    case Elementwise::kAddScalar: return static_cast<T>(double(x) + scalar);
    case Elementwise::kMulScalar: return static_cast<T>(double(x) * scalar);
    case Elementwise::kPowScalar: return static_cast<T>(pow(double(x), scalar));
  }
  return x;
}

template <typename T>
__global__ void elementwise_kernel(T* out, const T* a, const T* b, Strided s, long long n, Elementwise op, double scalar,
                                   int operands) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    long long o[3];
    offsets_of(s, i, operands, o);
    out[o[0]] = apply<T>(op, a[o[1]], operands > 2 ? b[o[2]] : T(0), scalar);
  }
}

template <typename T, typename C>
__global__ void where_kernel(T* out, const C* cond, const T* a, const T* b, Strided s, long long n) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    long long o[4];
    offsets_of(s, i, 4, o);
    out[o[0]] = cond[o[1]] != C(0) ? a[o[2]] : b[o[3]];
  }
}

template <typename D, typename S>
__global__ void copy_kernel(D* dst, const S* src, Strided s, long long n) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    long long o[2];
    offsets_of(s, i, 2, o);
    dst[o[0]] = static_cast<D>(src[o[1]]);
  }
}

// One block per output element (a block takes outputs blockIdx.x, + gridDim.x, ... when there are
// more outputs than blocks): threads stride over the reduced elements, then a shared-memory tree.
// `kept` describes the output's coordinates in the input (reduced dimensions have stride 0 there);
// `red` the reduced sub-space. The loop condition is the same for the whole block, so every
// thread reaches every __syncthreads.
template <typename T>
__global__ void reduce_kernel(T* out, const T* in, Strided kept, Strided red, long long reduced_count, long long outputs,
                              bool is_max, double scale) {
  __shared__ double partial[kThreads];
  for (long long j = blockIdx.x; j < outputs; j += gridDim.x) {
    long long base[1];
    offsets_of(kept, j, 1, base);  // stride[0] of `kept`: the input's strides on kept dimensions
    double acc = is_max ? -INFINITY : 0.0;
    for (long long r = threadIdx.x; r < reduced_count; r += blockDim.x) {
      long long o[1];
      offsets_of(red, r, 1, o);  // red.offset[0] = 0
      const double v = static_cast<double>(in[base[0] + o[0]]);
      acc = is_max ? (v > acc || isnan(v) ? v : acc) : acc + v;
    }
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int w = static_cast<int>(blockDim.x) / 2; w > 0; w /= 2) {
      if (static_cast<int>(threadIdx.x) < w) {
        const double x = partial[threadIdx.x], y = partial[threadIdx.x + w];
        partial[threadIdx.x] = is_max ? (y > x || isnan(y) ? y : x) : x + y;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) out[j] = static_cast<T>(partial[0] * scale);
    __syncthreads();  // partial[0] is read before the next output overwrites it
  }
}

template <typename T>
__global__ void argmax_rows_kernel(double* out, const T* a, long long rows, long long n) {
  for (long long r = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; r < rows;
       r += static_cast<long long>(gridDim.x) * blockDim.x) {
    const T* row = a + r * n;
    long long best = 0;
    for (long long j = 1; j < n; ++j) {
      if (row[j] > row[best]) best = j;
    }
    out[r] = static_cast<double>(best);
  }
}

template <typename T>
__global__ void pick_rows_kernel(T* out, const T* lp, const double* labels, long long n, long long c) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    out[i] = lp[i * c + static_cast<long long>(labels[i])];
  }
}

// The window's first valid element starts the search (padding <= kernel / 2 leaves at least one),
// then strictly larger ones replace it: the same choice as the CPU's.
template <typename T>
__global__ void max_pool_kernel(T* y, double* arg, const T* x, long long planes, long long h_in, long long w_in,
                                long long oh, long long ow, int kernel, int stride, int padding) {
  const long long total = planes * oh * ow;
  for (long long o = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; o < total;
       o += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long q = o % ow, p = (o / ow) % oh, plane = o / (oh * ow);
    const T* in = x + plane * h_in * w_in;
    T best = T(0);
    long long at = -1;
    for (int kh = 0; kh < kernel; ++kh) {
      const long long h = p * stride - padding + kh;
      if (h < 0 || h >= h_in) continue;
      for (int kw = 0; kw < kernel; ++kw) {
        const long long w = q * stride - padding + kw;
        if (w < 0 || w >= w_in) continue;
        if (at < 0 || in[h * w_in + w] > best) {
          best = in[h * w_in + w];
          at = h * w_in + w;
        }
      }
    }
    y[o] = best;
    arg[o] = static_cast<double>(at);
  }
}

unsigned blocks_for(long long n) {
  const long long b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 4096 ? (b < 1 ? 1 : b) : 4096);
}

void set_device(const Tensor& t) { AISYS_CUDA_CHECK(cudaSetDevice(t.device().index)); }

cublasHandle_t handle_for(int device) {
  static thread_local cublasHandle_t handles[16] = {};
  if (device < 0 || device >= 16) throw InvalidArgument("tensor ops on CUDA: device " + std::to_string(device) + " >= 16");
  if (!handles[device]) AISYS_CUBLAS_CHECK(cublas_library().create(&handles[device]));
  return handles[device];
}

}  // namespace

void strided_copy(const Tensor& dst, const Tensor& src_in) {
  const Tensor src = src_in.shape() == dst.shape() ? src_in : src_in.broadcast_to(dst.shape());
  set_device(dst);
  const long long n = dst.numel();
  if (n == 0) return;
  const Strided s = describe(dst.shape(), {&dst, &src});
  void* d = dst.storage()->data();
  const void* p = src.storage()->data();
  const bool d32 = dst.dtype() == DType::kFloat32, s32 = src.dtype() == DType::kFloat32;
  if (d32 && s32) copy_kernel<<<blocks_for(n), kThreads>>>(static_cast<float*>(d), static_cast<const float*>(p), s, n);
  else if (d32) copy_kernel<<<blocks_for(n), kThreads>>>(static_cast<float*>(d), static_cast<const double*>(p), s, n);
  else if (s32) copy_kernel<<<blocks_for(n), kThreads>>>(static_cast<double*>(d), static_cast<const float*>(p), s, n);
  else copy_kernel<<<blocks_for(n), kThreads>>>(static_cast<double*>(d), static_cast<const double*>(p), s, n);
  AISYS_CUDA_LAUNCH_CHECK();
}

void add_into(const Tensor& dst, const Tensor& src_in) {
  const Tensor src = src_in.shape() == dst.shape() ? src_in : src_in.broadcast_to(dst.shape());
  set_device(dst);
  const long long n = dst.numel();
  if (n == 0) return;
  // Each thread reads and writes one element of dst: out and a are the same view.
  const Strided s = describe(dst.shape(), {&dst, &dst, &src});
  if (dst.dtype() == DType::kFloat32) {
    auto* d = static_cast<float*>(dst.storage()->data());
    elementwise_kernel<float><<<blocks_for(n), kThreads>>>(d, d, static_cast<const float*>(src.storage()->data()), s, n,
                                                           Elementwise::kAdd, 0.0, 3);
  } else {
    auto* d = static_cast<double*>(dst.storage()->data());
    elementwise_kernel<double><<<blocks_for(n), kThreads>>>(d, d, static_cast<const double*>(src.storage()->data()), s, n,
                                                            Elementwise::kAdd, 0.0, 3);
  }
  AISYS_CUDA_LAUNCH_CHECK();
}

Tensor binary(Elementwise op, const Tensor& a, const Tensor& b, const Shape& shape) {
  set_device(a);
  Tensor out = Tensor::uninitialized(shape, a.dtype(), a.device());
  const long long n = out.numel();
  if (n == 0) return out;
  const Tensor ab = a.broadcast_to(shape), bb = b.broadcast_to(shape);
  const Strided s = describe(shape, {&out, &ab, &bb});
  if (a.dtype() == DType::kFloat32) {
    elementwise_kernel<float><<<blocks_for(n), kThreads>>>(static_cast<float*>(out.storage()->data()),
                                                           static_cast<const float*>(ab.storage()->data()),
                                                           static_cast<const float*>(bb.storage()->data()), s, n, op, 0.0, 3);
  } else {
    elementwise_kernel<double><<<blocks_for(n), kThreads>>>(static_cast<double*>(out.storage()->data()),
                                                            static_cast<const double*>(ab.storage()->data()),
                                                            static_cast<const double*>(bb.storage()->data()), s, n, op, 0.0, 3);
  }
  AISYS_CUDA_LAUNCH_CHECK();
  return out;
}

Tensor unary(Elementwise op, const Tensor& a, double scalar) {
  set_device(a);
  Tensor out = Tensor::uninitialized(a.shape(), a.dtype(), a.device());
  const long long n = out.numel();
  if (n == 0) return out;
  const Strided s = describe(a.shape(), {&out, &a});
  if (a.dtype() == DType::kFloat32) {
    elementwise_kernel<float><<<blocks_for(n), kThreads>>>(static_cast<float*>(out.storage()->data()),
                                                           static_cast<const float*>(a.storage()->data()), nullptr, s, n, op,
                                                           scalar, 2);
  } else {
    elementwise_kernel<double><<<blocks_for(n), kThreads>>>(static_cast<double*>(out.storage()->data()),
                                                            static_cast<const double*>(a.storage()->data()), nullptr, s, n, op,
                                                            scalar, 2);
  }
  AISYS_CUDA_LAUNCH_CHECK();
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, const Shape& shape) {
  set_device(a);
  Tensor out = Tensor::uninitialized(shape, a.dtype(), a.device());
  const long long n = out.numel();
  if (n == 0) return out;
  const Tensor cb = cond.broadcast_to(shape), ab = a.broadcast_to(shape), bb = b.broadcast_to(shape);
  const Strided s = describe(shape, {&out, &cb, &ab, &bb});
  const void* c = cb.storage()->data();
  const bool c32 = cond.dtype() == DType::kFloat32;
  if (a.dtype() == DType::kFloat32) {
    float* o = static_cast<float*>(out.storage()->data());
    const float* pa = static_cast<const float*>(ab.storage()->data());
    const float* pb = static_cast<const float*>(bb.storage()->data());
    if (c32) where_kernel<<<blocks_for(n), kThreads>>>(o, static_cast<const float*>(c), pa, pb, s, n);
    else where_kernel<<<blocks_for(n), kThreads>>>(o, static_cast<const double*>(c), pa, pb, s, n);
  } else {
    double* o = static_cast<double*>(out.storage()->data());
    const double* pa = static_cast<const double*>(ab.storage()->data());
    const double* pb = static_cast<const double*>(bb.storage()->data());
    if (c32) where_kernel<<<blocks_for(n), kThreads>>>(o, static_cast<const float*>(c), pa, pb, s, n);
    else where_kernel<<<blocks_for(n), kThreads>>>(o, static_cast<const double*>(c), pa, pb, s, n);
  }
  AISYS_CUDA_LAUNCH_CHECK();
  return out;
}

Tensor reduce(const Tensor& a, const std::vector<char>& reduced, bool max, bool mean) {
  if (a.dim() > kMaxDims) {
    throw InvalidArgument("tensor ops on CUDA: at most " + std::to_string(kMaxDims) + " dimensions, got " + to_string(a.shape()));
  }
  set_device(a);
  Shape kept_shape = a.shape(), red_shape;
  Strided kept, red;
  kept.dims = 0;
  red.dims = 0;
  long long count = 1;
  Shape out_shape;
  for (std::size_t d = 0; d < reduced.size(); ++d) {
    if (reduced[d]) {
      red.shape[red.dims] = a.shape()[d];
      red.stride[0][red.dims++] = a.strides()[d];
      count *= a.shape()[d];
      out_shape.push_back(1);
    } else {
      kept.shape[kept.dims] = a.shape()[d];
      kept.stride[0][kept.dims++] = a.strides()[d];
      out_shape.push_back(a.shape()[d]);
    }
  }
  kept.offset[0] = a.offset();
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  const long long outputs = out.numel();
  if (outputs == 0) return out;
  const double scale = mean && count > 0 ? 1.0 / static_cast<double>(count) : 1.0;
  // Up to 65535 blocks (one per output; each takes several beyond that): within every grid limit.
  const unsigned blocks = static_cast<unsigned>(outputs < 65535 ? outputs : 65535);
  if (a.dtype() == DType::kFloat32) {
    reduce_kernel<float><<<blocks, kThreads>>>(static_cast<float*>(out.storage()->data()),
                                               static_cast<const float*>(a.storage()->data()), kept, red, count, outputs, max,
                                               scale);
  } else {
    reduce_kernel<double><<<blocks, kThreads>>>(static_cast<double*>(out.storage()->data()),
                                                static_cast<const double*>(a.storage()->data()), kept, red, count, outputs, max,
                                                scale);
  }
  AISYS_CUDA_LAUNCH_CHECK();
  return out;
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in, const Shape& batch) {
  set_device(a_in);
  const long long m = a_in.size(-2), k = a_in.size(-1), n = b_in.size(-1);
  Shape af = batch, bf = batch, of = batch;
  af.insert(af.end(), {m, k});
  bf.insert(bf.end(), {k, n});
  of.insert(of.end(), {m, n});
  const long long batches = numel(batch);
  // Each operand goes to cuBLAS as it lies when its matrices are row- or column-major (a transposed
  // view is passed as CUBLAS_OP_T) and its batch steps evenly (an operand broadcast over the batch,
  // such as one weight matrix against a batch of images, gets stride 0); otherwise it is made
  // contiguous first.
  Tensor a = a_in.broadcast_to(af), b = b_in.broadcast_to(bf);
  const std::size_t nb = batch.size();
  detail::MatrixLayout la = detail::layout_of(m, k, a.strides()[nb], a.strides()[nb + 1]);
  detail::MatrixLayout lb = detail::layout_of(k, n, b.strides()[nb], b.strides()[nb + 1]);
  std::optional<std::int64_t> sa = detail::uniform_batch_stride(a.shape(), a.strides(), nb);
  std::optional<std::int64_t> sb = detail::uniform_batch_stride(b.shape(), b.strides(), nb);
  if (!la.ok || !sa) {
    a = a.contiguous();
    la = detail::layout_of(m, k, k, 1);
    sa = m * k;
  }
  if (!lb.ok || !sb) {
    b = b.contiguous();
    lb = detail::layout_of(k, n, n, 1);
    sb = k * n;
  }
  // cuBLAS takes sizes, leading dimensions and the batch count as int.
  const long long dims[] = {m, k, n, batches, la.ld, lb.ld};
  for (const long long v : dims) {
    if (v > std::numeric_limits<int>::max()) {
      throw InvalidArgument("matmul on CUDA: a size, leading dimension or batch count of " + std::to_string(v) +
                            " exceeds cuBLAS's int (" + std::to_string(std::numeric_limits<int>::max()) + ")");
    }
  }
  // cuBLAS with beta = 0 writes every element of C without reading it: no zeroing, except for an
  // empty sum (k = 0), whose result is zeros and which cuBLAS is not asked for.
  if (m == 0 || n == 0 || k == 0 || batches == 0) return Tensor::zeros(of, a.dtype(), a.device());
  Tensor out = Tensor::uninitialized(of, a.dtype(), a.device());
  cublasHandle_t h = handle_for(a.device().index);
  // Row-major C [M, N] = A B is column-major C^T [N, M] = B^T A^T: pass B first. A row-major
  // operand read column-major is its transpose (CUBLAS_OP_N), a column-major one needs CUBLAS_OP_T.
  const cublasOperation_t op_b = lb.transposed ? CUBLAS_OP_T : CUBLAS_OP_N, op_a = la.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int ldb = static_cast<int>(lb.ld), lda = static_cast<int>(la.ld);
  if (a.dtype() == DType::kFloat32) {
    const float one = 1, zero = 0;
    AISYS_CUBLAS_CHECK(cublas_library().sgemm_strided_batched(h, op_b, op_a, static_cast<int>(n), static_cast<int>(m),
                                                 static_cast<int>(k), &one, b.data<float>(), ldb, *sb, a.data<float>(),
                                                 lda, *sa, &zero, out.data<float>(), static_cast<int>(n), m * n,
                                                 static_cast<int>(batches)));
  } else {
    const double one = 1, zero = 0;
    AISYS_CUBLAS_CHECK(cublas_library().dgemm_strided_batched(h, op_b, op_a, static_cast<int>(n), static_cast<int>(m),
                                                 static_cast<int>(k), &one, b.data<double>(), ldb, *sb, a.data<double>(),
                                                 lda, *sa, &zero, out.data<double>(), static_cast<int>(n), m * n,
                                                 static_cast<int>(batches)));
  }
  return out;
}

Tensor argmax_rows(const Tensor& a, std::int64_t rows, std::int64_t n) {
  set_device(a);
  Tensor out = Tensor::empty({rows}, DType::kFloat64, a.device());
  if (rows == 0) return out;
  double* o = static_cast<double*>(out.storage()->data());
  if (a.dtype() == DType::kFloat32) {
    argmax_rows_kernel<<<blocks_for(rows), kThreads>>>(o, static_cast<const float*>(a.storage()->data()) + a.offset(), rows, n);
  } else {
    argmax_rows_kernel<<<blocks_for(rows), kThreads>>>(o, static_cast<const double*>(a.storage()->data()) + a.offset(), rows, n);
  }
  AISYS_CUDA_LAUNCH_CHECK();
  return out;
}

Tensor pick_rows(const Tensor& log_probs, const std::vector<std::int32_t>& labels) {
  set_device(log_probs);
  const long long n = log_probs.size(0), c = log_probs.size(1);
  Tensor out = Tensor::empty({n}, log_probs.dtype(), log_probs.device());
  if (n == 0) return out;
  const std::vector<double> host(labels.begin(), labels.end());
  const Tensor dev_labels = Tensor::from_values(host, {n}, DType::kFloat64).to(log_probs.device());
  const double* l = static_cast<const double*>(dev_labels.storage()->data()) + dev_labels.offset();
  if (log_probs.dtype() == DType::kFloat32) {
    pick_rows_kernel<<<blocks_for(n), kThreads>>>(static_cast<float*>(out.storage()->data()),
                                                  static_cast<const float*>(log_probs.storage()->data()) + log_probs.offset(), l,
                                                  n, c);
  } else {
    pick_rows_kernel<<<blocks_for(n), kThreads>>>(static_cast<double*>(out.storage()->data()),
                                                  static_cast<const double*>(log_probs.storage()->data()) + log_probs.offset(), l,
                                                  n, c);
  }
  AISYS_CUDA_LAUNCH_CHECK();
  return out;
}

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding, std::int64_t oh, std::int64_t ow,
                  std::vector<std::int64_t>& argmax) {
  set_device(x);
  const long long planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  Tensor y = Tensor::empty({x.size(0), x.size(1), oh, ow}, x.dtype(), x.device());
  Tensor arg = Tensor::empty(y.shape(), DType::kFloat64, x.device());
  const long long total = y.numel();
  argmax.clear();
  if (total == 0) return y;
  double* a = static_cast<double*>(arg.storage()->data());
  if (x.dtype() == DType::kFloat32) {
    max_pool_kernel<<<blocks_for(total), kThreads>>>(static_cast<float*>(y.storage()->data()), a,
                                                     static_cast<const float*>(x.storage()->data()) + x.offset(), planes, h, w, oh,
                                                     ow, kernel, stride, padding);
  } else {
    max_pool_kernel<<<blocks_for(total), kThreads>>>(static_cast<double*>(y.storage()->data()), a,
                                                     static_cast<const double*>(x.storage()->data()) + x.offset(), planes, h, w, oh,
                                                     ow, kernel, stride, padding);
  }
  AISYS_CUDA_LAUNCH_CHECK();
  for (double v : arg.to_vector()) argmax.push_back(static_cast<std::int64_t>(v));
  return y;
}

}  // namespace aisys::kernels::cuda_ops
