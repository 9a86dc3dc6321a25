// Lab 02, part 5: the backward engine. Topological order, gradient accumulation (a value used
// twice, a leaf reached twice, two backwards), a 10,000-node chain on a small stack (no
// recursion), saved tensors freed after use, and the errors: a second backward over freed
// buffers, a non-scalar root without a seed, NaN/Inf in check mode.
#include <pthread.h>

#include <exception>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>

#include <gtest/gtest.h>

#include "gradcheck.hpp"

namespace aisys::lab02 {
namespace {

using testing::random_input;

// Runs fn on a thread with a 256 KiB stack: a recursive walk over thousands of nodes overflows it
// (the process crashes), an iterative one does not. Exceptions are passed back.
void run_on_small_stack(const std::function<void()>& fn) {
  struct Job {
    const std::function<void()>* fn;
    std::exception_ptr error;
  } job{&fn, nullptr};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  auto body = [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    try {
      (*j->fn)();
    } catch (...) {
      j->error = std::current_exception();
    }
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, body, &job), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  if (job.error) std::rethrow_exception(job.error);
}

TEST(BackwardEngine, TopologicalOrderPutsConsumersFirst) {
  // A diamond with a shortcut: d = (a*b) + exp(a*b) * b; every node once, each before its inputs.
  Variable a(random_input({3}, 601), true), b(random_input({3}, 602), true);
  const Variable ab = a * b;
  const Variable e = exp(ab);
  const Variable d = ab + e * b;
  const std::vector<Node*> order = topological_order(d.grad_fn().get());
  ASSERT_EQ(order.size(), 4u) << "the graph has 4 nodes (mul, exp, mul, add)";
  EXPECT_EQ(order.front(), d.grad_fn().get()) << "the root comes first";
  std::unordered_map<Node*, std::size_t> position;
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_TRUE(position.emplace(order[i], i).second) << order[i]->describe() << " appears twice";
  }
  for (Node* n : order) {
    for (std::size_t i = 0; i < n->num_inputs(); ++i) {
      if (Node* in = n->input_node(i)) {
        ASSERT_TRUE(position.count(in)) << in->describe() << " is reachable but missing";
        EXPECT_LT(position[n], position[in]) << n->describe() << " reads " << in->describe() << " and must come first";
      }
    }
  }
}

TEST(BackwardEngine, SharedSubexpressionAccumulates) {
  // y = a * b is read by two consumers: its gradient is the sum of both.
  auto f = [](const std::vector<Variable>& v) {
    const Variable y = v[0] * v[1];
    return tanh(y) + y * v[2];
  };
  EXPECT_TRUE(testing::check_graph("tanh(a b) + (a b) c", f, {random_input({4}, 611), random_input({4}, 612), random_input({4}, 613)}));
}

TEST(BackwardEngine, LeafUsedByTwoNodes) {
  auto f = [](const std::vector<Variable>& v) { return sum(exp(v[0]) * sigmoid(v[0]) + v[0]); };
  EXPECT_TRUE(testing::check_graph("sum(exp(x) sigmoid(x) + x)", f, {random_input({2, 3}, 621)}));
}

TEST(BackwardEngine, AMultiLayerGraphMatchesFiniteDifferences) {
  // A two-layer network with a layer norm and a cross-entropy loss: every parameter's gradient.
  const std::vector<std::int32_t> labels{2, 0, 1, 2};
  auto f = [&labels](const std::vector<Variable>& v) {
    const Variable h = tanh(add(matmul(v[0], v[1]), v[2]));
    const Variable n = layer_norm(h, v[3], v[4]);
    return cross_entropy(matmul(n, v[5]), labels);
  };
  EXPECT_TRUE(testing::check_graph("mlp with layer norm", f,
                                   {random_input({4, 5}, 631), random_input({5, 6}, 632), random_input({6}, 633),
                                    random_input({6}, 634, 0.5, 1.5), random_input({6}, 635), random_input({6, 3}, 636)}));
}

TEST(BackwardEngine, GradientsAccumulateAcrossBackwards) {
  // Two backwards without zero_grad() add up; zero_grad() starts again.
  const Tensor x0 = random_input({5}, 641);
  Variable x(x0, true);
  backward(sum(x * x));
  const std::vector<double> once = x.grad().to_vector();
  backward(sum(x * x));
  const std::vector<double> twice = x.grad().to_vector(), values = x0.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(once[i], 2 * values[i], 1e-12) << "d sum(x^2) / dx[" << i << "], seed " << aisys::testing::test_seed();
    EXPECT_NEAR(twice[i], 4 * values[i], 1e-12) << "after two backwards, element " << i << ": the second must add to grad()";
  }
  x.zero_grad();
  backward(sum(x));
  for (double g : x.grad().to_vector()) EXPECT_EQ(g, 1.0);
}

TEST(BackwardEngine, LongChainWithoutRecursion) {
  // 10,000 nodes in a chain, backward on a 256 KiB stack: y = x; y = y * 0.9999 + 0.0001 x.
  constexpr int kLength = 10000;
  Variable x(random_input({4}, 651), true);
  Variable y = x;
  for (int i = 0; i < kLength / 2; ++i) y = add(mul_scalar(y, 0.9999), mul_scalar(x, 0.0001));
  const Variable loss = sum(y);
  EXPECT_EQ(topological_order(loss.grad_fn().get()).size(), static_cast<std::size_t>(3 * (kLength / 2) + 1));
  run_on_small_stack([&] { backward(loss); });
  // dy_n/dx = 0.9999^n + 0.0001 sum_{k<n} 0.9999^k = 1 (the recurrence keeps y = x).
  for (double g : x.grad().to_vector()) EXPECT_NEAR(g, 1.0, 1e-9);
}

TEST(BackwardEngine, FreesSavedTensorsOnceUsed) {
  Variable a(random_input({64, 64}, 661), true), b(random_input({64, 64}, 662), true);
  const Variable loss = sum(tanh(matmul(a, b)) * exp(a));
  const std::vector<Node*> nodes = topological_order(loss.grad_fn().get());  // alive: loss holds them
  std::size_t saved_before = 0;
  for (Node* n : nodes) saved_before += n->saved_bytes();
  EXPECT_GT(saved_before, 0u);
  backward(loss);
  for (Node* n : nodes) {
    EXPECT_TRUE(n->saved_released()) << n->describe() << " still holds its saved tensors after backward";
    EXPECT_EQ(n->saved_bytes(), 0u) << n->describe();
  }
}

// Saved tensors must go as the backward proceeds, not when it ends (the memory a backward frees
// as it runs is what Lab 04 plans with): a chain of nodes whose rule, when node k runs, checks
// that every node that ran before it (k+1 .. top, the chain runs top down) has released its saved
// tensors already, and that k itself still holds them.
std::vector<Node*> g_chain;          // g_chain[k]: the chain's node k (0 at the bottom)
std::vector<std::string> g_chain_problems;

std::vector<Tensor> chain_rule(const Node& node, const Tensor& grad_output) {
  std::size_t k = 0;
  while (k < g_chain.size() && g_chain[k] != &node) ++k;
  if (node.saved_released()) g_chain_problems.push_back(node.describe() + " ran after its saved tensors were freed");
  for (std::size_t later = k + 1; later < g_chain.size(); ++later) {
    if (!g_chain[later]->saved_released()) {
      g_chain_problems.push_back(g_chain[later]->describe() + " still held its saved tensors when " + node.describe() +
                                 ", which runs after it, ran");
      break;
    }
  }
  return {grad_output};
}

TEST(BackwardEngine, FreesSavedTensorsAsTheBackwardProceeds) {
  constexpr int kLength = 6;
  const Shape shape{256};
  std::vector<std::shared_ptr<Node>> chain;
  g_chain.clear();
  g_chain_problems.clear();
  for (int k = 0; k < kLength; ++k) {
    std::vector<Node::Input> inputs = {Node::Input{k == 0 ? nullptr : chain.back(), nullptr, shape}};
    chain.push_back(std::make_shared<Node>("chain", std::move(inputs), shape, DType::kFloat64, Device::cpu(),
                                           std::vector<Tensor>{random_input(shape, 690 + k)}, &chain_rule));
    g_chain.push_back(chain.back().get());
  }
  run_backward(*chain.back(), random_input(shape, 699), BackwardOptions{});
  for (const auto& p : g_chain_problems) ADD_FAILURE() << p;
  for (Node* n : g_chain) EXPECT_TRUE(n->saved_released()) << n->describe() << " still holds its saved tensors after backward";
  g_chain.clear();
}

TEST(BackwardEngine, SecondBackwardOverFreedBuffersFails) {
  Variable x(random_input({3}, 671), true);
  const Variable loss = sum(exp(x) * x);
  backward(loss);
  try {
    backward(loss);
    FAIL() << "a second backward over freed saved tensors ran";
  } catch (const NotImplemented&) {
    throw;
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("freed"), std::string::npos) << m;
    EXPECT_NE(m.find("retain_graph"), std::string::npos) << m;
  }
}

TEST(BackwardEngine, RetainGraphAllowsASecondBackward) {
  const Tensor x0 = random_input({3}, 681);
  Variable x(x0, true);
  const Variable loss = sum(exp(x));
  backward(loss, {}, {.retain_graph = true, .check_finite = false});
  backward(loss);
  const std::vector<double> g = x.grad().to_vector(), v = x0.to_vector();
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(g[i], 2 * std::exp(v[i]), 1e-12);
  for (Node* n : topological_order(loss.grad_fn().get())) EXPECT_TRUE(n->saved_released()) << n->describe();
}

TEST(BackwardEngine, NonScalarRootWithSeed) {
  auto f = [](const std::vector<Variable>& v) { return matmul(v[0], v[1]); };
  EXPECT_TRUE(testing::check_graph("matmul with a seed gradient", f, {random_input({2, 3}, 691), random_input({3, 2}, 692)}));
}

TEST(BackwardEngine, InputsWithoutGradientGetNone) {
  Variable x(random_input({3}, 701), true), c(random_input({3}, 702), false);
  backward(sum(x * c));
  EXPECT_TRUE(x.grad().defined());
  EXPECT_FALSE(c.grad().defined()) << "a variable that does not require a gradient received one";
}

TEST(BackwardEngine, CheckModeNamesTheOpWithNaN) {
  // log(x) at x = 0: the forward gives -inf, the backward 1/0. check_finite names log.
  Tensor v = random_input({4}, 711, 0.5, 1.0);
  v.data<double>()[2] = 0.0;
  Variable x(v, true);
  const Variable loss = sum(log(x));
  try {
    backward(loss, {}, {.retain_graph = false, .check_finite = true});
    FAIL() << "check_finite let an infinite gradient through";
  } catch (const NotImplemented&) {
    throw;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("log"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("NaN or Inf"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aisys::lab02
