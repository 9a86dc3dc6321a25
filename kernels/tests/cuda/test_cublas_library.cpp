// Tests of aisys/kernels/cuda/cublas_library.hpp, run without a GPU (opening cuBLAS and reading its
// status strings needs no device): the program does not map cuBLAS until the first call, the first
// call opens it and resolves every entry point, and a candidate that is missing or is not cuBLAS
// is named in the error. (AISYS_CUBLAS_CHECK's message, whose status strings come from here, is
// tested in test_check.cpp's CheckNoGpu.) Part of aisys_kernels_tests (CUDA builds only).
#include "aisys/kernels/cuda/cublas_library.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "aisys/kernels/error.hpp"

namespace {

bool cublas_mapped() {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find("libcublas.so") != std::string::npos;
}

TEST(CublasLibrary, NotMappedUntilFirstUseThenOpenedWithEveryEntryPoint) {
  if (aisys::cuda::cublas_library_opened()) {
    GTEST_SKIP() << "cuBLAS was already opened by an earlier test in this process";
  }
  // This binary links aisys::kernels and not cuBLAS: nothing may have mapped it yet.
  EXPECT_FALSE(cublas_mapped()) << "libcublas is mapped before its first use: is it linked again?";
  const aisys::cuda::CublasLibrary& library = aisys::cuda::cublas_library();
  EXPECT_TRUE(aisys::cuda::cublas_library_opened());
  EXPECT_TRUE(cublas_mapped());
  EXPECT_FALSE(library.path.empty());
  ASSERT_NE(library.create, nullptr);
  ASSERT_NE(library.destroy, nullptr);
  ASSERT_NE(library.sgemm_strided_batched, nullptr);
  ASSERT_NE(library.dgemm_strided_batched, nullptr);
  ASSERT_NE(library.status_name, nullptr);
  ASSERT_NE(library.status_string, nullptr);
  EXPECT_STREQ(library.status_name(CUBLAS_STATUS_INVALID_VALUE), "CUBLAS_STATUS_INVALID_VALUE");
  EXPECT_EQ(&aisys::cuda::cublas_library(), &library) << "a second call opened it again";
}

TEST(CublasLibrary, CandidatesAreTheBuildsLibraryThenTheSoname) {
  const auto candidates = aisys::cuda::cublas_library_candidates();
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_EQ(candidates[0].front(), '/') << candidates[0];
  EXPECT_NE(candidates[0].find("libcublas"), std::string::npos) << candidates[0];
  EXPECT_EQ(candidates[1].rfind("libcublas.so.", 0), 0u) << candidates[1];
}

TEST(CublasLibrary, MissingCandidatesAreEachNamedWithTheReason) {
  try {
    aisys::cuda::open_cublas_library({"/nonexistent/libcublas.so.99", "libaisys-no-such-cublas.so"});
    FAIL() << "opened a library that does not exist";
  } catch (const aisys::LibraryError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("/nonexistent/libcublas.so.99: "), std::string::npos) << what;
    EXPECT_NE(what.find("libaisys-no-such-cublas.so: "), std::string::npos) << what;
    EXPECT_NE(what.find("LD_LIBRARY_PATH"), std::string::npos) << what;
  }
}

TEST(CublasLibrary, ALibraryThatIsNotCublasIsRefusedNamingTheSymbol) {
  // zlib opens (every CUDA build's tests link it) but has none of cuBLAS's entry points.
  try {
    aisys::cuda::open_cublas_library({"libz.so.1"});
    FAIL() << "took zlib for cuBLAS";
  } catch (const aisys::LibraryError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("libz.so.1 has no symbol cublasCreate_v2"), std::string::npos) << what;
  }
}

TEST(CublasLibrary, ACandidateThatIsNotCublasIsPassedOverForTheNext) {
  const auto candidates = aisys::cuda::cublas_library_candidates();
  const aisys::cuda::CublasLibrary library = aisys::cuda::open_cublas_library({"libz.so.1", candidates[0]});
  EXPECT_EQ(library.path, candidates[0]);
  ASSERT_NE(library.status_name, nullptr);
  EXPECT_STREQ(library.status_name(CUBLAS_STATUS_INVALID_VALUE), "CUBLAS_STATUS_INVALID_VALUE");
}

}  // namespace
