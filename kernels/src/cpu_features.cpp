// Implementation of aisys/kernels/cpu_features.hpp: cpuid for what the CPU advertises, xgetbv for
// what the operating system enables.
#include "aisys/kernels/cpu_features.hpp"

#include <array>
#include <cstring>
#include <thread>

#include "aisys/kernels/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define AISYS_X86 1
#else
#define AISYS_X86 0
#endif

namespace aisys {
namespace {

#if AISYS_X86
struct CpuidRegisters {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool valid = false;
};

CpuidRegisters cpuid(unsigned leaf, unsigned subleaf) {
  CpuidRegisters r;
  r.valid = __get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx) != 0;
  return r;
}

bool bit(unsigned value, int index) { return ((value >> index) & 1u) != 0; }

// XCR0: which register states the OS saves on a context switch. Read only when cpuid says OSXSAVE.
unsigned long long read_xcr0() {
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(' ');
  return s.substr(first, last - first + 1);
}

void detect_x86(CpuFeatures& f) {
  const CpuidRegisters leaf0 = cpuid(0, 0);
  if (!leaf0.valid) return;
  const unsigned max_leaf = leaf0.eax;
  char vendor[13] = {};
  std::memcpy(vendor + 0, &leaf0.ebx, 4);
  std::memcpy(vendor + 4, &leaf0.edx, 4);
  std::memcpy(vendor + 8, &leaf0.ecx, 4);
  f.vendor = vendor;

  const CpuidRegisters leaf1 = cpuid(1, 0);
  const bool osxsave = leaf1.valid && bit(leaf1.ecx, 27);
  const unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
  const bool os_ymm = (xcr0 & 0x6ull) == 0x6ull;            // bits 1 (xmm), 2 (ymm)
  const bool os_zmm = os_ymm && (xcr0 & 0xE0ull) == 0xE0ull;  // bits 5 (opmask), 6, 7 (zmm)

  const bool avx = leaf1.valid && bit(leaf1.ecx, 28) && os_ymm;
  f.fma = avx && bit(leaf1.ecx, 12);
  f.f16c = avx && bit(leaf1.ecx, 29);

  if (max_leaf >= 7) {
    const CpuidRegisters leaf7 = cpuid(7, 0);
    f.avx2 = avx && bit(leaf7.ebx, 5);
    f.avx512f = os_zmm && bit(leaf7.ebx, 16);
    f.avx512dq = f.avx512f && bit(leaf7.ebx, 17);
    f.avx512bw = f.avx512f && bit(leaf7.ebx, 30);
    f.avx512vl = f.avx512f && bit(leaf7.ebx, 31);
    f.avx512_vnni = f.avx512f && bit(leaf7.ecx, 11);
    if (leaf7.eax >= 1) {
      const CpuidRegisters leaf7_1 = cpuid(7, 1);
      f.avx_vnni = avx && bit(leaf7_1.eax, 4);
      f.avx512_bf16 = f.avx512f && bit(leaf7_1.eax, 5);
    }
  }

  const CpuidRegisters ext0 = cpuid(0x80000000u, 0);
  if (ext0.valid && ext0.eax >= 0x80000004u) {
    std::array<char, 49> brand{};
    for (unsigned i = 0; i < 3; ++i) {
      const CpuidRegisters r = cpuid(0x80000002u + i, 0);
      std::memcpy(brand.data() + 16 * i + 0, &r.eax, 4);
      std::memcpy(brand.data() + 16 * i + 4, &r.ebx, 4);
      std::memcpy(brand.data() + 16 * i + 8, &r.ecx, 4);
      std::memcpy(brand.data() + 16 * i + 12, &r.edx, 4);
    }
    f.model_name = trim(brand.data());
  }
}
#endif  // AISYS_X86

CpuFeatures detect() {
  CpuFeatures f;
  f.vendor = "unknown";
#if AISYS_X86
  detect_x86(f);
#endif
  if (f.model_name.empty()) f.model_name = "unknown " + f.vendor + " CPU";
  const unsigned cores = std::thread::hardware_concurrency();
  f.logical_cores = cores == 0 ? 1 : static_cast<int>(cores);
  return f;
}

struct NamedFeature {
  const char* name;
  bool CpuFeatures::*flag;
};

constexpr std::array<NamedFeature, 10> kFeatures{{
    {"avx2", &CpuFeatures::avx2},
    {"fma", &CpuFeatures::fma},
    {"f16c", &CpuFeatures::f16c},
    {"avx512f", &CpuFeatures::avx512f},
    {"avx512bw", &CpuFeatures::avx512bw},
    {"avx512vl", &CpuFeatures::avx512vl},
    {"avx512dq", &CpuFeatures::avx512dq},
    {"avx512_vnni", &CpuFeatures::avx512_vnni},
    {"avx512_bf16", &CpuFeatures::avx512_bf16},
    {"avx_vnni", &CpuFeatures::avx_vnni},
}};

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

std::vector<std::string> cpu_feature_names() {
  const CpuFeatures& f = cpu_features();
  std::vector<std::string> names;
  for (const NamedFeature& feature : kFeatures) {
    if (f.*feature.flag) names.emplace_back(feature.name);
  }
  return names;
}

const std::vector<std::string>& known_cpu_feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const NamedFeature& feature : kFeatures) all.emplace_back(feature.name);
    return all;
  }();
  return names;
}

bool cpu_has(std::string_view name) {
  for (const NamedFeature& feature : kFeatures) {
    if (name == feature.name) return cpu_features().*feature.flag;
  }
  std::string known;
  for (const NamedFeature& feature : kFeatures) {
    if (!known.empty()) known += ", ";
    known += feature.name;
  }
  throw InvalidArgument("unknown CPU feature '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace aisys
