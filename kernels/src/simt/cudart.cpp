// The emulated CUDA runtime (aisys::simt_cudart): the runtime entry points the platform calls,
// defined for a program that links this library instead of libcudart, so that code written for a
// GPU (the Tensor's device storage, copies, streams, events, device enumeration) runs on the CPU
// with its kernels under the SIMT emulator (aisys/kernels/simt/emulator.hpp).
//
// aisys::simt::device_count() devices (AISYS_SIMT_DEVICES, default 1), each "SIMT emulator (CPU)",
// compute capability options().compute_capability, options().global_memory_bytes of global memory
// (8 GiB, shared by all of them; cudaMalloc past it fails with cudaErrorMemoryAllocation, as a full
// GPU does, and cudaMemGetInfo reports what is left of it). "Device" memory is host memory, 256-byte
// aligned, filled with 0xff bytes when allocated (a kernel that reads memory nobody wrote reads
// NaN); under AddressSanitizer the bytes past the requested size are poisoned (a kernel touching
// them is stopped there). Checked as a GPU would fault or the runtime would refuse, with a line on stderr naming the
// call and the pointer: a copy or memset whose device side is not inside one live allocation, a
// host side that is device memory, cudaFree of a pointer cudaMalloc did not return, a stream or
// event that does not exist. Every call is synchronous, except the work an emulated library puts
// on a stream (simt/runtime_support.hpp: the emulated NCCL's), which streams, events and
// synchronizations wait for as they would for a GPU's; an event reads the host's steady clock when
// it is seen complete.
#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "aisys/kernels/simt/cuda_emulation.hpp"
#include "aisys/kernels/simt/runtime_support.hpp"
#if defined(AISYS_SIMT_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace {

constexpr std::size_t kAllocationAlignment = 256;

// A stream's unfinished work (simt/runtime_support.hpp), first to last, and how many works were
// ever enqueued on it and have finished: an event recorded after the n-th is complete once n have.
// Kept by the stream's id, which is never reused (a destroyed stream keeps its work running).
struct StreamWork {
  std::deque<std::shared_ptr<std::function<bool()>>> queue;
  std::uint64_t enqueued = 0, finished = 0;
  bool blocking = true;    // not cudaStreamNonBlocking: the legacy default stream waits for it
  bool destroyed = false;  // its handle is gone; dropped once its work is done
};
struct RecordedEvent {
  std::uint64_t stream = 0;
  std::uint64_t after = 0;  // complete once the stream has finished this many works
  bool timed = false;       // complete, at `at`
  std::chrono::steady_clock::time_point at;
};

struct Runtime {
  std::mutex mutex;
  std::map<const char*, std::size_t> allocations;  // start -> bytes
  std::size_t allocated = 0;
  std::set<const void*> events;
  std::map<const void*, std::uint64_t> streams;  // live handle -> id; the default stream is id 0
  std::uint64_t next_stream_id = 1;
  std::map<std::uint64_t, StreamWork> work;
  std::map<const void*, RecordedEvent> recorded;
};

Runtime& runtime() {
  static Runtime r;
  return r;
}

cudaError_t fail(cudaError_t e, const char* call, const std::string& why) {
  std::fprintf(stderr, "[ simt cudart ] %s: %s\n", call, why.c_str());
  aisys::simt::set_last_error(static_cast<int>(e));
  return e;
}

std::string ptr_str(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

// The live allocation holding [p, p + bytes), or allocations.end(). Caller holds the mutex.
std::map<const char*, std::size_t>::const_iterator allocation_of(const Runtime& r, const void* p,
                                                                 std::size_t bytes) {
  const char* c = static_cast<const char*>(p);
  auto it = r.allocations.upper_bound(c);
  if (it == r.allocations.begin()) return r.allocations.end();
  --it;
  if (c < it->first || c + bytes > it->first + it->second) return r.allocations.end();
  return it;
}

bool is_device(const Runtime& r, const void* p) { return allocation_of(r, p, 1) != r.allocations.end(); }

cudaError_t check_device_range(const Runtime& r, const char* call, const char* side, const void* p,
                               std::size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (allocation_of(r, p, bytes) == r.allocations.end()) {
    return fail(cudaErrorInvalidValue, call,
                std::string("the ") + side + " " + ptr_str(p) + " (+" + std::to_string(bytes) +
                    " bytes) is not inside one device allocation");
  }
  return cudaSuccess;
}

cudaError_t check_host(const Runtime& r, const char* call, const char* side, const void* p) {
  if (is_device(r, p)) {
    return fail(cudaErrorInvalidValue, call,
                std::string("the ") + side + " " + ptr_str(p) + " is device memory, not host memory");
  }
  return cudaSuccess;
}

// Checks a copy as the runtime would (caller holds the mutex).
cudaError_t check_copy(const Runtime& r, void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                       const char* call) {
  if (kind == cudaMemcpyDefault) {
    const bool d = is_device(r, dst), s = is_device(r, src);
    kind = d ? (s ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
             : (s ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  }
  cudaError_t e = cudaSuccess;
  switch (kind) {
    case cudaMemcpyHostToDevice:
      if ((e = check_device_range(r, call, "destination", dst, bytes)) != cudaSuccess) return e;
      if ((e = check_host(r, call, "source", src)) != cudaSuccess) return e;
      break;
    case cudaMemcpyDeviceToHost:
      if ((e = check_device_range(r, call, "source", src, bytes)) != cudaSuccess) return e;
      if ((e = check_host(r, call, "destination", dst)) != cudaSuccess) return e;
      break;
    case cudaMemcpyDeviceToDevice:
      if ((e = check_device_range(r, call, "destination", dst, bytes)) != cudaSuccess) return e;
      if ((e = check_device_range(r, call, "source", src, bytes)) != cudaSuccess) return e;
      break;
    case cudaMemcpyHostToHost:
      if ((e = check_host(r, call, "destination", dst)) != cudaSuccess) return e;
      if ((e = check_host(r, call, "source", src)) != cudaSuccess) return e;
      break;
    default:
      return fail(cudaErrorInvalidMemcpyDirection, call, "an unknown copy direction");
  }
  return cudaSuccess;
}

// An event: a unique address, in `live` from its creation to its destruction.
template <class Handle>
Handle new_handle(std::set<const void*>& live) {
  const auto h = reinterpret_cast<Handle>(new char);
  live.insert(h);
  return h;
}
template <class Handle>
bool destroy_handle(std::set<const void*>& live, Handle h) {
  if (live.erase(h) == 0) return false;
  delete reinterpret_cast<char*>(h);
  return true;
}

cudaError_t check_stream(cudaStream_t s, const char* call) {
  if (s == nullptr || s == cudaStreamLegacy || s == cudaStreamPerThread) return cudaSuccess;
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  if (r.streams.count(s) == 0) {
    return fail(cudaErrorInvalidResourceHandle, call, "stream " + ptr_str(s) + " does not exist");
  }
  return cudaSuccess;
}

// The stream's id (0 for the default stream, whichever name it is given by). The stream exists
// (check_stream). Caller holds the mutex.
std::uint64_t stream_id(const Runtime& r, cudaStream_t s) {
  if (s == nullptr || s == cudaStreamLegacy || s == cudaStreamPerThread) return 0;
  const auto it = r.streams.find(s);
  return it == r.streams.end() ? 0 : it->second;
}
std::uint64_t stream_id(cudaStream_t s) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  return stream_id(r, s);
}

// Advances stream `id`'s work as far as it goes without blocking; true when none is left. The work
// runs without the runtime's lock held (it may call back into the runtime). Events recorded after
// a work that finishes are stamped then.
bool progress(std::uint64_t id) {
  Runtime& r = runtime();
  for (;;) {
    std::shared_ptr<std::function<bool()>> first;
    {
      const std::lock_guard<std::mutex> lock(r.mutex);
      const auto it = r.work.find(id);
      if (it == r.work.end() || it->second.queue.empty()) return true;
      first = it->second.queue.front();
    }
    if (!(*first)()) return false;
    const std::lock_guard<std::mutex> lock(r.mutex);
    const auto it = r.work.find(id);
    if (it == r.work.end() || it->second.queue.empty() || it->second.queue.front() != first) continue;
    StreamWork& w = it->second;
    w.queue.pop_front();
    ++w.finished;
    const auto now = std::chrono::steady_clock::now();
    for (auto& [event, rec] : r.recorded) {
      if (rec.stream == id && !rec.timed && rec.after <= w.finished) {
        rec.timed = true;
        rec.at = now;
      }
    }
    if (w.destroyed && w.queue.empty()) r.work.erase(it);
  }
}
// Advances every stream's work; true when none is left anywhere.
bool progress_all() {
  std::vector<std::uint64_t> ids;
  {
    Runtime& r = runtime();
    const std::lock_guard<std::mutex> lock(r.mutex);
    for (const auto& [id, w] : r.work) {
      if (!w.queue.empty()) ids.push_back(id);
    }
  }
  bool done = true;
  for (const std::uint64_t id : ids) done = progress(id) && done;
  return done;
}
// Waits for stream `id`'s work, progressing the others meanwhile (this stream's work may wait for
// a peer that waits for work on another).
void drain(std::uint64_t id) {
  while (!progress(id)) {
    progress_all();
    std::this_thread::yield();
  }
}
// What the legacy default stream waits for before a synchronous copy or memset: itself and every
// blocking stream.
void drain_for_legacy_stream() {
  std::vector<std::uint64_t> ids;
  {
    Runtime& r = runtime();
    const std::lock_guard<std::mutex> lock(r.mutex);
    for (const auto& [id, w] : r.work) {
      if (id == 0 || w.blocking) ids.push_back(id);
    }
  }
  for (const std::uint64_t id : ids) drain(id);
}
// Runs `op` now when stream `id` has no work pending, else queues it behind that work.
void on_stream(std::uint64_t id, std::function<void()> op) {
  if (progress(id)) {
    op();
    return;
  }
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  StreamWork& w = r.work[id];
  w.queue.push_back(std::make_shared<std::function<bool()>>([op = std::move(op)] {
    op();
    return true;
  }));
  ++w.enqueued;
}

// A kernel launch's wait (aisys::simt::set_stream_wait, installed below): the work of the launch's
// stream and what stream order puts before it, the work of every blocking stream for the legacy
// default stream, the legacy default stream's for a blocking stream. The launch then runs at once.
int wait_before_launch(const void* s) {
  const auto stream = static_cast<cudaStream_t>(const_cast<void*>(s));
  if (check_stream(stream, "kernel launch") != cudaSuccess) return static_cast<int>(cudaErrorInvalidResourceHandle);
  std::uint64_t id = 0;
  bool blocking = true;
  {
    Runtime& r = runtime();
    const std::lock_guard<std::mutex> lock(r.mutex);
    id = stream_id(r, stream);
    const auto it = r.work.find(id);
    blocking = it == r.work.end() || it->second.blocking;
  }
  if (id == 0) {
    drain_for_legacy_stream();
  } else {
    drain(id);
    if (blocking) drain(0);
  }
  return 0;
}
[[maybe_unused]] const bool g_launch_wait_installed = (aisys::simt::set_stream_wait(&wait_before_launch), true);

// Whether a recorded event is complete (progressing its stream); an event never recorded is.
bool event_complete(cudaEvent_t e) {
  Runtime& r = runtime();
  std::uint64_t id = 0;
  {
    const std::lock_guard<std::mutex> lock(r.mutex);
    const auto it = r.recorded.find(e);
    if (it == r.recorded.end() || it->second.timed) return true;
    id = it->second.stream;
  }
  progress(id);
  const std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.recorded.find(e);
  if (it == r.recorded.end() || it->second.timed) return true;
  const auto w = r.work.find(id);
  if (w != r.work.end() && w->second.finished < it->second.after) return false;
  it->second.timed = true;
  it->second.at = std::chrono::steady_clock::now();
  return true;
}

cudaError_t check_event(const Runtime& r, cudaEvent_t e, const char* call) {
  if (r.events.count(e) == 0) return fail(cudaErrorInvalidResourceHandle, call, "event " + ptr_str(e) + " does not exist");
  return cudaSuccess;
}

}  // namespace

namespace aisys::simt::cuda {

void enqueue_stream_work(cudaStream_t stream, std::function<bool()> work) {
  if (check_stream(stream, "enqueue_stream_work") != cudaSuccess) {
    (void)take_last_error();
    throw std::invalid_argument("the emulated runtime has no stream " + ptr_str(stream));
  }
  Runtime& r = runtime();
  std::uint64_t id = 0;
  {
    const std::lock_guard<std::mutex> lock(r.mutex);
    id = stream_id(r, stream);
    StreamWork& w = r.work[id];
    w.queue.push_back(std::make_shared<std::function<bool()>>(std::move(work)));
    ++w.enqueued;
  }
  progress(id);  // started at once, as a GPU starts it when the stream reaches it
}

bool is_device_range(const void* p, std::size_t bytes) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  return bytes == 0 || allocation_of(r, p, bytes) != r.allocations.end();
}

}  // namespace aisys::simt::cuda

extern "C" {

cudaError_t cudaGetLastError(void) { return aisys::simt::cuda::get_last_error(); }
cudaError_t cudaPeekAtLastError(void) { return aisys::simt::cuda::peek_at_last_error(); }

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    default: return "unknown error (the SIMT emulator's runtime does not name it)";
  }
}

cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = CUDART_VERSION;
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int* v) {
  *v = CUDART_VERSION;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceCount(int* count) {
  *count = aisys::simt::device_count();
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) { return aisys::simt::cuda::get_device(device); }
cudaError_t cudaSetDevice(int device) {
  const int count = aisys::simt::device_count();
  if (device < 0 || device >= count) {
    return fail(cudaErrorInvalidDevice, "cudaSetDevice",
                "device " + std::to_string(device) + " (the emulator has " + std::to_string(count) +
                    " device(s); AISYS_SIMT_DEVICES sets how many)");
  }
  aisys::simt::set_current_device(device);
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  return aisys::simt::cuda::device_get_attribute(value, attr, device);
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device < 0 || device >= aisys::simt::device_count()) {
    return fail(cudaErrorInvalidDevice, "cudaGetDeviceProperties", "device " + std::to_string(device));
  }
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "SIMT emulator (CPU)");
  prop->major = aisys::simt::options().compute_capability / 10;
  prop->minor = aisys::simt::options().compute_capability % 10;
  prop->totalGlobalMem = aisys::simt::options().global_memory_bytes;
  prop->sharedMemPerBlock = 48 * 1024;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = static_cast<int>(aisys::simt::kMaxThreadsPerBlock);
  prop->maxThreadsDim[0] = static_cast<int>(aisys::simt::kMaxBlockDim.x);
  prop->maxThreadsDim[1] = static_cast<int>(aisys::simt::kMaxBlockDim.y);
  prop->maxThreadsDim[2] = static_cast<int>(aisys::simt::kMaxBlockDim.z);
  prop->maxGridSize[0] = static_cast<int>(aisys::simt::kMaxGridDim.x);
  prop->maxGridSize[1] = static_cast<int>(aisys::simt::kMaxGridDim.y);
  prop->maxGridSize[2] = static_cast<int>(aisys::simt::kMaxGridDim.z);
  prop->multiProcessorCount = 1;
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize(void) {
  while (!progress_all()) std::this_thread::yield();
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** p, size_t bytes) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  *p = nullptr;
  const std::size_t total = aisys::simt::options().global_memory_bytes;
  if (r.allocated > total || bytes > total - r.allocated) {
    return fail(cudaErrorMemoryAllocation, "cudaMalloc",
                std::to_string(bytes) + " bytes with " + std::to_string(r.allocated) + " of " +
                    std::to_string(total) + " in use");
  }
  const std::size_t rounded = (bytes + kAllocationAlignment - 1) / kAllocationAlignment * kAllocationAlignment;
  void* block = std::aligned_alloc(kAllocationAlignment, rounded == 0 ? kAllocationAlignment : rounded);
  if (block == nullptr) return fail(cudaErrorMemoryAllocation, "cudaMalloc", "the host is out of memory");
  const std::size_t whole = rounded == 0 ? kAllocationAlignment : rounded;
  std::memset(block, 0xff, whole);
#if defined(AISYS_SIMT_ASAN)
  // Past the requested size is out of bounds, as compute-sanitizer memcheck sees it.
  ASAN_POISON_MEMORY_REGION(static_cast<char*>(block) + bytes, whole - bytes);
#endif
  r.allocations[static_cast<const char*>(block)] = bytes;
  r.allocated += bytes;
  *p = block;
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  if (free_bytes == nullptr || total_bytes == nullptr) {
    return fail(cudaErrorInvalidValue, "cudaMemGetInfo", "a null output pointer");
  }
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  *total_bytes = aisys::simt::options().global_memory_bytes;
  *free_bytes = r.allocated >= *total_bytes ? 0 : *total_bytes - r.allocated;
  return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
  if (p == nullptr) return cudaSuccess;
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.allocations.find(static_cast<const char*>(p));
  if (it == r.allocations.end()) {
    return fail(cudaErrorInvalidValue, "cudaFree", ptr_str(p) + " is not the start of a live device allocation");
  }
  r.allocated -= it->second;
#if defined(AISYS_SIMT_ASAN)
  const std::size_t whole = (it->second + kAllocationAlignment - 1) / kAllocationAlignment * kAllocationAlignment;
  ASAN_UNPOISON_MEMORY_REGION(p, whole == 0 ? kAllocationAlignment : whole);
#endif
  r.allocations.erase(it);
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  drain_for_legacy_stream();
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  if (const cudaError_t e = check_copy(r, dst, src, bytes, kind, "cudaMemcpy"); e != cudaSuccess) return e;
  if (bytes != 0) std::memmove(dst, src, bytes);
  return cudaSuccess;
}
// Checked at the call; done in stream order (at once, or behind the work the stream holds).
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  if (const cudaError_t e = check_stream(stream, "cudaMemcpyAsync"); e != cudaSuccess) return e;
  std::uint64_t id = 0;
  {
    Runtime& r = runtime();
    const std::lock_guard<std::mutex> lock(r.mutex);
    if (const cudaError_t e = check_copy(r, dst, src, bytes, kind, "cudaMemcpyAsync"); e != cudaSuccess) return e;
    id = stream_id(r, stream);
  }
  if (bytes != 0) on_stream(id, [dst, src, bytes] { std::memmove(dst, src, bytes); });
  return cudaSuccess;
}
static cudaError_t check_memset(void* p, size_t bytes, const char* call) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  return check_device_range(r, call, "destination", p, bytes);
}
cudaError_t cudaMemset(void* p, int value, size_t bytes) {
  drain_for_legacy_stream();
  if (const cudaError_t e = check_memset(p, bytes, "cudaMemset"); e != cudaSuccess) return e;
  if (bytes != 0) std::memset(p, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t stream) {
  if (const cudaError_t e = check_stream(stream, "cudaMemsetAsync"); e != cudaSuccess) return e;
  if (const cudaError_t e = check_memset(p, bytes, "cudaMemsetAsync"); e != cudaSuccess) return e;
  if (bytes != 0) on_stream(stream_id(stream), [p, value, bytes] { std::memset(p, value, bytes); });
  return cudaSuccess;
}
// Stream-ordered allocation: the block is made at once; the free is checked at the call and done
// in stream order.
cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t stream) {
  const cudaError_t e = check_stream(stream, "cudaMallocAsync");
  return e != cudaSuccess ? e : cudaMalloc(p, bytes);
}
cudaError_t cudaFreeAsync(void* p, cudaStream_t stream) {
  if (const cudaError_t e = check_stream(stream, "cudaFreeAsync"); e != cudaSuccess) return e;
  if (p == nullptr) return cudaSuccess;
  {
    Runtime& r = runtime();
    const std::lock_guard<std::mutex> lock(r.mutex);
    if (r.allocations.count(static_cast<const char*>(p)) == 0) {
      return fail(cudaErrorInvalidValue, "cudaFreeAsync", ptr_str(p) + " is not the start of a live device allocation");
    }
  }
  on_stream(stream_id(stream), [p] { (void)cudaFree(p); });
  return cudaSuccess;
}

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* a, const void* p) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  std::memset(a, 0, sizeof *a);
  if (is_device(r, p)) {
    a->type = cudaMemoryTypeDevice;
    a->device = aisys::simt::current_device();
    a->devicePointer = const_cast<void*>(p);
  } else {
    a->type = cudaMemoryTypeUnregistered;
    a->device = -2;
    a->hostPointer = const_cast<void*>(p);
  }
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned int flags) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  *s = reinterpret_cast<cudaStream_t>(new char);
  const std::uint64_t id = r.next_stream_id++;
  r.streams[*s] = id;
  r.work[id].blocking = (flags & cudaStreamNonBlocking) == 0;
  return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t* s) { return cudaStreamCreateWithFlags(s, cudaStreamDefault); }
cudaError_t cudaStreamGetFlags(cudaStream_t s, unsigned int* flags) {
  if (const cudaError_t e = check_stream(s, "cudaStreamGetFlags"); e != cudaSuccess) return e;
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.work.find(stream_id(r, s));
  *flags = (it == r.work.end() || it->second.blocking) ? cudaStreamDefault : cudaStreamNonBlocking;
  return cudaSuccess;
}
// As CUDA does, a stream destroyed with work pending lets that work finish.
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.streams.find(s);
  if (s == nullptr || it == r.streams.end()) {
    return fail(cudaErrorInvalidResourceHandle, "cudaStreamDestroy", "stream " + ptr_str(s) + " does not exist");
  }
  const std::uint64_t id = it->second;
  r.streams.erase(it);
  delete reinterpret_cast<char*>(s);
  const auto w = r.work.find(id);
  if (w != r.work.end()) {
    if (w->second.queue.empty()) r.work.erase(w);
    else w->second.destroyed = true;
  }
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  if (const cudaError_t e = check_stream(s, "cudaStreamSynchronize"); e != cudaSuccess) return e;
  drain(stream_id(s));
  return cudaSuccess;
}
cudaError_t cudaStreamQuery(cudaStream_t s) {
  if (const cudaError_t e = check_stream(s, "cudaStreamQuery"); e != cudaSuccess) return e;
  if (progress(stream_id(s))) return cudaSuccess;
  aisys::simt::set_last_error(static_cast<int>(cudaErrorNotReady));  // as a runtime may leave it
  return cudaErrorNotReady;
}

cudaError_t cudaEventCreate(cudaEvent_t* e) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  *e = new_handle<cudaEvent_t>(r.events);
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned int) { return cudaEventCreate(e); }
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  if (!destroy_handle(r.events, e)) {
    return fail(cudaErrorInvalidResourceHandle, "cudaEventDestroy", "event " + ptr_str(e) + " does not exist");
  }
  r.recorded.erase(e);
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
  const cudaError_t se = check_stream(s, "cudaEventRecord");
  if (se != cudaSuccess) return se;
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  if (const cudaError_t ee = check_event(r, e, "cudaEventRecord"); ee != cudaSuccess) return ee;
  RecordedEvent rec;
  rec.stream = stream_id(r, s);
  const auto w = r.work.find(rec.stream);
  rec.after = w == r.work.end() ? 0 : w->second.enqueued;
  if (w == r.work.end() || w->second.finished >= rec.after) {
    rec.timed = true;
    rec.at = std::chrono::steady_clock::now();
  }
  r.recorded[e] = rec;
  return cudaSuccess;
}
cudaError_t cudaEventQuery(cudaEvent_t e) {
  {
    Runtime& r = runtime();
    const std::lock_guard<std::mutex> lock(r.mutex);
    if (const cudaError_t ee = check_event(r, e, "cudaEventQuery"); ee != cudaSuccess) return ee;
  }
  if (event_complete(e)) return cudaSuccess;
  aisys::simt::set_last_error(static_cast<int>(cudaErrorNotReady));
  return cudaErrorNotReady;
}
cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  {
    Runtime& r = runtime();
    const std::lock_guard<std::mutex> lock(r.mutex);
    if (const cudaError_t ee = check_event(r, e, "cudaEventSynchronize"); ee != cudaSuccess) return ee;
  }
  while (!event_complete(e)) {
    progress_all();
    std::this_thread::yield();
  }
  return cudaSuccess;
}
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  Runtime& r = runtime();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const auto a = r.recorded.find(start), b = r.recorded.find(end);
  if (a == r.recorded.end() || b == r.recorded.end()) {
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime", "an event that was never recorded");
  }
  if (!a->second.timed || !b->second.timed) {
    aisys::simt::set_last_error(static_cast<int>(cudaErrorNotReady));
    return cudaErrorNotReady;
  }
  *ms = std::chrono::duration<float, std::milli>(b->second.at - a->second.at).count();
  return cudaSuccess;
}

}  // extern "C"
