// The emulated cuBLAS (libaisys_simt_cublas.so): the entry points the platform opens with dlopen
// (aisys/kernels/cuda/cublas_library.hpp), computed on the CPU, column-major with cuBLAS's
// argument rules, for programs built on the emulated CUDA runtime (src/simt/cudart.cpp). What it
// tests is the caller's use of cuBLAS: the operand order, transposes, leading dimensions and
// strides that turn a row-major product into a column-major one. Arguments cuBLAS refuses are
// refused with its status (CUBLAS_STATUS_INVALID_VALUE); the products accumulate in double.
#include <cublas_api.h>

#include <cstddef>

namespace {

struct Handle {
  int tag = 0x51417;
};

template <class T>
cublasStatus_t gemm_strided_batched(cublasHandle_t handle, cublasOperation_t ta,
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
  return gemm_strided_batched(handle, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc,
                              sc, batches);
}

cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t handle, cublasOperation_t ta,
                                         cublasOperation_t tb, int m, int n, int k,
                                         const double* alpha, const double* A, int lda,
                                         long long sa, const double* B, int ldb, long long sb,
                                         const double* beta, double* C, int ldc, long long sc,
                                         int batches) {
  return gemm_strided_batched(handle, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc,
                              sc, batches);
}

const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
    default: return "a status the emulated cuBLAS does not name";
  }
}

}  // extern "C"
