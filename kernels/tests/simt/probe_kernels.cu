// Kernels that probe the SIMT emulator (probe_kernels.hpp says what each does); built only as an
// emulated library (kernels/tests/CMakeLists.txt), as the lab's .cu files are.
#include "probe_kernels.hpp"

#include <mma.h>

namespace aisys::simt::probe {
namespace {

__global__ void write_indices_kernel(unsigned long long* out) {
  const unsigned long long block =
      blockIdx.x + gridDim.x * (blockIdx.y + static_cast<unsigned long long>(gridDim.y) * blockIdx.z);
  const unsigned long long thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned long long threads = static_cast<unsigned long long>(blockDim.x) * blockDim.y * blockDim.z;
  const unsigned long long packed =
      (static_cast<unsigned long long>(blockIdx.x & 0xff) << 40) | ((blockIdx.y & 0xffull) << 32) |
      ((blockIdx.z & 0xffull) << 24) | ((threadIdx.x & 0xffull) << 16) | ((threadIdx.y & 0xffull) << 8) |
      (threadIdx.z & 0xffull);
  out[block * threads + thread] = packed;
}

__global__ void reverse_kernel(const float* in, float* out, int n, bool with_barrier) {
  __shared__ float s[1024];
  const int t = static_cast<int>(threadIdx.x);
  s[t] = in[t];
  if (with_barrier) __syncthreads();
  out[t] = s[n - 1 - t];
}

__global__ void divergent_kernel(int* out) {
  if (threadIdx.x < 16) __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void two_sites_kernel(int* out) {
  if (threadIdx.x % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

__global__ void parameter_kernel(int n, int* out) {
  n += static_cast<int>(threadIdx.x);
  out[threadIdx.x] = n;
}

__global__ void shared_per_block_kernel(float* out) {
  __shared__ float s[32];
  if (blockIdx.x == 0 && threadIdx.x == 0) s[0] = 42.0f;
  __syncthreads();
  if (threadIdx.x == 0) out[blockIdx.x] = s[0];
}

__global__ void count_kernel(int* counter) { atomicAdd(counter, 1); }

__global__ void trap_kernel() {
  if (threadIdx.x == 3) __trap();
}

__global__ void atomic_sum_kernel(const float* in, int n, float* sum) {
  for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i < n;
       i += static_cast<int>(gridDim.x * blockDim.x)) {
    atomicAdd(sum, in[i]);
  }
}

__global__ void wmma_kernel(const __half* a, const __half* b, const float* c, float* d) {
  namespace wmma = nvcuda::wmma;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
  wmma::load_matrix_sync(fa, a, 16);
  wmma::load_matrix_sync(fb, b, 24);
  wmma::load_matrix_sync(fc, c, 16, wmma::mem_row_major);
  wmma::mma_sync(fc, fa, fb, fc);
  wmma::store_matrix_sync(d, fc, 16, wmma::mem_row_major);
}

__global__ void two_arrays_kernel(float* out) {
#if __CUDA_ARCH__ >= 800
  __shared__ float a[32], b[32];
  const int t = static_cast<int>(threadIdx.x);
  a[t] = static_cast<float>(t);
  b[t] = 2.0f * static_cast<float>(t);
  __syncthreads();
  out[t] = a[31 - t] + b[t];
#else
  __trap();
#endif
}

// One 16x16x16 tile, d = a * b, with A's fragment loaded from a + a_offset and the store made
// only where `store` holds: the warp-wide misuses the two kernels below make.
__device__ void one_tile(const __half* a, unsigned a_offset, const __half* b, float* d, bool store) {
  namespace wmma = nvcuda::wmma;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
  wmma::fill_fragment(fc, 0.0f);
  wmma::load_matrix_sync(fa, a + a_offset, 16);
  wmma::load_matrix_sync(fb, b, 16);
  wmma::mma_sync(fc, fa, fb, fc);
  if (store) wmma::store_matrix_sync(d, fc, 16, wmma::mem_row_major);
}

__global__ void wmma_disagree_kernel(const __half* a, const __half* b, float* d) {
  one_tile(a, (threadIdx.x % 2) * 16, b, d, true);
}

__global__ void __launch_bounds__(64) bounded_kernel(int* counter) { atomicAdd(counter, 1); }

__global__ void wmma_skipped_store_kernel(const __half* a, const __half* b, float* d) {
  one_tile(a, 0, b, d, threadIdx.x == 0);
}

__global__ void __launch_bounds__(1 << 6) forms_kernel(float* out);

__global__ void __launch_bounds__(1 << 6) forms_kernel(float* out) {
  static __shared__ float a[1 << 5];
  __shared__ alignas(16) float b[32];
  __shared__ volatile float c[32];
  __shared__ __align__(sizeof(float4)) float d[32],
      e[32];
  const int t = static_cast<int>(threadIdx.x) % 32;
  a[t] = static_cast<float>(t);
  b[t] = 2.0f * static_cast<float>(t);
  c[t] = 3.0f * static_cast<float>(t);
  d[t] = 4.0f * static_cast<float>(t);
  e[t] = 5.0f * static_cast<float>(t);
  __syncthreads();
  out[threadIdx.x] = a[31 - t] + b[31 - t] + c[31 - t] + d[31 - t] + e[31 - t];
}

__global__ void read_past_kernel(const float* in, float* out) {
  out[threadIdx.x] = in[threadIdx.x + 1];
}

__global__ void shared_past_kernel(float* out) {
  __shared__ __align__(128) float s[32];  // aligned past 64 bytes, as the WMMA stage's tiles
  s[threadIdx.x + 1] = 1.0f;
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x];
}

}  // namespace

cudaError_t write_indices(dim3 grid, dim3 block, unsigned long long* out) {
  write_indices_kernel<<<grid, block>>>(out);
  return cudaGetLastError();
}

cudaError_t reverse_in_shared(const float* in, float* out, int n) {
  reverse_kernel<<<1, n>>>(in, out, n, true);
  return cudaGetLastError();
}

cudaError_t reverse_in_shared_without_barrier(const float* in, float* out, int n) {
  reverse_kernel<<<1, n>>>(in, out, n, false);
  return cudaGetLastError();
}

cudaError_t barrier_in_divergent_branch(int* out) {
  divergent_kernel<<<1, 32>>>(out);
  return cudaGetLastError();
}

cudaError_t two_barrier_sites(int* out) {
  two_sites_kernel<<<1, 32>>>(out);
  return cudaGetLastError();
}

cudaError_t parameters_are_per_thread(int n, int* out) {
  parameter_kernel<<<1, 64, 0, nullptr>>>(n, out);
  return cudaGetLastError();
}

cudaError_t shared_is_per_block(int blocks, float* out) {
  shared_per_block_kernel<<<blocks, 32>>>(out);
  return cudaGetLastError();
}

cudaError_t launch_block_of(unsigned threads, int* counter) {
  count_kernel<<<1, threads>>>(counter);
  return cudaGetLastError();
}

cudaError_t trap_in_thread_3() {
  trap_kernel<<<1, 32>>>();
  return cudaGetLastError();
}

cudaError_t atomic_sum(const float* in, int n, float* sum) {
  atomic_sum_kernel<<<4, 64>>>(in, n, sum);
  return cudaGetLastError();
}

cudaError_t wmma_tile(const __half* a, const __half* b, const float* c, float* d) {
  wmma_kernel<<<1, 32>>>(a, b, c, d);
  return cudaGetLastError();
}

cudaError_t two_arrays_in_one_declaration(float* out) {
  two_arrays_kernel<<<1, 32>>>(out);
  return cudaGetLastError();
}

cudaError_t wmma_lanes_disagree(const __half* a, const __half* b, float* d) {
  wmma_disagree_kernel<<<1, 32>>>(a, b, d);
  return cudaGetLastError();
}

cudaError_t wmma_store_in_lane_0_only(const __half* a, const __half* b, float* d) {
  wmma_skipped_store_kernel<<<1, 32>>>(a, b, d);
  return cudaGetLastError();
}

cudaError_t shared_declaration_forms(unsigned threads, float* out) {
  forms_kernel<<<1, threads>>>(out);
  return cudaGetLastError();
}

cudaError_t launch_bounded_64(unsigned threads, int* counter) {
  bounded_kernel<<<1, threads>>>(counter);
  return cudaGetLastError();
}

cudaError_t read_past_the_end(const float* in, float* out, int n) {
  read_past_kernel<<<1, n>>>(in, out);
  return cudaGetLastError();
}

cudaError_t write_past_a_shared_array(float* out) {
  shared_past_kernel<<<1, 32>>>(out);
  return cudaGetLastError();
}

}  // namespace aisys::simt::probe
