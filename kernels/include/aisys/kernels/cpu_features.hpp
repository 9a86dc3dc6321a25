// aisys/kernels/cpu_features.hpp: which x86-64 instruction sets this CPU (and its operating system)
// can run, for choosing an AVX2 or AVX-512 code path at run time and for skipping lab parts whose
// `cpu_features` (lab.json) the machine lacks.
//
// A feature is reported only when the CPU advertises it (cpuid) AND the operating system saves the
// register state it needs (xgetbv: XCR0 bits 1-2 for the ymm registers, bits 5-7 for AVX-512's
// opmask and zmm registers). On a non-x86 machine every flag is false.
//
//   const auto& f = aisys::cpu_features();
//   if (f.avx512f) { ... } else if (aisys::cpu_has("avx2")) { ... }
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aisys {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
  bool avx_vnni = false;
  std::string vendor;       // "GenuineIntel", "AuthenticAMD", ... ("unknown" off x86)
  std::string model_name;   // cpuid brand string, e.g. "Intel(R) Xeon(R) Platinum 8480+"
  int logical_cores = 0;    // std::thread::hardware_concurrency(), at least 1
};

// Detected once (thread-safe) and cached for the life of the process.
const CpuFeatures& cpu_features();

// Names of the features present, lowercase, in a fixed order: "avx2", "fma", "f16c", "avx512f",
// "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "avx_vnni".
std::vector<std::string> cpu_feature_names();

// Every name cpu_has() accepts (the list above), whether or not the CPU has it.
const std::vector<std::string>& known_cpu_feature_names();

// True when the feature is present. Throws InvalidArgument for a name not in
// known_cpu_feature_names() (a typo in lab.json must not read as "missing").
bool cpu_has(std::string_view name);

}  // namespace aisys
