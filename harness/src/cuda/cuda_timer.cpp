// CUDA-event timing for benchmark fixtures (aisys/harness/cuda_timer.hpp).
#include "aisys/harness/cuda_timer.hpp"

#include "aisys/kernels/cuda/buffers.hpp"
#include "aisys/kernels/cuda/check.hpp"

namespace aisys::bench {

double cuda_time_on_stream(cudaStream_t stream, const std::function<void()>& enqueue) {
  // One pair of events per thread, created on first use (creating events per call costs more
  // than the short kernels being timed).
  thread_local aisys::cuda::Event start, stop;
  start.record(stream);
  enqueue();
  AISYS_CUDA_LAUNCH_CHECK();
  stop.record(stream);
  stop.synchronize();
  return static_cast<double>(aisys::cuda::Event::elapsed_ms(start, stop)) * 1e-3;
}

}  // namespace aisys::bench
