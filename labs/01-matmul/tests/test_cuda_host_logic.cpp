// Lab 01, CUDA half, checked on the CPU (no GPU needed, so CI grades it everywhere nvcc exists):
// every stage's launch logic (grid and block for M x N, tails, shared memory) and its argument
// checks (bad sizes and leading dimensions are rejected on the host before anything is launched).
// Built without CUDA, the tests skip themselves with the reason.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "aisys/harness/testing.hpp"
#include "aisys/kernels/error.hpp"

#if AISYS_HAVE_CUDA
#include "aisys/lab01/cuda_gemm.hpp"

namespace {

using aisys::lab01::LaunchConfig;
using aisys::lab01::LaunchConfigFn;

// Blocks cover every element of the M x N output once per tile, nothing is launched for an empty
// output, blocks are legal. Returns "" or what is wrong.
std::string check_config(const char* stage, LaunchConfigFn fn, int M, int N, bool warp_multiple) {
  const LaunchConfig c = fn(M, N);
  std::ostringstream why;
  why << stage << "(M=" << M << ", N=" << N << "): ";
  if (c.tile_m <= 0 || c.tile_n <= 0) return why.str() + "tile_m and tile_n must be positive";
  if (M == 0 || N == 0) {
    if (c.blocks_m * c.blocks_n != 0) return why.str() + "an empty output launches no block";
    return "";
  }
  if (c.blocks_m != (M + c.tile_m - 1) / c.tile_m || c.blocks_n != (N + c.tile_n - 1) / c.tile_n) {
    why << "blocks_m x blocks_n = " << c.blocks_m << " x " << c.blocks_n << " does not cover the "
        << M << " x " << N << " output with " << c.tile_m << " x " << c.tile_n << " tiles exactly";
    return why.str();
  }
  if (c.blocks() != static_cast<unsigned long long>(c.blocks_m) * c.blocks_n) {
    why << "the grid (" << c.grid_x << ", " << c.grid_y << ", " << c.grid_z << ") launches "
        << c.blocks() << " blocks, not blocks_m x blocks_n = " << c.blocks_m * c.blocks_n;
    return why.str();
  }
  if (c.grid_y > 65535 || c.grid_z > 65535) return why.str() + "grid y and z are limited to 65535";
  if (c.threads() == 0 || c.threads() > 1024) {
    why << c.threads() << " threads per block (1..1024)";
    return why.str();
  }
  if (warp_multiple && c.threads() % 32 != 0) {
    why << c.threads() << " threads per block is not a whole number of warps";
    return why.str();
  }
  if (c.shared_bytes > 48 * 1024) {
    why << c.shared_bytes << " bytes of shared memory per block (more than 48 KiB needs an opt-in)";
    return why.str();
  }
  return "";
}

struct StageRow {
  const char* name;
  LaunchConfigFn config;
  bool warp_multiple;
};

const StageRow kStages[] = {
    {"cuda_launch_config_naive", aisys::lab01::cuda_launch_config_naive, true},
    {"cuda_launch_config_coalesced", aisys::lab01::cuda_launch_config_coalesced, true},
    {"cuda_launch_config_smem_tiling", aisys::lab01::cuda_launch_config_smem_tiling, true},
    {"cuda_launch_config_1d_register_tiling", aisys::lab01::cuda_launch_config_1d_register_tiling, true},
    {"cuda_launch_config_2d_register_tiling", aisys::lab01::cuda_launch_config_2d_register_tiling, true},
    {"cuda_launch_config_vectorized", aisys::lab01::cuda_launch_config_vectorized, true},
    {"cuda_launch_config_warp_tiling", aisys::lab01::cuda_launch_config_warp_tiling, true},
    {"cuda_launch_config_wmma", aisys::lab01::cuda_launch_config_wmma, true},
};

const int kSizes[] = {0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129,
                      255, 256, 257, 1000, 1024, 4095, 4096, 4097};

// One test per stage, so one unwritten stage does not hide the others.
void check_stage(int index) {
  const StageRow& stage = kStages[index];
  for (int M : kSizes) {
    for (int N : kSizes) {
      const std::string problem = check_config(stage.name, stage.config, M, N, stage.warp_multiple);
      ASSERT_EQ(problem, "") << "rerun: " << aisys::testing::rerun_command();
    }
  }
}

template <class Fn>
std::string rejects_bad_arguments(const char* name, Fn call) {
  struct BadCall {
    const char* what;
    int M, N, K, lda, ldb, ldc;
  };
  const BadCall calls[] = {{"M = -1", -1, 2, 2, 2, 2, 2}, {"lda = 2 < K = 3", 2, 2, 3, 2, 2, 2},
                           {"ldb = 1 < N = 2", 2, 2, 2, 2, 1, 2}, {"ldc = 1 < N = 2", 2, 2, 2, 2, 2, 1}};
  call(0, 2, 2, 2, 2, 2);  // a valid call with nothing to compute launches nothing: an unwritten
                          // stage says "not implemented" here
  for (const auto& c : calls) {
    try {
      call(c.M, c.N, c.K, c.lda, c.ldb, c.ldc);
      return std::string(name) + " accepted " + c.what + " (check the arguments on the host first)";
    } catch (const aisys::InvalidArgument&) {
    }
  }
  return "";
}

// Arguments are checked before anything touches the GPU, so host pointers that are never read do.
float dummy[16];
__half dummy_half[16];
__nv_bfloat16 dummy_bf16[16];

}  // namespace

TEST(CudaHostLogicNaive, LaunchConfigCoversTheOutput) { check_stage(0); }
TEST(CudaHostLogicCoalesced, LaunchConfigCoversTheOutput) { check_stage(1); }
TEST(CudaHostLogicSmemTiling, LaunchConfigCoversTheOutput) { check_stage(2); }
TEST(CudaHostLogic1dRegisterTiling, LaunchConfigCoversTheOutput) { check_stage(3); }
TEST(CudaHostLogic2dRegisterTiling, LaunchConfigCoversTheOutput) { check_stage(4); }
TEST(CudaHostLogicVectorized, LaunchConfigCoversTheOutput) { check_stage(5); }
TEST(CudaHostLogicWarpTiling, LaunchConfigCoversTheOutput) { check_stage(6); }
TEST(CudaHostLogicWmma, LaunchConfigCoversTheOutput) { check_stage(7); }

TEST(CudaHostLogicArguments, EveryStageRejectsBadArgumentsOnTheHost) {
  using namespace aisys::lab01;
  const aisys::lab01::CudaSgemmFn stages[] = {cuda_sgemm_naive, cuda_sgemm_coalesced,
                                              cuda_sgemm_smem_tiling, cuda_sgemm_1d_register_tiling,
                                              cuda_sgemm_2d_register_tiling, cuda_sgemm_vectorized,
                                              cuda_sgemm_warp_tiling};
  for (auto fn : stages) {
    EXPECT_EQ(rejects_bad_arguments("a CUDA stage", [fn](int M, int N, int K, int lda, int ldb, int ldc) {
                fn(M, N, K, 1.0f, dummy, lda, dummy, ldb, 0.0f, dummy, ldc, nullptr);
              }),
              "");
  }
  EXPECT_EQ(rejects_bad_arguments("cuda_gemm_wmma_fp16", [](int M, int N, int K, int lda, int ldb, int ldc) {
              cuda_gemm_wmma_fp16(M, N, K, 1.0f, dummy_half, lda, dummy_half, ldb, 0.0f, dummy, ldc, nullptr);
            }),
            "");
  EXPECT_EQ(rejects_bad_arguments("cuda_gemm_wmma_bf16", [](int M, int N, int K, int lda, int ldb, int ldc) {
              cuda_gemm_wmma_bf16(M, N, K, 1.0f, dummy_bf16, lda, dummy_bf16, ldb, 0.0f, dummy, ldc, nullptr);
            }),
            "");
}

#else  // built without CUDA

TEST(CudaHostLogic, BuiltWithoutCuda) { GTEST_SKIP() << "this build has no CUDA (nvcc not found)"; }

#endif
