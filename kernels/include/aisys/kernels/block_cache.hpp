// aisys/kernels/block_cache.hpp: a cache of freed memory blocks by device and exact size, as
// frameworks keep for their tensors. A training step frees and allocates the same sizes every
// iteration: on the CPU each large block would otherwise go back to the kernel and return as fresh
// zero pages (a page fault per 4 KiB); on a GPU each cudaFree waits for the whole device and each
// cudaMalloc costs microseconds to milliseconds. The Tensor's Storage keeps one cache for host
// blocks and one for device blocks (tensor.cpp). Thread-safe.
//
// A device block given back may still be read or written by kernels in flight; handing it out
// again is safe because every user of the Tensor's device memory works on the same (legacy default)
// stream, which orders the next user's kernels after those.
//
//   BlockCache cache({.min_bytes = 64 << 10, .per_size = 8, .max_total = 256u << 20});
//   void* p = cache.take(-1, bytes);                  // nullptr: allocate it yourself
//   if (!cache.give(-1, p, bytes)) std::free(p);      // false: release it yourself
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace aisys::kernels {

class BlockCache {
 public:
  struct Limits {
    std::size_t min_bytes = 0;   // smaller blocks are never cached
    std::size_t per_size = 8;    // at most this many blocks of one (device, size)
    std::size_t max_total = 0;   // bytes held in all, over every device
  };
  explicit BlockCache(Limits limits) : limits_(limits) {}
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // A cached block of exactly `bytes` on `device` (-1 for the host), or nullptr.
  void* take(int device, std::size_t bytes);
  // Keeps the block and returns true, or returns false (too small, too many of that size, or over
  // the total) and the caller releases it.
  bool give(int device, void* block, std::size_t bytes);
  // Hands every cached block of `device` to `release` (when an allocation fails for lack of memory,
  // before trying again); returns the bytes released.
  std::size_t drain(int device, const std::function<void(void*)>& release);
  std::size_t cached_bytes() const;
  std::size_t cached_blocks() const;

 private:
  Limits limits_;
  mutable std::mutex mutex_;
  std::map<std::pair<int, std::size_t>, std::vector<void*>> blocks_;
  std::size_t total_ = 0;
};

}  // namespace aisys::kernels
