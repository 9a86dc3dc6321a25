// Tests of aisys/kernels/aligned_buffer.hpp: alignment for every size, zero start, move-only
// ownership, poison values.
#include "aisys/kernels/aligned_buffer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace {

std::uintptr_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

TEST(AlignedBuffer, AlignedFor64BytesAtEverySize) {
  for (std::size_t n : {0u, 1u, 3u, 15u, 16u, 17u, 63u, 64u, 65u, 1000u, 4097u}) {
    aisys::AlignedBuffer<float> f(n);
    aisys::AlignedBuffer<double> d(n);
    aisys::AlignedBuffer<std::int8_t> b(n);
    EXPECT_NE(f.data(), nullptr) << "n=" << n;
    EXPECT_EQ(address(f.data()) % 64, 0u) << "n=" << n;
    EXPECT_EQ(address(d.data()) % 64, 0u) << "n=" << n;
    EXPECT_EQ(address(b.data()) % 64, 0u) << "n=" << n;
    EXPECT_EQ(f.size(), n);
    EXPECT_EQ(f.size_bytes(), n * sizeof(float));
    EXPECT_EQ(f.span().size(), n);
    EXPECT_EQ(f.empty(), n == 0);
  }
}

TEST(AlignedBuffer, CustomAlignment) {
  aisys::AlignedBuffer<float, 4096> page(5);
  EXPECT_EQ(address(page.data()) % 4096, 0u);
  EXPECT_EQ((aisys::AlignedBuffer<float, 4096>::alignment), 4096u);
}

TEST(AlignedBuffer, StartsZeroAndFills) {
  aisys::AlignedBuffer<float> a(100);
  for (float v : a) EXPECT_EQ(v, 0.0f);
  a.fill(2.5f);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], 2.5f) << i;
  const aisys::AlignedBuffer<int> b(7, 3);
  for (int v : b.span()) EXPECT_EQ(v, 3);
}

TEST(AlignedBuffer, MoveOnly) {
  static_assert(!std::is_copy_constructible_v<aisys::AlignedBuffer<float>>);
  static_assert(!std::is_copy_assignable_v<aisys::AlignedBuffer<float>>);
  static_assert(std::is_nothrow_move_constructible_v<aisys::AlignedBuffer<float>>);
  static_assert(std::is_nothrow_move_assignable_v<aisys::AlignedBuffer<float>>);

  aisys::AlignedBuffer<float> a(10, 1.0f);
  float* const storage = a.data();
  aisys::AlignedBuffer<float> b(std::move(a));
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(b.size(), 10u);
  EXPECT_EQ(b[9], 1.0f);
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(a.size(), 0u);

  aisys::AlignedBuffer<float> c(3);
  c = std::move(b);
  EXPECT_EQ(c.data(), storage);
  EXPECT_EQ(c.size(), 10u);
  EXPECT_EQ(b.size(), 0u);  // NOLINT(bugprone-use-after-move)

  aisys::AlignedBuffer<float>& self = c;
  c = std::move(self);
  EXPECT_EQ(c.data(), storage);
}

TEST(AlignedBuffer, PoisonFloatingPointIsNaN) {
  aisys::AlignedBuffer<float> f(33);
  aisys::AlignedBuffer<double> d(33);
  f.poison();
  d.poison();
  for (std::size_t i = 0; i < f.size(); ++i) {
    EXPECT_TRUE(std::isnan(f[i])) << i;
    EXPECT_TRUE(std::isnan(d[i])) << i;
  }
}

TEST(AlignedBuffer, PoisonIntegersIsPattern) {
  aisys::AlignedBuffer<std::uint32_t> u(5);
  aisys::AlignedBuffer<std::int8_t> s(5);
  u.poison();
  s.poison();
  for (std::size_t i = 0; i < u.size(); ++i) {
    EXPECT_EQ(u[i], 0xA5A5A5A5u) << i;
    EXPECT_EQ(static_cast<std::uint8_t>(s[i]), 0xA5u) << i;
  }
  aisys::AlignedBuffer<float> empty(0);
  empty.poison();  // nothing to do, must not touch memory
}

}  // namespace
