// Lab 02 internal: the scoped timer behind set_kernel_profiling() (autograd.hpp). Each forward
// op's kernel call and each backward rule run inside one; nested timers are not counted twice
// (a rule calling an op records nothing for that op: grad mode is off inside rules).
#pragma once

#include <chrono>

#include "aisys/lab02/autograd.hpp"

namespace aisys::lab02::detail {

enum class KernelPhase { kForward, kBackward };

class ScopedKernelTimer {
 public:
  explicit ScopedKernelTimer(KernelPhase phase);
  ~ScopedKernelTimer();
  ScopedKernelTimer(const ScopedKernelTimer&) = delete;
  ScopedKernelTimer& operator=(const ScopedKernelTimer&) = delete;

 private:
  KernelPhase phase_;
  bool active_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace aisys::lab02::detail
