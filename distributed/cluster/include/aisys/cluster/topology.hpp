// aisys/cluster/topology.hpp: the simulated GPU cluster's shape, as HiveD's cell levels.
//
// A uniform tree: cluster > racks > nodes > CPU sockets > PCIe switches > GPUs. A *cell* of level L
// is one subtree at that level (level 0: one GPU, 1: the GPUs under one PCIe switch, 2: one socket,
// 3: one node, 4: one rack, 5: the whole cluster). GPUs are numbered 0..G-1 in tree order, so the
// cell of level L holding GPU g is g / cell_size(L), and cell c of level L holds the GPUs
// [c * cell_size(L), (c + 1) * cell_size(L)).
#pragma once

#include <array>
#include <span>
#include <string>

namespace aisys::cluster {

enum Level : int { kGpu = 0, kSwitch = 1, kSocket = 2, kNode = 3, kRack = 4, kClusterLevel = 5 };
inline constexpr int kLevels = 6;

// Name of a level ("gpu", "switch", "socket", "node", "rack", "cluster").
const char* level_name(int level);

struct TopologySpec {
  int racks = 32;
  int nodes_per_rack = 8;
  int sockets_per_node = 2;
  int switches_per_socket = 2;
  int gpus_per_switch = 2;
};

class Topology {
 public:
  // Throws InvalidArgument naming the field when a count is below 1.
  explicit Topology(TopologySpec spec = {});

  // "RACKSxNODESxSOCKETSxSWITCHESxGPUS", e.g. "32x8x2x2x2" (2,048 GPUs, 8 per node).
  static Topology parse(const std::string& text);
  std::string describe() const;  // "32x8x2x2x2 (2048 GPUs, 8 per node)"

  const TopologySpec& spec() const { return spec_; }
  int gpus() const { return size_[kClusterLevel]; }
  int gpus_per_node() const { return size_[kNode]; }
  int nodes() const { return cells(kNode); }
  int cell_size(int level) const { return size_[level]; }
  int cells(int level) const { return gpus() / size_[level]; }
  int cell_of(int gpu, int level) const { return gpu / size_[level]; }
  int first_gpu(int level, int cell) const { return cell * size_[level]; }

  // The lowest level whose one cell holds every GPU in `gpus` (0 for a single GPU).
  int span_level(std::span<const int> gpus) const;
  // The smallest level whose cells have at least n GPUs (the cell a compact placement of n uses).
  int level_for(int n) const;

 private:
  TopologySpec spec_;
  std::array<int, kLevels> size_{};
};

}  // namespace aisys::cluster
