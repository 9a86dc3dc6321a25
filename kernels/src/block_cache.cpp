// Implementation of aisys/kernels/block_cache.hpp.
#include "aisys/kernels/block_cache.hpp"

namespace aisys::kernels {

void* BlockCache::take(int device, std::size_t bytes) {
  if (bytes < limits_.min_bytes) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = blocks_.find({device, bytes});
  if (it == blocks_.end() || it->second.empty()) return nullptr;
  void* block = it->second.back();
  it->second.pop_back();
  total_ -= bytes;
  return block;
}

bool BlockCache::give(int device, void* block, std::size_t bytes) {
  if (block == nullptr || bytes < limits_.min_bytes) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  if (total_ + bytes > limits_.max_total) return false;
  auto& list = blocks_[{device, bytes}];
  if (list.size() >= limits_.per_size) return false;
  list.push_back(block);
  total_ += bytes;
  return true;
}

std::size_t BlockCache::drain(int device, const std::function<void(void*)>& release) {
  std::vector<void*> released;
  std::size_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      if (it->first.first != device) {
        ++it;
        continue;
      }
      bytes += it->first.second * it->second.size();
      released.insert(released.end(), it->second.begin(), it->second.end());
      it = blocks_.erase(it);
    }
    total_ -= bytes;
  }
  for (void* block : released) release(block);  // outside the lock: release may be slow
  return bytes;
}

std::size_t BlockCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_;
}

std::size_t BlockCache::cached_blocks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t n = 0;
  for (const auto& [key, list] : blocks_) n += list.size();
  return n;
}

}  // namespace aisys::kernels
