// Tests of aisys/kernels/error.hpp: the messages of the error types and of the one reporter that
// every check macro ends in.
#include "aisys/kernels/error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(Error, NotImplementedMessageNamesLabAndFunction) {
  const aisys::NotImplemented error("01", "sgemm_naive");
  EXPECT_STREQ(error.what(), "not implemented: lab 01, sgemm_naive");
  EXPECT_THROW(throw aisys::NotImplemented("01", "sgemm_naive"), aisys::Error);
}

TEST(Error, TypesDeriveFromError) {
  EXPECT_THROW(throw aisys::InvalidArgument("bad shape"), aisys::Error);
  EXPECT_THROW(throw aisys::LibraryError("cuda"), aisys::Error);
  EXPECT_THROW(throw aisys::Error("x"), std::runtime_error);
}

TEST(Error, ReportLibraryErrorThrowsLibraryErrorWithEveryPart) {
  try {
    aisys::report_library_error("cuBLAS", 7, "CUBLAS_STATUS_INVALID_VALUE: an invalid value",
                                "cublasSgemm(handle, ...)", "run_gemm", "gemm.cpp", 42);
    FAIL() << "report_library_error returned";
  } catch (const aisys::LibraryError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("cuBLAS"), std::string::npos) << what;
    EXPECT_NE(what.find(" 7 "), std::string::npos) << what;
    EXPECT_NE(what.find("CUBLAS_STATUS_INVALID_VALUE: an invalid value"), std::string::npos) << what;
    EXPECT_NE(what.find("`cublasSgemm(handle, ...)`"), std::string::npos) << what;
    EXPECT_NE(what.find("run_gemm"), std::string::npos) << what;
    EXPECT_NE(what.find("gemm.cpp:42"), std::string::npos) << what;
  }
}

TEST(ErrorDeathTest, AssertAbortsWithConditionAndMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const int rows = 3;
  EXPECT_DEATH(AISYS_ASSERT(rows == 4, "rows must be 4"), "rows == 4.*rows must be 4");
}

}  // namespace
