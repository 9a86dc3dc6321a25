// aisys/kernels/simt/runtime_support.hpp: what the emulated CUDA runtime (aisys::simt_cudart,
// src/simt/cudart.cpp) offers the emulated libraries built on it (the emulated NCCL and cuDNN).
//
// Stream work: work that finishes later, as a GPU's does (the emulated NCCL's sends, receives and
// all-reduces, which wait for other ranks); everything else the emulated runtime does at once. A
// stream runs its work in the order it was enqueued. The runtime calls the first unfinished work's
// `progress` when it is enqueued and each time it looks at the stream (cudaStreamQuery,
// cudaEventQuery on an event recorded after it, a synchronize, an async copy, memset or free on
// that stream, a synchronous copy or memset while the stream is a blocking one); `progress`
// advances the work without blocking and returns true once it is done. A synchronize waits until
// the work is done (forever, as a GPU would, if it never is), progressing every stream meanwhile. An
// async copy, memset or free on a stream with work pending is itself queued behind it. A kernel
// launch runs at once, on the calling thread, after its stream's work (and, on the legacy default
// stream, that of every blocking stream; on a blocking stream, the legacy one's): the host waits
// where a GPU would queue the kernel. A stream destroyed with work pending keeps it running; its
// events read as complete.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <functional>

namespace aisys::simt::cuda {

// Throws std::invalid_argument when `stream` does not exist.
void enqueue_stream_work(cudaStream_t stream, std::function<bool()> progress);

// Whether [p, p + bytes) lies inside one live device allocation (true for bytes == 0).
bool is_device_range(const void* p, std::size_t bytes);

}  // namespace aisys::simt::cuda
