// Lab 01 public tests: every CPU stage against the double-precision oracle (see
// gemm_test_support.hpp for what is checked). One suite per stage; lab.json maps suites to parts.
//   aisys test 01                      all parts      aisys test 01 --part cpu-blocked --seed 42
#include "gemm_test_support.hpp"

#include "aisys/kernels/error.hpp"

using namespace aisys::lab01;

AISYS_LAB01_STAGE_TESTS(CpuGemmNaive, sgemm_naive)
AISYS_LAB01_STAGE_TESTS(CpuGemmLoopReorder, sgemm_loop_reorder)
AISYS_LAB01_STAGE_TESTS(CpuGemmBlocked, sgemm_blocked)
AISYS_LAB01_STAGE_TESTS(CpuGemmMicrokernelAvx2, sgemm_microkernel_avx2, "avx2", "fma")
AISYS_LAB01_STAGE_TESTS(CpuGemmMicrokernelAvx512, sgemm_microkernel_avx512, "avx512f", "avx512bw", "avx512vl", "avx512dq")
AISYS_LAB01_STAGE_TESTS(CpuGemmMultithreaded, sgemm_multithreaded)

// The lab's dispatcher picks a micro-kernel file this CPU can run.
TEST(CpuGemmDispatch, PicksAnIsaThisCpuRuns) {
  const std::string isa = microkernel_isa();
  if (isa == "avx512") {
    EXPECT_TRUE(aisys::cpu_has("avx512f"));
  } else if (isa == "avx2") {
    EXPECT_TRUE(aisys::cpu_has("avx2"));
  } else {
    EXPECT_EQ(isa, "none");
  }
}
