// The SIMT emulator's scheduler (aisys/kernels/simt/emulator.hpp): one fiber per GPU thread of a
// block, run in turn until each has reached the next barrier or returned; a barrier is released
// when every thread of the block waits at it, at one call site.
//
// A fiber switch on x86-64 is a few instructions (switch_stacks below: the callee-saved registers
// and the stack pointer); ucontext's swapcontext (the fallback on other processors) also saves the signal mask with
// a system call, which made a grid of millions of threads spend most of its time in the kernel.
#include "aisys/kernels/simt/emulator.hpp"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#if defined(AISYS_SIMT_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#include <mutex>
#include <new>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace aisys::simt {
namespace {

enum class FiberState { kRunnable, kAtBarrier, kDone };

struct Fiber {
#if defined(__x86_64__)
  void* sp = nullptr;  // the saved stack pointer while the fiber is switched out
  void* stack_bottom = nullptr;
  std::size_t stack_size = 0;
  void* asan_fake_stack = nullptr;  // AddressSanitizer's state while switched out
#else
  ucontext_t context{};
#endif
  FiberState state = FiberState::kRunnable;
  std::source_location site{};
  Dim3 tid{};
  std::size_t warp_calls = 0;  // warp-wide calls made so far (warp_uniform)
};

// Fiber stacks, kept from one launch to the next; each has a PROT_NONE guard page below it.
class StackPool {
 public:
  ~StackPool() { release(); }
  void* stack(std::size_t i, std::size_t bytes) {
    if (bytes != bytes_) {
      release();
      bytes_ = bytes;
    }
    while (stacks_.size() <= i) stacks_.push_back(map_one());
    return stacks_[i];
  }

 private:
  static std::size_t page() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }
  void* map_one() const {
    void* base = mmap(nullptr, bytes_ + page(), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    mprotect(base, page(), PROT_NONE);
    return static_cast<char*>(base) + page();
  }
  void release() {
    for (void* s : stacks_) munmap(static_cast<char*>(s) - page(), bytes_ + page());
    stacks_.clear();
  }
  std::vector<void*> stacks_;
  std::size_t bytes_ = 0;
};

// The block being run.
struct BlockRun {
  Dim3 grid, block, block_idx;
  const std::function<void()>* body = nullptr;
  std::vector<Fiber> fibers;
  std::size_t current = 0;
#if defined(__x86_64__)
  void* scheduler_sp = nullptr;
  const void* scheduler_bottom = nullptr;  // the scheduler's stack, as AddressSanitizer reports it
  std::size_t scheduler_size = 0;
  void* scheduler_fake_stack = nullptr;
#else
  ucontext_t scheduler{};
#endif
  std::exception_ptr fault;
  // The arguments of each warp's k-th warp-wide call, as the first of its lanes to make it passed
  // them: (warp, k) -> the call.
  struct WarpCall {
    const char* op;
    std::uintptr_t a, b;
    std::size_t lane;
  };
  std::map<std::pair<std::size_t, std::size_t>, WarpCall> warp_calls;
};

thread_local BlockRun* tl_run = nullptr;
std::mutex launch_mutex;  // one launch at a time: a shared array is one block per process
std::uint64_t block_serial = 0;
LaunchRecord last_record;
std::unordered_map<void*, std::uint64_t> shared_poisoned_in;  // array -> block that poisoned it
thread_local int last_error = 0;

std::string dim_str(const Dim3& d) {
  std::ostringstream s;
  s << '(' << d.x << ", " << d.y << ", " << d.z << ')';
  return s.str();
}

std::string site_str(const std::source_location& s) {
  std::ostringstream out;
  out << s.function_name() << " at " << s.file_name() << ':' << s.line();
  return out.str();
}

Fiber& current_fiber() {
  if (tl_run == nullptr) throw std::logic_error("simt: a kernel builtin was used outside a kernel");
  return tl_run->fibers[tl_run->current];
}

void fiber_entry() {
  BlockRun& run = *tl_run;
  try {
    (*run.body)();
  } catch (const KernelFault&) {
    run.fault = std::current_exception();
  } catch (const std::exception& e) {
    run.fault = std::make_exception_ptr(KernelFault(
        "thread " + dim_str(run.fibers[run.current].tid) + " of block " + dim_str(run.block_idx) +
        " threw: " + e.what()));
  } catch (...) {
    run.fault = std::make_exception_ptr(KernelFault(
        "thread " + dim_str(run.fibers[run.current].tid) + " of block " + dim_str(run.block_idx) +
        " threw an exception that is not a std::exception"));
  }
  run.fibers[run.current].state = FiberState::kDone;
  // Returning resumes the scheduler (uc_link, or fiber_start's switch).
}

#if defined(__x86_64__)
// switch_stacks(&save, to): pushes the callee-saved registers, stores the stack pointer in *save,
// loads `to` and pops the registers saved there. A new fiber's stack is laid out as if it had
// been switched out just before fiber_start (init_fiber).
extern "C" void aisys_simt_switch_stacks(void** save, void* to);
asm(R"(
  .text
  .globl aisys_simt_switch_stacks
  .type aisys_simt_switch_stacks, @function
aisys_simt_switch_stacks:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size aisys_simt_switch_stacks, .-aisys_simt_switch_stacks
)");

// Under AddressSanitizer (the emulated builds use it: it reports a kernel's out-of-bounds access
// as memcheck would) every switch is announced, so that it knows which stack is live.
#if defined(AISYS_SIMT_ASAN)
void asan_leaving(void** fake_stack_save, const void* bottom, std::size_t size) {
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
}
void asan_arrived(void* fake_stack_save, const void** old_bottom, std::size_t* old_size) {
  __sanitizer_finish_switch_fiber(fake_stack_save, old_bottom, old_size);
}
#else
void asan_leaving(void**, const void*, std::size_t) {}
void asan_arrived(void*, const void**, std::size_t*) {}
#endif

[[noreturn]] void fiber_start() {
  asan_arrived(nullptr, &tl_run->scheduler_bottom, &tl_run->scheduler_size);
  fiber_entry();
  Fiber& f = tl_run->fibers[tl_run->current];
  asan_leaving(nullptr, tl_run->scheduler_bottom, tl_run->scheduler_size);  // this fiber ends
  aisys_simt_switch_stacks(&f.sp, tl_run->scheduler_sp);
  __builtin_unreachable();  // a finished fiber is never switched back to
}

void init_fiber(Fiber& f, void* stack, std::size_t bytes, BlockRun&) {
  f.stack_bottom = stack;
  f.stack_size = bytes;
  auto top = reinterpret_cast<std::uintptr_t>(stack) + bytes;
  top &= ~std::uintptr_t{15};
  auto* slot = reinterpret_cast<void**>(top);
  *--slot = nullptr;                                      // fiber_start's return address: none
  *--slot = reinterpret_cast<void*>(&fiber_start);        // where the first switch returns to
  for (int i = 0; i < 6; ++i) *--slot = nullptr;          // rbp rbx r12 r13 r14 r15
  f.sp = slot;
}

void switch_to_fiber(BlockRun& run, Fiber& f) {
  asan_leaving(&run.scheduler_fake_stack, f.stack_bottom, f.stack_size);
  aisys_simt_switch_stacks(&run.scheduler_sp, f.sp);
  asan_arrived(run.scheduler_fake_stack, nullptr, nullptr);
}
void switch_to_scheduler(BlockRun& run, Fiber& f) {
  asan_leaving(&f.asan_fake_stack, run.scheduler_bottom, run.scheduler_size);
  aisys_simt_switch_stacks(&f.sp, run.scheduler_sp);
  asan_arrived(f.asan_fake_stack, &run.scheduler_bottom, &run.scheduler_size);
}
#else
// getcontext and swapcontext return twice: kept out of the functions with live locals (GCC's
// -Wclobbered), each in a function of its own.
[[gnu::noinline]] void init_fiber(Fiber& f, void* stack, std::size_t bytes, BlockRun& run) {
  getcontext(&f.context);
  f.context.uc_stack.ss_sp = stack;
  f.context.uc_stack.ss_size = bytes;
  f.context.uc_link = &run.scheduler;
  makecontext(&f.context, fiber_entry, 0);
}

[[gnu::noinline]] void switch_to_fiber(BlockRun& run, Fiber& f) {
  swapcontext(&run.scheduler, &f.context);
}
[[gnu::noinline]] void switch_to_scheduler(BlockRun& run, Fiber& f) {
  swapcontext(&f.context, &run.scheduler);
}
#endif

Dim3 unflatten(std::uint64_t i, const Dim3& shape) {
  return Dim3{static_cast<unsigned>(i % shape.x), static_cast<unsigned>((i / shape.x) % shape.y),
              static_cast<unsigned>(i / (static_cast<std::uint64_t>(shape.x) * shape.y))};
}

// At a barrier and at the end of a block: every lane of a warp has made as many warp-wide calls
// (a lane that skipped a WMMA store its warp made is as wrong as one that passed another pointer),
// and a warp of fewer than 32 threads made none.
void check_warp_calls(const BlockRun& run, const char* where) {
  if (run.warp_calls.empty()) return;
  const std::size_t n = run.fibers.size();
  for (std::size_t w = 0; w * 32 < n; ++w) {
    const std::size_t first = w * 32, last = std::min(n, first + 32);
    for (std::size_t i = first; i < last; ++i) {
      if (last - first < 32 && run.fibers[i].warp_calls != 0) {
        throw KernelFault("a warp-wide (WMMA) call in a warp of " + std::to_string(last - first) +
                          " threads (block " + dim_str(run.block) + "): it needs all 32 lanes");
      }
      if (run.fibers[i].warp_calls != run.fibers[first].warp_calls) {
        throw KernelFault("a warp-wide call some lanes skipped: " + std::string(where) +
                          " in block " + dim_str(run.block_idx) + ", lane " +
                          std::to_string(first % 32) + " of warp " + std::to_string(w) +
                          " has made " + std::to_string(run.fibers[first].warp_calls) +
                          " warp-wide calls and lane " + std::to_string(i - first) + " " +
                          std::to_string(run.fibers[i].warp_calls) +
                          "; every lane of a warp makes the same warp-wide calls");
      }
    }
  }
}

// Runs every fiber of `run` until all have returned; throws KernelFault for a divergent barrier or
// a fault in a thread.
void run_block(BlockRun& run, StackPool& stacks, const Options& opts) {
  const std::size_t n = static_cast<std::size_t>(run.block.count());
  run.fibers.assign(n, Fiber{});
  run.warp_calls.clear();
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = opts.order == ThreadOrder::kForward ? i : n - 1 - i;
  for (std::size_t i = 0; i < n; ++i) {
    Fiber& f = run.fibers[i];
    f.tid = unflatten(i, run.block);
    init_fiber(f, stacks.stack(i, opts.stack_bytes), opts.stack_bytes, run);
  }
  ++block_serial;
  for (;;) {
    for (std::size_t i : order) {
      if (run.fibers[i].state != FiberState::kRunnable) continue;
      run.current = i;
      switch_to_fiber(run, run.fibers[i]);
      if (run.fault) std::rethrow_exception(run.fault);
    }
    std::size_t waiting = 0;
    const Fiber* first_waiting = nullptr;
    const Fiber* first_done = nullptr;
    for (const Fiber& f : run.fibers) {
      if (f.state == FiberState::kAtBarrier) {
        ++waiting;
        if (first_waiting == nullptr) first_waiting = &f;
      } else if (first_done == nullptr) {
        first_done = &f;
      }
    }
    if (waiting == 0) {
      check_warp_calls(run, "at the end of the kernel");
      return;
    }
    if (waiting != n) {
      throw KernelFault("divergent __syncthreads(): in block " + dim_str(run.block_idx) + ", " +
                        std::to_string(waiting) + " of " + std::to_string(n) +
                        " threads wait at the barrier in " + site_str(first_waiting->site) +
                        " (thread " + dim_str(first_waiting->tid) + " among them), the other " +
                        std::to_string(n - waiting) + " returned without reaching it (thread " +
                        dim_str(first_done->tid) + " among them); every thread of a block must " +
                        "reach every barrier");
    }
    for (const Fiber& f : run.fibers) {
      const char* file = f.site.file_name();
      const char* first_file = first_waiting->site.file_name();
      if (f.site.line() != first_waiting->site.line() ||
          (file != first_file && std::strcmp(file, first_file) != 0)) {
        throw KernelFault("divergent __syncthreads(): in block " + dim_str(run.block_idx) +
                          ", thread " + dim_str(first_waiting->tid) + " waits at the barrier in " +
                          site_str(first_waiting->site) + " and thread " + dim_str(f.tid) +
                          " at the one in " + site_str(f.site));
      }
    }
    check_warp_calls(run, ("at the barrier in " + site_str(first_waiting->site)).c_str());
    for (Fiber& f : run.fibers) f.state = FiberState::kRunnable;
  }
}

}  // namespace

#if defined(AISYS_SIMT_ASAN)
// The emulated programs keep caches and abandon a faulted block's fibers on purpose: a leak report
// at exit would only be noise. Out-of-bounds accesses are what the sanitizer is there for.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

Options& options() {
  static Options o;
  return o;
}

std::string launch_config_error(Dim3 grid, Dim3 block) {
  if (grid.count() == 0 || block.count() == 0) {
    return "a grid " + dim_str(grid) + " or block " + dim_str(block) + " with a zero dimension";
  }
  if (block.count() > kMaxThreadsPerBlock) {
    return "a block " + dim_str(block) + " of " + std::to_string(block.count()) +
           " threads (at most " + std::to_string(kMaxThreadsPerBlock) + ")";
  }
  if (block.x > kMaxBlockDim.x || block.y > kMaxBlockDim.y || block.z > kMaxBlockDim.z) {
    return "a block " + dim_str(block) + " past the limit " + dim_str(kMaxBlockDim);
  }
  if (grid.x > kMaxGridDim.x || grid.y > kMaxGridDim.y || grid.z > kMaxGridDim.z) {
    return "a grid " + dim_str(grid) + " past the limit " + dim_str(kMaxGridDim);
  }
  return "";
}

void run_grid(Dim3 grid, Dim3 block, const std::function<void()>& thread_body) {
  if (tl_run != nullptr) throw std::logic_error("simt: a kernel launched another kernel");
  const std::string bad = launch_config_error(grid, block);
  if (!bad.empty()) throw std::invalid_argument("simt: cannot launch " + bad);
  const std::lock_guard<std::mutex> lock(launch_mutex);
  last_record = LaunchRecord{grid, block, last_record.launches + 1};
  static StackPool stacks;
  const Options opts = options();
  BlockRun run;
  run.grid = grid;
  run.block = block;
  run.body = &thread_body;
  tl_run = &run;
  try {
    const std::uint64_t blocks = grid.count();
    for (std::uint64_t b = 0; b < blocks; ++b) {
      run.block_idx = unflatten(opts.order == ThreadOrder::kForward ? b : blocks - 1 - b, grid);
      run_block(run, stacks, opts);
    }
  } catch (...) {
    // The faulted block's other fibers are abandoned mid-frame: their stacks keep the sanitizer's
    // poison of live frames, which a later launch reusing them must not meet.
#if defined(AISYS_SIMT_ASAN) && defined(__x86_64__)
    for (const Fiber& f : run.fibers) ASAN_UNPOISON_MEMORY_REGION(f.stack_bottom, f.stack_size);
#endif
    tl_run = nullptr;
    throw;
  }
  tl_run = nullptr;
}

LaunchRecord last_launch() {
  const std::lock_guard<std::mutex> lock(launch_mutex);
  return last_record;
}

const Dim3& thread_idx() { return current_fiber().tid; }
const Dim3& block_idx() {
  current_fiber();
  return tl_run->block_idx;
}
const Dim3& block_dim() {
  current_fiber();
  return tl_run->block;
}
const Dim3& grid_dim() {
  current_fiber();
  return tl_run->grid;
}
bool in_kernel() { return tl_run != nullptr; }

void sync_threads(std::source_location site) {
  Fiber& f = current_fiber();
  f.state = FiberState::kAtBarrier;
  f.site = site;
  switch_to_scheduler(*tl_run, f);
}

void* allocate_shared_block(std::size_t bytes) {
  void* p = nullptr;
  // posix_memalign, not aligned_alloc: the size need not be a multiple of the alignment, so that
  // AddressSanitizer's redzone starts right at the end of the array.
  if (posix_memalign(&p, 256, bytes == 0 ? 1 : bytes) != 0) throw std::bad_alloc();
  return p;
}

void shared_declared(const volatile void* data_in, std::size_t bytes) {
  current_fiber();
  void* data = const_cast<void*>(data_in);  // a volatile shared array is written like any other
  std::uint64_t& poisoned_in = shared_poisoned_in[data];
  if (poisoned_in != block_serial) {
    std::memset(data, 0xff, bytes);
    poisoned_in = block_serial;
  }
}

void warp_uniform(const char* op, std::uintptr_t a, std::uintptr_t b) {
  Fiber& f = current_fiber();
  const std::size_t linear = tl_run->current;
  const std::size_t warp = linear / 32, lane = linear % 32;
  const auto key = std::make_pair(warp, f.warp_calls++);
  const auto [it, first] = tl_run->warp_calls.try_emplace(key, BlockRun::WarpCall{op, a, b, lane});
  if (first) return;
  const BlockRun::WarpCall& c = it->second;
  if (std::strcmp(c.op, op) != 0 || c.a != a || c.b != b) {
    std::ostringstream m;
    m << "a warp-wide call whose lanes disagree: in block " << dim_str(tl_run->block_idx) << ", warp "
      << warp << "'s call " << key.second + 1 << " is " << c.op << "(0x" << std::hex << c.a << ", "
      << std::dec << c.b << ") in lane " << c.lane << " but " << op << "(0x" << std::hex << a << ", "
      << std::dec << b << ") in lane " << lane
      << "; every lane of a warp makes the same warp-wide calls with the same arguments";
    throw KernelFault(m.str());
  }
}

void check_launch_bounds(long long max_threads, long long, long long) {
  current_fiber();
  const std::uint64_t threads = tl_run->block.count();
  if (threads > static_cast<std::uint64_t>(max_threads)) {
    throw KernelFault("a block " + dim_str(tl_run->block) + " of " + std::to_string(threads) +
                      " threads for a kernel declared __launch_bounds__(" +
                      std::to_string(max_threads) + "): a GPU refuses the launch (too many " +
                      "resources requested for launch)");
  }
}

void trap(std::source_location site) {
  const Fiber& f = current_fiber();
  throw KernelFault("__trap() in " + site_str(site) + " by thread " + dim_str(f.tid) +
                    " of block " + dim_str(tl_run->block_idx));
}

int take_last_error() {
  const int e = last_error;
  last_error = 0;
  return e;
}
int peek_last_error() { return last_error; }
void set_last_error(int cuda_error) {
  last_error = cuda_error;
}

int device_count() {
  static const int count = [] {
    const char* v = std::getenv("AISYS_SIMT_DEVICES");
    if (v == nullptr || *v == '\0') return 1;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || n < 1 || n > 64) {
      throw std::invalid_argument(std::string("AISYS_SIMT_DEVICES=") + v +
                                  ": not a number of emulated GPUs from 1 to 64");
    }
    return static_cast<int>(n);
  }();
  return count;
}
namespace {
thread_local int tl_current_device = 0;
}  // namespace
int current_device() { return tl_current_device; }
void set_current_device(int device) { tl_current_device = device; }

namespace {
std::atomic<StreamWait> g_stream_wait{nullptr};
}  // namespace
void set_stream_wait(StreamWait wait) { g_stream_wait.store(wait); }
int wait_for_stream(const void* stream) {
  const StreamWait wait = g_stream_wait.load();
  return wait == nullptr ? 0 : wait(stream);
}

}  // namespace aisys::simt
