// A program that misbehaves on purpose, for the fault tests of the MPI launch (CTest runs it under
// mpiexec and checks that the job ends, promptly, with a message naming the rank):
//   abort        rank 1 aborts while rank 0 waits for a message from it
//   wrong-count  rank 1 sends 3 floats where rank 0 expects 4: rank 0's error names both ranks
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "aisys/comm/communicator.hpp"
#include "aisys/kernels/error.hpp"

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  auto& c = aisys::comm::mpi_world();
  if (c.size() < 2) {
    std::fprintf(stderr, "fault_program: needs 2 ranks\n");
    return 2;
  }
  try {
    if (mode == "abort") {
      if (c.rank() == 1) {
        std::fprintf(stderr, "fault_program: rank 1 aborts on purpose\n");
        std::abort();
      }
      std::vector<float> x(4);
      if (c.rank() == 0) c.recv(std::span<float>(x), 1, 0);
    } else if (mode == "wrong-count") {
      std::vector<float> x(4, 1.0f);
      if (c.rank() == 1) c.send(x.data(), 3, aisys::comm::DataType::kFloat32, 0, 0);
      if (c.rank() == 0) c.recv(std::span<float>(x), 1, 0);
    } else {
      std::fprintf(stderr, "fault_program: mode abort | wrong-count\n");
      return 2;
    }
  } catch (const aisys::Error& e) {
    std::fprintf(stderr, "fault_program: %s\n", e.what());
    return 3;
  }
  return 0;
}
