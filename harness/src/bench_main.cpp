// main() of every lab benchmark binary, compiled into each one (aisys::bench_main is an INTERFACE
// library carrying this source) with AISYS_LAB_IMPL and AISYS_LAB_SOURCE_DIR defined by
// aisys_lab_bench(). The cases are registered by the lab's benchmark sources at static
// initialisation; see aisys/harness/bench.hpp for the timing policy and flags.
#include "aisys/harness/bench.hpp"

#ifndef AISYS_LAB_IMPL
#define AISYS_LAB_IMPL "unknown"
#endif
#ifndef AISYS_LAB_SOURCE_DIR
#define AISYS_LAB_SOURCE_DIR ""
#endif

int main(int argc, char** argv) {
  return aisys::bench::run_benchmarks(argc, argv, AISYS_LAB_IMPL, AISYS_LAB_SOURCE_DIR);
}
