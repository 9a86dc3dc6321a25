// Topology: cell sizes, span levels and parsing of the cluster shape.
#include <gtest/gtest.h>

#include <vector>

#include "aisys/cluster/topology.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::cluster {
namespace {

TEST(Topology, DefaultIs2048GpusWith8PerNode) {
  const Topology t;
  EXPECT_EQ(t.gpus(), 2048);
  EXPECT_EQ(t.gpus_per_node(), 8);
  EXPECT_EQ(t.nodes(), 256);
  EXPECT_EQ(t.cell_size(kSwitch), 2);
  EXPECT_EQ(t.cell_size(kSocket), 4);
  EXPECT_EQ(t.cell_size(kRack), 64);
  EXPECT_EQ(t.cells(kRack), 32);
  EXPECT_EQ(t.cell_of(70, kNode), 8);
  EXPECT_EQ(t.first_gpu(kNode, 8), 64);
}

TEST(Topology, SpanLevelIsTheLowestCommonCell) {
  const Topology t;
  const std::vector<int> one = {5}, pair = {4, 5}, socket = {4, 7}, node = {0, 7},
                         rack = {0, 8}, cluster = {0, 64};
  EXPECT_EQ(t.span_level(one), kGpu);
  EXPECT_EQ(t.span_level(pair), kSwitch);
  EXPECT_EQ(t.span_level(socket), kSocket);
  EXPECT_EQ(t.span_level(node), kNode);
  EXPECT_EQ(t.span_level(rack), kRack);
  EXPECT_EQ(t.span_level(cluster), kClusterLevel);
  EXPECT_EQ(t.level_for(1), kGpu);
  EXPECT_EQ(t.level_for(3), kSocket);
  EXPECT_EQ(t.level_for(8), kNode);
  EXPECT_EQ(t.level_for(9), kRack);
  EXPECT_EQ(t.level_for(100), kClusterLevel);
}

TEST(Topology, ParsesAndDescribes) {
  const Topology t = Topology::parse("2x4x2x1x4");
  EXPECT_EQ(t.gpus(), 64);
  EXPECT_EQ(t.gpus_per_node(), 8);
  EXPECT_EQ(t.describe(), "2x4x2x1x4 (64 GPUs, 8 per node)");
}

TEST(Topology, BadShapesAreNamed) {
  try {
    Topology::parse("2x4x2");
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("expected 5 counts"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Topology::parse("2x4xax1x4"), InvalidArgument);
  try {
    Topology(TopologySpec{1, 0, 1, 1, 1});
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("nodes_per_rack"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aisys::cluster
