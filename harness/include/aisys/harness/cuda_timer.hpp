// aisys/harness/cuda_timer.hpp: timing GPU work with CUDA events, for benchmark fixtures whose
// Case sets manual_time (Google Benchmark then uses these seconds instead of the wall clock).
//   double Fixture::timed_candidate() override {
//     return aisys::bench::cuda_time_on_stream(stream_, [&] { my_kernel<<<g, b, 0, stream_>>>(...); });
//   }
// Only in builds with CUDA (AISYS_HAVE_CUDA).
#pragma once

#include <functional>

#include <cuda_runtime.h>

namespace aisys::bench {

// Records an event, calls `enqueue` (which must put its work on `stream`), records a second
// event, waits for it and returns the seconds between the two (resolution about 0.5 us).
double cuda_time_on_stream(cudaStream_t stream, const std::function<void()>& enqueue);

}  // namespace aisys::bench
