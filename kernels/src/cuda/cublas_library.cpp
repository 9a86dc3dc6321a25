// kernels/src/cuda/cublas_library.cpp: opening cuBLAS on first use (cuda/cublas_library.hpp).
//
// The build passes the library it found as AISYS_CUBLAS_PATH and its soname as AISYS_CUBLAS_SONAME
// (kernels/CMakeLists.txt). The handle is never closed: cuBLAS handles and the CUDA runtime's
// registrations outlive any scope this file could close it in. Built for the SIMT emulator
// (AISYS_CUBLAS_EMULATED), it opens the emulated cuBLAS and hands it the emulated runtime's range
// check, so that every GEMM operand is checked against the program's device allocations.
#include "aisys/kernels/cuda/cublas_library.hpp"

#include <dlfcn.h>

#include <atomic>
#include <string>
#include <vector>

#include "aisys/kernels/error.hpp"
#if AISYS_CUBLAS_EMULATED
#include "aisys/kernels/simt/runtime_support.hpp"
#endif

#ifndef AISYS_CUBLAS_PATH
#error "AISYS_CUBLAS_PATH (the cuBLAS library the build found) must be defined by kernels/CMakeLists.txt"
#endif
#ifndef AISYS_CUBLAS_SONAME
#error "AISYS_CUBLAS_SONAME must be defined by kernels/CMakeLists.txt"
#endif

namespace aisys::cuda {
namespace {

std::atomic<bool> g_opened{false};

std::string last_dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown reason";
}

template <class Function>
void resolve(void* handle, const std::string& path, const char* symbol, Function& out) {
  (void)dlerror();
  void* address = dlsym(handle, symbol);
  if (address == nullptr) {
    throw LibraryError("cuBLAS: " + path + " has no symbol " + symbol + " (" + last_dl_error() +
                       "): not the cuBLAS this build was compiled against?");
  }
  out = reinterpret_cast<Function>(address);
}

}  // namespace

std::vector<std::string> cublas_library_candidates() { return {AISYS_CUBLAS_PATH, AISYS_CUBLAS_SONAME}; }

CublasLibrary open_cublas_library(const std::vector<std::string>& candidates) {
  std::string tried;
  for (const std::string& candidate : candidates) {
    void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      tried += "\n  " + candidate + ": " + last_dl_error();
      continue;
    }
    CublasLibrary library;
    library.path = candidate;
    try {
      resolve(handle, candidate, "cublasCreate_v2", library.create);
      resolve(handle, candidate, "cublasDestroy_v2", library.destroy);
      resolve(handle, candidate, "cublasSgemmStridedBatched", library.sgemm_strided_batched);
      resolve(handle, candidate, "cublasDgemmStridedBatched", library.dgemm_strided_batched);
      resolve(handle, candidate, "cublasGetStatusName", library.status_name);
      resolve(handle, candidate, "cublasGetStatusString", library.status_string);
#if AISYS_CUBLAS_EMULATED
      void (*use_device_ranges)(bool (*)(const void*, std::size_t)) = nullptr;
      resolve(handle, candidate, "aisys_simt_cublas_use_device_ranges", use_device_ranges);
      use_device_ranges(&aisys::simt::cuda::is_device_range);
#endif
    } catch (const LibraryError& e) {
      // Not the cuBLAS wanted (another library, an older cuBLAS): close it, try the next one.
      dlclose(handle);
      tried += "\n  " + std::string(e.what());
      continue;
    }
    return library;
  }
  throw LibraryError("cuBLAS could not be opened; tried:" + (tried.empty() ? std::string(" nothing") : tried) +
                     "\n(install the CUDA Toolkit's cuBLAS, or put its folder on LD_LIBRARY_PATH)");
}

const CublasLibrary& cublas_library() {
  static const CublasLibrary library = [] {
    CublasLibrary opened = open_cublas_library(cublas_library_candidates());
    g_opened.store(true);
    return opened;
  }();
  return library;
}

bool cublas_library_opened() { return g_opened.load(); }

std::string cublas_status_message(cublasStatus_t status) {
  try {
    const CublasLibrary& library = cublas_library();
    return std::string(library.status_name(status)) + ": " + library.status_string(status);
  } catch (const LibraryError& e) {
    return "status " + std::to_string(static_cast<long>(status)) + " (its name is unknown: " + e.what() + ")";
  }
}

}  // namespace aisys::cuda
