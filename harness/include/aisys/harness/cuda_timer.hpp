// aisys/harness/cuda_timer.hpp: timing GPU work with CUDA events, for benchmark fixtures whose
// Case sets manual_time (Google Benchmark then uses these seconds instead of the wall clock).
//   double Fixture::timed_candidate() override {
//     return aisys::bench::cuda_time_on_stream(stream_, [&] { my_kernel<<<g, b, 0, stream_>>>(...); });
//   }
// Only in builds with CUDA (AISYS_HAVE_CUDA).
#pragma once

#include <functional>

#include <cuda_runtime.h>

#include "aisys/kernels/error.hpp"

namespace aisys::bench {

// Whether the host's time to enqueue the work (kernel launches, library dispatch) is in the
// measurement.
enum class HostDispatch {
  // The stream is held by a kernel that spins on a flag in mapped host memory while `enqueue` runs,
  // so that the work starts the moment the first event is passed: the time is the device's alone.
  // Without this a single short launch is timed from an idle GPU, and the microseconds the host
  // takes to launch it count as GPU time (at 1024^3 on an H100 that is about a tenth of a GEMM, and
  // it pulls every candidate/baseline ratio towards 1). `enqueue` must not wait for the device
  // (cudaStreamSynchronize, cudaDeviceSynchronize, cudaFree, a synchronous cudaMemcpy): the held
  // stream would never drain, so the hold gives up after a second and the call throws, naming why.
  // Run the work once before timing it: CUDA loads a kernel's module at its first launch (lazy
  // loading, the default since CUDA 12.2), and that load may wait for the device too.
  kHidden,
  // The events bracket the host's enqueueing as well: for work that cannot avoid synchronising
  // (code built on a tensor library that allocates and frees as it goes), where dispatch is part
  // of the cost being compared. Pair a candidate and a baseline timed the same way.
  kIncluded,
};

const char* to_string(HostDispatch dispatch);

// Thrown by cuda_time_on_stream with HostDispatch::kHidden when `enqueue` waited for the device.
// A fixture timing code it does not own (a student's launch that synchronises) catches it and
// times that side with HostDispatch::kIncluded from then on, saying so in its details.
class EnqueueWaitedForDevice : public aisys::LibraryError {
 public:
  using aisys::LibraryError::LibraryError;
};

// Records an event, calls `enqueue` (which must put its work on `stream`), records a second
// event, waits for it and returns the seconds between the two (resolution about 0.5 us).
// Throws EnqueueWaitedForDevice when, with HostDispatch::kHidden, `enqueue` waited for the device.
double cuda_time_on_stream(cudaStream_t stream, const std::function<void()>& enqueue,
                           HostDispatch dispatch = HostDispatch::kHidden);

}  // namespace aisys::bench
