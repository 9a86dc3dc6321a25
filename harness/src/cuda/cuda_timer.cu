// CUDA-event timing for benchmark fixtures (aisys/harness/cuda_timer.hpp). With HostDispatch::
// kHidden the stream is first held by hold_stream_kernel, which spins until the host, having
// enqueued the timed work behind it, writes 1 to a flag in mapped (zero-copy) host memory; the
// first event then passes just before the work starts, so launch latency is not timed. The hold
// gives up after kHoldTimeoutNs and says so in a second flag, which the host turns into an error.
#include "aisys/harness/cuda_timer.hpp"

#include <atomic>
#include <string>

#include "aisys/kernels/cuda/buffers.hpp"
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::bench {

namespace {

constexpr unsigned long long kHoldTimeoutNs = 1'000'000'000ull;  // 1 s

__device__ __forceinline__ unsigned long long global_timer_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// flags[0]: release (written by the host); flags[1]: set here when the hold timed out.
__global__ void hold_stream_kernel(volatile int* flags, unsigned long long timeout_ns) {
  const unsigned long long start = global_timer_ns();
  while (flags[0] == 0) {
    if (global_timer_ns() - start > timeout_ns) {
      flags[1] = 1;
      return;
    }
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 700
    __nanosleep(256);
#endif
  }
}

// Two ints of pinned host memory mapped into the device's address space.
class HoldFlags {
 public:
  HoldFlags() {
    AISYS_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&host_), 2 * sizeof(int),
                                   cudaHostAllocMapped | cudaHostAllocPortable));
    AISYS_CUDA_CHECK(cudaHostGetDevicePointer(reinterpret_cast<void**>(&device_), host_, 0));
  }
  ~HoldFlags() {
    if (cudaFreeHost(host_) != cudaSuccess) (void)cudaGetLastError();  // at exit the runtime may be gone
  }
  HoldFlags(const HoldFlags&) = delete;
  HoldFlags& operator=(const HoldFlags&) = delete;

  void arm() {
    std::atomic_ref<int>(host_[0]).store(0, std::memory_order_relaxed);
    std::atomic_ref<int>(host_[1]).store(0, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  void release() { std::atomic_ref<int>(host_[0]).store(1, std::memory_order_seq_cst); }
  bool timed_out() const { return std::atomic_ref<int>(host_[1]).load(std::memory_order_seq_cst) != 0; }
  int* device() const { return device_; }

 private:
  int* host_ = nullptr;
  int* device_ = nullptr;
};

}  // namespace

const char* to_string(HostDispatch dispatch) {
  return dispatch == HostDispatch::kHidden ? "device time only (host dispatch hidden)"
                                           : "includes host dispatch";
}

double cuda_time_on_stream(cudaStream_t stream, const std::function<void()>& enqueue, HostDispatch dispatch) {
  // One pair of events and one flag pair per thread, created on first use (creating them per call
  // costs more than the short kernels being timed).
  thread_local aisys::cuda::Event start, stop;
  if (dispatch == HostDispatch::kIncluded) {
    start.record(stream);
    enqueue();
    AISYS_CUDA_LAUNCH_CHECK();
    stop.record(stream);
    stop.synchronize();
    return static_cast<double>(aisys::cuda::Event::elapsed_ms(start, stop)) * 1e-3;
  }

  thread_local HoldFlags flags;
  flags.arm();
  hold_stream_kernel<<<1, 1, 0, stream>>>(flags.device(), kHoldTimeoutNs);
  AISYS_CUDA_LAUNCH_CHECK();
  try {
    start.record(stream);
    enqueue();
    AISYS_CUDA_LAUNCH_CHECK();
    stop.record(stream);
  } catch (...) {
    // Release the hold, and let the hold kernel see it and end before the next call re-arms the
    // flags (else it could spin on, time out and fail that call); the enqueue's error is the one.
    flags.release();
    if (cudaStreamSynchronize(stream) != cudaSuccess) (void)cudaGetLastError();
    throw;
  }
  flags.release();
  stop.synchronize();
  if (flags.timed_out()) {
    throw EnqueueWaitedForDevice(
        "cuda_time_on_stream: the timed work waited for the device while it was being enqueued "
        "(cudaStreamSynchronize, cudaDeviceSynchronize, cudaFree or a synchronous cudaMemcpy inside "
        "the timed call, or the first launch of a kernel: CUDA loads a kernel's module lazily, at its "
        "first launch, and that may wait for the device), so the stream held to hide launch latency "
        "could not start and the time would count host waiting; run the work once before timing it, "
        "enqueue without synchronising, or time with HostDispatch::kIncluded");
  }
  return static_cast<double>(aisys::cuda::Event::elapsed_ms(start, stop)) * 1e-3;
}

}  // namespace aisys::bench
