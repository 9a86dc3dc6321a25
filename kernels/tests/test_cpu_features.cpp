// Tests of aisys/kernels/cpu_features.hpp: the detected features agree with each other, with the
// name-based queries and, on Linux, with the kernel's own view in /proc/cpuinfo.
#include "aisys/kernels/cpu_features.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "aisys/kernels/error.hpp"

namespace {

TEST(CpuFeatures, CachedOnce) { EXPECT_EQ(&aisys::cpu_features(), &aisys::cpu_features()); }

TEST(CpuFeatures, DescriptionIsFilledIn) {
  const auto& f = aisys::cpu_features();
  EXPECT_FALSE(f.model_name.empty());
  EXPECT_FALSE(f.vendor.empty());
  EXPECT_GE(f.logical_cores, 1);
  std::cout << "[ cpu      ] " << f.vendor << ", " << f.model_name << ", " << f.logical_cores
            << " logical cores, features:";
  for (const auto& name : aisys::cpu_feature_names()) std::cout << " " << name;
  std::cout << "\n";
}

TEST(CpuFeatures, ExtensionsImplyTheirBase) {
  const auto& f = aisys::cpu_features();
  if (f.avx512f) {
    EXPECT_TRUE(f.avx2) << "every x86-64 CPU with AVX-512F has AVX2";
  }
  if (f.avx512bw || f.avx512vl || f.avx512dq || f.avx512_vnni || f.avx512_bf16) {
    EXPECT_TRUE(f.avx512f);
  }
}

TEST(CpuFeatures, CpuHasMatchesTheStruct) {
  const auto& f = aisys::cpu_features();
  EXPECT_EQ(aisys::cpu_has("avx2"), f.avx2);
  EXPECT_EQ(aisys::cpu_has("fma"), f.fma);
  EXPECT_EQ(aisys::cpu_has("f16c"), f.f16c);
  EXPECT_EQ(aisys::cpu_has("avx512f"), f.avx512f);
  EXPECT_EQ(aisys::cpu_has("avx512bw"), f.avx512bw);
  EXPECT_EQ(aisys::cpu_has("avx512vl"), f.avx512vl);
  EXPECT_EQ(aisys::cpu_has("avx512dq"), f.avx512dq);
  EXPECT_EQ(aisys::cpu_has("avx512_vnni"), f.avx512_vnni);
  EXPECT_EQ(aisys::cpu_has("avx512_bf16"), f.avx512_bf16);
  EXPECT_EQ(aisys::cpu_has("avx_vnni"), f.avx_vnni);
}

TEST(CpuFeatures, NamesListExactlyThePresentFeatures) {
  const auto present = aisys::cpu_feature_names();
  const auto& known = aisys::known_cpu_feature_names();
  EXPECT_EQ(known.size(), 10u);
  for (const auto& name : known) {
    const bool listed = std::find(present.begin(), present.end(), name) != present.end();
    EXPECT_EQ(listed, aisys::cpu_has(name)) << name;
  }
  for (const auto& name : present) {
    EXPECT_NE(std::find(known.begin(), known.end(), name), known.end()) << name;
  }
}

TEST(CpuFeatures, UnknownNameThrows) {
  EXPECT_THROW(aisys::cpu_has("avx1024"), aisys::InvalidArgument);
  EXPECT_THROW(aisys::cpu_has("AVX2"), aisys::InvalidArgument);
  EXPECT_THROW(aisys::cpu_has(""), aisys::InvalidArgument);
  try {
    aisys::cpu_has("avx1024");
  } catch (const aisys::InvalidArgument& error) {
    EXPECT_NE(std::string(error.what()).find("avx1024"), std::string::npos);
  }
}

// The kernel lists a flag in /proc/cpuinfo only when the CPU has it and the OS enabled its state,
// the same rule as cpu_features().
TEST(CpuFeatures, AgreesWithProcCpuinfo) {
#if !(defined(__x86_64__) || defined(__i386__))
  GTEST_SKIP() << "not an x86 CPU";
#endif
  std::ifstream cpuinfo("/proc/cpuinfo");
  if (!cpuinfo) GTEST_SKIP() << "no /proc/cpuinfo on this system";
  std::string line;
  std::set<std::string> flags;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      std::string word;
      while (words >> word) flags.insert(word);
      break;
    }
  }
  if (flags.empty()) GTEST_SKIP() << "no flags line in /proc/cpuinfo";
  for (const auto& name : aisys::known_cpu_feature_names()) {
    EXPECT_EQ(flags.count(name) == 1, aisys::cpu_has(name)) << name;
  }
}

}  // namespace
