// The emulated cuBLAS (libaisys_simt_cublas.so): the entry points the platform opens with dlopen
// (aisys/kernels/cuda/cublas_library.hpp), computed on the CPU, column-major with cuBLAS's
// argument rules, for programs built on the emulated CUDA runtime (src/simt/cudart.cpp). What it
// tests is the caller's use of cuBLAS: the operand order, transposes, leading dimensions and
// strides that turn a row-major product into a column-major one. Arguments cuBLAS refuses are
// refused with its status (CUBLAS_STATUS_INVALID_VALUE); the products accumulate in double.
//
// Every matrix must lie inside one device allocation of the emulated runtime, batch by batch, over
// the extent its leading dimension and stride give it: a host pointer, a freed buffer, or a leading
// dimension or stride that runs past the buffer makes the call return CUBLAS_STATUS_EXECUTION_FAILED
// with a line naming the operand (on a GPU such a kernel faults, and a later call reports
// cudaErrorIllegalAddress). The runtime lives in the program, not in this library, so the loader
// hands its range check over (aisys_simt_cublas_use_device_ranges, called by cublas_library.cpp);
// before that, no pointer is checked.
#include <cublas_api.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <string>

namespace {

struct Handle {
  int tag = 0x51417;
};

using DeviceRangeCheck = bool (*)(const void*, std::size_t);
std::atomic<DeviceRangeCheck> g_is_device_range{nullptr};

// Whether each batch of a column-major rows x cols operand at `p` (leading dimension ld, batch
// stride s) lies inside one device allocation; if not, prints why. An empty operand is not read.
template <class T>
bool operand_is_on_device(const char* call, const char* name, const T* p, int rows, int cols, int ld, long long s,
                          int batches) {
  const DeviceRangeCheck check = g_is_device_range.load();
  if (check == nullptr || rows == 0 || cols == 0) return true;
  const std::size_t elements = static_cast<std::size_t>(cols - 1) * static_cast<std::size_t>(ld) + rows;
  for (int q = 0; q < batches; ++q) {
    const T* batch = p + q * s;
    if (p == nullptr || !check(batch, elements * sizeof(T))) {
      std::fprintf(stderr,
                   "[ simt cublas ] %s: %s of batch %d at %p (%d x %d, leading dimension %d: %zu elements) is not "
                   "inside one device allocation\n",
                   call, name, q, static_cast<const void*>(batch), rows, cols, ld, elements);
      return false;
    }
  }
  return true;
}

template <class T>
cublasStatus_t gemm_strided_batched(const char* call, cublasHandle_t handle, cublasOperation_t ta,
                                    cublasOperation_t tb, int m, int n, int k, const T* alpha,
                                    const T* A, int lda, long long sa, const T* B, int ldb,
                                    long long sb, const T* beta, T* C, int ldc, long long sc,
                                    int batches) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  const bool tA = ta != CUBLAS_OP_N, tB = tb != CUBLAS_OP_N;
  const int a_rows = tA ? k : m, b_rows = tB ? n : k;
  if (m < 0 || n < 0 || k < 0 || batches < 0 || lda < (a_rows > 1 ? a_rows : 1) ||
      ldb < (b_rows > 1 ? b_rows : 1) || ldc < (m > 1 ? m : 1)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (m == 0 || n == 0 || batches == 0) return CUBLAS_STATUS_SUCCESS;
  // With k == 0 only C is touched (scaled by beta).
  const bool reads_ab = k > 0;
  if ((reads_ab && !operand_is_on_device(call, "A", A, a_rows, tA ? m : k, lda, sa, batches)) ||
      (reads_ab && !operand_is_on_device(call, "B", B, b_rows, tB ? k : n, ldb, sb, batches)) ||
      !operand_is_on_device(call, "C", static_cast<const T*>(C), m, n, ldc, sc, batches)) {
    return CUBLAS_STATUS_EXECUTION_FAILED;
  }
  for (int q = 0; q < batches; ++q) {
    const T* a = A + q * sa;
    const T* b = B + q * sb;
    T* c = C + q * sc;
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < m; ++i) {
        double acc = 0.0;
        for (int p = 0; p < k; ++p) {
          const T av = tA ? a[static_cast<std::size_t>(i) * lda + p] : a[static_cast<std::size_t>(p) * lda + i];
          const T bv = tB ? b[static_cast<std::size_t>(p) * ldb + j] : b[static_cast<std::size_t>(j) * ldb + p];
          acc += static_cast<double>(av) * static_cast<double>(bv);
        }
        T& out = c[static_cast<std::size_t>(j) * ldc + i];
        // beta == 0: C is not read (it may hold NaN), as in cuBLAS.
        out = *beta == T(0) ? static_cast<T>(*alpha * acc)
                            : static_cast<T>(*alpha * acc + *beta * static_cast<double>(out));
      }
    }
  }
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

// Not cuBLAS's: the emulated runtime's range check (aisys::simt::cuda::is_device_range), handed
// over by the loader so that every operand is checked against the program's device allocations.
__attribute__((visibility("default"))) void aisys_simt_cublas_use_device_ranges(bool (*check)(const void*, std::size_t)) {
  g_is_device_range.store(check);
}

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
  *handle = reinterpret_cast<cublasHandle_t>(new Handle);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  delete reinterpret_cast<Handle*>(handle);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t ta,
                                         cublasOperation_t tb, int m, int n, int k,
                                         const float* alpha, const float* A, int lda,
                                         long long sa, const float* B, int ldb, long long sb,
                                         const float* beta, float* C, int ldc, long long sc,
                                         int batches) {
  return gemm_strided_batched("cublasSgemmStridedBatched", handle, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb,
                              beta, C, ldc, sc, batches);
}

cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t handle, cublasOperation_t ta,
                                         cublasOperation_t tb, int m, int n, int k,
                                         const double* alpha, const double* A, int lda,
                                         long long sa, const double* B, int ldb, long long sb,
                                         const double* beta, double* C, int ldc, long long sc,
                                         int batches) {
  return gemm_strided_batched("cublasDgemmStridedBatched", handle, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb,
                              beta, C, ldc, sc, batches);
}

const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
    default: return "a status the emulated cuBLAS does not name";
  }
}

}  // extern "C"
