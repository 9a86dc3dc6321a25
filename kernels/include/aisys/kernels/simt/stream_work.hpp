// aisys/kernels/simt/stream_work.hpp: work that an emulated library puts on a stream of the emulated
// CUDA runtime (aisys::simt_cudart, src/simt/cudart.cpp) and that finishes later, as a GPU's
// does: the emulated NCCL's sends, receives and all-reduces, which wait for other ranks. Everything
// else the emulated runtime does is synchronous.
//
// A stream runs its work in the order it was enqueued. The runtime calls the first unfinished
// work's `progress` each time it looks at the stream (cudaStreamQuery, cudaEventQuery on an event
// recorded after it, cudaStreamSynchronize, cudaDeviceSynchronize, an async copy, memset or free
// on that stream, and a synchronous copy or memset while the stream is a blocking one); `progress`
// advances the work without blocking and returns true once it is done. A synchronize waits until
// the stream's work is done (forever, as a GPU would, if it never is). A kernel launch does not wait
// for it: the emulated launches run at once, so a kernel must not be launched on a stream that
// holds such work (the platform launches its kernels on the default stream).
#pragma once

#include <cuda_runtime_api.h>

#include <functional>

namespace aisys::simt::cuda {

// Throws std::invalid_argument when `stream` does not exist.
void enqueue_stream_work(cudaStream_t stream, std::function<bool()> progress);

}  // namespace aisys::simt::cuda
