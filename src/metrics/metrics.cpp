#include "dislo/metrics.hpp"

#include <fftw3.h>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <numeric>
#include <optional>
#include <queue>
#include <stdexcept>

#include "integer_flow.hpp"

namespace dislo {

namespace {
constexpr double kTwoPi = 2 * std::numbers::pi;
using integer_flow::kCostScale;
using integer_flow::kSupplyScale;
// Bank prices above half the largest path cost bank only the imbalance, so larger prices
// change nothing; capping them keeps integer costs far from overflow.
constexpr double kMaxBankPrice = 2.0;
// bl's first bank prices, in grid spacings: the maximiser of atoms against a density lies
// at 2.3 to 4.3 (measured on the default study), so two tangents there usually bracket it.
constexpr double kProbeHigh = 4.0, kProbeLow = 2.6, kProbeLower = 1.8;

int nearest_node(double x, int H) {
  const double u = x * H + 0.5;
  int i = static_cast<int>(std::floor(u));
  i %= H;
  return i < 0 ? i + H : i;
}
}  // namespace

double GridMeasure::total() const { return std::accumulate(mass.begin(), mass.end(), 0.0); }

GridMeasure bin_points(std::span<const double> x, std::span<const double> y, double w, int H) {
  GridMeasure m{H, std::vector<double>(std::size_t(H) * H, 0.0)};
  for (std::size_t i = 0; i < x.size(); ++i)
    m.mass[std::size_t(nearest_node(x[i], H)) * H + nearest_node(y[i], H)] += w;
  return m;
}

GridMeasure bin_sites(std::span<const std::int32_t> x, std::span<const std::int32_t> y, int L,
                      double w, int H) {
  GridMeasure m{H, std::vector<double>(std::size_t(H) * H, 0.0)};
  for (std::size_t i = 0; i < x.size(); ++i) {
    const int a = H == L ? x[i] : nearest_node(double(x[i]) / L, H);
    const int b = H == L ? y[i] : nearest_node(double(y[i]) / L, H);
    m.mass[std::size_t(a) * H + b] += w;
  }
  return m;
}

GridMeasure bin_density(std::span<const double> density, int N, int H) {
  // 1-D assignment of sample a (at a/N) to the nearest H-node; exact ties split equally.
  struct Share {
    int node[2];
    double w[2];
  };
  std::vector<Share> share(N);
  for (int a = 0; a < N; ++a) {
    const long twice = 2L * a * H;  // 2 a H / N = 2k + 1 exactly: a tie between k and k + 1
    if (twice % N == 0 && (twice / N) % 2 == 1) {
      const int k = int(twice / N / 2);
      share[a] = {{k % H, (k + 1) % H}, {0.5, 0.5}};
    } else {
      share[a] = {{nearest_node(double(a) / N, H), 0}, {1.0, 0.0}};
    }
  }
  GridMeasure m{H, std::vector<double>(std::size_t(H) * H, 0.0)};
  const double cell = 1.0 / (double(N) * N);
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b) {
      const double v = density[std::size_t(a) * N + b] * cell;
      for (int p = 0; p < 2; ++p)
        for (int q = 0; q < 2; ++q) {
          const double w = share[a].w[p] * share[b].w[q];
          if (w > 0) m.mass[std::size_t(share[a].node[p]) * H + share[b].node[q]] += w * v;
        }
    }
  return m;
}

GridMeasure cell_masses_spectral(std::span<const double> density, int N, int H, double offset) {
  // mass(i, j) = h^2 sum_k rhohat_k S(k_x) S(k_y) exp(2 pi i k.(i + o, j + o) h), with
  // S(k) = sinc(pi k h): the integral of each Fourier mode over the cell. Modes are folded
  // by k mod H and one H x H inverse transform sums them.
  std::vector<double> in(density.begin(), density.end());
  const int Nc = N / 2 + 1;
  std::vector<std::complex<double>> spec(std::size_t(N) * Nc);
  fftw_plan forward = fftw_plan_dft_r2c_2d(
      N, N, in.data(), reinterpret_cast<fftw_complex*>(spec.data()), FFTW_ESTIMATE);
  fftw_execute(forward);
  fftw_destroy_plan(forward);
  const double h = 1.0 / H;
  auto cell_factor = [&](int k) {
    const double z = std::numbers::pi * k * h;
    return k == 0 ? 1.0 : std::sin(z) / z;
  };
  auto signed_k = [&](int a) { return a <= N / 2 ? a : a - N; };
  std::vector<std::complex<double>> folded(std::size_t(H) * H, 0.0);
  const double scale = 1.0 / (double(N) * N);
  for (int a = 0; a < N; ++a) {
    const int kx = signed_k(a);
    const double sx = cell_factor(kx);
    const int qx = ((kx % H) + H) % H;
    for (int b = 0; b < N; ++b) {
      const int ky = signed_k(b);
      // The r2c half spectrum and Hermitian symmetry give every mode.
      const std::complex<double> v = b < Nc
                                         ? spec[std::size_t(a) * Nc + b]
                                         : std::conj(spec[std::size_t((N - a) % N) * Nc + (N - b)]);
      const int qy = ((ky % H) + H) % H;
      std::complex<double> term = v * (scale * sx * cell_factor(ky));
      if (offset != 0) term *= std::polar(1.0, 2 * std::numbers::pi * (kx + ky) * offset * h);
      folded[std::size_t(qx) * H + qy] += term;
    }
  }
  std::vector<std::complex<double>> nodes(folded.size());
  fftw_plan backward =
      fftw_plan_dft_2d(H, H, reinterpret_cast<fftw_complex*>(folded.data()),
                       reinterpret_cast<fftw_complex*>(nodes.data()), FFTW_BACKWARD, FFTW_ESTIMATE);
  fftw_execute(backward);
  fftw_destroy_plan(backward);
  GridMeasure m{H, std::vector<double>(folded.size())};
  for (std::size_t q = 0; q < nodes.size(); ++q) m.mass[q] = h * h * nodes[q].real();
  return m;
}

// ---------------------------------------------------------------------------------------

struct TransportSolver::Impl {
  using Graph = lemon::SmartDigraph;
  Graph g;
  Graph::ArcMap<long long> cost{g};
  Graph::ArcMap<double> length{g};  // exact arc lengths, for the reported cost
  Graph::NodeMap<long long> supply{g};
  std::vector<Graph::Node> nodes;
  Graph::Node bank;
  std::vector<Graph::Arc> to_bank, from_bank;
  std::unique_ptr<lemon::NetworkSimplex<Graph, long long, long long>> simplex;
};

TransportSolver::TransportSolver(int H, int stencil_size) : impl_(std::make_unique<Impl>()), H_(H) {
  const int radius = stencil_size == 8 ? 1 : stencil_size == 16 ? 2 : stencil_size == 32 ? 3 : 0;
  if (!radius) throw std::invalid_argument("TransportSolver: stencil must be 8, 16 or 32");
  if (H < 2 * radius + 2) throw std::invalid_argument("TransportSolver: grid too small");
  auto& d = *impl_;
  const double h = 1.0 / H;
  d.nodes.reserve(std::size_t(H) * H);
  for (int k = 0; k < H * H; ++k) d.nodes.push_back(d.g.addNode());
  struct Step {
    int p, q;
    double length;  // set below, once the length factor is known
  };
  std::vector<Step> stencil;
  for (int p = -radius; p <= radius; ++p)
    for (int q = -radius; q <= radius; ++q)
      if ((p || q) && std::gcd(std::abs(p), std::abs(q)) == 1) stencil.push_back({p, q, 0.0});
  // Far apart, graph distance / Euclidean is the norm whose unit ball is the hull of the
  // unit stencil vectors: 1 along them, 1/cos(gap/2) midway between neighbours at the
  // widest angular gap. Scaling lengths by 2/(2 + excess) centres that range on 1.
  std::vector<double> angles;
  for (const auto& st : stencil) angles.push_back(std::atan2(double(st.q), double(st.p)));
  std::sort(angles.begin(), angles.end());
  double gap = angles.front() + 2 * std::numbers::pi - angles.back();
  for (std::size_t k = 1; k < angles.size(); ++k) gap = std::max(gap, angles[k] - angles[k - 1]);
  const double excess = 1 / std::cos(gap / 2) - 1;
  length_factor_ = 2 / (2 + excess);
  for (auto& st : stencil) st.length = length_factor_ * h * std::hypot(double(st.p), double(st.q));
  for (int i = 0; i < H; ++i)
    for (int j = 0; j < H; ++j)
      for (const auto& [p, q, length] : stencil) {
        const int ti = (i + p + H) % H, tj = (j + q + H) % H;
        const auto arc =
            d.g.addArc(d.nodes[std::size_t(i) * H + j], d.nodes[std::size_t(ti) * H + tj]);
        d.length[arc] = length;
        d.cost[arc] = std::llround(length * kCostScale);
      }
  // Distortion: graph distances from node 0 (Dijkstra over the stencil) against torus
  // distances. (LEMON's own Dijkstra needs std::allocator members removed in C++20.)
  {
    std::vector<double> dist(std::size_t(H) * H, std::numeric_limits<double>::infinity());
    using Item = std::pair<double, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
    dist[0] = 0;
    heap.emplace(0.0, 0);
    while (!heap.empty()) {
      const auto [dv, v] = heap.top();
      heap.pop();
      if (dv > dist[v]) continue;
      const int i = v / H, j = v % H;
      for (const auto& [p, q, length] : stencil) {
        const int t = ((i + p + H) % H) * H + (j + q + H) % H;
        const double nd = dv + length;
        if (nd < dist[t]) {
          dist[t] = nd;
          heap.emplace(nd, t);
        }
      }
    }
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < H; ++j) {
        if (!i && !j) continue;
        const double dx = std::min(i, H - i) * h, dy = std::min(j, H - j) * h;
        distortion_ =
            std::max(distortion_, std::abs(dist[std::size_t(i) * H + j] / std::hypot(dx, dy) - 1));
      }
  }
  d.bank = d.g.addNode();
  for (auto n : d.nodes) {
    d.to_bank.push_back(d.g.addArc(n, d.bank));
    d.from_bank.push_back(d.g.addArc(d.bank, n));
  }
  d.simplex = std::make_unique<lemon::NetworkSimplex<Impl::Graph, long long, long long>>(d.g);
}

TransportSolver::~TransportSolver() = default;

std::pair<double, double> TransportSolver::solve(const std::vector<double>& f, double lambda) {
  auto& d = *impl_;
  long long sum = 0;
  for (std::size_t k = 0; k < d.nodes.size(); ++k) {
    const long long s = std::llround(f[k] * kSupplyScale);
    d.supply[d.nodes[k]] = s;
    sum += s;
  }
  d.supply[d.bank] = -sum;
  const long long price = std::llround(std::min(lambda, kMaxBankPrice) * kCostScale);
  for (std::size_t k = 0; k < d.nodes.size(); ++k) {
    d.cost[d.to_bank[k]] = price;
    d.cost[d.from_bank[k]] = price;
  }
  d.simplex->reset();
  const auto status = d.simplex->costMap(d.cost).supplyMap(d.supply).run();
  ++solves_;
  if (status != lemon::NetworkSimplex<Impl::Graph, long long, long long>::OPTIMAL)
    throw std::runtime_error("TransportSolver: the min-cost flow has no optimum");
  double transport = 0, banked = 0;
  for (Impl::Graph::ArcIt a(d.g); a != lemon::INVALID; ++a) {
    const long long fl = d.simplex->flow(a);
    if (!fl) continue;
    if (d.g.source(a) == d.bank || d.g.target(a) == d.bank)
      banked += double(fl);
    else
      transport += double(fl) * d.length[a];
  }
  return {transport / kSupplyScale, banked / kSupplyScale};
}

double TransportSolver::w1(const GridMeasure& a, const GridMeasure& b) {
  if (a.H != H_ || b.H != H_) throw std::invalid_argument("TransportSolver::w1: grid size");
  const double ta = a.total(), tb = b.total();
  if (!(ta > 0 && tb > 0)) return 0.0;
  std::vector<double> f(a.mass.size());
  for (std::size_t k = 0; k < f.size(); ++k) f[k] = a.mass[k] / ta - b.mass[k] / tb;
  // Balanced: the bank (price above any path cost) only absorbs rounding.
  return solve(f, kMaxBankPrice).first;
}

// Graph distances lie in [(1 - d) t, (1 + d) t] for torus distance t, so the torus problem
// on the nodes lies in [value / (1 + d), value / (1 - d)] (for bl: a function feasible on
// one metric is, scaled by 1 -+ d, on the other); binning changes either distance by at most
// the cost of the moves, since every test function is 1-Lipschitz.
// The flows run in integers, 1e14 per unit mass: each node's supply is off by at most
// 1e-14, moved at most the torus diameter.
Bracket TransportSolver::w1_bracket(double value, double move_a, double move_b) const {
  const double moves = move_a + move_b + double(H_) * H_ * 1e-14;
  return {std::max(0.0, value / (1 + distortion_) - moves), value / (1 - distortion_) + moves};
}

Bracket TransportSolver::bl_bracket(double value, double rel_tol, double mass_a, double move_a,
                                    double mass_b, double move_b) const {
  const double moves = mass_a * move_a + mass_b * move_b + double(H_) * H_ * 1e-14;
  return {std::max(0.0, value / (1 + distortion_) - moves),
          value / (1 - std::max(rel_tol, 1e-13)) / (1 - distortion_) + moves};
}

double TransportSolver::bl(const GridMeasure& a, const GridMeasure& b, double rel_tol) {
  if (a.H != H_ || b.H != H_) throw std::invalid_argument("TransportSolver::bl: grid size");
  return bl_search(difference(a, b), std::nullopt, rel_tol);
}

TransportSolver::Distances TransportSolver::distances(const GridMeasure& a, const GridMeasure& b,
                                                      bool want_w1, bool want_bl,
                                                      double bl_rel_tol) {
  if (a.H != H_ || b.H != H_) throw std::invalid_argument("TransportSolver::distances: grid size");
  Distances d;
  const double ta = a.total(), tb = b.total();
  // Equal masses (to round-off): W1 of the normalised measures is the transport cost of
  // a - b without banking, divided by the mass, and that flow is also a tangent of bl's
  // g(L) (on the left of its maximum): one solve serves both.
  if (want_w1 && ta > 0 && std::abs(ta - tb) <= 1e-12 * ta) {
    const std::vector<double> f = difference(a, b);
    const auto flow = solve(f, kMaxBankPrice);
    d.w1 = flow.first / ta;
    if (want_bl) d.bl = bl_search(f, Line{flow.first, flow.second}, bl_rel_tol);
    return d;
  }
  if (want_w1) d.w1 = w1(a, b);
  if (want_bl) d.bl = bl(a, b, bl_rel_tol);
  return d;
}

std::vector<double> TransportSolver::difference(const GridMeasure& a, const GridMeasure& b) {
  std::vector<double> f(a.mass.size());
  for (std::size_t k = 0; k < f.size(); ++k) f[k] = a.mass[k] - b.mass[k];
  return f;
}

// g(L) = L Phi((1-L)/L) = min over flows of L c + (1 - L) m: concave, piecewise linear;
// each optimal flow (c, m) gives a tangent line, and the maximum is bracketed by the
// lowest tangents of either slope (Kelley's cutting planes in one dimension).
double TransportSolver::bl_search(const std::vector<double>& f, std::optional<Line> left_tangent,
                                  double rel_tol) {
  double tv = 0;
  for (double v : f) tv += std::abs(v);
  if (tv == 0) return 0.0;
  auto tangent = [&](double price) {
    const auto [c, m] = solve(f, price);
    return Line{c, m};
  };
  // The right end, L = 1: everything banked for free. A known tangent left of the
  // maximum (W1's flow) replaces the first probe.
  Line left{0, 0}, right{0.0, tv};
  const bool have_left = left_tangent.has_value() && left_tangent->slope() > 0;
  if (have_left) left = *left_tangent;
  const Line first = tangent((have_left ? kProbeLow : kProbeHigh) / H_);
  if (first.slope() > 0) {
    left = first;
    const Line second = tangent((have_left ? kProbeLower : kProbeLow) / H_);
    (second.slope() > 0 ? left : right) = second;
  } else {
    right = first;
    // The left end: the bank as expensive as it gets (only the imbalance is banked; that
    // flow stays optimal for every smaller L).
    if (!have_left) left = tangent(kMaxBankPrice);
    if (left.slope() <= 0) return left.m;  // maximum at L -> 0: the mass imbalance
  }
  for (int it = 0; it < 200; ++it) {
    const double denom = left.slope() - right.slope();
    const double L = std::clamp((right.m - left.m) / denom, 1e-7, 1.0);
    const double upper = left.at(L);
    const Line mid = tangent((1 - L) / L);
    const double value = mid.at(L);
    if (upper - value <= std::max(rel_tol, 1e-13) * std::max(upper, 1e-300)) return value;
    (mid.slope() > 0 ? left : right) = mid;
  }
  throw std::runtime_error("TransportSolver::bl: cutting planes did not converge");
}

// ---------------------------------------------------------------------------------------

SobolevNorm::SobolevNorm(double s, int K) : s_(s), K_(K) {
  const int W = 2 * K + 1;
  weight_.resize(std::size_t(W) * W);
  for (int a = -K; a <= K; ++a)
    for (int b = -K; b <= K; ++b)
      weight_[std::size_t(a + K) * W + (b + K)] =
          std::pow(1 + kTwoPi * kTwoPi * double(a * a + b * b), -s);
}

std::vector<std::complex<double>> SobolevNorm::atoms(std::span<const double> x,
                                                     std::span<const double> y, double w) const {
  const int W = 2 * K_ + 1;
  // Rows k_1 >= 0 only (the others are conjugates: the measure is real), accumulated in
  // split real/imaginary arrays: std::complex's operator* would call __muldc3 per product.
  const std::size_t half = std::size_t(K_ + 1) * W;
  std::vector<double> re(half, 0.0), im(half, 0.0);
  std::vector<double> exr(K_ + 1), exi(K_ + 1), eyr(W), eyi(W);
  for (std::size_t i = 0; i < x.size(); ++i) {
    // exp(-2 pi i k x) for k = -K..K, by powers from exact values at k = 1 (error ~K eps).
    const std::complex<double> px = std::polar(1.0, -kTwoPi * x[i]),
                               py = std::polar(1.0, -kTwoPi * y[i]);
    std::complex<double> ex = 1.0, ey = 1.0;
    exr[0] = 1, exi[0] = 0;
    eyr[K_] = 1, eyi[K_] = 0;
    for (int k = 1; k <= K_; ++k) {
      ex *= px;
      ey *= py;
      exr[k] = ex.real(), exi[k] = ex.imag();
      eyr[K_ + k] = ey.real(), eyi[K_ + k] = ey.imag();
      eyr[K_ - k] = ey.real(), eyi[K_ - k] = -ey.imag();
    }
    for (int a = 0; a <= K_; ++a) {
      const double ar = w * exr[a], ai = w * exi[a];
      double* rr = &re[std::size_t(a) * W];
      double* ri = &im[std::size_t(a) * W];
      for (int b = 0; b < W; ++b) {
        rr[b] += ar * eyr[b] - ai * eyi[b];
        ri[b] += ar * eyi[b] + ai * eyr[b];
      }
    }
  }
  std::vector<std::complex<double>> c(std::size_t(W) * W);
  for (int a = 0; a <= K_; ++a)
    for (int b = 0; b < W; ++b) {
      const std::complex<double> v(re[std::size_t(a) * W + b], im[std::size_t(a) * W + b]);
      c[std::size_t(K_ + a) * W + b] = v;                       // (k1, k2) = (a, b - K)
      c[std::size_t(K_ - a) * W + (W - 1 - b)] = std::conj(v);  // (-a, K - b)
    }
  return c;
}

std::vector<std::complex<double>> SobolevNorm::nodes(const GridMeasure& m) const {
  std::vector<double> x, y, w;
  for (int i = 0; i < m.H; ++i)
    for (int j = 0; j < m.H; ++j) {
      const double v = m.mass[std::size_t(i) * m.H + j];
      if (v == 0) continue;
      x.push_back(double(i) / m.H);
      y.push_back(double(j) / m.H);
      w.push_back(v);
    }
  const int W = 2 * K_ + 1;
  std::vector<std::complex<double>> c(std::size_t(W) * W, 0.0);
  // Each node is an atom with its own mass.
  for (std::size_t k = 0; k < x.size(); ++k) {
    const auto one = atoms(std::span(&x[k], 1), std::span(&y[k], 1), w[k]);
    for (std::size_t q = 0; q < c.size(); ++q) c[q] += one[q];
  }
  return c;
}

double SobolevNorm::distance(const std::vector<std::complex<double>>& a,
                             const std::vector<std::complex<double>>& b) const {
  double s = 0;
  for (std::size_t q = 0; q < weight_.size(); ++q) s += weight_[q] * std::norm(a[q] - b[q]);
  return std::sqrt(s);
}

double SobolevNorm::tail_bound(double total_mass) const {
  // Shell |k|_inf = r has 8r modes, each with |k| >= r: sum <= 8 int_K^inf r (4 pi^2 r^2)^-s dr.
  const double tail =
      8 * std::pow(kTwoPi * kTwoPi, -s_) * std::pow(double(K_), 2 - 2 * s_) / (2 * s_ - 2);
  return total_mass * std::sqrt(tail);
}

}  // namespace dislo
