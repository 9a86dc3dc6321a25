// main() of every lab benchmark binary, compiled into each one (aisys::bench_main is an INTERFACE
// library carrying this source). Which build it belongs to comes from the source aisys_lab_bench()
// generates (aisys/harness/lab_identity.hpp). The cases are registered by the lab's benchmark
// sources at static initialisation; see aisys/harness/bench.hpp for the timing policy and flags.
#include "aisys/harness/bench.hpp"
#include "aisys/harness/lab_identity.hpp"

int main(int argc, char** argv) {
  return aisys::bench::run_benchmarks(argc, argv, aisys::bench::kLabImpl, aisys::bench::kLabSourceDir);
}
