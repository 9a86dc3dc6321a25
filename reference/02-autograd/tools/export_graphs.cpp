// Lab 02 reference tool: writes the committed training graphs (kernels/graphs/*.json, the data
// labs 03 and 04 read) and checks them.
//   lab02_reference_export_graphs --out DIR     write mlp.json, small_cnn.json and transformer_block.json
//   lab02_reference_export_graphs --check DIR   the files in DIR are exactly what this tool writes,
//       and each graph, run by the platform's executor on seeded random feeds, gives the loss, the
//       gradients and the SGD step that the lab's autograd (the reference) computes for the same
//       model: its forward nodes replayed as differentiable ops, then backward().
// Exit 0 when written or every check passed, 1 when a check failed, 2 on bad arguments.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "aisys/lab02/autograd.hpp"
#include "graph_export.hpp"

namespace {

namespace fs = std::filesystem;
using aisys::kernels::Tensor;
namespace graph = aisys::kernels::graph;
namespace lab02 = aisys::lab02;

struct Entry {
  const char* file;
  aisys::lab02::tools::ModelGraph (*make)();
};
const Entry kGraphs[] = {{"mlp.json", aisys::lab02::tools::mlp_graph},
                         {"small_cnn.json", aisys::lab02::tools::cnn_graph},
                         {"transformer_block.json", aisys::lab02::tools::transformer_block_graph}};

std::vector<std::int32_t> labels_of(const Tensor& t) {
  std::vector<std::int32_t> out;
  for (double v : t.to_vector()) out.push_back(static_cast<std::int32_t>(v));
  return out;
}

// The forward nodes of g as lab 02 ops on Variables (parameters require gradients).
std::map<int, lab02::Variable> replay_forward(const graph::Graph& g, const std::map<std::string, Tensor>& feeds) {
  std::map<int, lab02::Variable> v;
  for (const auto& value : g.values) {
    if (value.kind == graph::ValueKind::kInput || value.kind == graph::ValueKind::kParameter) {
      v[value.id] = lab02::Variable(feeds.at(value.name), value.kind == graph::ValueKind::kParameter, value.name);
    } else if (value.kind == graph::ValueKind::kConstant) {
      v[value.id] = lab02::Variable(Tensor::from_values(std::span<const double>(value.data), value.shape, value.dtype));
    }
  }
  for (const auto& n : g.nodes) {
    if (n.phase != "forward") continue;
    auto in = [&](std::size_t i) { return v.at(n.inputs[i]); };
    const std::string& op = n.op;
    lab02::Variable out;
    if (op == "add") out = in(0) + in(1);
    else if (op == "sub") out = in(0) - in(1);
    else if (op == "mul") out = in(0) * in(1);
    else if (op == "matmul") out = lab02::matmul(in(0), in(1));
    else if (op == "transpose") out = lab02::transpose(in(0), n.attrs["dim0"].get<int>(), n.attrs["dim1"].get<int>());
    else if (op == "reshape") out = lab02::reshape(in(0), n.attrs["shape"].get<std::vector<std::int64_t>>());
    else if (op == "relu") out = lab02::relu(in(0));
    else if (op == "gelu") out = lab02::gelu(in(0));
    else if (op == "softmax") out = lab02::softmax(in(0), n.attrs["axis"].get<int>());
    else if (op == "mul_scalar") out = lab02::mul_scalar(in(0), n.attrs["value"].get<double>());
    else if (op == "pow_scalar") out = lab02::pow_scalar(in(0), n.attrs["exponent"].get<double>());
    else if (op == "mean") out = lab02::mean(in(0));
    else if (op == "cross_entropy") out = lab02::cross_entropy(in(0), labels_of(in(1).value()));
    else if (op == "layer_norm") out = lab02::layer_norm(in(0), in(1), in(2), n.attrs.value("eps", 1e-5));
    else if (op == "conv2d") out = lab02::conv2d(in(0), in(1), n.attrs["stride"].get<int>(), n.attrs["padding"].get<int>());
    else if (op == "max_pool2d") {
      out = lab02::max_pool2d(in(0), n.attrs["kernel"].get<int>(), n.attrs["stride"].get<int>(), n.attrs["padding"].get<int>());
    }
    else throw std::runtime_error("replay: no differentiable op for " + op);
    v[n.outputs[0]] = out;
  }
  return v;
}

double relative_error(const std::vector<double>& got, const std::vector<double>& want) {
  double d = 0, w = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    d += (got[i] - want[i]) * (got[i] - want[i]);
    w += want[i] * want[i];
  }
  return std::sqrt(d) / std::max(std::sqrt(w), 1e-30);
}

int check(const fs::path& dir) {
  int failures = 0;
  for (const Entry& e : kGraphs) {
    const auto model = e.make();
    const graph::Graph& g = model.graph;
    const fs::path file = dir / e.file;
    // 1. The committed file is what this tool writes.
    try {
      const graph::Graph committed = graph::load(file);
      if (graph::to_json(committed) != graph::to_json(g)) {
        std::printf("FAIL %s: differs from the graph this tool builds (regenerate: --out %s)\n", file.c_str(), dir.c_str());
        ++failures;
      }
    } catch (const std::exception& ex) {
      std::printf("FAIL %s: %s\n", file.c_str(), ex.what());
      ++failures;
      continue;
    }
    // 2. The executor's loss, gradients and step equal the autograd's on the same feeds.
    const auto feeds = aisys::lab02::tools::random_feeds(g, 2026);
    const graph::RunResult run = graph::run(g, feeds);
    auto vars = replay_forward(g, feeds);
    const int loss_id = g.outputs.front();
    lab02::backward(vars.at(loss_id));
    const double loss_graph = run.outputs.at(loss_id).item(), loss_autograd = vars.at(loss_id).value().item();
    double worst = std::abs(loss_graph - loss_autograd) / std::max(std::abs(loss_autograd), 1e-30);
    std::string worst_name = "loss";
    int checked = 0;
    for (const auto& value : g.values) {
      if (!value.gradient_of) continue;
      const auto& param = g.value(*value.gradient_of);
      const lab02::Variable& p = vars.at(param.id);
      const std::vector<double> want = p.grad().to_vector();
      const double err = relative_error(run.outputs.at(value.id).to_vector(), want);
      if (err > worst) {
        worst = err;
        worst_name = value.name;
      }
      const graph::Value* next = g.find(param.name + ".next");
      if (next) {
        std::vector<double> stepped = p.value().to_vector();
        for (std::size_t i = 0; i < stepped.size(); ++i) stepped[i] -= model.lr * want[i];
        const double e2 = relative_error(run.outputs.at(next->id).to_vector(), stepped);
        if (e2 > worst) {
          worst = e2;
          worst_name = next->name;
        }
      }
      ++checked;
    }
    const bool ok = worst <= 1e-4 && checked > 0;
    std::printf("%s %s: %zu values, %zu nodes, %d parameter gradients; executor vs autograd: worst relative error %.2e (%s); peak live %.2f MiB\n",
                ok ? "ok  " : "FAIL", e.file, g.values.size(), g.nodes.size(), checked, worst, worst_name.c_str(),
                static_cast<double>(run.peak_live_bytes) / (1 << 20));
    if (!ok) ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "--out" && std::string(argv[1]) != "--check")) {
    std::fprintf(stderr, "usage: %s --out DIR | --check DIR\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[2];
  try {
    if (std::string(argv[1]) == "--check") return check(dir);
    fs::create_directories(dir);
    for (const Entry& e : kGraphs) {
      graph::save(e.make().graph, dir / e.file);
      std::printf("wrote %s\n", (dir / e.file).c_str());
    }
    return 0;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "%s: %s\n", argv[0], ex.what());
    return 1;
  }
}
