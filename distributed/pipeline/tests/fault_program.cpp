// A program that must be stopped by the pipeline runtime's watchdog (run by CTest under mpiexec):
//   watchdog   every compute op is emulated as 3 s with a 1 s watchdog: a rank aborts the job,
//              naming itself, the schedule and the instruction it waits at.
#include <cstdio>
#include <cstring>

#include "aisys/comm/communicator.hpp"
#include "aisys/kernels/mlp.hpp"
#include "aisys/pipeline/runtime.hpp"

int main(int argc, char** argv) {
  using namespace aisys::pipeline;
  if (argc != 2 || std::strcmp(argv[1], "watchdog") != 0) {
    std::fprintf(stderr, "usage: %s watchdog\n", argv[0]);
    return 2;
  }
  auto& c = aisys::comm::mpi_world();
  aisys::kernels::Mlp model({8, 8, 8, 4}, 1);
  RuntimeOptions opt;
  opt.emulate = true;
  opt.emulated.forward = 3;
  opt.watchdog_s = 1;
  PipelineRuntime runtime(c, model, sequential_schedule(c.size(), 2), opt);
  runtime.step(nullptr, nullptr, 2);
  std::fprintf(stderr, "the watchdog did not fire\n");
  return 1;
}
