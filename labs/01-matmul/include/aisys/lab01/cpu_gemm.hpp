// aisys/lab01/cpu_gemm.hpp: the API of Lab 01's CPU stages (students implement it; do not edit).
//
// Every stage computes the BLAS-like single-precision GEMM
//     C = alpha * A * B + beta * C
// on row-major matrices: A is M x K with leading dimension lda >= K (element (i, k) at
// A[i * lda + k]), B is K x N with ldb >= N, C is M x N with ldc >= N. Any M, N, K >= 0 (1 and sizes
// that are not multiples of any tile included); beta == 0 means C is written without being read
// (it may hold NaN). Stages differ only in how fast they get there:
//
//   stage  file (skeleton/)                function
//   1      cpu/1_naive.cpp                 sgemm_naive             three loops, i-j-k
//   2      cpu/2_loop_reorder.cpp          sgemm_loop_reorder      i-k-j: unit stride inner loop
//   3      cpu/3_blocked.cpp               sgemm_blocked           cache blocking (tiles of C, K)
//   4      cpu/4_microkernel_avx2.cpp      sgemm_microkernel_avx2  packed panels + register-blocked
//          cpu/4_microkernel_avx512.cpp    sgemm_microkernel_avx512  micro-kernel (AVX2 / AVX-512)
//   5      cpu/5_multithreaded.cpp         sgemm_multithreaded     stage 4 on every core (OpenMP)
//
// sgemm_microkernel() (lab code, src/microkernel_dispatch.cpp) calls the AVX-512 stage when the CPU
// has AVX-512F/BW/VL/DQ and the AVX2 stage otherwise. Invalid arguments (negative sizes, a leading
// dimension smaller than the row) throw aisys::InvalidArgument from check_gemm_args().
#pragma once

#include <cstdint>

namespace aisys::lab01 {

// The one signature every stage shares.
using SgemmFn = void (*)(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                         int ldb, float beta, float* C, int ldc);

void sgemm_naive(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                 int ldb, float beta, float* C, int ldc);
void sgemm_loop_reorder(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                        int ldb, float beta, float* C, int ldc);
void sgemm_blocked(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                   int ldb, float beta, float* C, int ldc);
void sgemm_microkernel_avx2(int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc);
void sgemm_microkernel_avx512(int M, int N, int K, float alpha, const float* A, int lda,
                              const float* B, int ldb, float beta, float* C, int ldc);
void sgemm_multithreaded(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                         int ldb, float beta, float* C, int ldc);

// Run-time choice between the two micro-kernel files (lab code, not a student file).
void sgemm_microkernel(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                       int ldb, float beta, float* C, int ldc);
// Which file sgemm_microkernel() calls on this CPU: "avx512" or "avx2" ("none" without AVX2+FMA).
const char* microkernel_isa();

// Throws aisys::InvalidArgument naming the offending argument. Every stage calls it first.
void check_gemm_args(const char* function, int M, int N, int K, const float* A, int lda,
                     const float* B, int ldb, const float* C, int ldc);

}  // namespace aisys::lab01
