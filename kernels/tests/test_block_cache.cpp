// Tests of aisys/kernels/block_cache.hpp: exact-size reuse per device, the three limits, drain()
// releasing one device's blocks only, and concurrent give/take keeping every block exactly once.
#include "aisys/kernels/block_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

namespace {

using aisys::kernels::BlockCache;

// Distinct fake block addresses (never dereferenced).
void* block(std::uintptr_t i) { return reinterpret_cast<void*>(0x10000 + 64 * i); }

TEST(BlockCache, ReusesOnlyTheExactSizeOnTheSameDevice) {
  BlockCache cache({.min_bytes = 0, .per_size = 4, .max_total = 1 << 20});
  EXPECT_EQ(cache.take(0, 256), nullptr);
  EXPECT_TRUE(cache.give(0, block(1), 256));
  EXPECT_EQ(cache.take(0, 320), nullptr) << "another size";
  EXPECT_EQ(cache.take(1, 256), nullptr) << "another device";
  EXPECT_EQ(cache.take(-1, 256), nullptr) << "the host";
  EXPECT_EQ(cache.cached_bytes(), 256u);
  EXPECT_EQ(cache.take(0, 256), block(1));
  EXPECT_EQ(cache.take(0, 256), nullptr) << "handed out once";
  EXPECT_EQ(cache.cached_bytes(), 0u);
}

TEST(BlockCache, RefusesSmallBlocksAndKeepsItsLimits) {
  BlockCache cache({.min_bytes = 1024, .per_size = 2, .max_total = 8192});
  EXPECT_FALSE(cache.give(-1, block(1), 512)) << "below min_bytes";
  EXPECT_FALSE(cache.give(-1, nullptr, 2048));
  EXPECT_TRUE(cache.give(-1, block(2), 2048));
  EXPECT_TRUE(cache.give(-1, block(3), 2048));
  EXPECT_FALSE(cache.give(-1, block(4), 2048)) << "per_size";
  EXPECT_TRUE(cache.give(-1, block(5), 4096));
  EXPECT_FALSE(cache.give(-1, block(6), 1024)) << "max_total: 8192 held";
  EXPECT_EQ(cache.cached_bytes(), 8192u);
  EXPECT_EQ(cache.cached_blocks(), 3u);
  EXPECT_EQ(cache.take(-1, 512), nullptr);
  // The last given comes back first (warm in cache).
  EXPECT_EQ(cache.take(-1, 2048), block(3));
  EXPECT_TRUE(cache.give(-1, block(6), 1024)) << "room again";
}

// max_total = 0 is how the Tensor turns its device cache off (AISYS_NO_DEVICE_CACHE=1).
TEST(BlockCache, NoRoomMeansEveryBlockIsReleased) {
  BlockCache off({.min_bytes = 0, .per_size = 16, .max_total = 0});
  EXPECT_FALSE(off.give(0, block(1), 64));
  EXPECT_FALSE(off.give(0, block(2), 1 << 20));
  EXPECT_EQ(off.take(0, 64), nullptr);
  EXPECT_EQ(off.cached_blocks(), 0u);
}

TEST(BlockCache, DrainReleasesOneDevicesBlocks) {
  BlockCache cache({.min_bytes = 0, .per_size = 8, .max_total = 1 << 20});
  for (std::uintptr_t i = 0; i < 3; ++i) ASSERT_TRUE(cache.give(0, block(i), 128 * (i + 1)));
  ASSERT_TRUE(cache.give(0, block(3), 128));
  ASSERT_TRUE(cache.give(1, block(4), 128));
  std::vector<void*> released;
  EXPECT_EQ(cache.drain(0, [&](void* p) { released.push_back(p); }), 128u + 256 + 384 + 128);
  std::sort(released.begin(), released.end());
  EXPECT_EQ(released, (std::vector<void*>{block(0), block(1), block(2), block(3)}));
  EXPECT_EQ(cache.cached_bytes(), 128u);
  EXPECT_EQ(cache.take(1, 128), block(4)) << "the other device's block stays";
  EXPECT_EQ(cache.drain(0, [](void*) { FAIL() << "nothing left to release"; }), 0u);
}

TEST(BlockCache, ConcurrentGiveAndTakeKeepEveryBlockOnce) {
  BlockCache cache({.min_bytes = 0, .per_size = 4000, .max_total = std::size_t{1} << 30});
  constexpr int kThreads = 4, kBlocks = 500;
  std::vector<std::vector<void*>> taken(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBlocks; ++i) {
        ASSERT_TRUE(cache.give(0, block(static_cast<std::uintptr_t>(t * kBlocks + i)), 4096));
        if (i % 2 == 1) {
          void* p = cache.take(0, 4096);
          ASSERT_NE(p, nullptr);
          taken[static_cast<std::size_t>(t)].push_back(p);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<void*> seen;
  for (const auto& list : taken) {
    for (void* p : list) EXPECT_TRUE(seen.insert(p).second) << "a block handed out twice";
  }
  cache.drain(0, [&](void* p) { EXPECT_TRUE(seen.insert(p).second) << "a block both held and handed out"; });
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kBlocks)) << "a block lost";
}

}  // namespace
