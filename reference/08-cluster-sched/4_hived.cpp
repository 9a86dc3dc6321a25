// Lab 08, part 4 (reference): HiveD's buddy cells with virtual-cluster quotas (Zhao et al.,
// OSDI'20). Each VC owns quota / gpus_per_node virtual node cells, bound to physical nodes on
// demand and unbound when the node is wholly free again; inside a node, jobs get aligned cells
// (1, 2, 4, 8 GPUs here) chosen buddy-style, so a job of up to a node never spans nodes and the
// free space of a VC stays in whole cells.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;
using cluster::PolicyError;

class Hived final : public Policy {
 public:
  explicit Hived(HivedOptions) {}
  std::string name() const override { return "hived"; }

  void on_arrival(Cluster& cluster, JobId id) override {
    init(cluster);
    const auto v = cluster.job(id);
    const int cells = vc_cells_[static_cast<size_t>(v.vc)];
    const int needs = (v.gpus + per_node_ - 1) / per_node_;
    if (needs > cells) {
      throw PolicyError("hived: job " + cluster.trace().jobs[static_cast<size_t>(id)].name + " of VC " +
                        cluster.trace().vcs[static_cast<size_t>(v.vc)] + " needs " + std::to_string(v.gpus) +
                        " GPUs, but its quota of " + std::to_string(cluster.vc_quota(v.vc)) + " GPUs is " +
                        std::to_string(cells) + " node cell(s) of " + std::to_string(per_node_) +
                        " GPUs: it could never run (a VC's quota must hold its largest job, in whole nodes)");
    }
  }

  void on_finish(Cluster& cluster, JobId id) override {
    auto it = allocations_.find(id);
    for (int g : it->second) {
      reserved_[static_cast<size_t>(g)] = false;
      const int node = g / per_node_;
      if (++node_free_[static_cast<size_t>(node)] == per_node_) unbind(cluster, node);
    }
    allocations_.erase(it);
  }

  void schedule(Cluster& cluster) override {
    init(cluster);
    std::vector<int> smallest_failed(vc_cells_.size(), 1 << 30);
    const std::vector<JobId> pending(cluster.pending().begin(), cluster.pending().end());
    for (JobId id : pending) {
      const auto v = cluster.job(id);
      if (v.gpus >= smallest_failed[static_cast<size_t>(v.vc)]) continue;
      std::vector<int> cell;
      const auto gpus = v.gpus <= per_node_ ? place_in_node(cluster, v.vc, v.gpus, cell)
                                            : place_on_nodes(cluster, v.vc, v.gpus, cell);
      if (!gpus) {
        smallest_failed[static_cast<size_t>(v.vc)] = v.gpus;
        continue;
      }
      for (int g : cell) {
        reserved_[static_cast<size_t>(g)] = true;
        --node_free_[static_cast<size_t>(g / per_node_)];
      }
      allocations_[id] = cell;
      cluster.start(id, *gpus);
    }
  }

 private:
  void init(const Cluster& cluster) {
    if (per_node_ > 0) return;
    const auto& topo = cluster.topology();
    per_node_ = topo.gpus_per_node();
    nodes_per_rack_ = topo.spec().nodes_per_rack;
    reserved_.assign(static_cast<size_t>(topo.gpus()), false);
    node_free_.assign(static_cast<size_t>(topo.nodes()), per_node_);
    node_vc_.assign(static_cast<size_t>(topo.nodes()), -1);
    const size_t nvc = std::max<size_t>(1, cluster.trace().vcs.size());
    for (size_t v = 0; v < nvc; ++v) vc_cells_.push_back(cluster.vc_quota(static_cast<int>(v)) / per_node_);
    bound_.resize(nvc);
    rack_nodes_.assign(nvc, std::vector<int>(static_cast<size_t>(topo.cells(cluster::kRack)), 0));
  }

  bool cell_free(int first, int size) const {
    for (int g = first; g < first + size; ++g) {
      if (reserved_[static_cast<size_t>(g)]) return false;
    }
    return true;
  }

  // The best free cell of `level` in `node` (buddy rule), or -1.
  int best_cell(const Cluster& cluster, int node, int level) const {
    const auto& topo = cluster.topology();
    const int size = topo.cell_size(level);
    int best = -1, best_split = cluster::kLevels + 1;
    for (int first = node * per_node_; first < (node + 1) * per_node_; first += size) {
      if (!cell_free(first, size)) continue;
      int split = cluster::kNode + 1;  // the lowest enclosing cell that is not wholly free
      for (int up = level + 1; up <= cluster::kNode; ++up) {
        const int up_size = topo.cell_size(up);
        if (!cell_free(first / up_size * up_size, up_size)) {
          split = up;
          break;
        }
      }
      if (split < best_split) {
        best = first;
        best_split = split;
      }
    }
    return best;
  }

  // Racks in preference order for a VC: more of its bound nodes first, then lower number.
  std::vector<int> rack_order(int vc) const {
    const auto& count = rack_nodes_[static_cast<size_t>(vc)];
    std::vector<int> racks(count.size());
    for (size_t r = 0; r < racks.size(); ++r) racks[r] = static_cast<int>(r);
    std::sort(racks.begin(), racks.end(), [&](int a, int b) {
      const int ca = count[static_cast<size_t>(a)], cb = count[static_cast<size_t>(b)];
      return ca != cb ? ca > cb : a < b;
    });
    return racks;
  }

  std::vector<int> unbound_in(int rack) const {
    std::vector<int> nodes;
    for (int n = rack * nodes_per_rack_; n < (rack + 1) * nodes_per_rack_; ++n) {
      if (node_vc_[static_cast<size_t>(n)] < 0) nodes.push_back(n);
    }
    return nodes;
  }

  void bind(int node, int vc) {
    node_vc_[static_cast<size_t>(node)] = vc;
    bound_[static_cast<size_t>(vc)].insert(node);
    ++rack_nodes_[static_cast<size_t>(vc)][static_cast<size_t>(node / nodes_per_rack_)];
  }
  void unbind(const Cluster&, int node) {
    const int vc = node_vc_[static_cast<size_t>(node)];
    if (vc < 0) return;
    node_vc_[static_cast<size_t>(node)] = -1;
    bound_[static_cast<size_t>(vc)].erase(node);
    --rack_nodes_[static_cast<size_t>(vc)][static_cast<size_t>(node / nodes_per_rack_)];
  }

  std::optional<std::vector<int>> place_in_node(const Cluster& cluster, int vc, int gpus,
                                                std::vector<int>& cell) {
    const int level = cluster.topology().level_for(gpus);
    const int size = cluster.topology().cell_size(level);
    int node = -1, first = -1;
    for (int n : bound_[static_cast<size_t>(vc)]) {
      const int f = node_free_[static_cast<size_t>(n)];
      if (f < size || (node >= 0 && f >= node_free_[static_cast<size_t>(node)])) continue;
      const int c = best_cell(cluster, n, level);
      if (c >= 0) {
        node = n;
        first = c;
      }
    }
    if (node < 0) {
      if (static_cast<int>(bound_[static_cast<size_t>(vc)].size()) >= vc_cells_[static_cast<size_t>(vc)]) return std::nullopt;
      for (int rack : rack_order(vc)) {
        const auto nodes = unbound_in(rack);
        if (!nodes.empty()) {
          node = nodes.front();
          break;
        }
      }
      if (node < 0) return std::nullopt;
      bind(node, vc);
      first = node * per_node_;
    }
    cell.clear();
    for (int g = first; g < first + size; ++g) cell.push_back(g);
    return std::vector<int>(cell.begin(), cell.begin() + gpus);
  }

  std::optional<std::vector<int>> place_on_nodes(const Cluster&, int vc, int gpus, std::vector<int>& cell) {
    const int k = (gpus + per_node_ - 1) / per_node_;
    if (static_cast<int>(bound_[static_cast<size_t>(vc)].size()) + k > vc_cells_[static_cast<size_t>(vc)]) return std::nullopt;
    const auto racks = rack_order(vc);
    std::vector<int> nodes;
    for (int rack : racks) {
      const auto in = unbound_in(rack);
      if (static_cast<int>(in.size()) >= k) {
        nodes.assign(in.begin(), in.begin() + k);
        break;
      }
    }
    if (nodes.empty()) {
      for (int rack : racks) {
        for (int n : unbound_in(rack)) {
          if (static_cast<int>(nodes.size()) < k) nodes.push_back(n);
        }
      }
      if (static_cast<int>(nodes.size()) < k) return std::nullopt;
    }
    std::sort(nodes.begin(), nodes.end());
    cell.clear();
    for (int n : nodes) {
      bind(n, vc);
      for (int g = n * per_node_; g < (n + 1) * per_node_; ++g) cell.push_back(g);
    }
    return std::vector<int>(cell.begin(), cell.begin() + gpus);
  }

  int per_node_ = 0, nodes_per_rack_ = 0;
  std::vector<bool> reserved_;
  std::vector<int> node_free_, node_vc_, vc_cells_;
  std::vector<std::set<int>> bound_;
  std::vector<std::vector<int>> rack_nodes_;
  std::map<JobId, std::vector<int>> allocations_;
};

}  // namespace

std::unique_ptr<Policy> make_hived(const HivedOptions& options) { return std::make_unique<Hived>(options); }

}  // namespace aisys::lab08
