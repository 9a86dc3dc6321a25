// Topology: the uniform rack/node/socket/switch/GPU tree of the simulated cluster.
#include "aisys/cluster/topology.hpp"

#include <charconv>
#include <vector>

#include "aisys/kernels/error.hpp"

namespace aisys::cluster {

const char* level_name(int level) {
  static const char* const kNames[kLevels] = {"gpu", "switch", "socket", "node", "rack", "cluster"};
  return level >= 0 && level < kLevels ? kNames[level] : "?";
}

Topology::Topology(TopologySpec spec) : spec_(spec) {
  const std::pair<const char*, int> fields[] = {{"racks", spec.racks},
                                                {"nodes_per_rack", spec.nodes_per_rack},
                                                {"sockets_per_node", spec.sockets_per_node},
                                                {"switches_per_socket", spec.switches_per_socket},
                                                {"gpus_per_switch", spec.gpus_per_switch}};
  for (const auto& [name, value] : fields) {
    if (value < 1 || value > 4096) {
      throw InvalidArgument(std::string("topology: ") + name + " must be in [1, 4096], got " +
                            std::to_string(value));
    }
  }
  size_[kGpu] = 1;
  size_[kSwitch] = spec.gpus_per_switch;
  size_[kSocket] = size_[kSwitch] * spec.switches_per_socket;
  size_[kNode] = size_[kSocket] * spec.sockets_per_node;
  size_[kRack] = size_[kNode] * spec.nodes_per_rack;
  size_[kClusterLevel] = size_[kRack] * spec.racks;
  if (size_[kClusterLevel] > (1 << 20)) throw InvalidArgument("topology: more than 2^20 GPUs");
}

Topology Topology::parse(const std::string& text) {
  std::vector<int> counts;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end) {
    int v = 0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || (next < end && *next != 'x')) {
      throw InvalidArgument("topology '" + text +
                            "': expected RACKSxNODESxSOCKETSxSWITCHESxGPUS, e.g. 32x8x2x2x2");
    }
    counts.push_back(v);
    p = next < end ? next + 1 : next;
  }
  if (counts.size() != 5) {
    throw InvalidArgument("topology '" + text + "': expected 5 counts (RACKSxNODESxSOCKETSx" +
                          "SWITCHESxGPUS), got " + std::to_string(counts.size()));
  }
  return Topology(TopologySpec{counts[0], counts[1], counts[2], counts[3], counts[4]});
}

std::string Topology::describe() const {
  return std::to_string(spec_.racks) + "x" + std::to_string(spec_.nodes_per_rack) + "x" +
         std::to_string(spec_.sockets_per_node) + "x" + std::to_string(spec_.switches_per_socket) +
         "x" + std::to_string(spec_.gpus_per_switch) + " (" + std::to_string(gpus()) + " GPUs, " +
         std::to_string(gpus_per_node()) + " per node)";
}

int Topology::span_level(std::span<const int> gpus) const {
  if (gpus.empty()) return 0;
  int level = 0;
  for (int g : gpus) {
    while (level < kClusterLevel && cell_of(g, level) != cell_of(gpus[0], level)) ++level;
  }
  return level;
}

int Topology::level_for(int n) const {
  for (int level = 0; level < kLevels; ++level) {
    if (size_[level] >= n) return level;
  }
  return kClusterLevel;
}

}  // namespace aisys::cluster
