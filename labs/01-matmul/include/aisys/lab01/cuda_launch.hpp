// aisys/lab01/cuda_launch.hpp: the host-side launch logic of Lab 01's CUDA stages, in plain C++ so
// that it is tested on the CPU (no GPU needed): which grid and block a stage launches for an
// M x N output, and how much shared memory. Students implement one cuda_launch_config_<stage>()
// per stage file (declared in cuda_gemm.hpp); the tests check that the blocks cover every element
// of C exactly once per tile, that no block is launched for M == 0 or N == 0, that a block has at
// most 1024 threads (a multiple of 32 for the tiled stages) and that shared memory fits.
#pragma once

#include <cstddef>

namespace aisys::lab01 {

struct LaunchConfig {
  unsigned grid_x = 0, grid_y = 0, grid_z = 1;     // as passed to <<<grid, ...>>>
  unsigned block_x = 0, block_y = 1, block_z = 1;  // as passed to <<<..., block, ...>>>
  std::size_t shared_bytes = 0;                    // static + dynamic shared memory per block
  int tile_m = 0, tile_n = 0;                      // the C tile one block computes (rows, columns)
  int blocks_m = 0, blocks_n = 0;                  // blocks along M and along N (0: nothing to launch)

  unsigned threads() const { return block_x * block_y * block_z; }
  unsigned long long blocks() const {
    return static_cast<unsigned long long>(grid_x) * grid_y * grid_z;
  }
};

// ceil(a / b) for a >= 0, b > 0: the number of tiles of size b covering a.
constexpr int ceil_div(int a, int b) { return (a + b - 1) / b; }

}  // namespace aisys::lab01
