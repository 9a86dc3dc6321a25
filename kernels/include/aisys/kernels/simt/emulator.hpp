// aisys/kernels/simt/emulator.hpp: a SIMT emulator that runs CUDA kernels on the CPU, one block at
// a time, each GPU thread a fiber of its own, so that a kernel's indexing, edge handling and
// barriers are tested on a machine without a GPU. Correctness only: it says nothing about speed.
//
// A .cu file is compiled for it as C++ (cmake/AisysSimt.cmake): kernels/tools/simt_rewrite turns
// every launch `k<<<grid, block, shared, stream>>>(args)` into a call of the emulator and every
// `__shared__` array into a block-shared array, and simt/cuda_shim.hpp (included first) maps the
// CUDA keywords, threadIdx and friends, __syncthreads() and the runtime calls a launcher makes onto
// this file. What it checks, beyond the kernel's results:
//   - every __syncthreads() is reached by every thread of the block, at the same call site, or the
//     launch fails naming the kernel, the line and the threads (CUDA calls such a barrier
//     undefined; compute-sanitizer's synccheck reports it);
//   - shared memory starts every block filled with NaN bytes (0xff), so a read before the block
//     wrote it, or a read of what another block left, shows in the results;
//   - the threads between two barriers run one after the other, forward or in reverse
//     (Options::order), so a missing barrier lets one thread overwrite or read what the others
//     have not finished with: run a test in both orders;
//   - the launch configuration is checked as CUDA checks it (block size, grid limits):
//     cudaGetLastError() says cudaErrorInvalidConfiguration; a block past the kernel's
//     __launch_bounds__ fails the launch (check_launch_bounds);
//   - every lane of a warp makes the same warp-wide (WMMA) calls with the same arguments
//     (warp_uniform);
//   - a kernel that throws (or calls __trap()) fails the launch with its message;
//   - under AddressSanitizer (AISYS_SIMT_ASAN, the default), a read or write past an allocation,
//     a shared array or a thread's locals stops the program there, with the line.
// A launch runs at once, on the calling thread, once the work its stream holds in the emulated
// runtime has finished (wait_for_stream: in stream order, as on a GPU, but the host waits for it),
// and a fault is thrown from the launch as aisys::simt::KernelFault. Warp-level operations other
// than WMMA (simt/wmma.hpp) are not emulated: a kernel using shuffles or __syncwarp does not
// compile here. One launch at a time per process (launches are serialized).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <source_location>
#include <stdexcept>
#include <string>

// AISYS_SIMT_ASAN: this code is built under AddressSanitizer (AISYS_SIMT_ASAN in CMake; GCC says
// __SANITIZE_ADDRESS__, Clang __has_feature(address_sanitizer)).
#if defined(__SANITIZE_ADDRESS__)
#define AISYS_SIMT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AISYS_SIMT_ASAN 1
#endif
#endif

namespace aisys::simt {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
  [[nodiscard]] std::uint64_t count() const {
    return static_cast<std::uint64_t>(x) * y * z;
  }
};

// The order in which the threads of a block (and the blocks of a grid) run between barriers.
enum class ThreadOrder { kForward, kReverse };

struct Options {
  ThreadOrder order = ThreadOrder::kForward;
  // What cudaDeviceGetAttribute reports for the emulated device (major * 10 + minor).
  int compute_capability = 90;
  // Each emulated thread's stack (a guard page below it turns an overflow into a crash).
  std::size_t stack_bytes = 256 * 1024;
  // The emulated devices' global memory, shared by all of them: cudaMalloc past it fails with
  // cudaErrorMemoryAllocation, as a full GPU does (tests make it small to reach that path).
  std::size_t global_memory_bytes = std::size_t{8} << 30;
};

// The process's options; change them through ScopedOptions in tests.
Options& options();

class ScopedOptions {
 public:
  explicit ScopedOptions(const Options& o) : saved_(options()) { options() = o; }
  ~ScopedOptions() { options() = saved_; }
  ScopedOptions(const ScopedOptions&) = delete;
  ScopedOptions& operator=(const ScopedOptions&) = delete;

 private:
  Options saved_;
};

// A fault found while a kernel ran (a divergent barrier, a throw, __trap()).
class KernelFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The launch limits of the emulated device (those of every GPU since compute capability 3.0).
inline constexpr unsigned kMaxThreadsPerBlock = 1024;
inline constexpr Dim3 kMaxBlockDim{1024, 1024, 64};
inline constexpr Dim3 kMaxGridDim{2147483647u, 65535, 65535};

// Why grid/block cannot be launched, or "" when they can.
std::string launch_config_error(Dim3 grid, Dim3 block);

// Runs `thread_body` once for every thread of the grid, block after block, each thread on its own
// fiber (so it may call sync_threads()). Throws KernelFault for a fault in a thread. The launch
// configuration must be valid (launch_config_error() == "").
void run_grid(Dim3 grid, Dim3 block, const std::function<void()>& thread_body);

// The last grid run_grid() ran, and how many grids it has run in this process (a test checks that
// a launcher launched what its launch configuration says).
struct LaunchRecord {
  Dim3 grid, block;
  std::uint64_t launches = 0;
};
LaunchRecord last_launch();

// Inside a thread_body: which thread, which block, the shapes.
const Dim3& thread_idx();
const Dim3& block_idx();
const Dim3& block_dim();
const Dim3& grid_dim();
bool in_kernel();

// __syncthreads(): waits until every thread of the block has reached this barrier.
void sync_threads(std::source_location site = std::source_location::current());

// Where a __shared__ array lives (simt_rewrite declares it as a reference to this): a heap block of
// `bytes`, 256-byte aligned, kept to the end of the process; one per array, made the first time the
// declaration runs.
void* allocate_shared_block(std::size_t bytes);
template <class T>
T* shared_block() {
  return static_cast<T*>(allocate_shared_block(sizeof(T)));
}

// Called where a __shared__ array is declared: the first thread of each block to declare it fills
// it with 0xff bytes (NaN as float, half and bfloat16).
void shared_declared(const volatile void* data, std::size_t bytes);

// A warp-wide call (a WMMA load, store or mma): every lane of the warp must make the same calls, in
// the same order, with the same arguments (`a`, `b`: a pointer and a leading dimension, say);
// the first lane to make its k-th call records it, the others are compared with it, and a
// difference fails the launch naming both lanes.
void warp_uniform(const char* op, std::uintptr_t a, std::uintptr_t b);

// At the start of a kernel declared __launch_bounds__(max_threads) (simt_rewrite puts it there): a
// block of more threads fails the launch, as the GPU refuses it (too many resources requested).
void check_launch_bounds(long long max_threads, long long min_blocks = 0, long long max_cluster = 0);

// __trap(): fails the launch.
[[noreturn]] void trap(std::source_location site = std::source_location::current());

// The emulated runtime's last-error slot (cudaGetLastError), as the CUDA error number.
int take_last_error();
int peek_last_error();
void set_last_error(int cuda_error);

// The emulated machine's GPUs: AISYS_SIMT_DEVICES of them (1 to 64; 1 when unset), all of the
// same kind and all backed by this process's memory, so that several MPI ranks on one node can
// each take a GPU of their own as they would on a multi-GPU machine. An unusable value throws
// std::invalid_argument naming it. The current device (cudaSetDevice) is per host thread, 0 first.
int device_count();
int current_device();
void set_current_device(int device);

// What a launch on `stream` (a cudaStream_t) waits for before it runs: the emulated runtime
// (src/simt/cudart.cpp) installs the wait when it loads, which returns once the stream's pending
// work is done (for the legacy default stream, that of every blocking stream too), or a CUDA error
// number for a stream that does not exist, which fails the launch. Without a runtime, 0 at once.
using StreamWait = int (*)(const void* stream);
void set_stream_wait(StreamWait wait);
int wait_for_stream(const void* stream);

}  // namespace aisys::simt
