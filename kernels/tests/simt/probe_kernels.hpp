// Host entry points of probe_kernels.cu: small kernels that exercise the SIMT emulator's semantics
// (indices, barriers, shared memory, parameters, launch checks, atomics, WMMA). Compiled for the
// emulator only (aisys_simt_add_library): every pointer is a host pointer. Each returns what
// cudaGetLastError() said after its launch.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace aisys::simt::probe {

// out[global thread] = blockIdx and threadIdx packed as 6 bytes (x, y, z of each), for
// every thread of a grid x block launch; out has grid.count() * block.count() entries.
cudaError_t write_indices(dim3 grid, dim3 block, unsigned long long* out);
// One block of n threads: out[t] = in[n - 1 - t] through shared memory, with the barrier.
cudaError_t reverse_in_shared(const float* in, float* out, int n);
// The same without the barrier between the write and the read of shared memory (a race).
cudaError_t reverse_in_shared_without_barrier(const float* in, float* out, int n);
// 32 threads; the first 16 wait at a barrier the others never reach.
cudaError_t barrier_in_divergent_branch(int* out);
// 32 threads; odd and even threads wait at two different barriers.
cudaError_t two_barrier_sites(int* out);
// out[t] = n + t: every thread changes its own copy of the parameter n.
cudaError_t parameters_are_per_thread(int n, int* out);
// `blocks` blocks of 32 threads; block 0 writes shared[0] = 42, every block reads it into out[b].
cudaError_t shared_is_per_block(int blocks, float* out);
// A launch of `threads` threads in one block: every thread adds 1 to *counter.
cudaError_t launch_block_of(unsigned threads, int* counter);
// Thread 3 calls __trap().
cudaError_t trap_in_thread_3();
// *sum += in[i] over n values with atomicAdd, 4 blocks of 64 threads.
cudaError_t atomic_sum(const float* in, int n, float* sum);
// d = a * b + c for one 16x16x16 tile with WMMA (one warp), all row-major with ld 16, 24, 16.
cudaError_t wmma_tile(const __half* a, const __half* b, const float* c, float* d);

// 32 threads, two shared arrays in one declaration, the body under `#if __CUDA_ARCH__ >= 800`:
// out[t] = (31 - t) + 2 t, through both arrays.
cudaError_t two_arrays_in_one_declaration(float* out);
// One warp; lane t loads its A fragment from a + (t % 2) * 16: the lanes disagree.
cudaError_t wmma_lanes_disagree(const __half* a, const __half* b, float* d);
// One warp; only lane 0 makes the WMMA store the others skip.
cudaError_t wmma_store_in_lane_0_only(const __half* a, const __half* b, float* d);
// `threads` threads through five shared arrays declared in the forms nvcc accepts (static,
// alignas, volatile, __align__(sizeof(...)), a size 1 << 5, two on two lines), in a kernel declared
// __launch_bounds__(1 << 6) with a prototype first: out[t] = 15 (31 - t).
cudaError_t shared_declaration_forms(unsigned threads, float* out);
// A kernel declared __launch_bounds__(64), launched with `threads` threads: counter += threads.
cudaError_t launch_bounded_64(unsigned threads, int* counter);
// One block of n threads: out[t] = in[t + 1], so thread n - 1 reads one element past `in`.
cudaError_t read_past_the_end(const float* in, float* out, int n);
// 32 threads write s[threadIdx.x + 1] of a 32-element shared array: thread 31 writes past it.
cudaError_t write_past_a_shared_array(float* out);

}  // namespace aisys::simt::probe
