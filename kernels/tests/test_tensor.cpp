// Tensor (tensor.hpp) and its forward ops (tensor_ops.hpp): views share storage and never copy,
// strides and offsets are right, copies convert dtypes, errors name the op and the shapes; every
// op on random inputs (seed logged; AISYS_SEED reproduces one) against an independent
// double-precision computation in plain loops, on contiguous and on strided/broadcast views.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <string>

#include "aisys/kernels/device.hpp"
#include "aisys/kernels/tensor.hpp"
#include "aisys/kernels/tensor_ops.hpp"

namespace aisys::kernels {
namespace {

std::uint64_t seed() {
  static const std::uint64_t s = [] {
    const char* env = std::getenv("AISYS_SEED");
    const std::uint64_t v = env && *env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::cout << "[ seed ] " << v << " (AISYS_SEED=" << v << " reproduces it)\n";
    return v;
  }();
  return s;
}

std::string thrown(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

// Element i of t in row-major logical order, computed from shape/strides by hand.
double element(const Tensor& t, std::int64_t flat) {
  std::int64_t o = t.offset();
  for (int d = t.dim() - 1; d >= 0; --d) {
    const std::int64_t n = t.shape()[static_cast<std::size_t>(d)];
    o += (flat % n) * t.strides()[static_cast<std::size_t>(d)];
    flat /= n;
  }
  return t.dtype() == DType::kFloat32 ? static_cast<const float*>(t.storage()->data())[o]
                                      : static_cast<const double*>(t.storage()->data())[o];
}

void expect_close(const Tensor& got, const std::vector<double>& want, const Shape& shape, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), shape) << what;
  const auto v = got.to_vector();
  ASSERT_EQ(v.size(), want.size()) << what;
  for (std::size_t i = 0; i < v.size(); ++i) {
    ASSERT_NEAR(v[i], want[i], tol * (1 + std::fabs(want[i]))) << what << ": element " << i << " of " << to_string(shape)
                                                                << ", seed " << seed();
  }
}

TEST(Tensor, CreationAndProperties) {
  const Tensor t = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.strides(), (Shape{3, 1}));
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.at({1, 2}), 6);
  EXPECT_EQ(t.to_string(), "float32[2, 3] {1, 2, 3, 4, 5, 6}");
  EXPECT_EQ(Tensor::scalar(2.5, DType::kFloat64).item(), 2.5);
  EXPECT_EQ(Tensor::zeros({0, 3}).numel(), 0);
  EXPECT_FALSE(Tensor().defined());
  EXPECT_NE(thrown([] { Tensor().shape(); (void)Tensor().device(); }).find("undefined"), std::string::npos);
  EXPECT_NE(thrown([] { Tensor::from_values({1, 2, 3}, {2, 2}); }).find("3 values for shape [2, 2]"), std::string::npos);
  EXPECT_NE(thrown([] { (void)Tensor::zeros({2}).data<double>(); }).find("holds float32"), std::string::npos);
  // Seeded: the same values for the same seed, different for another.
  EXPECT_EQ(Tensor::normal({5}, 0, 1, 7).to_vector(), Tensor::normal({5}, 0, 1, 7).to_vector());
  EXPECT_NE(Tensor::uniform({5}, 0, 1, 7).to_vector(), Tensor::uniform({5}, 0, 1, 8).to_vector());
}

TEST(Tensor, ViewsShareStorageWithoutCopying) {
  Tensor t = Tensor::arange(24).reshape({2, 3, 4});
  const Tensor tr = t.transpose(0, 2);  // [4, 3, 2]
  EXPECT_TRUE(tr.shares_storage(t));
  EXPECT_EQ(tr.shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(tr.strides(), (Shape{1, 4, 12}));
  EXPECT_FALSE(tr.is_contiguous());
  EXPECT_EQ(tr.at({3, 1, 1}), t.at({1, 1, 3}));
  const Tensor sl = t.slice(2, 1, 4, 2);  // columns 1 and 3
  EXPECT_EQ(sl.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(sl.offset(), 1);
  EXPECT_EQ(sl.at({1, 2, 1}), t.at({1, 2, 3}));
  const Tensor sel = t.select(1, -1);
  EXPECT_EQ(sel.shape(), (Shape{2, 4}));
  EXPECT_EQ(sel.at({1, 0}), 20);
  const Tensor b = Tensor::from_values({1, 2, 3}, {3, 1}).broadcast_to({2, 3, 4});
  EXPECT_EQ(b.strides(), (Shape{0, 1, 0}));
  EXPECT_EQ(b.at({1, 2, 3}), 3);
  EXPECT_TRUE(t.view({6, 4}).shares_storage(t));
  EXPECT_TRUE(t.reshape({-1, 2}).shares_storage(t));
  EXPECT_EQ(t.unsqueeze(0).shape(), (Shape{1, 2, 3, 4}));
  EXPECT_EQ(t.unsqueeze(-1).shape(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(t.unsqueeze(0).squeeze(0).shape(), t.shape());
  // A view writes through; a reshape of a non-contiguous tensor copies.
  Tensor v = t.select(0, 1);
  v.fill(-1);
  EXPECT_EQ(t.at({1, 0, 0}), -1);
  const Tensor r = tr.reshape({24});
  EXPECT_FALSE(r.shares_storage(t));
  for (std::int64_t i = 0; i < 24; ++i) EXPECT_EQ(r.at({i}), element(tr, i));
  EXPECT_EQ(t.permute({2, 0, 1}).shape(), (Shape{4, 2, 3}));
}

TEST(Tensor, ViewErrorsNameTheShapes) {
  const Tensor t = Tensor::zeros({2, 3});
  EXPECT_NE(thrown([&] { t.reshape({4, 2}); }).find("cannot view [2, 3] (6 elements) as [4, 2]"), std::string::npos);
  EXPECT_NE(thrown([&] { t.t().view({6}); }).find("non-contiguous"), std::string::npos);
  EXPECT_NE(thrown([&] { t.broadcast_to({4, 3, 2}); }).find("cannot broadcast [2, 3] to [4, 3, 2]"), std::string::npos);
  EXPECT_NE(thrown([&] { t.transpose(0, 2); }).find("dimension 2 out of range for shape [2, 3]"), std::string::npos);
  EXPECT_NE(thrown([&] { t.squeeze(0); }).find("is not 1"), std::string::npos);
  EXPECT_NE(thrown([&] { t.select(1, 3); }).find("index 3 out of range"), std::string::npos);
  EXPECT_NE(thrown([&] { t.permute({0, 0}); }).find("appears twice"), std::string::npos);
}

TEST(Tensor, CopiesConvertAndBroadcast) {
  const Tensor d = Tensor::uniform({3, 4}, -1, 1, seed(), DType::kFloat64);
  const Tensor f = d.to(DType::kFloat32);
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  const auto dv = d.to_vector(), fv = f.to_vector();
  for (std::size_t i = 0; i < dv.size(); ++i) EXPECT_EQ(fv[i], static_cast<double>(static_cast<float>(dv[i])));
  Tensor dst = Tensor::zeros({2, 3, 4});
  dst.copy_from(d);  // broadcast over the leading dimension
  EXPECT_EQ(dst.select(0, 1).to_vector(), fv);
  const Tensor c = d.t().contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.at({3, 2}), d.at({2, 3}));
  EXPECT_FALSE(d.clone().shares_storage(d));
  if (!aisys::built_with_cuda()) {
    EXPECT_NE(thrown([] { Tensor::zeros({2}, DType::kFloat32, Device::cuda()); }).find("without CUDA"), std::string::npos);
  } else if (!aisys::gpu_available()) {
    EXPECT_THROW(Tensor::zeros({2}, DType::kFloat32, Device::cuda()), aisys::Error);  // no device to allocate on
  }
}

// A copy between overlapping views of one storage reads the source whole first (x[1:] = x[:-1]
// shifts x; read as it is written, it would smear x[0] over every element).
TEST(Tensor, CopyBetweenOverlappingViewsReadsTheSourceFirst) {
  for (const DType dtype : {DType::kFloat32, DType::kFloat64}) {
    const Tensor x = Tensor::uniform({6, 3}, -1, 1, seed(), dtype);
    const std::vector<double> before = x.to_vector();
    x.slice(0, 1, 6).copy_from(x.slice(0, 0, 5));
    const std::vector<double> after = x.to_vector();
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(after[i], before[i]) << "row 0 changed";
    for (std::size_t i = 3; i < after.size(); ++i) EXPECT_EQ(after[i], before[i - 3]) << "element " << i;
    Tensor square = Tensor::uniform({4, 4}, -1, 1, seed() + 1, dtype);
    const Tensor expected = square.t().contiguous();
    square.copy_from(square.t());  // in-place transpose through a view of itself
    EXPECT_EQ(square.to_vector(), expected.to_vector());
  }
}

// add_from adds in place: into a strided view (the rest of the storage untouched), from a
// broadcast source, from a view overlapping the target (read whole first); a broadcast target,
// mixed dtypes and mismatched shapes are refused, naming the problem.
TEST(Tensor, AddFromAddsIntoViewsInPlace) {
  for (const DType dtype : {DType::kFloat32, DType::kFloat64}) {
    const double tol = dtype == DType::kFloat32 ? 1e-6 : 1e-15;
    const Tensor base = Tensor::uniform({4, 9}, -1, 1, seed() + 20, dtype);
    const std::vector<double> before = base.to_vector();
    const Tensor target = base.slice(1, 1, 9, 2);  // [4, 4], columns 1, 3, 5, 7
    const Tensor row = Tensor::uniform({4}, -1, 1, seed() + 21, dtype);
    const std::vector<double> r = row.to_vector();
    Tensor(target).add_from(row);  // broadcast over the rows
    const std::vector<double> after = base.to_vector();
    for (std::size_t i = 0; i < 4; ++i) {
      for (std::size_t j = 0; j < 9; ++j) {
        const std::size_t at = i * 9 + j;
        const double want = (j % 2 == 1) ? before[at] + r[(j - 1) / 2] : before[at];
        EXPECT_NEAR(after[at], want, tol) << "element (" << i << ", " << j << ")" << (j % 2 ? "" : " outside the view");
      }
    }
    // x[1:] += x[:-1] with the source read before any write: each row gains the old row above.
    const Tensor x = Tensor::uniform({6, 3}, -1, 1, seed() + 22, dtype);
    const std::vector<double> xb = x.to_vector();
    Tensor(x.slice(0, 1, 6)).add_from(x.slice(0, 0, 5));
    const std::vector<double> xa = x.to_vector();
    for (std::size_t i = 0; i < xa.size(); ++i) {
      EXPECT_NEAR(xa[i], i < 3 ? xb[i] : xb[i] + xb[i - 3], tol) << "element " << i << " of x[1:] += x[:-1]";
    }
    // A transposed target and a transposed source.
    Tensor sq = Tensor::uniform({5, 5}, -1, 1, seed() + 23, dtype);
    const Tensor other = Tensor::uniform({5, 5}, -1, 1, seed() + 24, dtype);
    const std::vector<double> sqb = sq.to_vector(), ob = other.to_vector();
    Tensor(sq.t()).add_from(other.t());
    const std::vector<double> sqa = sq.to_vector();
    for (std::size_t i = 0; i < sqa.size(); ++i) EXPECT_NEAR(sqa[i], sqb[i] + ob[i], tol) << "element " << i;
  }
  Tensor f = Tensor::zeros({2, 3});
  EXPECT_NE(thrown([&] { f.add_from(Tensor::zeros({2, 3}, DType::kFloat64)); }).find("add_from: dtypes differ"), std::string::npos);
  EXPECT_NE(thrown([&] { f.add_from(Tensor::zeros({4})); }).find("add_from: the source does not broadcast to this tensor"), std::string::npos);
  Tensor broadcast = Tensor::zeros({3}).broadcast_to({2, 3});
  EXPECT_NE(thrown([&] { broadcast.add_from(Tensor::zeros({2, 3})); }).find("is a broadcast view (dimension 0 has stride 0)"),
            std::string::npos);
}

// Shapes for the elementwise tests: (a, b) pairs that broadcast, one of them a strided view.
struct Pair {
  Tensor a, b;
  std::string what;
};
std::vector<Pair> pairs(DType dtype, double lo = -2, double hi = 2) {
  std::uint64_t s = seed();
  std::vector<Pair> out;
  out.push_back({Tensor::uniform({3, 5}, lo, hi, s++, dtype), Tensor::uniform({3, 5}, lo, hi, s++, dtype), "same shape"});
  out.push_back({Tensor::uniform({2, 3, 5}, lo, hi, s++, dtype), Tensor::uniform({5}, lo, hi, s++, dtype), "row broadcast"});
  out.push_back({Tensor::uniform({4, 1}, lo, hi, s++, dtype), Tensor::uniform({1, 6}, lo, hi, s++, dtype), "outer broadcast"});
  out.push_back({Tensor::uniform({5, 3}, lo, hi, s++, dtype).t(), Tensor::uniform({3, 10}, lo, hi, s++, dtype).slice(1, 0, 10, 2),
                 "transposed and sliced"});
  return out;
}

template <typename F>
std::vector<double> reference_binary(const Tensor& a, const Tensor& b, F f, Shape& shape) {
  shape = broadcast_shapes(a.shape(), b.shape());
  const Tensor ab = a.broadcast_to(shape), bb = b.broadcast_to(shape);
  std::vector<double> out(static_cast<std::size_t>(numel(shape)));
  for (std::int64_t i = 0; i < numel(shape); ++i) out[static_cast<std::size_t>(i)] = f(element(ab, i), element(bb, i));
  return out;
}

TEST(TensorOps, ElementwiseBinaryAgainstDouble) {
  for (DType dt : {DType::kFloat32, DType::kFloat64}) {
    const double tol = dt == DType::kFloat32 ? 1e-6 : 1e-15;
    for (const Pair& p : pairs(dt, 0.5, 2)) {
      Shape shape;
      const std::string what = p.what + std::string(" ") + name_of(dt);
      expect_close(ops::add(p.a, p.b), reference_binary(p.a, p.b, [](double x, double y) { return x + y; }, shape), shape, tol, "add " + what);
      expect_close(ops::sub(p.a, p.b), reference_binary(p.a, p.b, [](double x, double y) { return x - y; }, shape), shape, tol, "sub " + what);
      expect_close(ops::mul(p.a, p.b), reference_binary(p.a, p.b, [](double x, double y) { return x * y; }, shape), shape, tol, "mul " + what);
      expect_close(ops::div(p.a, p.b), reference_binary(p.a, p.b, [](double x, double y) { return x / y; }, shape), shape, tol, "div " + what);
      expect_close(ops::maximum(p.a, p.b), reference_binary(p.a, p.b, [](double x, double y) { return std::max(x, y); }, shape), shape, tol,
                   "maximum " + what);
      expect_close(ops::where(ops::greater(p.a, p.b), p.a, p.b),
                   reference_binary(p.a, p.b, [](double x, double y) { return x > y ? x : y; }, shape), shape, tol, "where " + what);
    }
  }
  EXPECT_NE(thrown([] { ops::add(Tensor::zeros({2, 3}), Tensor::zeros({4})); }).find("add: shapes [2, 3] and [4] do not broadcast"),
            std::string::npos);
  EXPECT_NE(thrown([] { ops::mul(Tensor::zeros({2}), Tensor::zeros({2}, DType::kFloat64)); }).find("dtypes differ"), std::string::npos);
}

TEST(TensorOps, UnaryAgainstDouble) {
  const Tensor x = Tensor::uniform({4, 6}, -3, 3, seed() + 11, DType::kFloat32).t();  // strided
  const Tensor pos = Tensor::uniform({4, 6}, 0.1, 3, seed() + 12, DType::kFloat32);
  struct Case {
    const char* name;
    Tensor got;
    const Tensor* in;
    double (*f)(double);
  };
  const Case cases[] = {
      {"neg", ops::neg(x), &x, [](double v) { return -v; }},
      {"exp", ops::exp(x), &x, [](double v) { return std::exp(v); }},
      {"tanh", ops::tanh(x), &x, [](double v) { return std::tanh(v); }},
      {"sigmoid", ops::sigmoid(x), &x, [](double v) { return 1 / (1 + std::exp(-v)); }},
      {"relu", ops::relu(x), &x, [](double v) { return v > 0 ? v : 0.0; }},
      {"gelu", ops::gelu(x), &x, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
      {"abs", ops::abs(x), &x, [](double v) { return std::fabs(v); }},
      {"log", ops::log(pos), &pos, [](double v) { return std::log(v); }},
      {"sqrt", ops::sqrt(pos), &pos, [](double v) { return std::sqrt(v); }},
  };
  for (const Case& c : cases) {
    std::vector<double> want;
    for (std::int64_t i = 0; i < c.in->numel(); ++i) want.push_back(c.f(element(*c.in, i)));
    expect_close(c.got, want, c.in->shape(), 2e-6, c.name);
  }
  std::vector<double> want;
  for (std::int64_t i = 0; i < pos.numel(); ++i) want.push_back(std::pow(element(pos, i), 1.5) * 2 + 1);
  expect_close(ops::add_scalar(ops::mul_scalar(ops::pow_scalar(pos, 1.5), 2), 1), want, pos.shape(), 2e-6, "pow/mul/add scalar");
}

TEST(TensorOps, ReductionsAgainstDouble) {
  const Tensor x = Tensor::uniform({3, 4, 5}, -1, 1, seed() + 21, DType::kFloat32).permute({1, 0, 2});  // [4, 3, 5]
  // sum over axis 1 (size 3) with and without keepdim; mean over (0, 2); max over every axis.
  std::vector<double> s1(4 * 5, 0.0), m02(3, 0.0);
  double mx = -1e9;
  for (std::int64_t i = 0; i < 4; ++i) {
    for (std::int64_t j = 0; j < 3; ++j) {
      for (std::int64_t k = 0; k < 5; ++k) {
        const double v = x.at({i, j, k});
        s1[static_cast<std::size_t>(i * 5 + k)] += v;
        m02[static_cast<std::size_t>(j)] += v / 20;
        mx = std::max(mx, v);
      }
    }
  }
  expect_close(ops::sum(x, {1}), s1, {4, 5}, 1e-6, "sum axis 1");
  expect_close(ops::sum(x, {-2}, true), s1, {4, 1, 5}, 1e-6, "sum axis -2 keepdim");
  expect_close(ops::mean(x, {0, 2}), m02, {3}, 1e-6, "mean axes 0, 2");
  expect_close(ops::max(x), {mx}, {}, 0, "max");
  // sum_to: the reduction a broadcast's backward needs.
  const Tensor g = Tensor::uniform({2, 3, 4}, -1, 1, seed() + 22, DType::kFloat64);
  std::vector<double> want(3, 0.0);
  for (std::int64_t i = 0; i < 2; ++i) {
    for (std::int64_t j = 0; j < 3; ++j) {
      for (std::int64_t k = 0; k < 4; ++k) want[static_cast<std::size_t>(j)] += g.at({i, j, k});
    }
  }
  expect_close(ops::sum_to(g, {3, 1}), want, {3, 1}, 1e-14, "sum_to [3, 1]");
  EXPECT_NE(thrown([&] { ops::sum_to(g, {2, 4}); }).find("is not a broadcast of [2, 4]"), std::string::npos);
  const Tensor am = ops::argmax(Tensor::from_values({1, 5, 2, 7, 0, 3}, {2, 3}), 0);
  EXPECT_EQ(am.to_vector(), (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(ops::argmax(Tensor::from_values({1, 5, 2, 7, 0, 3}, {2, 3}), 1).to_vector(), (std::vector<double>{1, 0}));
}

TEST(TensorOps, MatmulAgainstDouble) {
  std::uint64_t s = seed() + 31;
  struct Case {
    Tensor a, b;
    std::string what;
  };
  std::vector<Case> cases;
  cases.push_back({Tensor::uniform({7, 5}, -1, 1, s++), Tensor::uniform({5, 9}, -1, 1, s++), "2-D"});
  cases.push_back({Tensor::uniform({5, 7}, -1, 1, s++).t(), Tensor::uniform({9, 5}, -1, 1, s++).t(), "both transposed"});
  cases.push_back({Tensor::uniform({3, 4, 6}, -1, 1, s++), Tensor::uniform({6, 2}, -1, 1, s++), "batched x shared"});
  cases.push_back({Tensor::uniform({2, 1, 4, 6}, -1, 1, s++), Tensor::uniform({3, 6, 5}, -1, 1, s++), "batch broadcast"});
  cases.push_back({Tensor::uniform({4, 12}, -1, 1, s++).slice(1, 0, 12, 2), Tensor::uniform({6, 3}, -1, 1, s++), "strided columns"});
  cases.push_back({Tensor::uniform({4, 6}, -1, 1, s++, DType::kFloat64), Tensor::uniform({6, 3}, -1, 1, s++, DType::kFloat64), "float64"});
  for (const Case& c : cases) {
    const Tensor got = ops::matmul(c.a, c.b);
    const std::int64_t m = c.a.size(-2), k = c.a.size(-1), n = c.b.size(-1);
    Shape batch = broadcast_shapes(Shape(c.a.shape().begin(), c.a.shape().end() - 2), Shape(c.b.shape().begin(), c.b.shape().end() - 2));
    Shape af = batch, bf = batch, of = batch;
    af.insert(af.end(), {m, k});
    bf.insert(bf.end(), {k, n});
    of.insert(of.end(), {m, n});
    const Tensor ab = c.a.broadcast_to(af), bb = c.b.broadcast_to(bf);
    std::vector<double> want(static_cast<std::size_t>(numel(of)), 0.0);
    for (std::int64_t bi = 0; bi < numel(batch); ++bi) {
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          double acc = 0;
          for (std::int64_t p = 0; p < k; ++p) acc += element(ab, (bi * m + i) * k + p) * element(bb, (bi * k + p) * n + j);
          want[static_cast<std::size_t>((bi * m + i) * n + j)] = acc;
        }
      }
    }
    expect_close(got, want, of, c.a.dtype() == DType::kFloat32 ? 1e-5 : 1e-13, "matmul " + c.what);
  }
  EXPECT_NE(thrown([] { ops::matmul(Tensor::zeros({2, 3}), Tensor::zeros({4, 5})); }).find("inner dimensions differ: [2, 3] x [4, 5]"),
            std::string::npos);
  EXPECT_NE(thrown([] { ops::matmul(Tensor::zeros({3}), Tensor::zeros({3, 2})); }).find("at least 2-D"), std::string::npos);
}

TEST(TensorOps, SoftmaxCrossEntropyLayerNorm) {
  const Tensor x = Tensor::uniform({4, 6}, -5, 5, seed() + 41, DType::kFloat64);
  std::vector<double> sm, lsm;
  std::vector<std::int32_t> labels = {0, 5, 2, 3};
  double ce = 0;
  for (std::int64_t i = 0; i < 4; ++i) {
    double mx = -1e300, z = 0;
    for (std::int64_t j = 0; j < 6; ++j) mx = std::max(mx, x.at({i, j}));
    for (std::int64_t j = 0; j < 6; ++j) z += std::exp(x.at({i, j}) - mx);
    for (std::int64_t j = 0; j < 6; ++j) {
      sm.push_back(std::exp(x.at({i, j}) - mx) / z);
      lsm.push_back(x.at({i, j}) - mx - std::log(z));
    }
    ce -= lsm[static_cast<std::size_t>(i * 6 + labels[static_cast<std::size_t>(i)])] / 4;
  }
  expect_close(ops::softmax(x, 1), sm, {4, 6}, 1e-14, "softmax");
  expect_close(ops::log_softmax(x, -1), lsm, {4, 6}, 1e-14, "log_softmax");
  EXPECT_NEAR(ops::cross_entropy(x, labels).item(), ce, 1e-13);
  labels[2] = 6;
  EXPECT_NE(thrown([&] { ops::cross_entropy(x, labels); }).find("label 6 at row 2 is outside [0, 6)"), std::string::npos);
  // Layer norm over the last dimension.
  const Tensor gamma = Tensor::uniform({6}, 0.5, 1.5, seed() + 42, DType::kFloat64);
  const Tensor beta = Tensor::uniform({6}, -1, 1, seed() + 43, DType::kFloat64);
  const ops::LayerNormResult ln = ops::layer_norm(x, gamma, beta, 1e-5);
  std::vector<double> y;
  for (std::int64_t i = 0; i < 4; ++i) {
    double mu = 0, var = 0;
    for (std::int64_t j = 0; j < 6; ++j) mu += x.at({i, j}) / 6;
    for (std::int64_t j = 0; j < 6; ++j) var += (x.at({i, j}) - mu) * (x.at({i, j}) - mu) / 6;
    EXPECT_NEAR(ln.mean.at({i}), mu, 1e-14);
    EXPECT_NEAR(ln.rstd.at({i}), 1 / std::sqrt(var + 1e-5), 1e-12);
    for (std::int64_t j = 0; j < 6; ++j) y.push_back((x.at({i, j}) - mu) / std::sqrt(var + 1e-5) * gamma.at({j}) + beta.at({j}));
  }
  expect_close(ln.y, y, {4, 6}, 1e-12, "layer_norm");
  EXPECT_NE(thrown([&] { ops::layer_norm(x, Tensor::ones({5}, DType::kFloat64), beta); }).find("must both be [6]"), std::string::npos);
}

TEST(TensorOps, MaxPoolAndDropout) {
  const Tensor x = Tensor::uniform({2, 3, 5, 6}, -1, 1, seed() + 51);
  for (auto [k, st, pad] : {std::tuple{2, 2, 0}, std::tuple{3, 2, 1}, std::tuple{3, 1, 1}}) {
    const ops::MaxPoolResult r = ops::max_pool2d(x, k, st, pad);
    const std::int64_t OH = (5 + 2 * pad - k) / st + 1, OW = (6 + 2 * pad - k) / st + 1;
    ASSERT_EQ(r.y.shape(), (Shape{2, 3, OH, OW}));
    for (std::int64_t plane = 0; plane < 6; ++plane) {
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          double best = -1e9;
          std::int64_t at = -1;
          for (int i = 0; i < k; ++i) {
            for (int j = 0; j < k; ++j) {
              const std::int64_t h = oh * st - pad + i, w = ow * st - pad + j;
              if (h < 0 || h >= 5 || w < 0 || w >= 6) continue;
              const double v = x.at({plane / 3, plane % 3, h, w});
              if (at < 0 || v > best) {
                best = v;
                at = h * 6 + w;
              }
            }
          }
          EXPECT_EQ(r.y.at({plane / 3, plane % 3, oh, ow}), best);
          EXPECT_EQ(r.argmax[static_cast<std::size_t>((plane * OH + oh) * OW + ow)], at);
        }
      }
    }
  }
  EXPECT_NE(thrown([&] { ops::max_pool2d(x.select(0, 0), 2, 2); }).find("expected [N, C, H, W]"), std::string::npos);
  const Tensor mask = ops::dropout_mask({10000}, 0.3, seed() + 52);
  const auto v = mask.to_vector();
  double kept = 0;
  for (double m : v) {
    ASSERT_TRUE(m == 0 || std::fabs(m - 1 / 0.7) < 1e-6) << m;
    kept += m != 0;
  }
  EXPECT_NEAR(kept / 10000, 0.7, 0.03);
  EXPECT_EQ(ops::dropout_mask({50}, 0.5, 9).to_vector(), ops::dropout_mask({50}, 0.5, 9).to_vector());
}

}  // namespace
}  // namespace aisys::kernels
