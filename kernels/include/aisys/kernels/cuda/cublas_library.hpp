// aisys/kernels/cuda/cublas_library.hpp: cuBLAS, opened with dlopen the first time the platform
// needs it, instead of linked into every program. Include only from CUDA-enabled code.
//
// libcublas and libcublasLt are over 500 MB; a program that links them pays about 0.2 s of CPU at
// every start just to map and relocate them, whether or not it ever calls a GEMM. Every test
// binary links aisys::kernels (the Tensor's CUDA matmul lives here), so linking cuBLAS cost each
// of the hundreds of test processes a run starts. The platform's own calls go through
// cublas_library() instead:
//
//   const aisys::cuda::CublasLibrary& blas = aisys::cuda::cublas_library();  // opens it once
//   AISYS_CUBLAS_CHECK(blas.create(&handle));
//
// It tries the library the build found (its full path), then the soname through the loader's
// search path (LD_LIBRARY_PATH, the run path, ldconfig), and throws aisys::LibraryError naming every
// place it tried and why each failed. Code that calls cuBLAS directly (the harness's cuBLAS
// baselines, a test of the check macro) still links CUDA::cublas; the dynamic loader then hands
// cublas_library() the copy already in the process.
#pragma once

#include <cublas_v2.h>

#include <string>
#include <vector>

namespace aisys::cuda {

// The cuBLAS entry points the platform uses, resolved from one opened library.
struct CublasLibrary {
  std::string path;  // the candidate it was opened from
  decltype(&::cublasCreate_v2) create = nullptr;
  decltype(&::cublasDestroy_v2) destroy = nullptr;
  decltype(&::cublasSgemmStridedBatched) sgemm_strided_batched = nullptr;
  decltype(&::cublasDgemmStridedBatched) dgemm_strided_batched = nullptr;
  decltype(&::cublasGetStatusName) status_name = nullptr;
  decltype(&::cublasGetStatusString) status_string = nullptr;
};

// The process's cuBLAS, opened on the first call (thread-safe) and kept open until exit. Throws
// aisys::LibraryError when no candidate opens or one lacks a symbol; a later call tries again.
const CublasLibrary& cublas_library();

// Whether cublas_library() has succeeded in this process.
bool cublas_library_opened();

// Where cublas_library() looks, in order: the library this build linked against, then the soname
// (libcublas.so.<CUDA major version>).
std::vector<std::string> cublas_library_candidates();

// Opens the first candidate that dlopen accepts and resolves every entry point from it; throws
// aisys::LibraryError naming each candidate with dlerror()'s reason. (cublas_library() is this on
// cublas_library_candidates(); the tests call it with paths that do not exist.)
CublasLibrary open_cublas_library(const std::vector<std::string>& candidates);

// "CUBLAS_STATUS_INVALID_VALUE: an invalid numeric value was used as an argument" from the
// library's own strings; when cuBLAS cannot be opened, the number and why (never throws).
std::string cublas_status_message(cublasStatus_t status);

}  // namespace aisys::cuda
